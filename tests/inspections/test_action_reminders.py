"""Reminders of remedial actions (e-mail, through send_reminders) and the home-page tasks."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.home import tasks_for
from accounts.models import Role
from inspections.models import Finding, RemedialAction
from inspections.reminders import inspection_reminders

S = RemedialAction.Status
D = dt.date
TODAY = D(2026, 12, 1)


@pytest.fixture
def emails(cast):
    for name in ("staff_a", "head_a", "staff_b", "inspector", "admin"):
        cast[name].email = f"{cast[name].username}@example.vn"
        cast[name].save(update_fields=["email"])
    return cast


@pytest.fixture
def shortcoming(visit_a):
    return Finding.objects.create(visit=visit_a, kind=Finding.Kind.SHORTCOMING, text="Chưa công khai thủ tục hành chính")


def make(finding, text, deadline, status=S.OPEN, unit=None):
    return RemedialAction.objects.create(
        finding=finding, text=text, deadline=deadline, status=status, responsible_unit=unit or finding.visit.unit
    )


def keys(today):
    return sorted((r.user.username, r.key) for r in inspection_reminders(today))


@pytest.mark.parametrize(
    ("days_left", "mark"),
    [(4, None), (3, "3d"), (2, "3d"), (1, "3d"), (0, None), (-1, "overdue"), (-30, "overdue")],
)
def test_windows(emails, shortcoming, days_left, mark):
    deadline = TODAY + dt.timedelta(days=days_left)
    action = make(shortcoming, "Niêm yết thủ tục", deadline)
    expected = [] if mark is None else sorted(
        (name, f"action:{action.pk}:{mark}:{deadline.isoformat()}") for name in ("canbo.a", "lanhdao.a")
    )
    assert keys(TODAY) == expected


def test_closed_reported_and_undated_are_skipped(emails, shortcoming):
    for status in (S.CLOSED, S.REPORTED):
        make(shortcoming, f"Yêu cầu {status}", TODAY - dt.timedelta(days=3), status=status)
        make(shortcoming, f"Yêu cầu {status} sắp hạn", TODAY + dt.timedelta(days=2), status=status)
    make(shortcoming, "Chưa có hạn", None)
    assert inspection_reminders(TODAY) == []


def test_goes_to_the_responsible_unit(emails, shortcoming, units):
    make(shortcoming, "Sở Tư pháp phối hợp", TODAY - dt.timedelta(days=1), unit=units["b"])
    assert [r.user.username for r in inspection_reminders(TODAY)] == ["canbo.b"]


def test_send_reminders_twice_sends_each_mail_once(emails, shortcoming):
    soon = make(shortcoming, "Niêm yết công khai đầy đủ thủ tục hành chính", D(2026, 12, 3))
    late = make(shortcoming, "Cập nhật quy chế làm việc", D(2026, 11, 20))
    call_command("send_reminders", "--date", "01/12/2026")
    call_command("send_reminders", "--date", "01/12/2026")
    assert len(mail.outbox) == 4  # two actions × staff and head of unit A
    by_key = {(m.to[0], "quá hạn" in m.subject) for m in mail.outbox}
    assert by_key == {("canbo.a@example.vn", True), ("canbo.a@example.vn", False), ("lanhdao.a@example.vn", True), ("lanhdao.a@example.vn", False)}
    ahead = next(m for m in mail.outbox if m.to == ["canbo.a@example.vn"] and "Còn 2 ngày" in m.subject)
    assert "03/12/2026" in ahead.subject and "03/12/2026" in ahead.body
    assert "Niêm yết công khai đầy đủ thủ tục hành chính" in ahead.body
    assert "Sở Giáo dục và Đào tạo" in ahead.body and "Kế hoạch kiểm tra công tác CCHC năm 2026" in ahead.body
    assert reverse("inspections:action", args=[soon.pk]) in ahead.body
    overdue = next(m for m in mail.outbox if m.to == ["canbo.a@example.vn"] and "quá hạn" in m.subject)
    assert "20/11/2026" in overdue.body and reverse("inspections:action", args=[late.pk]) in overdue.body

    # The next day the 3-day window still holds and the action is still overdue: nothing new.
    call_command("send_reminders", "--date", "02/12/2026")
    assert len(mail.outbox) == 4
    # A moved deadline reminds again.
    RemedialAction.objects.filter(pk=late.pk).update(deadline=D(2026, 11, 28))
    call_command("send_reminders", "--date", "02/12/2026")
    assert len(mail.outbox) == 6


# ---------------------------------------------------------------- home page


def test_unit_sees_open_actions_urgent_when_close_or_overdue(cast, shortcoming):
    make(shortcoming, "Quá hạn rồi", D(2026, 11, 28))
    make(shortcoming, "Còn ba ngày", D(2026, 12, 4))
    make(shortcoming, "Còn lâu", D(2026, 12, 20))
    make(shortcoming, "Đã báo cáo", D(2026, 11, 28), status=S.REPORTED)
    make(shortcoming, "Xong", D(2026, 11, 28), status=S.CLOSED)
    tasks = [t for t in tasks_for(cast["staff_a"], TODAY)[str(Role.UNIT_STAFF.label)] if "/kiem-tra/" in t.url]
    assert [(t.urgent, t.text) for t in tasks] == [
        (True, "Đã quá hạn khắc phục (28/11/2026): Quá hạn rồi"),
        (True, "Khắc phục sau kiểm tra, còn 3 ngày (hạn 04/12/2026): Còn ba ngày"),
        (False, "Khắc phục sau kiểm tra, còn 19 ngày (hạn 20/12/2026): Còn lâu"),
    ]
    assert all("/kiem-tra/" not in t.url for t in tasks_for(cast["staff_b"], TODAY)[str(Role.UNIT_STAFF.label)])


def test_long_lists_end_with_a_link_to_the_register(cast, shortcoming):
    for i in range(8):
        make(shortcoming, f"Yêu cầu {i}", D(2026, 12, 10) + dt.timedelta(days=i))
    tasks = [t for t in tasks_for(cast["head_a"], TODAY)[str(Role.UNIT_HEAD.label)] if "/kiem-tra/" in t.url]
    assert len(tasks) == 6
    assert tasks[-1].text == "Và 3 yêu cầu khắc phục khác chưa báo cáo" and "status=open" in tasks[-1].url


def test_inspector_sees_reports_waiting_for_review(cast, shortcoming, visit_b):
    make(shortcoming, "Báo cáo một", D(2026, 12, 10), status=S.REPORTED)
    make(shortcoming, "Báo cáo hai", D(2026, 12, 10), status=S.REPORTED)
    make(shortcoming, "Chưa báo cáo", D(2026, 12, 10))
    other = Finding.objects.create(visit=visit_b, kind=Finding.Kind.SHORTCOMING, text="Ở đoàn khác")
    make(other, "Báo cáo của đoàn khác", D(2026, 12, 10), status=S.REPORTED)
    tasks = [t for t in tasks_for(cast["inspector"], TODAY)[str(Role.INSPECTOR.label)] if "/kiem-tra/" in t.url]
    assert [(t.text, t.urgent) for t in tasks] == [("Xem xét 2 báo cáo khắc phục của Sở Giáo dục và Đào tạo (kiểm tra năm 2026)", True)]


def test_the_home_page_shows_action_tasks(login, cast, shortcoming):
    action = make(shortcoming, "Niêm yết thủ tục hành chính", D(2026, 12, 2))
    body = login(cast["staff_a"]).get(reverse("home")).content.decode()
    assert reverse("inspections:action", args=[action.pk]) in body and "Niêm yết thủ tục hành chính" in body


def _count(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        tasks_for(user, TODAY)
    return len(captured)


def test_home_queries_do_not_grow_with_actions(cast, shortcoming, visit_b):
    users = [cast[name] for name in ("staff_a", "head_a", "inspector", "admin")]
    make(shortcoming, "Một", D(2026, 12, 2))
    before = [_count(user) for user in users]
    for i in range(12):
        make(shortcoming, f"Thêm {i}", D(2026, 11, 20) + dt.timedelta(days=i), status=[S.OPEN, S.REPORTED, S.CLOSED][i % 3])
    assert [_count(user) for user in users] == before
