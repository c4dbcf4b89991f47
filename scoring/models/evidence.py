"""Evidence files (stored outside the web root), their links to criteria, and explanations."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def evidence_path(instance: "EvidenceFile", filename: str) -> str:
    # Named by content hash, never by the user's file name: no path tricks, no collisions.
    return f"evidence/{instance.assessment.round.year}/{instance.assessment.unit.code}/{instance.sha256}"


class EvidenceFile(models.Model):
    assessment = models.ForeignKey("scoring.Assessment", on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["assessment", "sha256"], name="one_copy_per_assessment")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def opens_inline(self) -> bool:
        return self.content_type in ("application/pdf", "image/jpeg", "image/png")


class LeafEvidence(models.Model):
    """A file and/or an official document reference attached to one criterion."""

    class Purpose(models.TextChoices):
        SELF = "self", _("Tự chấm")
        EXPLANATION = "explanation", _("Giải trình")

    assessment = models.ForeignKey("scoring.Assessment", on_delete=models.CASCADE, related_name="evidence")
    criterion = models.ForeignKey("criteria.Criterion", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.SELF)
    file = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    document_number = models.CharField(_("số, ký hiệu văn bản"), max_length=100, blank=True)
    document_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    document_title = models.CharField(_("trích yếu"), max_length=500, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]

    @property
    def document_label(self) -> str:
        """e.g. "137/KH-SGDĐT ngày 19/01/2017 – Kế hoạch thực hiện CCHC năm 2017"."""
        text = self.document_number
        if self.document_date:
            text += _(" ngày %(date)s") % {"date": self.document_date.strftime("%d/%m/%Y")}
        if self.document_title:
            text += f" – {self.document_title}"
        return text.strip()


class Explanation(models.Model):
    """The unit's answer, in the explanation round, on a leaf whose appraised value differs."""

    assessment = models.ForeignKey("scoring.Assessment", on_delete=models.CASCADE, related_name="explanations")
    criterion = models.ForeignKey("criteria.Criterion", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("nội dung giải trình"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "criterion"], name="one_explanation_per_leaf")]
