"""Findings on site and the remedial actions they call for."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def attachment_path(instance, filename: str) -> str:
    return f"inspections/{instance.sha256[:2]}/{instance.sha256}"


class Finding(models.Model):
    class Kind(models.TextChoices):
        STRENGTH = "strength", _("Ưu điểm")
        SHORTCOMING = "shortcoming", _("Tồn tại, hạn chế")

    visit = models.ForeignKey("inspections.Visit", on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    area = models.ForeignKey("inspections.ContentArea", on_delete=models.SET_NULL, null=True, blank=True, related_name="findings")
    text = models.TextField(_("nội dung"))
    cause = models.TextField(_("nguyên nhân"), blank=True)
    criterion_code = models.CharField(_("mã tiêu chí liên quan"), max_length=40, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "kind", "position", "pk"]
        verbose_name = _("kết quả kiểm tra")
        verbose_name_plural = _("kết quả kiểm tra")

    def __str__(self) -> str:
        return self.text[:80]


class FindingAttachment(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)


class RemedialActionQuerySet(models.QuerySet):
    def overdue(self, today: dt.date | None = None):
        """Past the deadline and not closed: the one definition of overdue."""
        today = today or timezone.localdate()
        return self.filter(deadline__lt=today).exclude(status=RemedialAction.Status.CLOSED)


class RemedialAction(models.Model):
    """A request ("kiến nghị, yêu cầu khắc phục") on a shortcoming, followed up until closed."""

    class Status(models.TextChoices):
        OPEN = "open", _("Chưa khắc phục")
        REPORTED = "reported", _("Đã báo cáo, chờ xem xét")
        CLOSED = "closed", _("Đã hoàn thành")

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="actions")
    text = models.TextField(_("kiến nghị, yêu cầu khắc phục"))
    responsible_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="remedial_actions", verbose_name=_("đơn vị chịu trách nhiệm"))
    deadline = models.DateField(_("hạn khắc phục"), null=True, blank=True)  # set from the notice's date when issued
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices, default=Status.OPEN)
    report_text = models.TextField(_("kết quả khắc phục"), blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    review_note = models.TextField(_("ý kiến của đoàn kiểm tra"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RemedialActionQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("yêu cầu khắc phục")
        verbose_name_plural = _("yêu cầu khắc phục")

    def __str__(self) -> str:
        return self.text[:80]

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return bool(self.deadline and self.deadline < today and self.status != self.Status.CLOSED)


class ActionAttachment(models.Model):
    action = models.ForeignKey(RemedialAction, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)


class ActionEvent(models.Model):
    """One transition of a remedial action (created, reported, accepted, sent back), for its timeline."""

    action = models.ForeignKey(RemedialAction, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=12, choices=RemedialAction.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=RemedialAction.Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["action", "at", "pk"]
        verbose_name = _("diễn biến xử lý yêu cầu khắc phục")
        verbose_name_plural = _("diễn biến xử lý yêu cầu khắc phục")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
