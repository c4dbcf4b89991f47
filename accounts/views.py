from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import staging
from core.responses import xlsx_response
from core.text import search_key

from .access import require_roles, units_for
from .forms import UnitFilterForm, XlsxUploadForm
from .home import tasks_for
from .models import Role, UnitGroup
from .services import units_import, units_workbook

UNIT_READERS = (Role.HOME_AFFAIRS, Role.VIEWER, Role.APPRAISER, Role.INSPECTOR)


@login_required
def home(request):
    return render(request, "accounts/home.html", {"tasks": tasks_for(request.user), "today": timezone.localdate()})


def _filtered_units(request):
    form = UnitFilterForm(request.GET or None)
    units = units_for(request.user).select_related("group", "parent")
    if form.is_valid():
        if form.cleaned_data["q"]:
            units = units.filter(search_name__contains=search_key(form.cleaned_data["q"]))
        if form.cleaned_data["group"]:
            units = units.filter(group=form.cleaned_data["group"])
    return form, units.order_by("group__position", "code")


@require_roles(*UNIT_READERS)
def unit_list(request):
    form, units = _filtered_units(request)
    groups = UnitGroup.objects.annotate(n=Count("units"))
    return render(request, "accounts/unit_list.html", {"form": form, "units": units, "groups": groups})


@require_roles(*UNIT_READERS)
def unit_export(request):
    _form, units = _filtered_units(request)
    return xlsx_response(units_workbook(units), f"don-vi-{timezone.localdate():%Y%m%d}.xlsx")


@require_roles(Role.HOME_AFFAIRS)
def unit_import(request):
    form = XlsxUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = units_import(source=upload, dry_run=True)
        upload.seek(0)
        token = staging.stage(request, upload, purpose="units") if outcome.ok else ""
        return render(request, "accounts/unit_import_preview.html", {"outcome": outcome, "token": token, "filename": upload.name})
    return render(request, "accounts/unit_import.html", {"form": form})


@require_POST
@require_roles(Role.HOME_AFFAIRS)
def unit_import_confirm(request):
    staged = staging.take(request, purpose="units")
    if staged is None:
        return redirect("unit_import")
    entry, data = staged
    outcome = units_import(source=data)
    if not outcome.ok:  # the data changed since the preview
        return render(request, "accounts/unit_import_preview.html", {"outcome": outcome, "token": "", "filename": entry["name"]})
    messages.success(
        request,
        _("Đã nhập: thêm mới %(c)s, cập nhật %(u)s, không đổi %(n)s đơn vị.")
        % {"c": len(outcome.created), "u": len(outcome.updated), "n": len(outcome.unchanged)},
    )
    return redirect("unit_list")
