from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import staging
from core.jobs import import_job_run, import_job_start, rows_written
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
        with rows_written() as writes:  # what confirming will write, for the progress of a background import
            outcome = units_import(source=upload, dry_run=True)
        upload.seek(0)
        token = ""
        if outcome.ok:
            token = staging.stage(request, upload, purpose="units", meta={"rows": len(outcome.rows), "writes": writes()})
        context = {
            "outcome": outcome,
            "token": token,
            "filename": upload.name,
            "background": staging.in_background(len(outcome.rows)),
            "created": set(outcome.created),  # looked up once per row of a list that may hold 10,000
            "updated": set(outcome.updated),
        }
        return render(request, "accounts/unit_import_preview.html", context)
    return render(request, "accounts/unit_import.html", {"form": form})


def _imported(outcome) -> str:
    return _("Đã nhập: thêm mới %(c)s, cập nhật %(u)s, không đổi %(n)s đơn vị.") % {
        "c": len(outcome.created),
        "u": len(outcome.updated),
        "n": len(outcome.unchanged),
    }


@require_POST
@require_roles(Role.HOME_AFFAIRS)
def unit_import_confirm(request):
    entry = staging.claim(request, purpose="units")
    if entry is None:
        return redirect("unit_import")
    if staging.in_background(entry["meta"].get("rows", 0)):
        links = [(_("Danh sách đơn vị"), reverse("unit_list")), (_("Nhập tệp khác"), reverse("unit_import"))]
        job = import_job_start("units_import", entry, request.user, links=links)
        return redirect("core:job", pk=job.pk)
    data = staging.read(entry)
    staging.delete(entry)
    outcome = units_import(source=data)
    if not outcome.ok:  # the data changed since the preview
        return render(request, "accounts/unit_import_preview.html", {"outcome": outcome, "token": "", "filename": entry["name"]})
    messages.success(request, _imported(outcome))
    return redirect("unit_list")


def units_import_check(user, params: dict) -> None:
    """core.jobs check of a units import: the import page's own (Home Affairs only)."""
    if not user.has_role(Role.HOME_AFFAIRS):
        raise PermissionDenied


def units_import_job(job, progress) -> str:
    """core.jobs run: confirming a large units file (a national list has about 10,000 units)."""
    return _imported(import_job_run(job, progress, lambda source: units_import(source=source)))
