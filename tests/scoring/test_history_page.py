"""The history of an assessment's values: on a page of its own, newest first, a page at a time;
the scoring pages link to it with the count instead of rendering hundreds of rows each time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring.models import ValueChange

pytestmark = pytest.mark.django_db


def _changes(assessment, n):
    criterion = assessment.round.criteria_set.criteria.get(code="1.2.2")
    ValueChange.objects.bulk_create(
        ValueChange(assessment=assessment, criterion=criterion, stage="self", field="points", old_value=str(i), new_value=f"{i + 1}")
        for i in range(n)
    )


def test_the_self_assessment_page_links_to_the_history_with_its_count(login, cast, assessment_a):
    _changes(assessment_a, 3)
    html = login(cast["staff_a"]).get(reverse("scoring:assessment", args=[assessment_a.pk])).content.decode()
    assert reverse("scoring:assessment_history", args=[assessment_a.pk]) in html
    assert "Lịch sử thay đổi giá trị (3 mục)" in html
    assert "<td>1.2.2</td>" not in html  # the rows are on the history page only


def test_it_lists_changes_newest_first_a_page_at_a_time(login, cast, assessment_a):
    _changes(assessment_a, 205)
    client = login(cast["staff_a"])
    url = reverse("scoring:assessment_history", args=[assessment_a.pk])
    first = client.get(url)
    assert first.status_code == 200
    assert [c.new_value for c in first.context["page"]][:2] == ["205", "204"]
    assert len(first.context["page"]) == 200 and "Trang 1/2" in first.content.decode()
    second = client.get(url + "?page=2")
    assert [c.new_value for c in second.context["page"]] == ["5", "4", "3", "2", "1"]


def test_its_query_count_does_not_grow_with_the_changes(login, cast, assessment_a):
    client = login(cast["staff_a"])
    url = reverse("scoring:assessment_history", args=[assessment_a.pk])
    _changes(assessment_a, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _changes(assessment_a, 150)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


@pytest.mark.parametrize("who,status", [("staff_a", 200), ("admin", 200), ("staff_b", 404), ("staff_x", 404)])
def test_another_unit_cannot_read_it(login, cast, assessment_a, who, status):
    _changes(assessment_a, 2)
    assert login(cast[who]).get(reverse("scoring:assessment_history", args=[assessment_a.pk])).status_code == status
