"""Home Affairs edits draft sets here; published sets are read-only (a correction is a new version)."""

from django.contrib import admin

from .models import CriteriaSet, Criterion


class CriterionInline(admin.TabularInline):
    model = Criterion
    fk_name = "criteria_set"
    fields = ("position", "code", "title", "max_points", "kind", "method", "rule", "inputs", "allow_na", "evidence", "guidance", "prefill")
    extra = 0
    ordering = ("position",)
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def has_add_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "name", "year", "group", "status", "published_at")
    list_filter = ("status", "year", "group")
    search_fields = ("code", "name")
    readonly_fields = ("status", "published_at", "published_by", "derived_from", "source_filename", "created_at", "updated_at")
    inlines = [CriterionInline]

    def get_readonly_fields(self, request, obj=None):
        # Code and version identify a set in files and commands; versions come from the services.
        extra = ("code", "version") if obj else ()
        return self.readonly_fields + extra

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_published)

    def save_formset(self, request, form, formset, change):
        # Keep the parent link in step with the dotted code typed in the admin.
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        by_code = {c.code: c for c in form.instance.criteria.all()}
        for instance in instances:
            by_code[instance.code] = instance
        for instance in sorted(instances, key=lambda c: c.code.count(".")):
            parent_code = instance.code.rpartition(".")[0] if "." in instance.code else None
            instance.parent = by_code.get(parent_code) if parent_code else None
            instance.depth = instance.code.count(".")
            instance.save()
        formset.save_m2m()
