"""The yearly inspection plan, its content areas, the visits and each visit's delegation."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_REMEDIAL_DAYS = 15  # one plan seen asks for remedial reports within 15 days of the notice


class InspectionPlan(models.Model):
    year = models.PositiveIntegerField(_("năm"))
    # Home Affairs inspects departments and communes; a department may inspect its own subordinate units.
    organizer = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="inspection_plans", verbose_name=_("cơ quan kiểm tra"))
    title = models.CharField(_("tên kế hoạch"), max_length=300)
    decision_number = models.CharField(_("số quyết định/kế hoạch"), max_length=60, blank=True)
    decision_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    decision_issuer = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)
    purpose = models.TextField(_("mục đích, yêu cầu"), blank=True)
    remedial_days = models.PositiveIntegerField(_("số ngày khắc phục mặc định"), default=DEFAULT_REMEDIAL_DAYS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("kế hoạch kiểm tra")
        verbose_name_plural = _("kế hoạch kiểm tra")

    def __str__(self) -> str:
        return self.title


class ContentArea(models.Model):
    """What the plan checks: a domain of the criteria sets (by code) or an area outside them."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("mã"), max_length=20)
    title = models.CharField(_("nội dung kiểm tra"), max_length=300)
    domain_code = models.CharField(_("mã lĩnh vực trong bộ tiêu chí"), max_length=40, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="area_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class Visit(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Theo kế hoạch")
        DONE = "done", _("Đã kiểm tra")
        CONCLUDED = "concluded", _("Đã thông báo kết luận")

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="visits")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="inspection_visits", verbose_name=_("đơn vị được kiểm tra"))
    planned_date = models.DateField(_("ngày dự kiến"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    started_at = models.DateTimeField(_("thời gian bắt đầu"), null=True, blank=True)
    ended_at = models.DateTimeField(_("thời gian kết thúc"), null=True, blank=True)
    place = models.CharField(_("địa điểm"), max_length=300, blank=True)
    unit_attendees = models.TextField(_("thành phần đơn vị được kiểm tra"), blank=True, help_text=_("Mỗi dòng một người: họ tên – chức vụ"))
    unit_opinion = models.TextField(_("ý kiến của đơn vị được kiểm tra"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "planned_date", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="one_visit_per_unit_and_plan")]
        verbose_name = _("cuộc kiểm tra")
        verbose_name_plural = _("cuộc kiểm tra")

    def __str__(self) -> str:
        return f"{self.unit.name} – {self.plan.year}"


class DelegationMember(models.Model):
    class Role(models.TextChoices):
        HEAD = "head", _("Trưởng đoàn")
        DEPUTY = "deputy", _("Phó trưởng đoàn")
        MEMBER = "member", _("Thành viên")
        SECRETARY = "secretary", _("Thư ký")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="delegations")
    full_name = models.CharField(_("họ và tên"), max_length=150)
    position_title = models.CharField(_("chức vụ"), max_length=150, blank=True)
    agency = models.CharField(_("cơ quan"), max_length=200, blank=True)
    role = models.CharField(_("vai trò trong đoàn"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["visit", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"


class VisitCheck(models.Model):
    """What was checked in one content area during a visit (the checklist)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="checks")
    area = models.ForeignKey(ContentArea, on_delete=models.CASCADE, related_name="checks")
    checked = models.BooleanField(_("đã kiểm tra"), default=False)
    result = models.TextField(_("kết quả kiểm tra"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "area__position"]
        constraints = [models.UniqueConstraint(fields=["visit", "area"], name="one_check_per_area_and_visit")]
