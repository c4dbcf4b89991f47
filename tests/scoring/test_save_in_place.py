"""Saving in place (sheet.js): the leaves changed since their last save are posted with
Accept: application/json and answered in JSON with the message, the refused leaves and the page's
new figures, instead of a redirect to the page; a plain form post still redirects."""

import re

import pytest
from django.urls import reverse

from scoring.models import LeafValue

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "fetch"}


def leaf(assessment, code):
    return assessment.round.criteria_set.criteria.get(code=code)


def form(assessment, values: dict, stage="self") -> dict:
    """What sheet.js posts: _stage and, for each changed leaf, its c<pk>-* fields with -present."""
    data = {"_stage": stage}
    for code, fields in values.items():
        prefix = f"c{leaf(assessment, code).pk}"
        data[f"{prefix}-present"] = "1"
        data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return data


def save(client, assessment, values: dict, **headers):
    return client.post(
        reverse("scoring:assessment_save", args=[assessment.pk]), form(assessment, values), **(headers or JSON)
    )


def shown(html: str) -> dict:
    """The figures the page shows, where sheet.js writes them."""

    def one(attribute):
        return re.search(rf"<[^>]*{attribute}[^>]*>([^<]*)<", html).group(1)

    return {name: one(f"data-{name}") for name in ("total", "maximum", "index", "done", "todo")}


def test_it_saves_in_place_with_the_figures_the_page_then_shows(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = save(
        client,
        assessment_a,
        {"1.1.2": {"numerator": "19", "denominator": "20"}, "2.2": {"count": "3", "note": "Quy chế"}},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["ok"] is True and data["message"] == "Đã lưu 2 tiêu chí."
    assert sorted(data["saved"]) == ["1.1.2", "2.2"] and data["errors"] == {}
    assert data["leaves"]["1.1.2"] == {"points": "1,75", "rate": "95%", "error": ""}
    assert data["leaves"]["2.2"]["points"] == "1,5" and data["nodes"]["1"] == "1,75"
    assert (data["total"], data["done"]) == ("3,25", 2)
    html = client.get(reverse("scoring:assessment", args=[assessment_a.pk])).content.decode()
    assert shown(html) == {name: str(data[name]) for name in ("total", "maximum", "index", "done", "todo")}
    assert f'data-node="1">{data["nodes"]["1"]}<' in html
    assert 'class="messages"' not in html  # nothing queued for the next page
    assessment_a.refresh_from_db()
    assert str(assessment_a.self_total).replace(".", ",").rstrip("0") == data["total"]


def test_only_the_posted_leaves_are_saved(login, cast, assessment_a):
    """A page left open since morning sends only what its user changed, not its stale values."""
    save(login(cast["head_a"]), assessment_a, {"2.2": {"count": "5"}, "1.2.2": {"points": "1"}})
    client = login(cast["staff_a"])
    data = save(client, assessment_a, {"1.1.1": {"option": "Ban hành kịp thời"}}).json()
    assert data["saved"] == ["1.1.1"]
    values = dict(
        LeafValue.objects.filter(assessment=assessment_a, stage="self").values_list("criterion__code", "score")
    )
    assert sorted(values) == ["1.1.1", "1.2.2", "2.2"] and str(values["2.2"]) == "2.00"
    assert data["leaves"]["2.2"]["points"] == "2"  # the colleague's value, in the figures too


def test_refused_values_come_back_with_400_and_the_valid_ones_are_saved(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = save(
        client,
        assessment_a,
        {"1.1.1": {"option": "Ban hành kịp thời"}, "1.2.2": {"points": "1,6"}, "2.2": {"count": "ba"}},
    )
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and data["saved"] == ["1.1.1"]
    assert data["message"] == "Có 2 giá trị chưa hợp lệ, xem lý do bên cạnh ô nhập; các giá trị hợp lệ đã được lưu."
    assert sorted(data["errors"]) == ["1.2.2", "2.2"] and "vượt quá" in data["errors"]["1.2.2"]
    assert data["leaves"]["1.2.2"]["error"] == data["errors"]["1.2.2"] and data["leaves"]["1.1.1"]["error"] == ""
    assert data["total"] == "1"
    assert list(LeafValue.objects.filter(assessment=assessment_a).values_list("criterion__code", flat=True)) == [
        "1.1.1"
    ]
    html = client.get(reverse("scoring:assessment", args=[assessment_a.pk])).content.decode()
    assert 'class="messages"' not in html


def test_saving_unchanged_values_says_so(login, cast, assessment_a):
    client = login(cast["staff_a"])
    save(client, assessment_a, {"2.2": {"count": "3"}})
    data = save(client, assessment_a, {"2.2": {"count": "3"}}).json()
    assert data["ok"] is True and data["saved"] == [] and data["message"] == "Không có thay đổi."
    assert save(client, assessment_a, {}).json()["message"] == "Không có thay đổi."  # nothing changed on the page


def test_the_answer_speaks_the_language_of_the_page(login, cast, assessment_a):
    client = login(cast["staff_a"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert save(client, assessment_a, {"2.2": {"count": "3"}}).json()["message"] == "Criteria saved: 1."
    assessment_a.state = "submitted"
    assessment_a.save()
    assert save(client, assessment_a, {"2.2": {"count": "4"}}).json()["message"].startswith("Not saved: the assessment")


def test_another_unit_gets_404_and_readers_a_403_they_can_read(login, cast, assessment_a):
    for who in ("staff_b", "staff_x"):
        assert save(login(cast[who]), assessment_a, {"2.2": {"count": "3"}}).status_code == 404
    for who in ("viewer", "appraiser", "admin"):
        response = save(login(cast[who]), assessment_a, {"2.2": {"count": "3"}})
        assert response.status_code == 403 and response.json()["ok"] is False
        assert response.json()["message"].startswith("Không lưu được")
    assert not LeafValue.objects.exists()


def test_after_submission_the_unit_gets_a_403_it_can_read(login, cast, assessment_a):
    assessment_a.state = "submitted"
    assessment_a.save()
    response = save(login(cast["staff_a"]), assessment_a, {"2.2": {"count": "3"}})
    assert response.status_code == 403 and "Không lưu được" in response.json()["message"]
    assert not LeafValue.objects.exists()


def test_a_plain_form_post_still_redirects_with_a_message(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = save(client, assessment_a, {"2.2": {"count": "3"}}, HTTP_ACCEPT="text/html")
    assert response.status_code == 302 and response["Location"] == reverse("scoring:assessment", args=[assessment_a.pk])
    assert "Đã lưu 1 tiêu chí." in client.get(response["Location"]).content.decode()
    response = save(client, assessment_a, {"2.2": {"count": "ba"}}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and "Có 1 giá trị chưa hợp lệ" in response.content.decode()


def _queries(client, assessment, values) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert save(client, assessment, values).status_code == 200
    return len(queries.captured_queries)


def test_the_in_place_save_has_a_fixed_query_count(login, cast, assessment_a, groups, django_assert_num_queries):
    """One changed leaf costs the same whatever the sheet holds: 12 or 52 leaves, values, evidence."""
    from criteria.services import criteria_set_import
    from scoring.models import LeafEvidence
    from scoring.services import round_open
    from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

    client = login(cast["staff_a"])
    save(client, assessment_a, {"2.2": {"count": "1"}})  # the criteria set is read once per process
    with django_assert_num_queries(11):
        assert save(client, assessment_a, {"2.2": {"count": "2"}}).status_code == 200
    every = {
        "1.1.1": {"option": "Ban hành kịp thời"},
        "1.1.2": {"numerator": "1", "denominator": "2"},
        "1.2.2": {"points": "1"},
        "2.1": {"numerator": "3", "denominator": "4"},
        "2.3": {"count": "1"},
        "2.4": {"option": "Hoàn thành tốt"},
        "B.1": {"option": "Giấy khen"},
        "B.2": {"count": "0"},
        "P.1": {"count": "1"},
    }
    save(client, assessment_a, every)
    for code in every:
        LeafEvidence.objects.create(
            assessment=assessment_a, criterion=leaf(assessment_a, code), document_number=f"{code}/QĐ"
        )
    with django_assert_num_queries(11):
        assert save(client, assessment_a, {"2.2": {"count": "3"}}).status_code == 200

    # A set of 52 leaves (the commune group's): the same count.
    many = [["3", "Nhiệm vụ khác", 40, "", "", "", "", "", "", ""]]
    many += [[f"3.{i}", f"Nhiệm vụ {i}", 1, "", "tự chấm", "", "", "", "Báo cáo", ""] for i in range(1, 41)]
    outcome = criteria_set_import(
        source=xlsx_bytes(VI_HEADERS, HANDWRITTEN[:7] + many),
        code="XA-2026",
        name="Bộ xã",
        year=2026,
        group=groups["XA"],
        publish=True,
    )
    assert outcome.ok, outcome.errors
    big = round_open(
        year=2026, group=groups["XA"], criteria_set=outcome.criteria_set, user=cast["admin"]
    ).assessments.get()
    client = login(cast["staff_x"])
    save(client, big, {f"3.{i}": {"points": "1"} for i in range(1, 41)})
    assert _queries(client, big, {"3.7": {"points": "0,5"}}) == 11


# ---------------------------------------------------------------- the appraisal page, same script


def test_the_appraisal_saves_in_place_and_asks_for_reasons(login, cast, assessment_a):
    save(login(cast["staff_a"]), assessment_a, {"2.2": {"count": "5", "note": "Quy chế"}})
    assessment_a.state = "submitted"
    assessment_a.save()
    client = login(cast["appraiser"])
    url = reverse("scoring:appraisal", args=[assessment_a.pk])
    response = client.post(url, form(assessment_a, {"2.2": {"count": "2"}}, stage="appraisal"), **JSON)
    assert response.status_code == 400
    data = response.json()
    assert data["errors"] == {"2.2": "Cần ghi lý do vì điểm khác điểm tự chấm."} and data["saved"] == []
    assert data["message"].startswith("Có giá trị chưa hợp lệ hoặc thiếu lý do")
    response = client.post(
        url, form(assessment_a, {"2.2": {"count": "2", "note": "Chỉ 2 quy chế"}}, stage="appraisal"), **JSON
    )
    assert (
        response.status_code == 200
        and response.json()["saved"] == ["2.2"]
        and response.json()["leaves"]["2.2"]["points"] == "1"
    )
    assert LeafValue.objects.get(assessment=assessment_a, stage="appraisal").count == 2
    assert 'class="messages"' not in client.get(url).content.decode()
    # A plain post still redirects.
    assert (
        client.post(url, form(assessment_a, {"2.2": {"count": "3", "note": "3"}}, stage="appraisal")).status_code == 302
    )


def test_the_appraisal_refuses_in_json_outside_its_stages(login, cast, assessment_a):
    url = reverse("scoring:appraisal", args=[assessment_a.pk])
    response = login(cast["appraiser"]).post(
        url, form(assessment_a, {"2.2": {"count": "2"}}, stage="appraisal"), **JSON
    )
    assert response.status_code == 403 and "không thẩm định được" in response.json()["message"]
    response = login(cast["staff_a"]).post(url, form(assessment_a, {"2.2": {"count": "2"}}, stage="appraisal"), **JSON)
    assert response.status_code == 403 and response.json()["ok"] is False
    assert login(cast["staff_b"]).post(url, {}, **JSON).status_code == 404
