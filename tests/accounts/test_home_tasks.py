"""The round's tasks on the home page of each role, in a number of queries that does not grow with units."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.home import tasks_for
from accounts.models import Unit
from scoring.models import Assessment, Round
from scoring.reminders import assessment_path, round_path
from scoring.services import round_add_units

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
S = Assessment.State
STAFF, HEAD, APPRAISER, ADMIN = "Cán bộ đơn vị", "Lãnh đạo đơn vị", "Thẩm định viên", "Quản trị Sở Nội vụ"


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def set_round(round_, **fields) -> None:
    Round.objects.filter(pk=round_.pk).update(**fields)


def set_state(assessment, state, **fields) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(state=state, **fields)


def texts(user, role, today=TODAY) -> dict[str, object]:
    return {task.text: task for task in tasks_for(user, today)[role]}


def find(tasks: dict, start: str):
    matches = [task for text, task in tasks.items() if text.startswith(start)]
    assert len(matches) == 1, (start, list(tasks))
    return matches[0]


def test_staff_see_days_left_and_progress_urgent_in_the_last_week(round_so, assessment_a, cast):
    total = assessment_a.leaves_todo
    set_round(round_so, self_deadline=days(20))
    task = find(texts(cast["staff_a"], STAFF), "Tự chấm điểm năm 2026")
    assert task.text == f"Tự chấm điểm năm 2026: còn 20 ngày (hạn 30/03/2026), đã chấm 0/{total} tiêu chí"
    assert task.url == assessment_path(assessment_a.pk) and not task.urgent
    set_round(round_so, self_deadline=days(7))
    assert find(texts(cast["staff_a"], STAFF), "Tự chấm điểm năm 2026").urgent
    set_round(round_so, self_deadline=days(-1))
    task = find(texts(cast["staff_a"], STAFF), "Tự chấm điểm năm 2026")
    assert task.urgent and "đã quá hạn (09/03/2026)" in task.text
    set_state(assessment_a, S.DRAFT, reopened_until=days(3))  # reopened: the unit's own deadline counts
    assert "còn 3 ngày (hạn 13/03/2026)" in find(texts(cast["staff_a"], STAFF), "Tự chấm điểm năm 2026").text


def test_staff_without_deadline_and_other_units_tasks(round_so, cast):
    assert find(texts(cast["staff_a"], STAFF), "Tự chấm điểm năm 2026").text.endswith("tiêu chí")
    assert not any("năm 2026:" in text for text in texts(cast["staff_x"], STAFF))  # another group: no round


def test_head_is_also_asked_to_submit_until_the_deadline(round_so, cast):
    set_round(round_so, self_deadline=days(5))
    head = texts(cast["head_a"], HEAD)
    assert find(head, "Tự chấm điểm năm 2026").urgent and find(head, "Nộp kết quả tự chấm năm 2026").urgent
    assert not any(text.startswith("Nộp kết quả") for text in texts(cast["staff_a"], STAFF))
    set_round(round_so, self_deadline=days(-1))  # the service refuses late submissions
    assert not any(text.startswith("Nộp kết quả") for text in texts(cast["head_a"], HEAD))


def test_unit_sees_explanation_and_waiting_states(round_so, assessment_a, cast):
    set_round(round_so, explanation_deadline=days(2))
    set_state(assessment_a, S.EXPLANATION)
    task = find(texts(cast["staff_a"], STAFF), "Kết quả sơ bộ năm 2026")
    assert task.text == "Kết quả sơ bộ năm 2026: đang giải trình đến 12/03/2026" and task.urgent
    set_state(assessment_a, S.SUBMITTED)
    task = find(texts(cast["head_a"], HEAD), "Phiếu đánh giá năm 2026")
    assert task.text == "Phiếu đánh giá năm 2026: Đã nộp, chờ thẩm định" and not task.urgent
    assert not any(text.startswith("Nộp kết quả") for text in texts(cast["head_a"], HEAD))
    set_state(assessment_a, S.FINALIZED)
    assert not any("năm 2026:" in text for text in texts(cast["staff_a"], STAFF))


def test_appraiser_sees_work_left_per_round(round_so, assessment_a, assessment_b, cast):
    set_round(round_so, appraisal_deadline=days(4), final_deadline=days(30))
    set_state(assessment_a, S.SUBMITTED)
    set_state(assessment_b, S.SUBMITTED)
    appraiser = texts(cast["appraiser"], APPRAISER)
    task = find(appraiser, "Thẩm định sơ bộ: 2 đơn vị chờ")
    assert task.text == "Thẩm định sơ bộ: 2 đơn vị chờ (năm 2026 – Sở, ban, ngành, hạn 14/03/2026)"
    assert task.url == round_path(round_so.pk) and task.urgent
    set_state(assessment_b, S.EXPLAINED)
    appraiser = texts(cast["appraiser"], APPRAISER)
    assert find(appraiser, "Thẩm định sơ bộ: 1 đơn vị chờ")
    assert not find(appraiser, "Thẩm định lại: 1 đơn vị chờ").urgent
    other = cast["appraiser"]
    other.appraised_groups.clear()
    assert not any(text.startswith("Thẩm định") for text in texts(other, APPRAISER))


def test_home_affairs_sees_counts_per_open_round_and_preliminary_results_to_send(round_so, assessment_a, assessment_b, cast):
    set_state(assessment_a, S.APPRAISED)
    set_state(assessment_b, S.SUBMITTED)
    admin = texts(cast["admin"], ADMIN)
    counts = find(admin, "Kỳ đánh giá năm 2026 – Sở, ban, ngành")
    assert counts.text == "Kỳ đánh giá năm 2026 – Sở, ban, ngành: Đang tự chấm: 1; Đã nộp, chờ thẩm định: 1; Đã thẩm định sơ bộ: 1"
    assert counts.url == round_path(round_so.pk)
    send = find(admin, "Gửi kết quả sơ bộ")
    assert send.text == "Gửi kết quả sơ bộ: 1 đơn vị đã thẩm định xong (năm 2026 – Sở, ban, ngành)"
    assert any("XA" in text or "Trường THPT" in text for text in admin)  # the existing tasks are still there
    round_so.assessments.update(state=S.FINALIZED)  # a closed round leaves the home page
    assert not any(text.startswith(("Kỳ đánh giá", "Gửi kết quả")) for text in texts(cast["admin"], ADMIN))


def test_the_home_page_shows_the_round_tasks(login, round_so, assessment_a, cast):
    set_round(round_so, self_deadline=timezone.localdate() + dt.timedelta(days=3))
    html = login(cast["head_a"]).get(reverse("home")).content.decode()
    assert "Tự chấm điểm năm 2026: còn 3 ngày" in html and "Nộp kết quả tự chấm năm 2026" in html
    assert assessment_path(assessment_a.pk) in html and 'class="urgent"' in html


def _count_queries(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        tasks_for(user, TODAY)
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_assessments(round_so, groups, cast, xa_draft):
    set_round(round_so, self_deadline=days(5), appraisal_deadline=days(5), explanation_deadline=days(5))
    users = [cast[name] for name in ("admin", "appraiser", "staff_a", "head_a", "viewer")]
    before = [_count_queries(user) for user in users]
    for i in range(8):
        Unit.objects.create(code=f"SO{i}", name=f"Sở thứ {i}", group=groups["SO"])
    round_add_units(round_=round_so)
    for n, assessment in enumerate(round_so.assessments.order_by("pk")):
        set_state(assessment, [S.DRAFT, S.SUBMITTED, S.APPRAISED, S.EXPLANATION, S.EXPLAINED][n % 5])
    assert round_so.assessments.count() == 11
    assert [_count_queries(user) for user in users] == before
    assert max(before) <= 8
