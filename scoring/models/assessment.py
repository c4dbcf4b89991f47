"""A yearly round per unit group, and one assessment per unit in it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scoring import engine


class Round(models.Model):
    class TieRule(models.TextChoices):
        COMPETITION = engine.TieRule.COMPETITION.value, _("Đồng hạng rồi bỏ hạng (1, 2, 2, 4)")
        DENSE = engine.TieRule.DENSE.value, _("Đồng hạng liền kề (1, 2, 2, 3)")

    year = models.PositiveIntegerField(_("năm đánh giá"))
    group = models.ForeignKey("accounts.UnitGroup", on_delete=models.PROTECT, related_name="rounds", verbose_name=_("nhóm đơn vị"))
    criteria_set = models.ForeignKey(
        "criteria.CriteriaSet", on_delete=models.PROTECT, related_name="rounds", verbose_name=_("bộ tiêu chí")
    )
    self_deadline = models.DateField(_("hạn tự chấm"), null=True, blank=True)
    appraisal_deadline = models.DateField(_("hạn thẩm định"), null=True, blank=True)
    explanation_deadline = models.DateField(_("hạn giải trình"), null=True, blank=True)
    final_deadline = models.DateField(_("hạn thẩm định lại"), null=True, blank=True)
    bands = models.CharField(_("xếp loại"), max_length=200, default=engine.DEFAULT_BANDS)
    tie_rule = models.CharField(_("cách xếp đồng hạng"), max_length=20, choices=TieRule.choices, default=TieRule.COMPETITION)
    opened_at = models.DateTimeField(_("ngày mở"), default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-year", "group__position"]
        constraints = [models.UniqueConstraint(fields=["year", "group"], name="one_round_per_group_and_year")]
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")

    def __str__(self) -> str:
        return f"{self.year} – {self.group.name}"

    @property
    def is_published(self) -> bool:
        return self.publications.exists()

    @property
    def parsed_bands(self):
        return engine.parse_bands(self.bands)

    def self_deadline_passed(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.self_deadline and today > self.self_deadline)

    def explanation_deadline_passed(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.explanation_deadline and today > self.explanation_deadline)


class Assessment(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Đang tự chấm")
        SUBMITTED = "submitted", _("Đã nộp, chờ thẩm định")
        APPRAISED = "appraised", _("Đã thẩm định sơ bộ")
        EXPLANATION = "explanation", _("Đang giải trình")
        EXPLAINED = "explained", _("Đã giải trình, chờ thẩm định lại")
        FINALIZED = "finalized", _("Đã có kết quả cuối cùng")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("kỳ đánh giá"))
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="assessments", verbose_name=_("đơn vị"))
    state = models.CharField(_("trạng thái"), max_length=20, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(_("ngày nộp"), null=True, blank=True)
    # Set when Home Affairs reopens an assessment after the round's self-assessment deadline.
    reopened_until = models.DateField(_("được sửa đến ngày"), null=True, blank=True)
    # Stored totals are a cache of the engine's result; `recompute_scores` rebuilds them.
    self_total = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    self_max = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    self_index = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    final_total = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    final_max = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    final_index = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    leaves_done = models.PositiveIntegerField(default=0)
    leaves_todo = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="one_assessment_per_unit_and_round")]
        verbose_name = _("phiếu đánh giá")
        verbose_name_plural = _("phiếu đánh giá")

    def __str__(self) -> str:
        return f"{self.unit.name} – {self.round.year}"

    def self_deadline(self):
        return self.reopened_until or self.round.self_deadline

    def self_deadline_passed(self, today=None) -> bool:
        deadline = self.self_deadline()
        return bool(deadline and (today or timezone.localdate()) > deadline)


class AssessmentEvent(models.Model):
    """Every state change of an assessment: who, when, from, to, note."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def from_label(self) -> str:
        return Assessment.State(self.from_state).label if self.from_state else ""

    @property
    def to_label(self) -> str:
        return Assessment.State(self.to_state).label
