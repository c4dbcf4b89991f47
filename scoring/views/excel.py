"""Excel round trips of the yearly round: the unit's own sheet and Home Affairs' survey import.

Both follow the import pattern of the units and criteria: upload, preview every change and every
error with nothing saved, then confirm the staged file, which is validated again and written in one
transaction through `values_save`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import can_edit_self, get_assessment, require_edit, require_roles
from accounts.forms import XlsxUploadForm
from accounts.models import Role
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

from ..excel import scores_import
from ..models import Round, Stage
from ..unit_sheet import unit_sheet_workbook

SHEET_PURPOSE = "sheet"
SURVEY_PURPOSE = "survey"


def _sheet_reason(filename: str) -> str:
    return _("Tệp Excel %(name)s") % {"name": filename}


# ---------------------------------------------------------------- the unit's own sheet


@login_required
def sheet_download(request, pk: int):
    """Anyone who may read the assessment may download it as the sheet the unit fills in."""
    assessment = get_assessment(request.user, pk)
    filename = f"tu-cham-{assessment.round.year}-{assessment.unit.code}.xlsx"
    return xlsx_response(unit_sheet_workbook(assessment), filename)


def _editable(request, pk: int):
    assessment = get_assessment(request.user, pk)  # another unit's sheet: 404
    require_edit(can_edit_self(request.user, assessment))  # submitted, past the deadline, not a member: 403
    return assessment


def _sheet_import(assessment, source, *, user, filename: str, dry_run: bool):
    return scores_import(
        source=source,
        year=assessment.round.year,
        stage=Stage.SELF.value,
        user=user,
        filename=filename,
        dry_run=dry_run,
        reason=_sheet_reason(filename),
        assessment=assessment,
    )


@login_required
def sheet_upload(request, pk: int):
    assessment = _editable(request, pk)
    form = XlsxUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = _sheet_import(assessment, upload, user=request.user, filename=upload.name, dry_run=True)
        upload.seek(0)
        token = ""
        if outcome.ok and outcome.changes:
            token = staging.stage(request, upload, purpose=SHEET_PURPOSE, meta={"assessment": assessment.pk})
        return render(
            request,
            "scoring/sheet_preview.html",
            {"a": assessment, "outcome": outcome, "token": token, "filename": upload.name},
        )
    return render(request, "scoring/sheet_upload.html", {"a": assessment, "form": form})


@require_POST
@login_required
def sheet_confirm(request, pk: int):
    assessment = _editable(request, pk)
    staged = staging.take(request, purpose=SHEET_PURPOSE, assessment=assessment.pk)
    if staged is None:
        return redirect("scoring:sheet_upload", pk=pk)
    entry, data = staged
    outcome = _sheet_import(assessment, data, user=request.user, filename=entry["name"], dry_run=False)
    if not outcome.ok:  # the sheet or the criteria changed since the preview
        return render(
            request,
            "scoring/sheet_preview.html",
            {"a": assessment, "outcome": outcome, "token": "", "filename": entry["name"]},
        )
    messages.success(
        request,
        _("Đã lưu từ tệp %(name)s: %(n)s tiêu chí thay đổi, %(u)s tiêu chí giữ nguyên.")
        % {"name": entry["name"], "n": outcome.changed_total, "u": outcome.unchanged},
    )
    return redirect("scoring:assessment", pk=pk)


# ---------------------------------------------------------------- survey results (Home Affairs)


def _survey_import(round_, source, *, user, filename: str, dry_run: bool):
    return scores_import(
        source=source,
        year=round_.year,
        stage=Stage.SURVEY.value,
        user=user,
        filename=filename,
        dry_run=dry_run,
        round_=round_,
    )


def _round(pk: int) -> Round:
    return get_object_or_404(Round.objects.select_related("group", "criteria_set"), pk=pk)


def _survey_links(round_) -> list[tuple[str, str]]:
    return [
        (_("Nhập tệp khác"), reverse("scoring:survey_import", args=[round_.pk])),
        (_("Về kỳ đánh giá"), reverse("scoring:round", args=[round_.pk])),
    ]


def survey_report(round_, outcome, *, limit: int | None = None) -> dict:
    """What a survey file will change, for its preview: the counts and the changes — all of them
    for a small file, the first `limit` of a large one. Plain data, so that a background check can
    keep it in its Job."""
    changes = outcome.changes if limit is None else outcome.changes[:limit]
    return {
        "confirm": bool(outcome.changes),
        "round": round_.pk,
        "rows": len(outcome.rows),
        "changed_total": outcome.changed_total,
        "unchanged": outcome.unchanged,
        "change_count": len(outcome.changes),
        "changes": [
            {
                "unit_code": c.unit_code,
                "criterion_code": c.criterion_code,
                "criterion_title": c.criterion_title,
                "field_label": str(c.field_label),
                "old_display": c.old_display,
                "new_display": c.new_display,
            }
            for c in changes
        ],
    }


@require_roles(Role.HOME_AFFAIRS)
def survey_import(request, round_pk: int):
    round_ = _round(round_pk)
    form = XlsxUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        rows = staging.estimated_rows(upload)  # counted, not read: a large file is checked by a job
        if staging.in_background(rows):
            job = import_check_start(
                "survey_check",
                request,
                upload,
                rows=rows,
                purpose=SURVEY_PURPOSE,
                meta={"round": round_.pk},
                params={"round": round_.pk},
                links=_survey_links(round_),
            )
            return redirect("core:job", pk=job.pk)
        with rows_written() as writes:  # what confirming will write, for the progress of a background import
            outcome = _survey_import(round_, upload, user=request.user, filename=upload.name, dry_run=True)
        upload.seek(0)
        token = ""
        if outcome.ok and outcome.changes:
            meta = {"round": round_.pk, "rows": len(outcome.rows), "writes": writes()}
            token = staging.stage(request, upload, purpose=SURVEY_PURPOSE, meta=meta)
        return render(
            request,
            "scoring/survey_preview.html",
            {
                "round": round_,
                "outcome": outcome,
                "report": survey_report(round_, outcome),
                "token": token,
                "filename": upload.name,
                "background": staging.in_background(len(outcome.rows)),
            },
        )
    survey_leaves = round_.criteria_set.criteria.filter(method="survey").order_by("position")
    return render(request, "scoring/survey_import.html", {"round": round_, "form": form, "survey_leaves": survey_leaves})


def _survey_imported(outcome, filename: str) -> str:
    return _("Đã nhập kết quả điều tra từ tệp %(name)s: %(n)s giá trị thay đổi, %(u)s dòng giữ nguyên.") % {
        "name": filename,
        "n": outcome.changed_total,
        "u": outcome.unchanged,
    }


@require_POST
@require_roles(Role.HOME_AFFAIRS)
def survey_confirm(request, round_pk: int):
    round_ = _round(round_pk)
    entry = import_claim(request, purpose=SURVEY_PURPOSE, round=round_.pk)
    if entry is None:
        return redirect("scoring:survey_import", round_pk=round_pk)
    if staging.in_background(entry["meta"].get("rows", 0)):
        job = import_job_start("survey_import", entry, request.user, params={"round": round_.pk}, links=_survey_links(round_))
        return redirect("core:job", pk=job.pk)
    data = staging.read(entry)
    staging.delete(entry)
    outcome = _survey_import(round_, data, user=request.user, filename=entry["name"], dry_run=False)
    if not outcome.ok:
        return render(
            request,
            "scoring/survey_preview.html",
            {"round": round_, "outcome": outcome, "token": "", "filename": entry["name"]},
        )
    messages.success(request, _survey_imported(outcome, entry["name"]))
    return redirect("scoring:survey_import", round_pk=round_pk)


def survey_import_check(user, params: dict) -> None:
    """core.jobs check of a survey check or import: the import page's own (Home Affairs, an existing round)."""
    if not user.has_role(Role.HOME_AFFAIRS):
        raise PermissionDenied
    _round(params["round"])


def survey_check_job(job, progress) -> str:
    """core.jobs run: checking a large survey file, whose preview the job page shows to confirm."""
    round_ = _round(job.params["round"])
    name = job.params["name"]
    return import_check_run(
        job,
        progress,
        lambda source: _survey_import(round_, source, user=job.user, filename=name, dry_run=True),
        lambda outcome: survey_report(round_, outcome, limit=PREVIEW_ROWS),
    )


def survey_import_job(job, progress) -> str:
    """core.jobs run: confirming a large survey file (a row per unit and survey criterion)."""
    round_ = _round(job.params["round"])
    name = job.params["name"]
    outcome = import_job_run(
        job, progress, lambda source: _survey_import(round_, source, user=job.user, filename=name, dry_run=False)
    )
    return _survey_imported(outcome, name)


urlpatterns = [
    path("phieu/<int:pk>/excel/", sheet_download, name="sheet_download"),
    path("phieu/<int:pk>/excel/tai-len/", sheet_upload, name="sheet_upload"),
    path("phieu/<int:pk>/excel/xac-nhan/", sheet_confirm, name="sheet_confirm"),
    path("ky/<int:round_pk>/dieu-tra/", survey_import, name="survey_import"),
    path("ky/<int:round_pk>/dieu-tra/xac-nhan/", survey_confirm, name="survey_confirm"),
]
