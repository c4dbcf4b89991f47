"""What each role has to do, shown on the home page. Later features add their own items here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet

from .access import criteria_sets_for
from .models import Role, UnitGroup


@dataclass
class Task:
    text: str
    url: str = ""
    urgent: bool = False


def tasks_for(user, today=None) -> dict[str, list[Task]]:
    """Tasks per role label, for every role the user holds."""
    today = today or timezone.localdate()
    year = today.year
    tasks: dict[str, list[Task]] = {}
    unit_assessments = None  # read once even when the user is both staff and head of the unit
    unit_actions = None  # likewise the unit's remedial actions
    for role in user.roles:
        items: list[Task] = []
        if role == Role.HOME_AFFAIRS:
            for cs in CriteriaSet.objects.filter(status=CriteriaSet.Status.DRAFT).select_related("group"):
                items.append(Task(_("Rà soát và ban hành bộ tiêu chí dự thảo %(set)s") % {"set": cs}, reverse("criteria:detail", args=[cs.pk]), True))
            covered = set(CriteriaSet.objects.published().filter(year=year).values_list("group_id", flat=True))
            for group in UnitGroup.objects.exclude(pk__in=covered):
                items.append(Task(_("Nhóm %(group)s chưa có bộ tiêu chí ban hành cho năm %(year)s") % {"group": group.name, "year": year}, reverse("criteria:import"), True))
            items += _home_affairs_round_tasks()
        elif role in (Role.UNIT_STAFF, Role.UNIT_HEAD, Role.APPRAISER, Role.VIEWER, Role.INSPECTOR):
            for cs in criteria_sets_for(user).filter(year=year).select_related("group"):
                items.append(Task(_("Đọc bộ tiêu chí %(set)s và tài liệu kiểm chứng cần chuẩn bị") % {"set": cs}, reverse("criteria:detail", args=[cs.pk])))
            if role == Role.APPRAISER and not user.appraised_groups.exists():
                items.append(Task(_("Bạn chưa được phân công thẩm định nhóm đơn vị nào; liên hệ Sở Nội vụ."), "", True))
            if role in (Role.UNIT_STAFF, Role.UNIT_HEAD) and not user.unit_id:
                items.append(Task(_("Tài khoản chưa gắn với đơn vị nào; liên hệ Sở Nội vụ."), "", True))
            if role in (Role.UNIT_STAFF, Role.UNIT_HEAD) and user.unit_id:
                if unit_assessments is None:
                    unit_assessments = _unit_assessments(user)
                items += _unit_round_tasks(unit_assessments, today, head=(role == Role.UNIT_HEAD))
                if unit_actions is None:
                    unit_actions = _unit_action_tasks(user, today)
                items += unit_actions
            if role == Role.APPRAISER:
                items += _appraiser_round_tasks(user, today)
            if role == Role.INSPECTOR:
                items += _inspector_action_tasks(user)
        tasks[str(role.label)] = items
    return tasks


# ---------------------------------------------------------------- the yearly round
# Each role costs one query whatever the number of units: the unit reads its own assessments
# (one per round), appraisers and Home Affairs read counts grouped by round and state.


def _round_label(year, group_name) -> str:
    return _("năm %(year)s – %(group)s") % {"year": year, "group": group_name}


def _unit_assessments(user) -> list:
    from scoring.models import Assessment

    # Finalized assessments need nothing more from the unit; their results are on the results pages.
    return list(
        Assessment.objects.filter(unit_id=user.unit_id)
        .exclude(state=Assessment.State.FINALIZED)
        .select_related("round")
        .order_by("-round__year", "round_id")
    )


def _unit_round_tasks(assessments, today, *, head: bool) -> list[Task]:
    from scoring.models import Assessment
    from scoring.reminders import assessment_path, days_left, is_urgent, vn_date

    S = Assessment.State
    items = []
    for a in assessments:
        url = assessment_path(a.pk)
        values = {"year": a.round.year, "done": a.leaves_done, "total": a.leaves_done + a.leaves_todo}
        if a.state == S.DRAFT:
            deadline = a.self_deadline()
            if deadline is None:
                text = _("Tự chấm điểm năm %(year)s: đã chấm %(done)s/%(total)s tiêu chí") % values
            else:
                values.update(deadline=vn_date(deadline), days=days_left(deadline, today))
                if values["days"] > 0:
                    text = _("Tự chấm điểm năm %(year)s: còn %(days)s ngày (hạn %(deadline)s), đã chấm %(done)s/%(total)s tiêu chí") % values
                elif values["days"] == 0:
                    text = _("Tự chấm điểm năm %(year)s: hôm nay là hạn cuối (%(deadline)s), đã chấm %(done)s/%(total)s tiêu chí") % values
                else:
                    text = _(
                        "Tự chấm điểm năm %(year)s: đã quá hạn (%(deadline)s), đã chấm %(done)s/%(total)s tiêu chí; "
                        "liên hệ Sở Nội vụ nếu cần được mở lại"
                    ) % values
            items.append(Task(text, url, is_urgent(deadline, today)))
            # Past the deadline the head can no longer submit (the service refuses); do not ask for it.
            if head and not (deadline and days_left(deadline, today) < 0):
                items.append(Task(_("Nộp kết quả tự chấm năm %(year)s") % values, url, is_urgent(deadline, today)))
        elif a.state == S.EXPLANATION:
            deadline = a.round.explanation_deadline
            if deadline is None:
                items.append(Task(_("Kết quả sơ bộ năm %(year)s: đang giải trình") % values, url))
            elif days_left(deadline, today) >= 0:
                text = _("Kết quả sơ bộ năm %(year)s: đang giải trình đến %(deadline)s") % {**values, "deadline": vn_date(deadline)}
                items.append(Task(text, url, is_urgent(deadline, today)))
            else:
                text = _("Kết quả sơ bộ năm %(year)s: đã hết hạn giải trình (%(deadline)s), chờ thẩm định lại") % {
                    **values, "deadline": vn_date(deadline)
                }
                items.append(Task(text, url))
        else:
            items.append(Task(_("Phiếu đánh giá năm %(year)s: %(state)s") % {**values, "state": a.get_state_display()}, url))
    return items


def _appraiser_round_tasks(user, today) -> list[Task]:
    from scoring.models import Assessment
    from scoring.reminders import days_left, is_urgent, round_path, vn_date

    S = Assessment.State
    rows = (
        Assessment.objects.filter(round__group__in=user.appraised_groups.all(), state__in=[S.SUBMITTED, S.EXPLAINED])
        .values(
            "round_id", "round__year", "round__group__name", "round__group__position", "round__appraisal_deadline",
            "round__final_deadline", "state",
        )
        .annotate(n=Count("pk"))
        .order_by("-round__year", "round__group__position", "round_id", "state")
    )
    items = []
    for row in rows:
        if row["state"] == S.SUBMITTED:
            deadline, with_deadline, without = (
                row["round__appraisal_deadline"],
                _("Thẩm định sơ bộ: %(n)s đơn vị chờ (%(round)s, hạn %(deadline)s)"),
                _("Thẩm định sơ bộ: %(n)s đơn vị chờ (%(round)s)"),
            )
            overdue = _("Thẩm định sơ bộ: %(n)s đơn vị chờ (%(round)s, đã quá hạn %(deadline)s)")
        else:
            deadline, with_deadline, without = (
                row["round__final_deadline"],
                _("Thẩm định lại: %(n)s đơn vị chờ (%(round)s, hạn %(deadline)s)"),
                _("Thẩm định lại: %(n)s đơn vị chờ (%(round)s)"),
            )
            overdue = _("Thẩm định lại: %(n)s đơn vị chờ (%(round)s, đã quá hạn %(deadline)s)")
        values = {"n": row["n"], "round": _round_label(row["round__year"], row["round__group__name"])}
        if deadline is None:
            text = without % values
        else:
            text = (overdue if days_left(deadline, today) < 0 else with_deadline) % {**values, "deadline": vn_date(deadline)}
        items.append(Task(text, round_path(row["round_id"]), is_urgent(deadline, today)))
    return items


def _home_affairs_round_tasks() -> list[Task]:
    from scoring.models import Assessment
    from scoring.reminders import round_path

    S = Assessment.State
    rows = (
        Assessment.objects.values("round_id", "round__year", "round__group__name", "round__group__position", "state")
        .annotate(n=Count("pk"))
        .order_by("-round__year", "round__group__position", "round_id")
    )
    rounds: dict[int, dict] = {}
    for row in rows:
        entry = rounds.setdefault(row["round_id"], {"label": _round_label(row["round__year"], row["round__group__name"]), "counts": {}})
        entry["counts"][row["state"]] = row["n"]
    items = []
    order = list(S.values)
    for round_id, entry in rounds.items():
        counts = entry["counts"]
        if set(counts) == {S.FINALIZED}:
            continue  # a closed round: every unit has its final result
        summary = "; ".join(f"{S(state).label}: {counts[state]}" for state in order if state in counts)
        url = round_path(round_id)
        items.append(Task(_("Kỳ đánh giá %(round)s: %(counts)s") % {"round": entry["label"], "counts": summary}, url))
        if counts.get(S.APPRAISED):
            items.append(
                Task(
                    _("Gửi kết quả sơ bộ: %(n)s đơn vị đã thẩm định xong (%(round)s)") % {"n": counts[S.APPRAISED], "round": entry["label"]},
                    url,
                )
            )
    return items


# ---------------------------------------------------------------- remedial actions after inspections
# One query per role whatever the number of actions; long lists end with a link to the register.

ACTION_TASKS_SHOWN = 5
ACTION_URGENT_DAYS = 3


def _register_url(**params) -> str:
    from urllib.parse import urlencode

    return reverse("inspections:register") + ("?" + urlencode(params) if params else "")


def _unit_action_tasks(user, today) -> list[Task]:
    """The unit's actions still waiting for its report; urgent when overdue or due within 3 days."""
    from django.db.models import F

    from inspections.models import RemedialAction
    from scoring.reminders import days_left, vn_date

    actions = list(
        RemedialAction.objects.filter(responsible_unit_id=user.unit_id, status=RemedialAction.Status.OPEN)
        .order_by(F("deadline").asc(nulls_last=True), "pk")
        .only("pk", "text", "deadline", "status")
    )
    items = []
    for action in actions[:ACTION_TASKS_SHOWN]:
        values = {"text": action.text if len(action.text) <= 120 else action.text[:119] + "…"}
        url = reverse("inspections:action", args=[action.pk])
        if action.deadline is None:
            items.append(Task(_("Khắc phục sau kiểm tra: %(text)s") % values, url))
            continue
        days = days_left(action.deadline, today)
        values.update(deadline=vn_date(action.deadline), days=days)
        if days < 0:
            text = _("Đã quá hạn khắc phục (%(deadline)s): %(text)s") % values
        elif days == 0:
            text = _("Hôm nay là hạn khắc phục (%(deadline)s): %(text)s") % values
        else:
            text = _("Khắc phục sau kiểm tra, còn %(days)s ngày (hạn %(deadline)s): %(text)s") % values
        items.append(Task(text, url, days <= ACTION_URGENT_DAYS))
    if len(actions) > ACTION_TASKS_SHOWN:
        rest = actions[ACTION_TASKS_SHOWN:]
        urgent = any(a.deadline and days_left(a.deadline, today) <= ACTION_URGENT_DAYS for a in rest)
        items.append(
            Task(
                _("Và %(n)s yêu cầu khắc phục khác chưa báo cáo") % {"n": len(rest)},
                _register_url(status=RemedialAction.Status.OPEN),
                urgent,
            )
        )
    return items


def _inspector_action_tasks(user) -> list[Task]:
    """Reports of units waiting for the review of a delegation the inspector belongs to."""
    from inspections.models import RemedialAction

    rows = list(
        RemedialAction.objects.filter(status=RemedialAction.Status.REPORTED, finding__visit__members__user=user)
        .values("finding__visit_id", "finding__visit__unit__name", "finding__visit__plan__year")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-finding__visit__plan__year", "finding__visit__unit__name")
    )
    return [
        Task(
            _("Xem xét %(n)s báo cáo khắc phục của %(unit)s (kiểm tra năm %(year)s)")
            % {"n": row["n"], "unit": row["finding__visit__unit__name"], "year": row["finding__visit__plan__year"]},
            _register_url(status=RemedialAction.Status.REPORTED, q=row["finding__visit__unit__name"]),
            True,
        )
        for row in rows
    ]
