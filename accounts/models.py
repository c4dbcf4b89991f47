"""Units, unit groups and people.

Groups and units are data, never code: district-level government was abolished in 2025 and
provinces keep reorganising, so Home Affairs edits them in the admin or imports them from Excel.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.text import search_key


class UnitGroup(models.Model):
    code = models.CharField(_("mã nhóm"), max_length=20, unique=True)
    name = models.CharField(_("tên nhóm"), max_length=200)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("nhóm đơn vị")
        verbose_name_plural = _("nhóm đơn vị")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Unit(models.Model):
    code = models.CharField(_("mã đơn vị"), max_length=30, unique=True)
    name = models.CharField(_("tên đơn vị"), max_length=255)
    group = models.ForeignKey(UnitGroup, on_delete=models.PROTECT, related_name="units", verbose_name=_("nhóm"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("đơn vị cấp trên"),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    search_name = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        ordering = ["group__position", "code"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.set_search_name()
        super().save(*args, **kwargs)

    def set_search_name(self) -> None:
        # A derived column, not business logic: it keeps accent-free search working on SQLite too.
        # Bulk writes, which skip save() (the units import), call it themselves.
        self.search_name = search_key(f"{self.code} {self.name}")


class Role(models.TextChoices):
    HOME_AFFAIRS = "home_affairs", _("Quản trị Sở Nội vụ")
    APPRAISER = "appraiser", _("Thẩm định viên")
    INSPECTOR = "inspector", _("Thành viên đoàn kiểm tra")
    UNIT_STAFF = "unit_staff", _("Cán bộ đơn vị")
    UNIT_HEAD = "unit_head", _("Lãnh đạo đơn vị")
    VIEWER = "viewer", _("Người xem kết quả")


# Role -> boolean field on User. Booleans keep role checks free of extra queries and show as
# checkboxes in the admin; one user may hold several roles.
ROLE_FIELDS = {
    Role.HOME_AFFAIRS: "is_home_affairs",
    Role.APPRAISER: "is_appraiser",
    Role.INSPECTOR: "is_inspector",
    Role.UNIT_STAFF: "is_unit_staff",
    Role.UNIT_HEAD: "is_unit_head",
    Role.VIEWER: "is_viewer",
}


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    position_title = models.CharField(_("chức vụ"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("đơn vị")
    )
    is_home_affairs = models.BooleanField(Role.HOME_AFFAIRS.label, default=False)
    is_appraiser = models.BooleanField(Role.APPRAISER.label, default=False)
    is_inspector = models.BooleanField(Role.INSPECTOR.label, default=False)
    is_unit_staff = models.BooleanField(Role.UNIT_STAFF.label, default=False)
    is_unit_head = models.BooleanField(Role.UNIT_HEAD.label, default=False)
    is_viewer = models.BooleanField(Role.VIEWER.label, default=False)
    appraised_groups = models.ManyToManyField(
        UnitGroup, blank=True, related_name="appraisers", verbose_name=_("nhóm được phân công thẩm định")
    )

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    def has_role(self, role: Role) -> bool:
        return self.is_active and bool(getattr(self, ROLE_FIELDS[role]))

    @property
    def roles(self) -> list[Role]:
        return [role for role in Role if self.has_role(role)]

    @property
    def role_labels(self) -> list[str]:
        return [str(role.label) for role in self.roles]
