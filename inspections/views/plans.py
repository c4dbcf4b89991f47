"""The yearly inspection plan: list, form, content areas, units to visit, delegations, coverage.

Home Affairs creates and edits plans; Home Affairs and viewers read every plan; an inspector reads
the plans in which he belongs to a delegation. Everyone else: 403 on the list, 404 on a plan.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_visit, is_home_affairs, plans_for, require_roles, visits_for
from accounts.models import Role, UnitGroup

from ..forms import (
    FREE_AREA_SUGGESTIONS,
    AreaForm,
    AreasFromSetForm,
    MemberFormSet,
    PlanForm,
    PlannedDateForm,
    UnitsPickForm,
)
from ..models import ContentArea, DelegationMember, InspectionPlan, Visit
from ..services.plans import (
    InspectionError,
    MemberData,
    area_add,
    area_delete,
    areas_from_criteria_set,
    delegation_save,
    plan_coverage,
    plan_create,
    plan_update,
    visit_delete,
    visits_add,
)


def get_plan(user, pk: int) -> InspectionPlan:
    return get_object_or_404(plans_for(user).select_related("organizer"), pk=pk)


def get_plan_for_edit(user, pk: int) -> InspectionPlan:
    if not is_home_affairs(user):
        # A reader of the plan learns nothing new from a 403; anyone else gets the same 404 as a missing plan.
        get_plan(user, pk)
        raise PermissionDenied
    return get_plan(user, pk)


def _error_to_form(form, exc: InspectionError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# ---------------------------------------------------------------- list, create, edit


@require_roles(Role.HOME_AFFAIRS, Role.VIEWER, Role.INSPECTOR)
def plan_list(request):
    plans = plans_for(request.user)
    years = sorted(set(plans.values_list("year", flat=True)), reverse=True)
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = years[0] if years else timezone.localdate().year
    rows = (
        plans.filter(year=year)
        .select_related("organizer")
        .annotate(
            n_visits=Count("visits", distinct=True),
            n_done=Count("visits", filter=Q(visits__status__in=[Visit.Status.DONE, Visit.Status.CONCLUDED]), distinct=True),
            n_areas=Count("areas", distinct=True),
        )
        .order_by("decision_date", "title")
    )
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return render(
        request,
        "inspections/plan_list.html",
        {"plans": rows, "year": year, "years": years, "can_edit": is_home_affairs(request.user)},
    )


@require_roles(Role.HOME_AFFAIRS)
def plan_create_view(request):
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(user=request.user, **form.cleaned_data)
        except InspectionError as exc:
            _error_to_form(form, exc)
        else:
            messages.success(request, _("Đã tạo kế hoạch “%(title)s”. Tiếp theo: nội dung kiểm tra và đơn vị được kiểm tra.") % {"title": plan.title})
            return redirect("inspections:plan", pk=plan.pk)
    return render(request, "inspections/plan_form.html", {"form": form, "plan": None})


@login_required
def plan_edit_view(request, pk: int):
    plan = get_plan_for_edit(request.user, pk)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan_update(plan=InspectionPlan.objects.get(pk=plan.pk), user=request.user, **form.cleaned_data)
        except InspectionError as exc:
            _error_to_form(form, exc)
        else:
            messages.success(request, _("Đã lưu kế hoạch."))
            return redirect("inspections:plan", pk=plan.pk)
    return render(request, "inspections/plan_form.html", {"form": form, "plan": plan})


# ---------------------------------------------------------------- detail


@login_required
def plan_detail(request, pk: int):
    plan = get_plan(request.user, pk)
    heads = Prefetch("members", queryset=DelegationMember.objects.filter(role=DelegationMember.Role.HEAD), to_attr="heads")
    visits = list(
        plan.visits.select_related("unit__group", "unit__parent").prefetch_related(heads).order_by("planned_date", "unit__code")
    )
    readable = set(visits_for(request.user).filter(plan=plan).values_list("pk", flat=True))
    group_rows, parent_rows = plan_coverage(plan, visits)
    return render(
        request,
        "inspections/plan_detail.html",
        {
            "plan": plan,
            "areas": plan.areas.all(),
            "visits": visits,
            "readable": readable,
            "group_rows": group_rows,
            "parent_rows": parent_rows,
            "can_edit": is_home_affairs(request.user),
        },
    )


# ---------------------------------------------------------------- content areas


@login_required
def plan_areas(request, pk: int):
    plan = get_plan_for_edit(request.user, pk)
    area_form = AreaForm(request.POST if request.POST.get("action") == "area" else None, prefix="area")
    set_form = AreasFromSetForm(request.POST if request.POST.get("action") == "set" else None, prefix="set", year=plan.year)
    if request.method == "POST":
        if request.POST.get("action") == "set" and set_form.is_valid():
            try:
                created, skipped = areas_from_criteria_set(plan=plan, criteria_set=set_form.cleaned_data["criteria_set"])
            except InspectionError as exc:
                _error_to_form(set_form, exc)
            else:
                text = _("Đã thêm %(n)s lĩnh vực của bộ tiêu chí.") % {"n": len(created)}
                if skipped:
                    text += " " + _("Đã có sẵn trong kế hoạch: %(codes)s.") % {"codes": ", ".join(skipped)}
                messages.success(request, text)
                return redirect("inspections:plan_areas", pk=plan.pk)
        elif request.POST.get("action") == "area" and area_form.is_valid():
            try:
                area = area_add(plan=plan, code=area_form.cleaned_data["code"], title=area_form.cleaned_data["title"])
            except InspectionError as exc:
                _error_to_form(area_form, exc)
            else:
                messages.success(request, _("Đã thêm nội dung “%(title)s”.") % {"title": area.title})
                return redirect("inspections:plan_areas", pk=plan.pk)
    return render(
        request,
        "inspections/plan_areas.html",
        {
            "plan": plan,
            "areas": plan.areas.annotate(n_findings=Count("findings")),
            "area_form": area_form,
            "set_form": set_form,
            "suggestions": FREE_AREA_SUGGESTIONS,
        },
    )


@require_POST
@login_required
def plan_area_delete(request, pk: int, area_pk: int):
    plan = get_plan_for_edit(request.user, pk)
    area = get_object_or_404(ContentArea, pk=area_pk, plan=plan)
    try:
        area_delete(area=area)
    except InspectionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xoá nội dung “%(title)s”.") % {"title": area.title})
    return redirect("inspections:plan_areas", pk=plan.pk)


# ---------------------------------------------------------------- units to visit


@login_required
def plan_units(request, pk: int):
    plan = get_plan_for_edit(request.user, pk)
    form = UnitsPickForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            created, skipped = visits_add(plan=plan, units=form.cleaned_data["chosen"], planned_date=form.cleaned_data["planned_date"])
        except InspectionError as exc:
            _error_to_form(form, exc)
        else:
            text = _("Đã thêm %(n)s đơn vị vào kế hoạch.") % {"n": len(created)}
            if skipped:
                text += " " + _("Đã có trong kế hoạch: %(units)s.") % {"units": ", ".join(u.code for u in skipped)}
            messages.success(request, text)
            return redirect("inspections:plan", pk=plan.pk)
    units_by_group = []
    choices = {u.pk: u for u in form.fields["units"].queryset}
    for group in UnitGroup.objects.all():
        boxes = [b for b in form["units"] if b.data["value"].value in choices and choices[b.data["value"].value].group_id == group.pk]
        if boxes:
            units_by_group.append((group, boxes))
    return render(request, "inspections/plan_units.html", {"plan": plan, "form": form, "units_by_group": units_by_group})


# ---------------------------------------------------------------- delegation of a visit


def _visit_for_plan_edit(user, pk: int) -> Visit:
    if not is_home_affairs(user):
        get_visit(user, pk)  # 404 for a visit the user may not read
        raise PermissionDenied
    return get_visit(user, pk)


@login_required
def visit_delegation(request, pk: int):
    visit = _visit_for_plan_edit(request.user, pk)
    if request.method == "POST":
        date_form = PlannedDateForm(request.POST, prefix="visit")
        formset = MemberFormSet(request.POST, prefix="members")
        if date_form.is_valid() and formset.is_valid():
            members = [
                MemberData(
                    user=m.get("user"), full_name=m["full_name"], role=m["role"],
                    position_title=m.get("position_title", ""), agency=m.get("agency", ""),
                )
                for m in formset.members()
            ]
            try:
                delegation_save(visit=visit, members=members, planned_date=date_form.cleaned_data["planned_date"])
            except InspectionError as exc:
                formset._non_form_errors = formset.error_class([exc.message])
            else:
                messages.success(request, _("Đã lưu đoàn kiểm tra tại %(unit)s.") % {"unit": visit.unit.name})
                return redirect("inspections:plan", pk=visit.plan_id)
    else:
        date_form = PlannedDateForm(prefix="visit", initial={"planned_date": visit.planned_date})
        initial = [
            {"user": m.user_id, "full_name": m.full_name, "position_title": m.position_title, "agency": m.agency, "role": m.role}
            for m in visit.members.all()
        ]
        if not initial:
            initial = [{"role": DelegationMember.Role.HEAD}]
        formset = MemberFormSet(prefix="members", initial=initial)
    return render(request, "inspections/visit_delegation.html", {"visit": visit, "date_form": date_form, "formset": formset})


@require_POST
@login_required
def visit_delete_view(request, pk: int):
    visit = _visit_for_plan_edit(request.user, pk)
    try:
        visit_delete(visit=visit)
    except InspectionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã bỏ %(unit)s khỏi kế hoạch.") % {"unit": visit.unit.name})
    return redirect("inspections:plan", pk=visit.plan_id)


urlpatterns = [
    path("", plan_list, name="plans"),
    path("ke-hoach/moi/", plan_create_view, name="plan_create"),
    path("ke-hoach/<int:pk>/", plan_detail, name="plan"),
    path("ke-hoach/<int:pk>/sua/", plan_edit_view, name="plan_edit"),
    path("ke-hoach/<int:pk>/noi-dung/", plan_areas, name="plan_areas"),
    path("ke-hoach/<int:pk>/noi-dung/<int:area_pk>/xoa/", plan_area_delete, name="plan_area_delete"),
    path("ke-hoach/<int:pk>/don-vi/", plan_units, name="plan_units"),
    path("chuyen/<int:pk>/doan/", visit_delegation, name="visit_delegation"),
    path("chuyen/<int:pk>/xoa/", visit_delete_view, name="visit_delete"),
]
