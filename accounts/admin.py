from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Unit, UnitGroup, User

admin.site.site_header = _("Quản trị Chỉ số CCHC")
admin.site.site_title = _("Chỉ số CCHC")
admin.site.index_title = _("Quản trị")


@admin.register(UnitGroup)
class UnitGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "position")
    list_editable = ("name", "position")
    search_fields = ("code", "name")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "group", "parent", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("code", "name", "search_name")
    autocomplete_fields = ("parent",)
    list_select_related = ("group", "parent")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "unit", "is_home_affairs", "is_appraiser", "is_inspector", "is_unit_staff", "is_unit_head", "is_viewer", "is_active")
    list_filter = ("is_home_affairs", "is_appraiser", "is_inspector", "is_unit_staff", "is_unit_head", "is_viewer", "is_active", "unit__group")
    search_fields = ("username", "full_name", "email", "unit__name", "unit__code")
    autocomplete_fields = ("unit",)
    filter_horizontal = ("appraised_groups", "groups", "user_permissions")
    list_select_related = ("unit",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin cá nhân"), {"fields": ("full_name", "position_title", "email", "phone", "unit")}),
        (
            _("Vai trò"),
            {"fields": ("is_home_affairs", "is_appraiser", "appraised_groups", "is_inspector", "is_unit_staff", "is_unit_head", "is_viewer")},
        ),
        (_("Quyền quản trị Django"), {"classes": ("collapse",), "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Mốc thời gian"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "unit", "password1", "password2")}),
    )
