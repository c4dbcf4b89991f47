"""What the yearly round reminds people of by e-mail, and when.

Pure rules: nothing here reads or writes the ledger (`core.models.SentReminder`), so the same
rules serve `send_reminders` (which sends each reminder once) and the home page.

- Unit staff and heads, assessment still in draft: in the last 7 days before the self-assessment
  deadline (the reopened date if any, else the round's), again on the eve / the day, and once
  after it has passed.
- Unit staff and heads, assessment in explanation: on the eve / the day of the explanation deadline.
- Appraisers of the round's group, with assessments submitted (preliminary appraisal to do) or
  explained (final appraisal to do): the same 7-day / eve / overdue milestones of the appraisal
  and final deadlines, one mail per appraiser listing the units.

Keys carry the deadline, so moving a deadline (a reopen, a round extended) reminds again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from core.reminders import Reminder, absolute

from .models import Assessment

S = Assessment.State
AHEAD_DAYS = 7

__all__ = [
    "Reminder",
    "assessment_path",
    "days_left",
    "due_reminders",
    "is_urgent",
    "milestone",
    "reminders_for_user",
    "round_path",
    "vn_date",
]


# ---------------------------------------------------------------- links and dates


def assessment_path(pk: int) -> str:
    try:
        return reverse("scoring:assessment", args=[pk])
    except NoReverseMatch:
        # Reminders may ship before the page's URL is wired; this is the product's published path.
        return f"/danh-gia/phieu/{pk}/"


def round_path(pk: int) -> str:
    try:
        return reverse("scoring:round", args=[pk])
    except NoReverseMatch:
        return f"/danh-gia/ky/{pk}/"


def vn_date(day: dt.date) -> str:
    # Explicit rather than the locale's format: mail is read outside the site, always dd/mm/yyyy.
    return day.strftime("%d/%m/%Y")


def days_left(deadline: dt.date, today: dt.date) -> int:
    return (deadline - today).days


def is_urgent(deadline: dt.date | None, today: dt.date) -> bool:
    """Within the last week before the deadline, or past it: what the home page highlights."""
    return deadline is not None and days_left(deadline, today) <= AHEAD_DAYS


def milestone(deadline: dt.date | None, today: dt.date) -> str | None:
    """The reminder a deadline calls for today: "7d", "1d", "overdue" or None.

    Windows rather than exact days ("7d" covers 7..2 days left, "1d" the eve and the day itself):
    a daily run that was missed (server down, holiday) still sends the reminder the next day, and
    the ledger keeps it to one mail per milestone.
    """
    if deadline is None:
        return None
    days = days_left(deadline, today)
    if days < 0:
        return "overdue"
    if days <= 1:
        return "1d"
    if days <= AHEAD_DAYS:
        return "7d"
    return None


# ---------------------------------------------------------------- texts

# Whole sentences per (stage, moment) so translators never assemble fragments.
SUBJECTS = {
    ("self", "ahead"): gettext_lazy("Còn %(days)s ngày đến hạn tự chấm điểm năm %(year)s"),
    ("self", "today"): gettext_lazy("Hôm nay là hạn tự chấm điểm năm %(year)s"),
    ("self", "overdue"): gettext_lazy("Đã quá hạn tự chấm điểm năm %(year)s"),
    ("explanation", "ahead"): gettext_lazy("Còn %(days)s ngày đến hạn giải trình kết quả sơ bộ năm %(year)s"),
    ("explanation", "today"): gettext_lazy("Hôm nay là hạn giải trình kết quả sơ bộ năm %(year)s"),
    ("appraisal", "ahead"): gettext_lazy("Còn %(days)s ngày đến hạn thẩm định sơ bộ năm %(year)s – %(group)s"),
    ("appraisal", "today"): gettext_lazy("Hôm nay là hạn thẩm định sơ bộ năm %(year)s – %(group)s"),
    ("appraisal", "overdue"): gettext_lazy("Đã quá hạn thẩm định sơ bộ năm %(year)s – %(group)s"),
    ("final", "ahead"): gettext_lazy("Còn %(days)s ngày đến hạn thẩm định lại năm %(year)s – %(group)s"),
    ("final", "today"): gettext_lazy("Hôm nay là hạn thẩm định lại năm %(year)s – %(group)s"),
    ("final", "overdue"): gettext_lazy("Đã quá hạn thẩm định lại năm %(year)s – %(group)s"),
}


def _moment(deadline: dt.date, today: dt.date) -> str:
    days = days_left(deadline, today)
    return "overdue" if days < 0 else "today" if days == 0 else "ahead"


def _subject(stage: str, deadline: dt.date, today: dt.date, **values) -> str:
    text = SUBJECTS[(stage, _moment(deadline, today))] % {"days": days_left(deadline, today), **values}
    return f"[{_site_name()}] {text}"


def _site_name() -> str:
    return getattr(settings, "SITE_NAME", "Chỉ số CCHC")


def _footer() -> str:
    return "\n\n--\n" + _("Thư gửi tự động từ hệ thống %(site)s; xin không trả lời thư này.") % {"site": _site_name()}


def _greeting(user) -> str:
    return _("Kính gửi %(name)s,") % {"name": user.get_full_name()} + "\n\n"


# ---------------------------------------------------------------- units (staff and heads)


def _unit_people(unit_ids, only_user=None) -> dict[int, list]:
    people = User.objects.filter(is_active=True, unit_id__in=unit_ids).filter(Q(is_unit_staff=True) | Q(is_unit_head=True))
    if only_user is not None:
        people = people.filter(pk=only_user.pk)
    by_unit: dict[int, list] = defaultdict(list)
    for person in people.order_by("username"):
        by_unit[person.unit_id].append(person)
    return by_unit


def _self_reminder(person, assessment: Assessment, deadline: dt.date, mark: str, today: dt.date) -> Reminder:
    url = absolute(assessment_path(assessment.pk))
    values = {
        "year": assessment.round.year,
        "unit": assessment.unit.name,
        "deadline": vn_date(deadline),
        "done": assessment.leaves_done,
        "total": assessment.leaves_done + assessment.leaves_todo,
        "url": url,
    }
    if mark == "overdue":
        text = _(
            "Phiếu tự chấm điểm Chỉ số CCHC năm %(year)s của %(unit)s chưa được nộp và đã quá hạn ngày %(deadline)s "
            "(đã chấm %(done)s/%(total)s tiêu chí). Sau hạn, đơn vị không sửa và nộp được nữa; nếu cần, "
            "đề nghị liên hệ Sở Nội vụ để được mở lại.\n\nXem phiếu: %(url)s"
        ) % values
    else:
        text = _(
            "Phiếu tự chấm điểm Chỉ số CCHC năm %(year)s của %(unit)s chưa được nộp; hạn nộp là ngày %(deadline)s. "
            "Đơn vị đã chấm %(done)s/%(total)s tiêu chí. Lãnh đạo đơn vị nộp kết quả sau khi đã chấm đủ và "
            "đính kèm tài liệu kiểm chứng.\n\nMở phiếu: %(url)s"
        ) % values
    return Reminder(
        user=person,
        key=f"assessment:{assessment.pk}:self:{mark}:{deadline.isoformat()}",
        subject=_subject("self", deadline, today, year=assessment.round.year),
        body=_greeting(person) + text + _footer(),
        url=url,
    )


def _explanation_reminder(person, assessment: Assessment, deadline: dt.date, today: dt.date) -> Reminder:
    url = absolute(assessment_path(assessment.pk))
    text = _(
        "Kết quả thẩm định sơ bộ Chỉ số CCHC năm %(year)s của %(unit)s đang chờ đơn vị giải trình; hạn giải trình "
        "là ngày %(deadline)s. Sau hạn này đơn vị không gửi được giải trình nữa.\n\nMở phiếu: %(url)s"
    ) % {"year": assessment.round.year, "unit": assessment.unit.name, "deadline": vn_date(deadline), "url": url}
    return Reminder(
        user=person,
        key=f"assessment:{assessment.pk}:explanation:1d:{deadline.isoformat()}",
        subject=_subject("explanation", deadline, today, year=assessment.round.year),
        body=_greeting(person) + text + _footer(),
        url=url,
    )


def _unit_reminders(today: dt.date, only_user=None) -> list[Reminder]:
    horizon = today + dt.timedelta(days=AHEAD_DAYS)
    # Inactive units (merged away) are not asked for anything any more.
    drafts = (
        Assessment.objects.filter(state=S.DRAFT, unit__is_active=True)
        .annotate(deadline=Coalesce("reopened_until", "round__self_deadline"))
        .filter(deadline__lte=horizon)
    )
    explaining = Assessment.objects.filter(
        state=S.EXPLANATION,
        round__explanation_deadline__gte=today,
        round__explanation_deadline__lte=today + dt.timedelta(days=1),
    )
    if only_user is not None:
        drafts, explaining = drafts.filter(unit_id=only_user.unit_id), explaining.filter(unit_id=only_user.unit_id)
    due: list[tuple[Assessment, str, dt.date, str]] = []
    for assessment in drafts.select_related("round", "unit").order_by("round_id", "unit__code"):
        due.append((assessment, "self", assessment.deadline, milestone(assessment.deadline, today)))
    for assessment in explaining.select_related("round", "unit").order_by("round_id", "unit__code"):
        due.append((assessment, "explanation", assessment.round.explanation_deadline, "1d"))
    if not due:
        return []
    people = _unit_people({a.unit_id for a, *_rest in due}, only_user)
    reminders = []
    for assessment, stage, deadline, mark in due:
        for person in people.get(assessment.unit_id, []):
            if stage == "self":
                reminders.append(_self_reminder(person, assessment, deadline, mark, today))
            else:
                reminders.append(_explanation_reminder(person, assessment, deadline, today))
    return reminders


# ---------------------------------------------------------------- appraisers

# stage -> (state of the assessments still to do, the round's deadline field)
APPRAISER_STAGES = {"appraisal": (S.SUBMITTED, "appraisal_deadline"), "final": (S.EXPLAINED, "final_deadline")}


def _appraiser_reminder(person, round_, stage: str, deadline: dt.date, mark: str, assessments, today: dt.date) -> Reminder:
    url = absolute(round_path(round_.pk))
    lines = "\n".join(f"- {a.unit.name} ({a.unit.code}): {absolute(assessment_path(a.pk))}" for a in assessments)
    values = {
        "n": len(assessments),
        "group": round_.group.name,
        "year": round_.year,
        "deadline": vn_date(deadline),
        "units": lines,
        "url": url,
    }
    if stage == "appraisal":
        text = _(
            "%(n)s đơn vị nhóm %(group)s (kỳ đánh giá năm %(year)s) đã nộp kết quả tự chấm và đang chờ thẩm định "
            "sơ bộ; hạn thẩm định là ngày %(deadline)s:\n\n%(units)s\n\nDanh sách phiếu của kỳ: %(url)s"
        ) % values
    else:
        text = _(
            "%(n)s đơn vị nhóm %(group)s (kỳ đánh giá năm %(year)s) đã giải trình và đang chờ thẩm định lại; "
            "hạn thẩm định lại là ngày %(deadline)s:\n\n%(units)s\n\nDanh sách phiếu của kỳ: %(url)s"
        ) % values
    return Reminder(
        user=person,
        key=f"round:{round_.pk}:{stage}:{mark}:{deadline.isoformat()}",
        subject=_subject(stage, deadline, today, year=round_.year, group=round_.group.name),
        body=_greeting(person) + text + _footer(),
        url=url,
    )


def _appraiser_reminders(today: dt.date, only_user=None) -> list[Reminder]:
    horizon = today + dt.timedelta(days=AHEAD_DAYS)
    wanted = Q()
    for state, field in APPRAISER_STAGES.values():
        wanted |= Q(state=state, **{f"round__{field}__lte": horizon})
    todo = Assessment.objects.filter(wanted)
    if only_user is not None:
        todo = todo.filter(round__group__in=only_user.appraised_groups.all())
    # (round id, stage) -> the round and its assessments still to appraise
    pending: dict[tuple[int, str], tuple] = {}
    for assessment in todo.select_related("round__group", "unit").order_by("round_id", "unit__code"):
        for stage, (state, _field) in APPRAISER_STAGES.items():
            if assessment.state == state:
                pending.setdefault((assessment.round_id, stage), (assessment.round, []))[1].append(assessment)
    if not pending:
        return []
    links = User.appraised_groups.through.objects.filter(
        unitgroup_id__in={round_.group_id for round_, _list in pending.values()}, user__is_active=True, user__is_appraiser=True
    )
    if only_user is not None:
        links = links.filter(user=only_user)
    appraisers: dict[int, list] = defaultdict(list)
    for link in links.select_related("user").order_by("user__username"):
        appraisers[link.unitgroup_id].append(link.user)
    reminders = []
    for (_round_id, stage), (round_, assessments) in pending.items():
        deadline = getattr(round_, APPRAISER_STAGES[stage][1])
        mark = milestone(deadline, today)
        for person in appraisers.get(round_.group_id, []):
            reminders.append(_appraiser_reminder(person, round_, stage, deadline, mark, assessments, today))
    return reminders


# ---------------------------------------------------------------- entry points


def due_reminders(today: dt.date) -> list[Reminder]:
    """Every reminder of the round due on `today`, already sent or not (the ledger decides)."""
    return _unit_reminders(today) + _appraiser_reminders(today)


def reminders_for_user(user, today: dt.date) -> list[Reminder]:
    """The same rules for one user, computed from their own unit and groups only."""
    if not user.is_active:
        return []
    reminders = []
    if user.unit_id and (user.has_role(Role.UNIT_STAFF) or user.has_role(Role.UNIT_HEAD)):
        reminders += _unit_reminders(today, only_user=user)
    if user.has_role(Role.APPRAISER):
        reminders += _appraiser_reminders(today, only_user=user)
    return reminders
