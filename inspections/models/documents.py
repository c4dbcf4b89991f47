"""The minutes and the conclusion notice of a visit, frozen once issued (Decree 30/2020/NĐ-CP)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InspectionDocument(models.Model):
    class Kind(models.TextChoices):
        MINUTES = "minutes", _("Biên bản kiểm tra")
        NOTICE = "notice", _("Thông báo kết luận kiểm tra")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        ISSUED = "issued", pgettext_lazy("document", "Đã ban hành")

    visit = models.ForeignKey("inspections.Visit", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("loại văn bản"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Entered by Home Affairs: numbers, signers and recipients are data, never code.
    number = models.CharField(_("số, ký hiệu"), max_length=60, blank=True, help_text=_("Ví dụ: 12/TB-SNV"))
    issue_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    place = models.CharField(_("địa danh"), max_length=100, blank=True)
    parent_agency = models.CharField(_("cơ quan chủ quản"), max_length=200, blank=True)
    issuing_agency = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)
    legal_bases = models.TextField(_("căn cứ"), blank=True, help_text=_("Mỗi dòng một căn cứ"))
    summary = models.TextField(_("nội dung bổ sung"), blank=True)
    signer_authority = models.CharField(_("quyền hạn ký"), max_length=60, blank=True, help_text=_("Ví dụ: KT. GIÁM ĐỐC"))
    signer_title = models.CharField(_("chức vụ người ký"), max_length=100, blank=True, help_text=_("Ví dụ: PHÓ GIÁM ĐỐC"))
    signer_name = models.CharField(_("họ tên người ký"), max_length=150, blank=True)
    recipients = models.TextField(_("nơi nhận"), blank=True, help_text=_("Mỗi dòng một nơi nhận"))
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by", verbose_name=_("thay thế văn bản")
    )
    content = models.JSONField(default=dict, blank=True)  # the recorded data as it was when issued
    pdf = models.FileField(upload_to="documents/", max_length=300, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "kind", "-created_at"]
        verbose_name = _("văn bản kiểm tra")
        verbose_name_plural = _("văn bản kiểm tra")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED
