"""Raw inputs of each leaf at each stage, and the field-level history of every change."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scoring import engine


class Stage(models.TextChoices):
    SELF = "self", _("Tự chấm")
    APPRAISAL = "appraisal", _("Thẩm định")
    FINAL = "final", _("Thẩm định lại")
    SURVEY = "survey", _("Điều tra xã hội học")


# Fields that hold what a user entered; `score` is derived by the engine.
INPUT_FIELDS = ("not_applicable", "points", "option", "numerator", "denominator", "count", "rate")


class LeafValue(models.Model):
    assessment = models.ForeignKey("scoring.Assessment", on_delete=models.CASCADE, related_name="values")
    criterion = models.ForeignKey("criteria.Criterion", on_delete=models.PROTECT, related_name="values")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    not_applicable = models.BooleanField(_("không áp dụng"), default=False)
    points = models.DecimalField(_("điểm"), max_digits=8, decimal_places=2, null=True, blank=True)
    option = models.CharField(_("lựa chọn"), max_length=300, blank=True)
    numerator = models.DecimalField(_("tử số"), max_digits=14, decimal_places=2, null=True, blank=True)
    denominator = models.DecimalField(_("mẫu số"), max_digits=14, decimal_places=2, null=True, blank=True)
    count = models.PositiveIntegerField(_("số lượng"), null=True, blank=True)
    rate = models.DecimalField(_("tỷ lệ"), max_digits=6, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("điểm đạt"), max_digits=8, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)  # self: explanation; appraisal: reason
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion", "stage"], name="one_value_per_leaf_and_stage")
        ]
        indexes = [models.Index(fields=["criterion", "stage"])]

    def as_input(self) -> engine.LeafInput:
        return engine.LeafInput(
            not_applicable=self.not_applicable,
            points=self.points,
            option=self.option or None,
            numerator=self.numerator,
            denominator=self.denominator,
            count=self.count,
            rate=self.rate,
        )

    def has_value(self) -> bool:
        return self.not_applicable or any(
            getattr(self, f) is not None and getattr(self, f) != "" for f in ("points", "option", "numerator", "count", "rate")
        )


class ValueChange(models.Model):
    """One changed field of one leaf value: nothing is ever edited without leaving a trace."""

    assessment = models.ForeignKey("scoring.Assessment", on_delete=models.CASCADE, related_name="changes")
    criterion = models.ForeignKey("criteria.Criterion", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    field = models.CharField(max_length=20)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
