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
from core.jobs import (
    PREVIEW_ROWS,
    import_check_run,
    import_check_start,
    import_claim,
    import_job_run,
    import_job_start,
    rows_written,
)
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


def _import_links() -> list[tuple[str, str]]:
    return [(_("Danh sách đơn vị"), reverse("unit_list")), (_("Nhập tệp khác"), reverse("unit_import"))]


def units_report(outcome, *, limit: int | None = None) -> dict:
    """What a units file will do, for its preview: the counts, the new groups and the rows with
    their change — every row of a small file, the first `limit` rows that change something of a
    large one. Plain data, so that a background check can keep it in its Job."""
    change_of = outcome.change_of()
    rows = outcome.rows if limit is None else [r for r in outcome.rows if change_of[r.code] != "unchanged"][:limit]
    return {
        "confirm": True,
        "rows": len(outcome.rows),
        "created": len(outcome.created),
        "updated": len(outcome.updated),
        "unchanged": len(outcome.unchanged),
        "changing": len(outcome.created) + len(outcome.updated),
        "new_groups": outcome.new_groups,
        "lines": [
            {"line": r.line, "code": r.code, "name": r.name, "group": r.group, "parent_code": r.parent_code, "change": change_of[r.code]}
            for r in rows
        ],
    }


@require_roles(Role.HOME_AFFAIRS)
def unit_import(request):
    form = XlsxUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        rows = staging.estimated_rows(upload)  # counted, not read: a large file is checked by a job
        if staging.in_background(rows):
            job = import_check_start("units_check", request, upload, rows=rows, purpose="units", links=_import_links())
            return redirect("core:job", pk=job.pk)
        with rows_written() as writes:  # what confirming will write, for the progress of a background import
            outcome = units_import(source=upload, dry_run=True)
        upload.seek(0)
        token = ""
        if outcome.ok:
            token = staging.stage(request, upload, purpose="units", meta={"rows": len(outcome.rows), "writes": writes()})
        context = {
            "outcome": outcome,
            "report": units_report(outcome),
            "token": token,
            "filename": upload.name,
            "background": staging.in_background(len(outcome.rows)),
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
    entry = import_claim(request, purpose="units")
    if entry is None:
        return redirect("unit_import")
    if staging.in_background(entry["meta"].get("rows", 0)):
        job = import_job_start("units_import", entry, request.user, links=_import_links())
        return redirect("core:job", pk=job.pk)
    data = staging.read(entry)
    staging.delete(entry)
    outcome = units_import(source=data)
    if not outcome.ok:  # the data changed since the preview
        return render(request, "accounts/unit_import_preview.html", {"outcome": outcome, "token": "", "filename": entry["name"]})
    messages.success(request, _imported(outcome))
    return redirect("unit_list")


def units_import_check(user, params: dict) -> None:
    """core.jobs check of a units check or import: the import page's own (Home Affairs only)."""
    if not user.has_role(Role.HOME_AFFAIRS):
        raise PermissionDenied


def units_check_job(job, progress) -> str:
    """core.jobs run: checking a large units file, whose preview the job page shows to confirm."""
    return import_check_run(
        job, progress, lambda source: units_import(source=source, dry_run=True), lambda outcome: units_report(outcome, limit=PREVIEW_ROWS)
    )


def units_import_job(job, progress) -> str:
    """core.jobs run: confirming a large units file (a national list has about 10,000 units)."""
    return _imported(import_job_run(job, progress, lambda source: units_import(source=source)))
