"""A visit on site, phone first: time and place, attendees, checklist, findings with photos, the unit's
opinion; and the offline checklist workbook.

Who reads: accounts.access.visits_for (404 otherwise) — Home Affairs, the delegation's inspectors and
the inspected unit. Who changes: can_record_visit (403 otherwise), and only until the conclusion
notice is issued (status concluded: 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from accounts.access import (
    can_record_visit,
    documents_for,
    get_visit,
    is_home_affairs,
    plans_for,
    require_edit,
    visits_for,
)
from accounts.forms import XlsxUploadForm
from core import staging
from core.responses import xlsx_response

from ..checklist import checklist_import, checklist_workbook
from ..forms import FILE_ACCEPT, FindingForm, VisitRecordForm
from ..models import Finding, FindingAttachment, Visit
from ..services.plans import (
    CheckData,
    InspectionError,
    attachment_delete,
    criteria_set_for_visit,
    finding_add,
    finding_delete,
    finding_update,
    visit_record,
)

CHECKLIST_PURPOSE = "inspection-checklist"
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _may_change(user, visit: Visit) -> bool:
    return can_record_visit(user, visit) and visit.status != Visit.Status.CONCLUDED


def _recordable(request, pk: int) -> Visit:
    visit = get_visit(request.user, pk)  # not readable: 404
    require_edit(_may_change(request.user, visit))  # a reader, or concluded: 403
    return visit


def _error_to_form(form, exc: InspectionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _reminders(visit: Visit, areas) -> tuple[dict[str, list], list[str]]:
    """{domain code: [criteria under it]} of the unit's criteria set for the areas linked to a domain,
    and every code of the set (for the finding form's suggestions). One query."""
    criteria_set = criteria_set_for_visit(visit)
    if criteria_set is None:
        return {}, []
    wanted = {a.domain_code for a in areas if a.domain_code}
    by_domain: dict[str, list] = {}
    codes: list[str] = []
    current = None
    for criterion in criteria_set.criteria.only("code", "title", "depth", "parent_id", "position").order_by("position"):
        codes.append(criterion.code)
        if criterion.parent_id is None:
            current = criterion.code if criterion.code in wanted else None
            continue
        if current:
            by_domain.setdefault(current, []).append(criterion)
    return by_domain, codes


def _render_visit(request, visit: Visit, *, record_form=None, finding_form=None, status: int = 200):
    user = request.user
    areas = list(visit.plan.areas.all())
    checks = {c.area_id: c for c in visit.checks.all()}
    may_change = _may_change(user, visit)
    if record_form is None and may_change:
        record_form = VisitRecordForm(initial=VisitRecordForm.initial_for(visit), areas=areas, checks=checks)
    if finding_form is None and may_change:
        finding_form = FindingForm(visit=visit, prefix="f")
    findings = list(
        visit.findings.select_related("area").prefetch_related(
            Prefetch("attachments", queryset=FindingAttachment.objects.order_by("uploaded_at", "pk")),
            "actions__responsible_unit",
        )
    )
    reminders, codes = _reminders(visit, areas)
    checklist = [
        {"area": a, "check": checks.get(a.pk), "criteria": reminders.get(a.domain_code, [])}
        for a in areas
    ]
    return render(
        request,
        "inspections/visit_detail.html",
        {
            "visit": visit,
            "plan": visit.plan,
            "members": visit.members.select_related("user"),
            "checklist": checklist,
            "reminders": reminders,
            "record_form": record_form,
            "finding_form": finding_form,
            "strengths": [f for f in findings if f.kind == Finding.Kind.STRENGTH],
            "shortcomings": [f for f in findings if f.kind == Finding.Kind.SHORTCOMING],
            "codes": codes,
            "may_change": may_change,
            "can_record": can_record_visit(user, visit),
            "can_plan": is_home_affairs(user),
            "sees_plan": plans_for(user).filter(pk=visit.plan_id).exists(),
            "attendees": [line for line in visit.unit_attendees.splitlines() if line.strip()],
            "file_accept": FILE_ACCEPT,
            "documents": documents_for(user).filter(visit=visit).select_related("replaces"),
        },
        status=status,
    )


@login_required
def visit_detail(request, pk: int):
    return _render_visit(request, get_visit(request.user, pk))


@require_POST
@login_required
def visit_record_view(request, pk: int):
    visit = _recordable(request, pk)
    areas = list(visit.plan.areas.all())
    checks = {c.area_id: c for c in visit.checks.all()}
    form = VisitRecordForm(request.POST, areas=areas, checks=checks)
    if form.is_valid():
        data = form.cleaned_data
        try:
            visit_record(
                visit=visit,
                user=request.user,
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                place=data["place"],
                unit_attendees=data["unit_attendees"],
                unit_opinion=data["unit_opinion"],
                checks=[CheckData(a.pk, data[f"checked_{a.pk}"], data[f"result_{a.pk}"]) for a in areas],
            )
        except InspectionError as exc:
            _error_to_form(form, exc)
        else:
            messages.success(request, _("Đã lưu biên bản làm việc tại %(unit)s.") % {"unit": visit.unit.name})
            return redirect("inspections:visit", pk=visit.pk)
    return _render_visit(request, visit, record_form=form)


@require_POST
@login_required
def finding_add_view(request, pk: int):
    visit = _recordable(request, pk)
    form = FindingForm(request.POST, request.FILES, visit=visit, prefix="f")
    if form.is_valid():
        data = form.cleaned_data
        try:
            finding = finding_add(
                visit=visit, user=request.user, kind=data["kind"], text=data["text"], cause=data["cause"],
                area=data["area"], criterion_code=data["criterion_code"], files=form.all_files(),
            )
        except InspectionError as exc:
            _error_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Đã ghi %(kind)s, %(n)s tệp đính kèm.") % {"kind": finding.get_kind_display().lower(), "n": finding.attachments.count()},
            )
            return redirect(f"{_visit_url(visit)}#ket-qua")
    if request.FILES:
        form.add_error(None, _("Vì có lỗi, tệp đã chọn chưa được lưu: hãy chọn lại tệp trước khi lưu."))
    return _render_visit(request, visit, finding_form=form)


def _visit_url(visit: Visit) -> str:
    return reverse("inspections:visit", args=[visit.pk])


def _finding_for_change(request, pk: int) -> Finding:
    finding = get_object_or_404(Finding.objects.select_related("visit"), pk=pk)
    visit = get_visit(request.user, finding.visit_id)  # the visit must be readable: 404
    require_edit(_may_change(request.user, visit))
    finding.visit = visit
    return finding


@login_required
def finding_edit_view(request, pk: int):
    finding = _finding_for_change(request, pk)
    visit = finding.visit
    if request.method == "POST":
        form = FindingForm(request.POST, request.FILES, visit=visit, prefix="f")
        if form.is_valid():
            data = form.cleaned_data
            try:
                finding_update(
                    finding=finding, user=request.user, kind=data["kind"], text=data["text"], cause=data["cause"],
                    area=data["area"], criterion_code=data["criterion_code"], files=form.all_files(),
                )
            except InspectionError as exc:
                _error_to_form(form, exc)
            else:
                messages.success(request, _("Đã lưu kết quả kiểm tra."))
                return redirect(f"{_visit_url(visit)}#ket-qua")
    else:
        form = FindingForm(
            visit=visit, prefix="f",
            initial={"kind": finding.kind, "text": finding.text, "cause": finding.cause, "area": finding.area_id, "criterion_code": finding.criterion_code},
        )
    _by_domain, codes = _reminders(visit, [])
    return render(
        request,
        "inspections/visit_finding_form.html",
        {"visit": visit, "finding": finding, "form": form, "codes": codes, "attachments": finding.attachments.all()},
    )


@require_POST
@login_required
def finding_delete_view(request, pk: int):
    finding = _finding_for_change(request, pk)
    try:
        finding_delete(finding=finding, user=request.user)
    except InspectionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xoá kết quả kiểm tra."))
    return redirect(f"{_visit_url(finding.visit)}#ket-qua")


# ---------------------------------------------------------------- attachments


def _attachment(request, pk: int) -> FindingAttachment:
    attachment = get_object_or_404(FindingAttachment.objects.select_related("finding"), pk=pk)
    if not visits_for(request.user).filter(pk=attachment.finding.visit_id).exists():
        raise Http404
    return attachment


@login_required
@require_safe
@never_cache
@xframe_options_sameorigin
def attachment_file(request, attachment_pk: int):
    """The stored photo or document, for whoever may read the visit: PDF and images inline."""
    attachment = _attachment(request, attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=attachment.content_type not in INLINE_TYPES,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def attachment_delete_view(request, attachment_pk: int):
    attachment = _attachment(request, attachment_pk)
    visit = get_visit(request.user, attachment.finding.visit_id)
    require_edit(_may_change(request.user, visit))
    try:
        attachment_delete(attachment=attachment, user=request.user)
    except InspectionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã gỡ tệp “%(name)s”.") % {"name": attachment.original_name})
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/kiem-tra/") else f"{_visit_url(visit)}#ket-qua")


# ---------------------------------------------------------------- offline checklist


@login_required
def checklist_download(request, pk: int):
    """The delegation's work file (Home Affairs and the delegation's members)."""
    visit = get_visit(request.user, pk)
    if not can_record_visit(request.user, visit):
        raise PermissionDenied
    return xlsx_response(checklist_workbook(visit), f"kiem-tra-{visit.plan.year}-{visit.unit.code}.xlsx")


@login_required
def checklist_upload(request, pk: int):
    visit = _recordable(request, pk)
    form = XlsxUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = checklist_import(visit=visit, source=upload, user=request.user, dry_run=True)
        upload.seek(0)
        token = ""
        if outcome.ok and outcome.changes:
            token = staging.stage(request, upload, purpose=CHECKLIST_PURPOSE, meta={"visit": visit.pk})
        return render(
            request,
            "inspections/visit_checklist_preview.html",
            {"visit": visit, "outcome": outcome, "token": token, "filename": upload.name},
        )
    return render(request, "inspections/visit_checklist_upload.html", {"visit": visit, "form": form})


@require_POST
@login_required
def checklist_confirm(request, pk: int):
    visit = _recordable(request, pk)
    staged = staging.take(request, purpose=CHECKLIST_PURPOSE, visit=visit.pk)
    if staged is None:
        return redirect("inspections:checklist_upload", pk=pk)
    entry, data = staged
    outcome = checklist_import(visit=visit, source=data, user=request.user, dry_run=False)
    if not outcome.ok:  # the visit changed since the preview
        return render(
            request,
            "inspections/visit_checklist_preview.html",
            {"visit": visit, "outcome": outcome, "token": "", "filename": entry["name"]},
        )
    messages.success(
        request,
        _("Đã lưu từ tệp %(name)s: %(n)s dòng thay đổi, %(u)s dòng giữ nguyên.")
        % {"name": entry["name"], "n": outcome.changed_rows, "u": outcome.unchanged},
    )
    return redirect("inspections:visit", pk=pk)


urlpatterns = [
    path("chuyen/<int:pk>/", visit_detail, name="visit"),
    path("chuyen/<int:pk>/ghi/", visit_record_view, name="visit_record"),
    path("chuyen/<int:pk>/ket-qua/", finding_add_view, name="finding_add"),
    path("ket-qua/<int:pk>/sua/", finding_edit_view, name="finding_edit"),
    path("ket-qua/<int:pk>/xoa/", finding_delete_view, name="finding_delete"),
    path("tep/<int:attachment_pk>/", attachment_file, name="finding_attachment"),
    path("tep/<int:attachment_pk>/xoa/", attachment_delete_view, name="finding_attachment_delete"),
    path("chuyen/<int:pk>/excel/", checklist_download, name="checklist_download"),
    path("chuyen/<int:pk>/excel/tai-len/", checklist_upload, name="checklist_upload"),
    path("chuyen/<int:pk>/excel/xac-nhan/", checklist_confirm, name="checklist_confirm"),
]
