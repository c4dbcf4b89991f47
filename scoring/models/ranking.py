"""Published results: a frozen snapshot of every unit's points, index, rank and band.

A publication never changes; publishing again makes a new snapshot and the old one stays readable.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import FrozenJSONField


class Publication(models.Model):
    round = models.ForeignKey("scoring.Round", on_delete=models.PROTECT, related_name="publications")
    number = models.PositiveIntegerField(_("lần công bố"))
    published_at = models.DateTimeField(_("thời điểm công bố"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # What the results depend on, frozen with them.
    criteria_set = models.ForeignKey("criteria.CriteriaSet", on_delete=models.PROTECT, related_name="+")
    criteria_version = models.PositiveIntegerField()
    tie_rule = models.CharField(max_length=20)
    bands = models.CharField(max_length=200)
    domains = models.JSONField(default=list)  # [[code, title, max_points], ...] of the criteria set
    leaves = models.JSONField(default=list)  # [[code, title, max_points, kind, method], ...]
    decision_number = models.CharField(_("số quyết định công bố"), max_length=60, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        ordering = ["round", "-number"]
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="publication_number_per_round")]
        verbose_name = _("lần công bố kết quả")
        verbose_name_plural = _("các lần công bố kết quả")

    def __str__(self) -> str:
        return f"{self.round} – #{self.number}"


class PublishedResult(models.Model):
    """One unit's frozen result. Leaf and domain figures are JSON: one row per unit keeps a
    10,000-unit publication to 10,000 inserts."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    unit_code = models.CharField(max_length=30)
    unit_name = models.CharField(max_length=255)
    self_total = models.DecimalField(max_digits=9, decimal_places=2)
    self_max = models.DecimalField(max_digits=9, decimal_places=2)
    self_index = models.DecimalField(max_digits=6, decimal_places=2)
    self_rank = models.PositiveIntegerField()
    self_band = models.CharField(max_length=40)
    total = models.DecimalField(max_digits=9, decimal_places=2)
    maximum = models.DecimalField(max_digits=9, decimal_places=2)
    index = models.DecimalField(max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField()
    band = models.CharField(max_length=40)
    # {domain code: {"points": "..", "max": "..", "index": "..", "rank": n}} at the final stage
    domains = FrozenJSONField(default=dict)
    # {leaf code: ["self points" or null, "final points" or null]} ; null = not applicable / not entered
    leaves = FrozenJSONField(default=dict)

    class Meta:
        ordering = ["publication", "rank", "unit_code"]
        constraints = [models.UniqueConstraint(fields=["publication", "unit"], name="one_result_per_unit_and_publication")]
