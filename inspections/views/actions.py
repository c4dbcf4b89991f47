"""Remedial actions: the delegation's requests on a shortcoming, the unit's report with evidence,
the delegation's review, and the register of every action the user may see (page and Excel).

Access goes through accounts.access: an action the user may not see is a 404 (actions_for); a
change the user's role does not allow on an action they see is a 403.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from accounts.access import actions_for, can_record_visit, require_edit, require_roles, visits_for
from accounts.models import Role, Unit
from core.excel import new_workbook, write_sheet
from core.responses import xlsx_response
from core.text import clean_text, search_key
from inspections.models import ActionAttachment, Finding, RemedialAction
from inspections.services.actions import (
    ActionError,
    action_accept,
    action_create,
    action_delete,
    action_report,
    action_send_back,
    action_update,
    default_deadline,
    notice_date,
)

Status = RemedialAction.Status
REGISTER_ROLES = (Role.HOME_AFFAIRS, Role.INSPECTOR, Role.UNIT_STAFF, Role.UNIT_HEAD)
PAGE_SIZE = 100
OVERDUE = "overdue"
DATE_HELP = gettext_lazy("dd/mm/yyyy; để trống: tính từ ngày thông báo kết luận theo số ngày khắc phục của kế hoạch")


# ---------------------------------------------------------------- who may do what


def is_responsible(user, action: RemedialAction) -> bool:
    """Staff and heads of the responsible unit report on the action."""
    return bool(
        user.unit_id
        and user.unit_id == action.responsible_unit_id
        and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD))
    )


def can_report(user, action: RemedialAction) -> bool:
    return is_responsible(user, action) and action.status == Status.OPEN


def can_review(user, action: RemedialAction) -> bool:
    """The delegation of the visit (Home Affairs or a member inspector) reviews the unit's report."""
    return can_record_visit(user, action.finding.visit)


def _get_action(user, pk: int) -> RemedialAction:
    return get_object_or_404(
        actions_for(user).select_related("finding__visit__plan", "finding__visit__unit", "finding__area", "responsible_unit"),
        pk=pk,
    )


def _get_finding(user, pk: int) -> Finding:
    """A shortcoming of a visit the user may open (else 404) and may record (else 403)."""
    finding = get_object_or_404(
        Finding.objects.filter(visit__in=visits_for(user)).select_related("visit__plan", "visit__unit"), pk=pk
    )
    require_edit(can_record_visit(user, finding.visit))
    if finding.kind != Finding.Kind.SHORTCOMING:
        raise Http404
    return finding


def visit_url(visit) -> str:
    try:
        return reverse("inspections:visit", args=[visit.pk])
    except NoReverseMatch:
        return reverse("inspections:register")


def _next_or(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


# ---------------------------------------------------------------- forms


class ActionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Kiến nghị, yêu cầu khắc phục"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible_unit = forms.ModelChoiceField(
        label=gettext_lazy("Đơn vị thực hiện"), queryset=Unit.objects.none(), required=False,
        help_text=gettext_lazy("Để trống: đơn vị được kiểm tra"),
    )
    deadline = forms.DateField(label=gettext_lazy("Hạn khắc phục"), required=False, help_text=DATE_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = Unit.objects.filter(is_active=True).order_by("group__position", "code")
        self.fields["responsible_unit"].empty_label = _("— đơn vị được kiểm tra —")
        self.fields["deadline"].widget.attrs.update({"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"})
        self.fields["deadline"].error_messages["invalid"] = _("Ngày phải có dạng dd/mm/yyyy.")


class RegisterFilter(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Năm"), required=False, coerce=int, empty_value=None)
    unit = forms.TypedChoiceField(label=gettext_lazy("Đơn vị thực hiện"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=gettext_lazy("Trạng thái"), required=False)
    q = forms.CharField(label=gettext_lazy("Tìm"), required=False, max_length=200)

    def __init__(self, *args, years=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Mọi năm"))] + [(y, y) for y in years]
        self.fields["unit"].choices = [("", _("Mọi đơn vị"))] + [(pk, name) for pk, name in units]
        self.fields["status"].choices = [("", _("Mọi trạng thái")), *Status.choices, (OVERDUE, _("Quá hạn"))]
        self.fields["q"].widget.attrs.update({"placeholder": _("Nội dung, đơn vị…"), "type": "search"})


# ---------------------------------------------------------------- the action page


def _render_action(request, action: RemedialAction, *, report_text=None, reason="", errors=None, status=200):
    user = request.user
    today = timezone.localdate()
    context = {
        "action": action,
        "finding": action.finding,
        "visit": action.finding.visit,
        "events": action.events.select_related("actor"),
        "attachments": action.attachments.select_related("uploaded_by"),
        "is_overdue": action.is_overdue(today),
        "days_left": (action.deadline - today).days if action.deadline else None,
        "can_report": can_report(user, action),
        "can_review": can_review(user, action),
        "may_open_visit": visits_for(user).filter(pk=action.finding.visit_id).exists(),
        "visit_url": visit_url(action.finding.visit),
        "report_text": action.report_text if report_text is None else report_text,
        "reason": reason,
        "errors": errors or {},
    }
    return render(request, "inspections/action_detail.html", context, status=status)


@login_required
@require_safe
def action_detail(request, pk: int):
    return _render_action(request, _get_action(request.user, pk))


@login_required
@require_POST
def action_report_view(request, pk: int):
    action = _get_action(request.user, pk)
    require_edit(is_responsible(request.user, action))
    text = request.POST.get("report_text", "")
    try:
        action_report(action=action, report_text=text, user=request.user, files=request.FILES.getlist("files"))
    except ActionError as exc:
        if action.status != Status.OPEN:  # a replayed POST: the report is already there
            messages.info(request, exc.message)
            return redirect("inspections:action", pk=action.pk)
        # Keep what was typed; the files must be chosen again (browsers never refill file inputs).
        return _render_action(request, action, report_text=text, errors={"report": exc.message})
    messages.success(request, _("Đã gửi báo cáo kết quả khắc phục đến đoàn kiểm tra."))
    return redirect("inspections:action", pk=action.pk)


@login_required
@require_POST
def action_accept_view(request, pk: int):
    action = _get_action(request.user, pk)
    require_edit(can_review(request.user, action))
    try:
        action_accept(action=action, user=request.user, note=request.POST.get("note", ""))
    except ActionError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("Đã chấp nhận báo cáo; yêu cầu khắc phục đã hoàn thành."))
    return redirect("inspections:action", pk=action.pk)


@login_required
@require_POST
def action_send_back_view(request, pk: int):
    action = _get_action(request.user, pk)
    require_edit(can_review(request.user, action))
    reason = request.POST.get("reason", "")
    try:
        action_send_back(action=action, user=request.user, reason=reason)
    except ActionError as exc:
        if action.status != Status.REPORTED:
            messages.info(request, exc.message)
            return redirect("inspections:action", pk=action.pk)
        return _render_action(request, action, reason=reason, errors={"reason": exc.message})
    messages.success(request, _("Đã trả lại báo cáo cho đơn vị kèm lý do."))
    return redirect("inspections:action", pk=action.pk)


@login_required
@require_safe
@never_cache
@xframe_options_sameorigin
def action_file(request, pk: int):
    """An evidence file of a report, for whoever may see the action: PDF and images inline."""
    attachment = get_object_or_404(ActionAttachment, pk=pk, action__in=actions_for(request.user))
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    inline = attachment.content_type in ("application/pdf", "image/jpeg", "image/png")
    return FileResponse(handle, as_attachment=not inline, filename=attachment.original_name, content_type=attachment.content_type)


# ---------------------------------------------------------------- the delegation's requests


def _form_page(request, form, *, finding, action=None, status=200):
    visit = finding.visit
    notice = notice_date(visit)
    return render(
        request,
        "inspections/action_form.html",
        {
            "form": form, "finding": finding, "visit": visit, "action": action, "visit_url": visit_url(visit),
            "notice": notice, "default_deadline": default_deadline(visit, notice), "next": request.POST.get("next", request.GET.get("next", "")),
        },
        status=status,
    )


@login_required
def action_add(request, finding_pk: int):
    """GET: the full form (with the unit); POST: add the request (also from the visit page's partial)."""
    finding = _get_finding(request.user, finding_pk)
    if request.method != "POST":
        return _form_page(request, ActionForm(initial={"responsible_unit": finding.visit.unit_id}), finding=finding)
    data = request.POST.copy()
    if not data.get("responsible_unit"):  # the visit page's short form: the visited unit
        data["responsible_unit"] = str(finding.visit.unit_id)
    form = ActionForm(data)
    if form.is_valid():
        try:
            action_create(
                finding=finding, text=form.cleaned_data["text"], user=request.user,
                responsible_unit=form.cleaned_data["responsible_unit"], deadline=form.cleaned_data["deadline"],
            )
        except ActionError as exc:
            form.add_error("deadline" if exc.code == "deadline_before_notice" else None, exc.message)
        else:
            messages.success(request, _("Đã thêm kiến nghị, yêu cầu khắc phục."))
            return _next_or(request, visit_url(finding.visit))
    return _form_page(request, form, finding=finding)


@login_required
def action_edit(request, pk: int):
    action = _get_action(request.user, pk)
    require_edit(can_review(request.user, action))
    finding = action.finding
    if request.method != "POST":
        initial = {"text": action.text, "responsible_unit": action.responsible_unit_id, "deadline": action.deadline}
        return _form_page(request, ActionForm(initial=initial), finding=finding, action=action)
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            action_update(
                action=action, text=form.cleaned_data["text"], user=request.user,
                responsible_unit=form.cleaned_data["responsible_unit"] or finding.visit.unit,
                deadline=form.cleaned_data["deadline"],
            )
        except ActionError as exc:
            form.add_error("deadline" if exc.code == "deadline_before_notice" else None, exc.message)
        else:
            messages.success(request, _("Đã lưu kiến nghị, yêu cầu khắc phục."))
            return _next_or(request, reverse("inspections:action", args=[action.pk]))
    return _form_page(request, form, finding=finding, action=action)


@login_required
@require_POST
def action_delete_view(request, pk: int):
    try:
        action = _get_action(request.user, pk)
    except Http404:
        if RemedialAction.objects.filter(pk=pk).exists():
            raise
        # A replayed delete: the action is gone already, nothing to do.
        messages.info(request, _("Yêu cầu khắc phục này đã được xoá."))
        return _next_or(request, reverse("inspections:register"))
    require_edit(can_review(request.user, action))
    visit = action.finding.visit
    try:
        action_delete(action=action, user=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("inspections:action", pk=action.pk)
    messages.success(request, _("Đã xoá kiến nghị, yêu cầu khắc phục."))
    return _next_or(request, visit_url(visit))


# ---------------------------------------------------------------- the register


def _register(request):
    """(form, actions filtered but for the status, status filter) for the page and the export."""
    visible = RemedialAction.objects.filter(pk__in=actions_for(request.user).values("pk"))
    years = list(
        visible.order_by("-finding__visit__plan__year").values_list("finding__visit__plan__year", flat=True).distinct()
    )
    units = list(
        Unit.objects.filter(pk__in=visible.values("responsible_unit_id")).order_by("group__position", "code").values_list("pk", "name")
    )
    form = RegisterFilter(request.GET or None, years=years, units=units)
    actions = visible.select_related("finding__visit__plan", "finding__visit__unit", "responsible_unit")
    status = ""
    if form.is_valid():
        data = form.cleaned_data
        if data["year"]:
            actions = actions.filter(finding__visit__plan__year=data["year"])
        if data["unit"]:
            actions = actions.filter(responsible_unit_id=data["unit"])
        q = clean_text(data["q"])
        if q:
            key = search_key(q)
            actions = actions.filter(
                Q(text__icontains=q) | Q(finding__text__icontains=q) | Q(report_text__icontains=q)
                | Q(responsible_unit__search_name__contains=key) | Q(finding__visit__unit__search_name__contains=key)
                | Q(finding__visit__plan__title__icontains=q)
            )
        status = data["status"]
    return form, actions, status


def _with_status(actions, status: str, today: dt.date):
    if status == OVERDUE:
        return actions.overdue(today)
    if status:
        return actions.filter(status=status)
    return actions


def _ordered(actions):
    return actions.order_by(F("deadline").asc(nulls_last=True), "pk")


@require_roles(*REGISTER_ROLES)
@require_safe
def register(request):
    today = timezone.localdate()
    form, actions, status = _register(request)
    counts = actions.aggregate(
        all=Count("pk"),
        open=Count("pk", filter=Q(status=Status.OPEN)),
        reported=Count("pk", filter=Q(status=Status.REPORTED)),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
    )
    counts["overdue"] = actions.overdue(today).count()  # the one definition of overdue
    page = Paginator(_ordered(_with_status(actions, status, today)), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(a, a.is_overdue(today)) for a in page.object_list]
    params = {k: v for k, v in request.GET.items() if k not in ("page", "status") and v}
    tabs = [
        ("", _("Tất cả"), counts["all"]),
        (Status.OPEN, Status.OPEN.label, counts["open"]),
        (Status.REPORTED, Status.REPORTED.label, counts["reported"]),
        (Status.CLOSED, Status.CLOSED.label, counts["closed"]),
        (OVERDUE, _("Quá hạn"), counts["overdue"]),
    ]
    tabs = [(value, label, n, "?" + urlencode({**params, **({"status": value} if value else {})})) for value, label, n in tabs]
    page_params = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "inspections/register.html",
        {
            "form": form, "rows": rows, "page": page, "counts": counts, "tabs": tabs, "status": status, "today": today,
            "page_params": page_params, "export_query": page_params, "show_unit_filter": len(form.fields["unit"].choices) > 2,
        },
    )


REGISTER_HEADERS = [
    gettext_lazy("Năm"),
    gettext_lazy("Kế hoạch"),
    gettext_lazy("Đơn vị được kiểm tra"),
    gettext_lazy("Tồn tại, hạn chế"),
    gettext_lazy("Kiến nghị, yêu cầu khắc phục"),
    gettext_lazy("Đơn vị thực hiện"),
    gettext_lazy("Hạn khắc phục"),
    gettext_lazy("Trạng thái"),
    gettext_lazy("Quá hạn"),
    gettext_lazy("Kết quả khắc phục"),
    gettext_lazy("Ý kiến của đoàn"),
]


@require_roles(*REGISTER_ROLES)
@require_safe
def register_xlsx(request):
    today = timezone.localdate()
    _form, actions, status = _register(request)
    rows = (
        (
            a.finding.visit.plan.year,
            a.finding.visit.plan.title,
            a.finding.visit.unit.name,
            a.finding.text,
            a.text,
            a.responsible_unit.name,
            a.deadline,
            a.get_status_display(),
            "x" if a.is_overdue(today) else "",
            a.report_text,
            a.review_note,
        )
        for a in _ordered(_with_status(actions, status, today)).iterator(chunk_size=500)
    )
    workbook = new_workbook()
    write_sheet(
        workbook.active, [str(h) for h in REGISTER_HEADERS], rows, title=_("Sổ theo dõi khắc phục"),
        widths=[7, 30, 28, 45, 45, 28, 13, 20, 9, 45, 35], number_formats={6: "dd/mm/yyyy"},
    )
    return xlsx_response(workbook, f"so-theo-doi-khac-phuc-{today:%Y%m%d}.xlsx")


urlpatterns = [
    path("khac-phuc/<int:pk>/", action_detail, name="action"),
    path("khac-phuc/<int:pk>/bao-cao/", action_report_view, name="action_report"),
    path("khac-phuc/<int:pk>/chap-nhan/", action_accept_view, name="action_accept"),
    path("khac-phuc/<int:pk>/tra-lai/", action_send_back_view, name="action_send_back"),
    path("khac-phuc/<int:pk>/sua/", action_edit, name="action_edit"),
    path("khac-phuc/<int:pk>/xoa/", action_delete_view, name="action_delete"),
    path("khac-phuc/tep/<int:pk>/", action_file, name="action_file"),
    path("khac-phuc/them/<int:finding_pk>/", action_add, name="action_add"),
    path("so-theo-doi/", register, name="register"),
    path("so-theo-doi/excel/", register_xlsx, name="register_xlsx"),
]
