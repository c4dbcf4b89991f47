"""What remedial actions remind people of by e-mail, and when (pure rules, no ledger).

Staff and heads of the responsible unit, for each action still waiting for their report (open):
- in the window 3..1 days before the deadline (a missed daily run still sends it the next day);
- once the deadline has passed (overdue).
Reported actions wait for the delegation, closed ones are done: neither is reminded. Keys carry
the deadline, so a moved deadline reminds again; `send_reminders` sends each key once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import User
from core.reminders import Reminder, absolute
from inspections.models import RemedialAction

AHEAD_DAYS = 3


def action_path(pk: int) -> str:
    try:
        return reverse("inspections:action", args=[pk])
    except NoReverseMatch:
        return f"/kiem-tra/khac-phuc/{pk}/"


def vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def milestone(deadline: dt.date | None, today: dt.date) -> str | None:
    """"3d" (3..1 days left), "overdue" (past the deadline) or None."""
    if deadline is None:
        return None
    days = (deadline - today).days
    if days < 0:
        return "overdue"
    if 1 <= days <= AHEAD_DAYS:
        return "3d"
    return None


def _site_name() -> str:
    return getattr(settings, "SITE_NAME", "Chỉ số CCHC")


def _reminder(person, action: RemedialAction, mark: str, today: dt.date) -> Reminder:
    visit = action.finding.visit
    url = absolute(action_path(action.pk))
    values = {
        "unit": action.responsible_unit.name,
        "visited": visit.unit.name,
        "plan": visit.plan.title,
        "year": visit.plan.year,
        "text": action.text,
        "deadline": vn_date(action.deadline),
        "days": (action.deadline - today).days,
        "url": url,
    }
    if mark == "overdue":
        subject = _("Đã quá hạn khắc phục sau kiểm tra CCHC (hạn %(deadline)s)") % values
        text = _(
            "Yêu cầu khắc phục sau đợt kiểm tra công tác cải cách hành chính tại %(visited)s (%(plan)s) đã quá hạn "
            "ngày %(deadline)s mà %(unit)s chưa báo cáo kết quả:\n\n“%(text)s”\n\n"
            "Đề nghị đơn vị khẩn trương khắc phục và báo cáo kèm tài liệu kiểm chứng.\n\nMở yêu cầu: %(url)s"
        ) % values
    else:
        subject = _("Còn %(days)s ngày đến hạn khắc phục sau kiểm tra CCHC (hạn %(deadline)s)") % values
        text = _(
            "Yêu cầu khắc phục sau đợt kiểm tra công tác cải cách hành chính tại %(visited)s (%(plan)s) có hạn "
            "ngày %(deadline)s; %(unit)s chưa báo cáo kết quả:\n\n“%(text)s”\n\n"
            "Đơn vị báo cáo kết quả khắc phục kèm tài liệu kiểm chứng trên hệ thống.\n\nMở yêu cầu: %(url)s"
        ) % values
    greeting = _("Kính gửi %(name)s,") % {"name": person.get_full_name() or person.username}
    footer = _("Thư gửi tự động từ hệ thống %(site)s; xin không trả lời thư này.") % {"site": _site_name()}
    return Reminder(
        user=person,
        key=f"action:{action.pk}:{mark}:{action.deadline.isoformat()}",
        subject=f"[{_site_name()}] {subject}",
        body=f"{greeting}\n\n{text}\n\n--\n{footer}",
        url=url,
    )


def inspection_reminders(today: dt.date) -> list[Reminder]:
    """Every remedial-action reminder due on `today`, already sent or not (the ledger decides)."""
    due = list(
        RemedialAction.objects.filter(
            status=RemedialAction.Status.OPEN,
            deadline__isnull=False,
            deadline__lte=today + dt.timedelta(days=AHEAD_DAYS),
            responsible_unit__is_active=True,
        )
        .select_related("finding__visit__plan", "finding__visit__unit", "responsible_unit")
        .order_by("deadline", "pk")
    )
    due = [(action, mark) for action in due if (mark := milestone(action.deadline, today))]
    if not due:
        return []
    people: dict[int, list] = defaultdict(list)
    recipients = User.objects.filter(is_active=True, unit_id__in={a.responsible_unit_id for a, _m in due}).filter(
        Q(is_unit_staff=True) | Q(is_unit_head=True)
    )
    for person in recipients.order_by("username"):
        people[person.unit_id].append(person)
    return [_reminder(person, action, mark, today) for action, mark in due for person in people.get(action.responsible_unit_id, [])]
