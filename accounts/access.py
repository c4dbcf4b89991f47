"""Who may see and do what: the one place every view, download and export goes through.

Views never filter by unit or role themselves; they call these helpers, which return
querysets already restricted to the user, or raise 404 (an object the user may not know
exists) / 403 (a page of a role the user does not hold).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Role, Unit, UnitGroup


def require_roles(*roles: Role) -> Callable:
    """Log-in required, then 403 unless the user holds at least one of `roles`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_role(role) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_home_affairs(user) -> bool:
    return user.is_authenticated and user.has_role(Role.HOME_AFFAIRS)


def groups_for(user) -> QuerySet[UnitGroup]:
    """Unit groups whose results the user may read."""
    if not user.is_authenticated:
        return UnitGroup.objects.none()
    if user.has_role(Role.HOME_AFFAIRS) or user.has_role(Role.VIEWER) or user.has_role(Role.INSPECTOR):
        return UnitGroup.objects.all()
    ids = set()
    if user.has_role(Role.APPRAISER):
        ids.update(user.appraised_groups.values_list("pk", flat=True))
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        ids.add(user.unit.group_id)
    return UnitGroup.objects.filter(pk__in=ids)


def units_for(user) -> QuerySet[Unit]:
    """Units whose records the user may open."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.has_role(Role.HOME_AFFAIRS) or user.has_role(Role.VIEWER) or user.has_role(Role.INSPECTOR):
        return Unit.objects.all()
    queryset = Unit.objects.none()
    if user.has_role(Role.APPRAISER):
        queryset = queryset | Unit.objects.filter(group__in=user.appraised_groups.all())
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        queryset = queryset | Unit.objects.filter(pk=user.unit_id)
    return queryset  # no DISTINCT needed: the groups are a subquery, not a join (assessments_for)


def criteria_sets_for(user):
    """Home Affairs sees every set, drafts included; others see the published sets of their groups."""
    from criteria.models import CriteriaSet

    if not user.is_authenticated:
        return CriteriaSet.objects.none()
    if user.has_role(Role.HOME_AFFAIRS):
        return CriteriaSet.objects.all()
    return CriteriaSet.objects.published().filter(group__in=groups_for(user))


def get_criteria_set(user, pk: int):
    return get_object_or_404(criteria_sets_for(user).select_related("group"), pk=pk)


def get_criteria_set_for_edit(user, pk: int):
    if not is_home_affairs(user):
        raise PermissionDenied
    return get_criteria_set(user, pk)


# ---------------------------------------------------------------- assessments (yearly round)


def assessments_for(user):
    """Assessments whose detail the user may read.

    Home Affairs and viewers: all; appraisers: the groups assigned to them; unit staff and heads:
    their own unit's. Inspectors read the units they inspect (inspections app).
    """
    from scoring.models import Assessment

    if not user.is_authenticated:
        return Assessment.objects.none()
    if user.has_role(Role.HOME_AFFAIRS) or user.has_role(Role.VIEWER):
        return Assessment.objects.all()
    queryset = Assessment.objects.none()
    if user.has_role(Role.APPRAISER):
        queryset = queryset | Assessment.objects.filter(round__group__in=user.appraised_groups.all())
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        queryset = queryset | Assessment.objects.filter(unit_id=user.unit_id)
    # No DISTINCT: both conditions are on the assessment's own row (the groups are a subquery, not a
    # join), so no row can come twice. DISTINCT made PostgreSQL plan a sort on every selected
    # column: 0.65 ms more planning on each page, save and upload that reads the assessment.
    return queryset


def get_assessment(user, pk: int):
    """404 for an assessment the user may not read, whatever id is typed in the URL."""
    return get_object_or_404(
        assessments_for(user).select_related("round__group", "round__criteria_set", "unit"), pk=pk
    )


def is_unit_member(user, assessment) -> bool:
    return bool(
        user.unit_id == assessment.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD))
    )


def can_edit_self(user, assessment) -> bool:
    from scoring.services import unit_can_edit

    return is_unit_member(user, assessment) and unit_can_edit(assessment)


def can_submit(user, assessment) -> bool:
    return user.unit_id == assessment.unit_id and user.has_role(Role.UNIT_HEAD)


def can_appraise(user, assessment) -> bool:
    if user.has_role(Role.HOME_AFFAIRS):
        return True
    return user.has_role(Role.APPRAISER) and user.appraised_groups.filter(pk=assessment.round.group_id).exists()


def can_explain(user, assessment) -> bool:
    from scoring.models import Assessment

    return (
        is_unit_member(user, assessment)
        and assessment.state == Assessment.State.EXPLANATION
        and not assessment.round.explanation_deadline_passed()
    )


def require_edit(allowed: bool) -> None:
    """Raise 403 when a user who may read an assessment asks to change it."""
    if not allowed:
        raise PermissionDenied


def rounds_for(user):
    from scoring.models import Round

    if not user.is_authenticated:
        return Round.objects.none()
    return Round.objects.filter(group__in=groups_for(user))


# ---------------------------------------------------------------- rankings and results


def sees_group_results(user, round_) -> bool:
    """Home Affairs, viewers and the appraisers of the group see the ranking, provisional included."""
    if user.has_role(Role.HOME_AFFAIRS) or user.has_role(Role.VIEWER):
        return True
    return user.has_role(Role.APPRAISER) and user.appraised_groups.filter(pk=round_.group_id).exists()


def get_round_for_ranking(user, pk: int):
    """The round whose ranking the user may read: a unit of the group only once it is published."""
    from scoring.models import Round

    round_ = get_object_or_404(
        Round.objects.filter(group__in=groups_for(user)).select_related("group", "criteria_set"), pk=pk
    )
    if sees_group_results(user, round_):
        return round_
    if user.unit_id and user.unit.group_id == round_.group_id and round_.is_published:
        return round_
    raise PermissionDenied


def can_see_unit_detail(user, round_, unit) -> bool:
    """Per-criterion results: the group's readers, or the unit itself — never another unit's."""
    return sees_group_results(user, round_) or (
        user.unit_id == unit.pk and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD))
    )


# ---------------------------------------------------------------- inspections


def visits_for(user):
    """Visits the user may open: Home Affairs all; inspectors the visits of delegations they belong
    to; unit staff and heads the visits of their own unit (findings, actions, issued documents)."""
    from inspections.models import Visit

    if not user.is_authenticated:
        return Visit.objects.none()
    if user.has_role(Role.HOME_AFFAIRS):
        return Visit.objects.all()
    queryset = Visit.objects.none()
    if user.has_role(Role.INSPECTOR):
        queryset = queryset | Visit.objects.filter(members__user=user)
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        queryset = queryset | Visit.objects.filter(unit_id=user.unit_id)
    return queryset.distinct()


def get_visit(user, pk: int):
    return get_object_or_404(visits_for(user).select_related("plan", "unit", "plan__organizer"), pk=pk)


def can_record_visit(user, visit) -> bool:
    """Home Affairs, or an inspector who is a member of this visit's delegation."""
    if user.has_role(Role.HOME_AFFAIRS):
        return True
    return user.has_role(Role.INSPECTOR) and visit.members.filter(user=user).exists()


def actions_for(user):
    """Remedial actions: Home Affairs all; inspectors those of their visits; units their own."""
    from inspections.models import RemedialAction

    if not user.is_authenticated:
        return RemedialAction.objects.none()
    if user.has_role(Role.HOME_AFFAIRS):
        return RemedialAction.objects.all()
    queryset = RemedialAction.objects.none()
    if user.has_role(Role.INSPECTOR):
        queryset = queryset | RemedialAction.objects.filter(finding__visit__members__user=user)
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        queryset = queryset | RemedialAction.objects.filter(responsible_unit_id=user.unit_id)
    return queryset.distinct()


def documents_for(user):
    """Inspection documents: Home Affairs all; inspectors those of their visits; units only the
    issued documents of their own visits."""
    from inspections.models import InspectionDocument

    if not user.is_authenticated:
        return InspectionDocument.objects.none()
    if user.has_role(Role.HOME_AFFAIRS):
        return InspectionDocument.objects.all()
    queryset = InspectionDocument.objects.none()
    if user.has_role(Role.INSPECTOR):
        queryset = queryset | InspectionDocument.objects.filter(visit__members__user=user)
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        queryset = queryset | InspectionDocument.objects.filter(
            visit__unit_id=user.unit_id, status=InspectionDocument.Status.ISSUED
        )
    return queryset.distinct()


def plans_for(user):
    """Inspection plans: Home Affairs and viewers all; an inspector the plans with a visit of his."""
    from inspections.models import InspectionPlan

    if not user.is_authenticated:
        return InspectionPlan.objects.none()
    if user.has_role(Role.HOME_AFFAIRS) or user.has_role(Role.VIEWER):
        return InspectionPlan.objects.all()
    if user.has_role(Role.INSPECTOR):
        return InspectionPlan.objects.filter(pk__in=visits_for(user).values("plan_id"))
    return InspectionPlan.objects.none()
