"""The assessment pages: self-assessment, appraisal (preliminary and final), explanation."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import (
    can_appraise,
    can_edit_self,
    can_explain,
    can_submit,
    get_assessment,
    is_home_affairs,
    is_unit_member,
    require_edit,
)
from core.responses import json_refusals, wants_json
from core.text import clean_text
from scoring import engine

from .. import calculation
from .. import sheet as sheets
from ..models import Assessment, Stage
from ..services import (
    LeafEntry,
    ScoringError,
    appraisal_accept_self,
    assessment_complete_appraisal,
    assessment_finalize,
    assessment_reopen,
    assessment_send_preliminary,
    assessment_submit,
    assessment_submit_explanation,
    explanation_save,
    missing_appraisal,
    values_save,
)

S = Assessment.State


def appraisal_stage(assessment: Assessment) -> str | None:
    """The stage an appraiser writes now: preliminary after submission, final after the explanation round."""
    if assessment.state == S.SUBMITTED:
        return Stage.APPRAISAL
    if assessment.state in (S.EXPLANATION, S.EXPLAINED):
        return Stage.FINAL
    return None


def _leaf_url_pattern(name: str, assessment_pk: int) -> str:
    """The address of a leaf's evidence action with __leaf__ where the criterion id goes (evidence.js)."""
    return reverse(name, args=[assessment_pk, 999_999_999]).replace("999999999", "__leaf__")


def evidence_forms_context(request, assessment) -> dict:
    """Context for the self-assessment page, whose evidence forms are written once (_evidence.html).
    evidence_full_for: the leaves that get them written out anyway — the one whose document form
    was refused (its typed values come back) and the one asked for with ?tai-lieu= (no JavaScript)."""
    full_for = set()
    asked = request.GET.get("tai-lieu", "")
    if asked.isdigit():
        full_for.add(int(asked))
    refused = (request.session.get("evidence_form") or {}).get("key", "")
    if refused.startswith("self-") and refused[5:].isdigit():
        full_for.add(int(refused[5:]))
    return {
        "evidence_forms_once": True,
        "evidence_urls": {
            "upload": _leaf_url_pattern("scoring:evidence_upload", assessment.pk),
            "link": _leaf_url_pattern("scoring:evidence_link", assessment.pk),
            "document": _leaf_url_pattern("scoring:evidence_document", assessment.pk),
        },
        "evidence_full_for": full_for,
    }


def _context(request, assessment, sheet, **extra):
    user = request.user
    return {
        "a": assessment,
        "sheet": sheet,
        "can_edit": can_edit_self(user, assessment),
        "can_submit": can_submit(user, assessment) and assessment.state == S.DRAFT,
        "can_appraise": can_appraise(user, assessment) and appraisal_stage(assessment) is not None,
        "can_explain": can_explain(user, assessment),
        "is_member": is_unit_member(user, assessment),
        "is_admin": is_home_affairs(user),
        "events": assessment.events.select_related("actor"),
        "changes_count": assessment.changes.count(),
        "submit_problems": request.session.pop("submit_problems", None),
        **extra,
    }


HISTORY_PAGE = 200


@login_required
def assessment_history(request, pk: int):
    """Every recorded change of the assessment's values, newest first, a page at a time. Kept off
    the scoring pages themselves: a year of saves is hundreds of rows, and rendering them with every
    page view cost more than the leaves (25 of 65 ms at 112 changes)."""
    assessment = get_assessment(request.user, pk)
    changes = assessment.changes.select_related("criterion", "changed_by")
    paginator = Paginator(changes, HISTORY_PAGE)
    return render(
        request, "scoring/history.html", {"a": assessment, "page": paginator.get_page(request.GET.get("page"))}
    )


@login_required
def assessment_detail(request, pk: int):
    assessment = get_assessment(request.user, pk)
    sheet = sheets.build(assessment, typed_stage=Stage.SELF)
    return render(
        request,
        "scoring/assessment.html",
        _context(request, assessment, sheet, mode="self", **evidence_forms_context(request, assessment)),
    )


def _save_values(request, assessment, stage: str, *, require_reason_against: str | None = None, guard=None):
    """Save the posted leaves at `stage`: (typed values by code, SaveResult, errors by code).
    PermissionDenied when the assessment left the state `guard` asks for meanwhile (json_refusals
    answers a page's script with its message)."""
    criteria, tree = calculation.criteria_and_tree(assessment.round.criteria_set)
    typed = sheets.typed_from_post(criteria, request.POST)
    by_code = {c.code: c for c in criteria}
    entries, errors = [], {}
    for code, value in typed.items():
        try:
            entries.append(LeafEntry(by_code[code], value.to_input(tree.nodes[code]), note=value.note))
        except engine.InputError as exc:
            errors[code] = exc
    try:
        result = values_save(
            assessment=assessment,
            stage=stage,
            entries=entries,
            user=request.user,
            require_reason_against=require_reason_against,
            guard=guard,
        )
    except ScoringError as exc:
        raise PermissionDenied(exc.message) from exc
    errors.update(result.errors)
    return typed, result, errors


def _sheet_with_errors(assessment, stage: str, typed: dict, errors: dict) -> sheets.Sheet:
    """The sheet after a save: the refused leaves keep what was typed, with their reason."""
    sheet = sheets.build(assessment, typed_stage=stage, typed=typed)
    for row in sheet.leaf_rows():
        if row.code in errors:
            row.error = errors[row.code]
    return sheet


def _save(request, assessment, stage: str, **options):
    """Save the posted leaves at `stage`; return the sheet with errors, or None when all saved."""
    typed, result, errors = _save_values(request, assessment, stage, **options)
    if not errors:
        return None, result
    return _sheet_with_errors(assessment, stage, typed, errors), result


def _saved_text(result) -> str:
    return _("Đã lưu %(n)s tiêu chí.") % {"n": len(result.saved)} if result.saved else _("Không có thay đổi.")


def _invalid_text(stage: str, count: int) -> str:
    """Some leaves refused, the valid ones saved; the appraisal's also asks for missing reasons."""
    if stage == Stage.SELF:
        return _("Có %(n)s giá trị chưa hợp lệ, xem lý do bên cạnh ô nhập; các giá trị hợp lệ đã được lưu.") % {
            "n": count
        }
    return _("Có giá trị chưa hợp lệ hoặc thiếu lý do, xem bên cạnh ô nhập; các giá trị hợp lệ đã được lưu.")


def _figures(tree: engine.Tree, results: dict[str, engine.TreeResult], stage: str, errors: dict) -> dict:
    """What sheet.js's update() writes into the page: every leaf's points, rate and error, every
    node, the totals at `stage`, and the self-assessment's entered / still-to-enter counts."""
    shown = results[str(stage)]
    fmt = engine.format_points

    def leaf(code: str) -> dict:
        result = shown.leaves.get(code)
        points = result.points if result is not None and result.applicable else None
        rate = result.rate if result is not None else None
        return {
            "points": fmt(points) if points is not None else "",
            "rate": fmt(rate) + "%" if rate is not None else "",
            "error": errors[code].message if code in errors else "",
        }

    return {
        "leaves": {code: leaf(code) for code in tree.leaves},
        "nodes": {code: fmt(points) for code, points in shown.points.items()},
        "total": fmt(shown.total),
        "maximum": fmt(shown.maximum),
        "index": fmt(shown.index),
        "done": results["self"].entered,
        "todo": results["self"].to_enter,
    }


def _save_in_place(request, assessment, stage: str, **options) -> JsonResponse:
    """The save of sheet.js, which posts only the leaves changed since they were last saved: the
    result and the page's new figures in JSON, instead of a redirect to the page, whose reload
    with 40–150 leaves is the product's most expensive request. Nothing goes to `messages`: the
    script shows the text, and a queued message would turn up again on the next page."""
    typed, result, errors = _save_values(request, assessment, stage, **options)
    # The figures come from the values the save itself loaded and wrote (no second read of the
    # sheet): the stored ones, so a refused leaf shows what is saved, as the page will after a reload.
    results = {
        s: result.computed.get(s) or calculation.compute(result.tree, result.values, s) for s in {str(stage), "self"}
    }
    return JsonResponse(
        {
            "ok": not errors,
            "message": _invalid_text(stage, len(errors)) if errors else _saved_text(result),
            "saved": result.saved,
            "errors": {code: exc.message for code, exc in errors.items()},
            **_figures(result.tree, results, stage, errors),
        },
        status=400 if errors else 200,
    )


@require_POST
@login_required
@json_refusals
def assessment_save(request, pk: int):
    assessment = get_assessment(request.user, pk)
    require_edit(can_edit_self(request.user, assessment))
    guard = partial(can_edit_self, request.user)  # checked again under the row lock
    if wants_json(request):
        return _save_in_place(request, assessment, Stage.SELF, guard=guard)
    sheet, result = _save(request, assessment, Stage.SELF, guard=guard)
    if sheet is None:
        messages.success(request, _saved_text(result))
        return redirect("scoring:assessment", pk=pk)
    assessment.refresh_from_db()
    messages.error(request, _invalid_text(Stage.SELF, sum(1 for r in sheet.leaf_rows() if r.error)))
    return render(
        request,
        "scoring/assessment.html",
        _context(request, assessment, sheet, mode="self", **evidence_forms_context(request, assessment)),
        status=200,
    )


@require_POST
@login_required
def assessment_preview(request, pk: int):
    """Points as they are typed, computed by the same engine as everything else; nothing saved."""
    assessment = get_assessment(request.user, pk)
    stage = request.POST.get("_stage", Stage.SELF)
    if stage not in (Stage.SELF, Stage.APPRAISAL, Stage.FINAL):
        stage = Stage.SELF
    criteria, _tree = calculation.criteria_and_tree(assessment.round.criteria_set)
    sheet = sheets.build(assessment, typed_stage=stage, typed=sheets.typed_from_post(criteria, request.POST))
    errors = {row.code: row.error for row in sheet.leaf_rows() if row.error}
    return JsonResponse(_figures(sheet.tree, sheet.results, stage, errors))


@require_POST
@login_required
def assessment_submit_view(request, pk: int):
    assessment = get_assessment(request.user, pk)
    require_edit(can_submit(request.user, assessment))
    try:
        assessment_submit(assessment=assessment, user=request.user)
        messages.success(request, _("Đã nộp kết quả tự chấm. Đơn vị không sửa được nữa cho tới khi Sở Nội vụ mở lại."))
    except ScoringError as exc:
        messages.error(request, exc.message)
        request.session["submit_problems"] = exc.problems
    return redirect("scoring:assessment", pk=pk)


@require_POST
@login_required
def assessment_reopen_view(request, pk: int):
    assessment = get_assessment(request.user, pk)
    require_edit(is_home_affairs(request.user))
    until = None
    raw = clean_text(request.POST.get("until"))
    if raw:
        try:
            until = dt.datetime.strptime(raw, "%d/%m/%Y").date()
        except ValueError:
            messages.error(request, _("Ngày phải có dạng dd/mm/yyyy."))
            return redirect("scoring:assessment", pk=pk)
    try:
        assessment_reopen(assessment=assessment, user=request.user, reason=request.POST.get("reason", ""), until=until)
        messages.success(request, _("Đã mở lại phiếu cho đơn vị."))
    except ScoringError as exc:
        messages.error(request, exc.message)
    return redirect("scoring:assessment", pk=pk)


# ---------------------------------------------------------------- appraisal


@login_required
@json_refusals
def appraisal(request, pk: int):
    assessment = get_assessment(request.user, pk)
    require_edit(can_appraise(request.user, assessment))
    stage = appraisal_stage(assessment)
    if request.method == "POST":
        if stage is None:
            refused = _("Phiếu đang ở trạng thái “%(s)s”, không thẩm định được.") % {
                "s": assessment.get_state_display()
            }
            if wants_json(request):
                raise PermissionDenied(refused)
            messages.error(request, refused)
            return redirect("scoring:appraisal", pk=pk)
        against = "self" if stage == Stage.APPRAISAL else "appraisal"
        options = {"require_reason_against": against, "guard": lambda locked: appraisal_stage(locked) == stage}
        if wants_json(request):
            return _save_in_place(request, assessment, stage, **options)
        sheet, result = _save(request, assessment, stage, **options)
        if sheet is None:
            messages.success(request, _saved_text(result))
            return redirect("scoring:appraisal", pk=pk)
        assessment.refresh_from_db()
        messages.error(request, _invalid_text(stage, sum(1 for r in sheet.leaf_rows() if r.error)))
        return render(
            request, "scoring/appraisal.html", _context(request, assessment, sheet, mode="appraisal", stage=stage)
        )
    sheet = sheets.build(assessment, typed_stage=stage or Stage.APPRAISAL)
    missing = missing_appraisal(assessment, stage) if stage else []
    return render(
        request,
        "scoring/appraisal.html",
        _context(request, assessment, sheet, mode="appraisal", stage=stage, missing=missing),
    )


@require_POST
@login_required
def appraisal_action(request, pk: int, action: str):
    assessment = get_assessment(request.user, pk)
    require_edit(can_appraise(request.user, assessment))
    try:
        if action == "accept-self":
            if assessment.state != S.SUBMITTED:
                raise ScoringError(_("Chỉ chấp nhận điểm tự chấm khi phiếu đang chờ thẩm định."))
            result = appraisal_accept_self(assessment=assessment, user=request.user)
            messages.success(
                request, _("Đã chấp nhận điểm tự chấm cho %(n)s tiêu chí chưa thẩm định.") % {"n": len(result.saved)}
            )
        elif action == "complete":
            assessment_complete_appraisal(assessment=assessment, user=request.user)
            messages.success(request, _("Đã hoàn thành thẩm định sơ bộ."))
        elif action == "send":
            require_edit(is_home_affairs(request.user))
            assessment_send_preliminary(assessment=assessment, user=request.user)
            messages.success(request, _("Đã gửi kết quả sơ bộ; đơn vị có thể giải trình."))
        elif action == "finalize":
            assessment_finalize(assessment=assessment, user=request.user)
            messages.success(request, _("Đã chốt kết quả thẩm định cuối cùng."))
    except ScoringError as exc:
        messages.error(request, exc.message + (" " + "; ".join(exc.problems[:10]) if exc.problems else ""))
    return redirect("scoring:appraisal", pk=pk)


# ---------------------------------------------------------------- explanation round


@login_required
def explanation(request, pk: int):
    assessment = get_assessment(request.user, pk)
    if not (is_unit_member(request.user, assessment) or can_appraise(request.user, assessment)):
        require_edit(False)
    sheet = sheets.build(assessment)
    rows = [r for r in sheet.leaf_rows() if r.disputed]
    if request.method == "POST":
        require_edit(can_explain(request.user, assessment))
        saved, errors = 0, []
        for row in rows:
            text = request.POST.get(f"{row.prefix}-explanation", "")
            if text.strip() and (row.explanation is None or row.explanation.text != text.strip()):
                try:
                    explanation_save(assessment=assessment, criterion=row.criterion, text=text, user=request.user)
                    saved += 1
                except ScoringError as exc:
                    errors.append(f"{row.code}: {exc.message}")
        if errors:
            messages.error(request, "; ".join(errors))
        else:
            messages.success(request, _("Đã lưu giải trình cho %(n)s tiêu chí.") % {"n": saved})
        if request.POST.get("send") and not errors:
            try:
                assessment_submit_explanation(assessment=assessment, user=request.user)
                messages.success(request, _("Đã gửi giải trình tới Sở Nội vụ."))
            except ScoringError as exc:
                messages.error(request, exc.message)
        return redirect("scoring:explanation", pk=pk)
    return render(
        request, "scoring/explanation.html", _context(request, assessment, sheet, mode="explanation", rows=rows)
    )


urlpatterns = [
    path("phieu/<int:pk>/", assessment_detail, name="assessment"),
    path("phieu/<int:pk>/luu/", assessment_save, name="assessment_save"),
    path("phieu/<int:pk>/lich-su/", assessment_history, name="assessment_history"),
    path("phieu/<int:pk>/tinh-thu/", assessment_preview, name="assessment_preview"),
    path("phieu/<int:pk>/nop/", assessment_submit_view, name="assessment_submit"),
    path("phieu/<int:pk>/mo-lai/", assessment_reopen_view, name="assessment_reopen"),
    path("phieu/<int:pk>/tham-dinh/", appraisal, name="appraisal"),
    path("phieu/<int:pk>/tham-dinh/<slug:action>/", appraisal_action, name="appraisal_action"),
    path("phieu/<int:pk>/giai-trinh/", explanation, name="explanation"),
]
