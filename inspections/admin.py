"""Home Affairs' back office for inspections: plans with their content areas, visits with their delegation."""

from django.contrib import admin

from .models import ContentArea, DelegationMember, Finding, FindingAttachment, InspectionPlan, Visit, VisitCheck


class ContentAreaInline(admin.TabularInline):
    model = ContentArea
    fields = ("position", "code", "title", "domain_code")
    extra = 0
    ordering = ("position", "code")


class VisitInline(admin.TabularInline):
    model = Visit
    fields = ("unit", "planned_date", "status")
    extra = 0
    show_change_link = True
    autocomplete_fields = ("unit",)


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "organizer", "decision_number", "decision_date")
    list_filter = ("year", "organizer")
    search_fields = ("title", "decision_number")
    inlines = [ContentAreaInline, VisitInline]
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change and not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class DelegationMemberInline(admin.TabularInline):
    model = DelegationMember
    fields = ("position", "role", "full_name", "position_title", "agency", "user")
    extra = 0
    autocomplete_fields = ("user",)


class VisitCheckInline(admin.TabularInline):
    model = VisitCheck
    fields = ("area", "checked", "result")
    extra = 0


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("unit", "plan", "planned_date", "status")
    list_filter = ("status", "plan__year", "plan")
    search_fields = ("unit__code", "unit__name", "plan__title")
    list_select_related = ("unit", "plan")
    autocomplete_fields = ("unit",)
    inlines = [DelegationMemberInline, VisitCheckInline]


class FindingAttachmentInline(admin.TabularInline):
    model = FindingAttachment
    fields = ("original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "visit", "criterion_code")
    list_filter = ("kind", "visit__plan__year")
    search_fields = ("text", "criterion_code", "visit__unit__name")
    list_select_related = ("visit__unit", "visit__plan")
    raw_id_fields = ("visit", "area")
    inlines = [FindingAttachmentInline]
