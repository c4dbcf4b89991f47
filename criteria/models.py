"""Versioned criteria sets: a tree of domains, criteria and sub-criteria with points and rules.

A set is a draft until published; a published set never changes (a correction is a new
version with the same code), because every score and ranking refers to it.
"""

from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring import engine


class CriteriaSetQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CriteriaSet.Status.PUBLISHED)

    def latest_versions(self):
        """The newest version of each code."""
        newer = CriteriaSet.objects.filter(code=models.OuterRef("code"), version__gt=models.OuterRef("version"))
        return self.filter(~models.Exists(newer))


class CriteriaSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        PUBLISHED = "published", _("Đã ban hành")

    code = models.CharField(_("mã bộ tiêu chí"), max_length=40)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    name = models.CharField(_("tên bộ tiêu chí"), max_length=300)
    year = models.PositiveIntegerField(_("năm đánh giá"))
    group = models.ForeignKey(
        "accounts.UnitGroup", on_delete=models.PROTECT, related_name="criteria_sets", verbose_name=_("nhóm đơn vị")
    )
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    decision_issuer = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("thời điểm ban hành"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người ban hành"),
    )
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derivatives",
        verbose_name=_("tạo từ bộ"),
    )
    source_filename = models.CharField(_("tệp nguồn"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    objects = CriteriaSetQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "group__position", "code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="criteria_set_code_version")]
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")

    def __str__(self) -> str:
        return f"{self.code} v{self.version} – {self.name}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def decision_label(self) -> str:
        parts = [self.decision_number]
        if self.decision_date:
            parts.append(_("ngày %(date)s") % {"date": self.decision_date.strftime("%d/%m/%Y")})
        if self.decision_issuer:
            parts.append(_("của %(issuer)s") % {"issuer": self.decision_issuer})
        return " ".join(str(p) for p in parts if p)

    def engine_nodes(self) -> list[engine.Node]:
        return [c.as_engine_node() for c in self.criteria.all()]

    @cached_property
    def engine_tree(self) -> engine.Tree:
        return engine.Tree(self.engine_nodes())


class Criterion(models.Model):
    # Display names; files use the engine's vocabulary (METHOD_LABELS), which stays Vietnamese.
    METHOD_CHOICES = [
        (engine.Method.MANUAL.value, _("Tự chấm")),
        (engine.Method.CHOICE.value, _("Lựa chọn")),
        (engine.Method.BANDS.value, _("Theo mức tỷ lệ")),
        (engine.Method.PROPORTIONAL.value, _("Tỷ lệ")),
        (engine.Method.PER_ITEM.value, _("Mỗi lần")),
        (engine.Method.DEDUCTION.value, _("Trừ dần")),
        (engine.Method.SURVEY.value, _("Điều tra xã hội học")),
    ]
    KIND_CHOICES = [
        (engine.Kind.SCORE.value, _("Điểm")),
        (engine.Kind.BONUS.value, _("Điểm thưởng")),
        (engine.Kind.PENALTY.value, _("Điểm trừ")),
    ]

    class Prefill(models.TextChoices):
        # Numerator/denominator taken from the unit's own inspection records (inspections issue, §5).
        NONE = "", _("Không")
        INSPECTED_UNITS = "inspected_units", _("Tỷ lệ đơn vị trực thuộc được kiểm tra")
        ISSUES_RESOLVED = "issues_resolved", _("Tỷ lệ vấn đề phát hiện qua kiểm tra được xử lý")

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("mã"), max_length=40)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("cấp trên")
    )
    position = models.PositiveIntegerField(_("thứ tự"), default=0)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    title = models.TextField(_("nội dung"))
    max_points = models.DecimalField(
        _("điểm tối đa"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    kind = models.CharField(_("loại"), max_length=10, choices=KIND_CHOICES, default=engine.Kind.SCORE.value)
    method = models.CharField(_("cách chấm"), max_length=20, choices=METHOD_CHOICES, blank=True)
    rule = models.TextField(_("quy tắc"), blank=True)
    inputs = models.CharField(_("số liệu"), max_length=300, blank=True)
    allow_na = models.BooleanField(_("được khai báo không áp dụng"), default=False)
    evidence = models.TextField(_("tài liệu kiểm chứng"), blank=True)
    guidance = models.TextField(_("hướng dẫn"), blank=True)
    prefill = models.CharField(_("lấy số liệu từ kết quả kiểm tra"), max_length=30, blank=True, choices=Prefill.choices)

    class Meta:
        ordering = ["criteria_set", "position"]
        constraints = [models.UniqueConstraint(fields=["criteria_set", "code"], name="criterion_code_in_set")]
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    @property
    def is_leaf(self) -> bool:
        return bool(self.method)

    @property
    def is_domain(self) -> bool:
        return self.parent_id is None

    @cached_property
    def input_labels(self) -> tuple[str, str]:
        """(numerator label, denominator label) for rate methods, (count label, "") otherwise."""
        if "/" in self.inputs and self.method in (engine.Method.BANDS, engine.Method.PROPORTIONAL):
            num, _sep, den = self.inputs.partition("/")
            return num.strip(), den.strip()
        return self.inputs.strip(), ""

    @cached_property
    def parsed_rule(self) -> engine.Rule | None:
        if not self.method:
            return None
        return engine.parse_rule(engine.Method(self.method), self.rule, self.max_points)

    def as_engine_node(self) -> engine.Node:
        parent_code = engine.parent_code(self.code)
        return engine.Node(
            code=self.code,
            parent=parent_code,
            kind=engine.Kind(self.kind),
            max_points=self.max_points,
            method=engine.Method(self.method) if self.method else None,
            rule=self.parsed_rule,
            allow_na=self.allow_na,
            title=self.title,
        )

    def describe_rule(self) -> str:
        if not self.method:
            return ""
        num, den = self.input_labels
        return engine.describe_rule(
            self.as_engine_node(), numerator_label=num, denominator_label=den, count_label=num
        )

    def clean(self) -> None:
        if self.criteria_set_id and self.criteria_set.is_published:
            raise ValidationError(_("Bộ tiêu chí đã ban hành không được sửa; hãy tạo phiên bản mới."))
        if self.method:
            try:
                engine.parse_rule(engine.Method(self.method), self.rule, self.max_points or Decimal("0"))
            except engine.RuleError as exc:
                raise ValidationError({"rule": exc.message}) from exc
