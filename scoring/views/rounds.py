"""Rounds: Home Affairs opens the year's round of a group and follows every unit's assessment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import require_roles, rounds_for
from accounts.models import Role

from ..forms import RoundOpenForm
from ..models import Assessment, Round
from ..services import ScoringError, assessment_send_preliminary, round_add_units, round_open

ROUND_READERS = (Role.HOME_AFFAIRS, Role.APPRAISER, Role.VIEWER)


def _round_for(request, pk: int) -> Round:
    """Rounds are read by Home Affairs, viewers and the appraisers of the group; units see their own sheet."""
    round_ = get_object_or_404(rounds_for(request.user).select_related("group", "criteria_set"), pk=pk)
    user = request.user
    if not (user.has_role(Role.HOME_AFFAIRS) or user.has_role(Role.VIEWER)):
        if not (user.has_role(Role.APPRAISER) and user.appraised_groups.filter(pk=round_.group_id).exists()):
            raise PermissionDenied
    return round_


@require_roles(*ROUND_READERS)
def round_list(request):
    rounds = (
        rounds_for(request.user)
        .select_related("group", "criteria_set")
        .annotate(
            n=Count("assessments"),
            submitted=Count("assessments", filter=~Q(assessments__state=Assessment.State.DRAFT)),
            finalized=Count("assessments", filter=Q(assessments__state=Assessment.State.FINALIZED)),
        )
    )
    return render(request, "scoring/round_list.html", {"rounds": rounds})


@require_roles(Role.HOME_AFFAIRS)
def round_open_view(request):
    form = RoundOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = round_open(
                year=data["year"],
                group=data["group"],
                criteria_set=data["criteria_set"],
                user=request.user,
                self_deadline=data["self_deadline"],
                appraisal_deadline=data["appraisal_deadline"],
                explanation_deadline=data["explanation_deadline"],
                final_deadline=data["final_deadline"],
                bands=data["bands"],
                tie_rule=data["tie_rule"],
            )
        except ScoringError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã mở kỳ đánh giá: %(n)s phiếu.") % {"n": round_.assessments.count()})
            return redirect("scoring:round", pk=round_.pk)
    return render(request, "scoring/round_open.html", {"form": form})


@login_required
def round_detail(request, pk: int):
    round_ = _round_for(request, pk)
    assessments = round_.assessments.select_related("unit").order_by("unit__code")
    counts = dict(round_.assessments.values_list("state").annotate(n=Count("pk")))
    states = [(value, label, counts.get(value, 0)) for value, label in Assessment.State.choices]
    return render(
        request,
        "scoring/round_detail.html",
        {
            "round": round_,
            "assessments": assessments,
            "states": states,
            "is_admin": request.user.has_role(Role.HOME_AFFAIRS),
            "can_appraise": request.user.has_role(Role.HOME_AFFAIRS)
            or (request.user.has_role(Role.APPRAISER) and request.user.appraised_groups.filter(pk=round_.group_id).exists()),
            "missing_units": round_.group.units.filter(is_active=True).exclude(assessments__round=round_).count(),
        },
    )


@require_POST
@require_roles(Role.HOME_AFFAIRS)
def round_action(request, pk: int, action: str):
    round_ = _round_for(request, pk)
    if action == "add-units":
        created = round_add_units(round_=round_, user=request.user)
        messages.success(request, _("Đã thêm %(n)s đơn vị mới vào kỳ đánh giá.") % {"n": len(created)})
    elif action == "send-preliminary":
        sent = 0
        for assessment in round_.assessments.filter(state=Assessment.State.APPRAISED):
            assessment_send_preliminary(assessment=assessment, user=request.user)
            sent += 1
        messages.success(request, _("Đã gửi kết quả sơ bộ cho %(n)s đơn vị.") % {"n": sent})
    return redirect("scoring:round", pk=pk)


urlpatterns = [
    path("", round_list, name="rounds"),
    path("mo-ky/", round_open_view, name="round_open"),
    path("ky/<int:pk>/", round_detail, name="round"),
    path("ky/<int:pk>/thao-tac/<slug:action>/", round_action, name="round_action"),
]


@login_required
def my_assessment(request):
    """The newest assessment of the user's own unit (unit staff and heads)."""
    from accounts.access import assessments_for

    assessment = assessments_for(request.user).filter(unit_id=request.user.unit_id).order_by("-round__year").first()
    if assessment is None:
        messages.info(request, _("Đơn vị của bạn chưa có phiếu đánh giá nào đang mở."))
        return redirect("home")
    return redirect("scoring:assessment", pk=assessment.pk)


urlpatterns.append(path("cua-don-vi/", my_assessment, name="my_assessment"))
