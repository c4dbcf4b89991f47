"""The yearly round end to end through the pages: self-assessment, submission, appraisal,
explanation, final appraisal; every number checked against the rules by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from scoring.models import Assessment, AssessmentEvent, LeafEvidence, LeafValue, ValueChange

pytestmark = pytest.mark.django_db
D = Decimal


def leaf(assessment, code):
    return assessment.round.criteria_set.criteria.get(code=code)


def form(assessment, values: dict) -> dict:
    """POST data for the sheet: {code: {field: value}}."""
    data = {}
    for code, fields in values.items():
        prefix = f"c{leaf(assessment, code).pk}"
        data[f"{prefix}-present"] = "1"
        for name, value in fields.items():
            data[f"{prefix}-{name}"] = value
    return data


COMPLETE = {
    "1.1.1": {"option": "Ban hành kịp thời", "note": "Kế hoạch 137/KH-SGDĐT"},
    "1.1.2": {"numerator": "11995", "denominator": "11999", "note": "Báo cáo"},  # 1,75
    "1.2.1": {"not_applicable": "on"},
    "1.2.2": {"points": "1,25", "note": "Báo cáo"},
    "2.1": {"numerator": "2299", "denominator": "2412", "note": "Số liệu iOffice"},  # 1,91
    "2.2": {"count": "5", "note": "Các quy chế"},  # 2
    "2.3": {"count": "1", "note": "QĐ kỷ luật"},  # 0,75
    "2.4": {"option": "Hoàn thành tốt", "note": "Báo cáo"},  # 0,75
    "B.1": {"option": "Giấy khen", "note": "QĐ khen"},  # 0,5
    "B.2": {"count": "0", "note": "Không có"},  # 0
    "P.1": {"count": "1", "note": "Văn bản phê bình"},  # 0,5
}


def test_open_round_command_creates_one_assessment_per_unit(so_set, units):
    call_command("open_round", year=2026, group="SO", criteria="SO-2026", self_deadline="15/12/2026", bands="A>=90;B>=85;C")
    assessments = Assessment.objects.filter(round__year=2026)
    assert sorted(a.unit.code for a in assessments) == ["SGDDT", "SNV", "STP"]
    assert assessments.first().round.self_deadline == dt.date(2026, 12, 15)
    assert assessments.first().round.bands == "A>=90;B>=85;C"


def test_units_added_later_join_the_round(login, cast, round_so, groups):
    from accounts.models import Unit

    Unit.objects.create(code="SXD", name="Sở Xây dựng", group=groups["SO"])
    login(cast["admin"]).post(reverse("scoring:round_action", args=[round_so.pk, "add-units"]))
    assert round_so.assessments.filter(unit__code="SXD").exists()


def test_self_assessment_computes_every_method_and_keeps_history(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = client.post(reverse("scoring:assessment_save", args=[assessment_a.pk]), form(assessment_a, COMPLETE))
    assert response.status_code == 302
    assessment_a.refresh_from_db()
    # 1 + 1,75 + 1,25 + 1,91 + 2 + 0,75 + 0,75 = 9,41; bonus 0,5; penalty 0,5 -> 9,41
    assert assessment_a.self_total == D("9.41")
    assert assessment_a.self_max == D("11")  # 14 - survey 2 - not applicable 1
    assert assessment_a.self_index == D("85.55")
    scores = dict(LeafValue.objects.filter(assessment=assessment_a, stage="self").values_list("criterion__code", "score"))
    assert scores["1.1.2"] == D("1.75") and scores["2.1"] == D("1.91") and scores["2.3"] == D("0.75")
    change = ValueChange.objects.get(assessment=assessment_a, criterion__code="1.2.2", field="points")
    assert (change.old_value, change.new_value, change.changed_by) == ("", "1.25", cast["staff_a"])


@pytest.mark.parametrize(
    "code,fields,message",
    [
        ("1.2.2", {"points": "1,6"}, "vượt quá"),
        ("1.1.2", {"numerator": "21", "denominator": "20"}, "Tử số"),
        ("2.2", {"count": "-1"}, "Số lượng"),
        ("2.2", {"count": "ba"}, "Số lượng"),
        ("1.2.2", {"points": "một"}, ""),
        ("2.1", {"not_applicable": "on"}, "không áp dụng"),
    ],
)
def test_an_invalid_value_is_shown_beside_its_field_and_nothing_typed_is_lost(login, cast, assessment_a, code, fields, message):
    client = login(cast["staff_a"])
    data = form(assessment_a, {"1.1.1": {"option": "Ban hành kịp thời"}, code: fields})
    response = client.post(reverse("scoring:assessment_save", args=[assessment_a.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    row = next(r for r in response.context["sheet"].leaf_rows() if r.code == code)
    assert row.error is not None and message.casefold() in row.error.message.casefold()
    for value in fields.values():
        if value != "on":
            assert f'value="{value}"' in html  # what the user typed is still there
    # The valid leaf was saved; the invalid one was not.
    assert LeafValue.objects.filter(assessment=assessment_a, criterion__code="1.1.1", stage="self").exists()
    assert not LeafValue.objects.filter(assessment=assessment_a, criterion__code=code, stage="self").exists()


def test_preview_computes_as_typed_without_saving(login, cast, assessment_a):
    client = login(cast["staff_a"])
    data = form(assessment_a, {"1.1.2": {"numerator": "19", "denominator": "20"}, "2.2": {"count": "3"}})
    data["_stage"] = "self"
    payload = client.post(reverse("scoring:assessment_preview", args=[assessment_a.pk]), data).json()
    assert payload["leaves"]["1.1.2"] == {"points": "1,75", "rate": "95%", "error": ""}
    assert payload["leaves"]["2.2"]["points"] == "1,5"
    assert payload["total"] == "3,25" and payload["nodes"]["1"] == "1,75"
    assert not LeafValue.objects.exists()


def _complete_with_evidence(client, assessment):
    client.post(reverse("scoring:assessment_save", args=[assessment.pk]), form(assessment, COMPLETE))


def test_submission_is_refused_with_the_list_of_what_is_missing(login, cast, assessment_a):
    client = login(cast["head_a"])
    data = dict(COMPLETE)
    data["2.2"] = {"count": "5"}  # a value, but neither evidence nor explanation
    data.pop("2.3")
    login(cast["staff_a"]).post(reverse("scoring:assessment_save", args=[assessment_a.pk]), form(assessment_a, data))
    client = login(cast["head_a"])
    client.post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))
    html = client.get(reverse("scoring:assessment", args=[assessment_a.pk])).content.decode()
    assert "2.3. Chấp hành kỷ luật" in html and "chưa chấm điểm" in html
    assert "2.2. Nội quy" in html and "tài liệu kiểm chứng hoặc giải trình" in html
    assessment_a.refresh_from_db()
    assert assessment_a.state == "draft"


def test_evidence_counts_instead_of_an_explanation(login, cast, assessment_a):
    data = dict(COMPLETE)
    data["2.2"] = {"count": "5"}
    login(cast["staff_a"]).post(reverse("scoring:assessment_save", args=[assessment_a.pk]), form(assessment_a, data))
    LeafEvidence.objects.create(assessment=assessment_a, criterion=leaf(assessment_a, "2.2"), document_number="12/QĐ-SGDĐT")
    login(cast["head_a"]).post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))
    assessment_a.refresh_from_db()
    assert assessment_a.state == "submitted"


def test_only_the_head_submits_and_after_submission_nothing_changes(login, cast, assessment_a):
    _complete_with_evidence(login(cast["staff_a"]), assessment_a)
    assert login(cast["staff_a"]).post(reverse("scoring:assessment_submit", args=[assessment_a.pk])).status_code == 403
    head = login(cast["head_a"])
    head.post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))
    head.post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))  # replayed
    assert AssessmentEvent.objects.filter(assessment=assessment_a, action="submit").count() == 1
    before = list(LeafValue.objects.values_list("criterion__code", "score"))
    response = login(cast["staff_a"]).post(
        reverse("scoring:assessment_save", args=[assessment_a.pk]), form(assessment_a, {"1.2.2": {"points": "0"}})
    )
    assert response.status_code == 403
    assert list(LeafValue.objects.values_list("criterion__code", "score")) == before


def test_after_the_deadline_the_unit_cannot_change_or_submit(login, cast, assessment_a):
    round_ = assessment_a.round
    round_.self_deadline = dt.date.today() - dt.timedelta(days=1)
    round_.save()
    response = login(cast["staff_a"]).post(
        reverse("scoring:assessment_save", args=[assessment_a.pk]), form(assessment_a, {"1.2.2": {"points": "1"}})
    )
    assert response.status_code == 403 and not LeafValue.objects.exists()
    login(cast["head_a"]).post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))
    assessment_a.refresh_from_db()
    assert assessment_a.state == "draft"


def test_home_affairs_reopens_with_a_recorded_reason(login, cast, assessment_a):
    _complete_with_evidence(login(cast["staff_a"]), assessment_a)
    login(cast["head_a"]).post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))
    url = reverse("scoring:assessment_reopen", args=[assessment_a.pk])
    assert login(cast["appraiser"]).post(url, {"reason": "x"}).status_code == 403
    login(cast["admin"]).post(url, {"reason": ""})
    assessment_a.refresh_from_db()
    assert assessment_a.state == "submitted"  # a reason is required
    login(cast["admin"]).post(url, {"reason": "Bổ sung tài liệu", "until": "31/12/2026"})
    assessment_a.refresh_from_db()
    assert assessment_a.state == "draft" and assessment_a.reopened_until == dt.date(2026, 12, 31)
    event = assessment_a.events.get(action="reopen")
    assert (event.from_state, event.to_state, event.note, event.actor) == ("submitted", "draft", "Bổ sung tài liệu", cast["admin"])


def test_appraisal_explanation_and_final(login, cast, assessment_a):
    _complete_with_evidence(login(cast["staff_a"]), assessment_a)
    login(cast["head_a"]).post(reverse("scoring:assessment_submit", args=[assessment_a.pk]))
    appraiser = login(cast["appraiser"])
    url = reverse("scoring:appraisal", args=[assessment_a.pk])
    # A different value without a reason is refused; with a reason it is kept.
    appraiser.post(url, form(assessment_a, {"2.2": {"count": "2"}}))
    assert not LeafValue.objects.filter(assessment=assessment_a, stage="appraisal").exists()
    appraiser.post(url, form(assessment_a, {"2.2": {"count": "2", "note": "Chỉ 2 quy chế đúng nội dung"}}))
    # The same value as the self value needs no reason.
    appraiser.post(url, form(assessment_a, {"1.1.1": {"option": "Ban hành kịp thời"}}))
    appraiser.post(reverse("scoring:appraisal_action", args=[assessment_a.pk, "complete"]))
    assessment_a.refresh_from_db()
    assert assessment_a.state == "submitted"  # not every leaf appraised yet
    appraiser.post(reverse("scoring:appraisal_action", args=[assessment_a.pk, "accept-self"]))
    appraiser.post(reverse("scoring:appraisal_action", args=[assessment_a.pk, "complete"]))
    assessment_a.refresh_from_db()
    assert assessment_a.state == "appraised"
    assert LeafValue.objects.get(assessment=assessment_a, stage="appraisal", criterion__code="2.2").score == D("1")
    # Home Affairs sends the preliminary result; the unit explains the disputed leaf.
    login(cast["admin"]).post(reverse("scoring:appraisal_action", args=[assessment_a.pk, "send"]))
    unit = login(cast["staff_a"])
    page = unit.get(reverse("scoring:explanation", args=[assessment_a.pk]))
    assert [r.code for r in page.context["rows"]] == ["2.2"]
    prefix = f"c{leaf(assessment_a, '2.2').pk}"
    unit.post(reverse("scoring:explanation", args=[assessment_a.pk]), {f"{prefix}-explanation": "Quy chế thứ 3 đã sửa", "send": "1"})
    assessment_a.refresh_from_db()
    assert assessment_a.state == "explained" and assessment_a.explanations.get().text == "Quy chế thứ 3 đã sửa"
    # Final value: a change from the preliminary appraisal needs a reason.
    appraiser = login(cast["appraiser"])  # the test client is shared: log the appraiser back in
    appraiser.post(url, form(assessment_a, {"2.2": {"count": "3", "note": "Chấp nhận giải trình"}}))
    appraiser.post(reverse("scoring:appraisal_action", args=[assessment_a.pk, "finalize"]))
    assessment_a.refresh_from_db()
    assert assessment_a.state == "finalized"
    # final: 9,41 - 2 + 1,5 (3 × 0,5) = 8,91 ; survey not imported yet -> 0 of 2
    assert assessment_a.final_total == D("8.91") and assessment_a.final_max == D("13")
    assert [e.action for e in assessment_a.events.all()] == ["submit", "complete_appraisal", "send_preliminary", "submit_explanation", "finalize"]


OTHER_UNIT_VIEWS = [
    ("get", "scoring:assessment", None),
    ("post", "scoring:assessment_save", None),
    ("post", "scoring:assessment_preview", None),
    ("post", "scoring:assessment_submit", None),
    ("post", "scoring:assessment_reopen", None),
    ("get", "scoring:appraisal", None),
    ("post", "scoring:appraisal_action", "accept-self"),
    ("get", "scoring:explanation", None),
]


@pytest.mark.parametrize("method,name,action", OTHER_UNIT_VIEWS)
def test_another_unit_gets_404_on_every_assessment_view(login, cast, assessment_a, method, name, action):
    args = [assessment_a.pk] + ([action] if action else [])
    for who in ("staff_b", "staff_x"):
        response = getattr(login(cast[who]), method)(reverse(name, args=args))
        assert response.status_code == 404, (who, name)


def test_an_appraiser_of_another_group_gets_404(login, cast, assessment_a, groups):
    cast["appraiser"].appraised_groups.set([groups["XA"]])
    assert login(cast["appraiser"]).get(reverse("scoring:assessment", args=[assessment_a.pk])).status_code == 404


@pytest.mark.parametrize("who", ["staff_a", "head_a", "viewer"])
def test_non_appraisers_cannot_appraise(login, cast, assessment_a, who):
    assert login(cast[who]).get(reverse("scoring:appraisal", args=[assessment_a.pk])).status_code == 403


@pytest.mark.parametrize("who", ["staff_a", "staff_x", "head_a"])
def test_rounds_are_not_for_units(login, cast, round_so, who):
    assert login(cast[who]).get(reverse("scoring:round", args=[round_so.pk])).status_code in (403, 404)
    assert login(cast[who]).get(reverse("scoring:rounds")).status_code == 403


def test_open_round_page(login, cast, so_set, units):
    client = login(cast["admin"])
    response = client.post(
        reverse("scoring:round_open"),
        {"year": 2026, "group": "SO", "criteria_set": so_set.pk, "self_deadline": "15/12/2026", "appraisal_deadline": "10/12/2026", "bands": "A>=90;B>=80;C>=70;D", "tie_rule": "dense"},
    )
    assert response.status_code == 200 and "Hạn này phải sau" in response.content.decode()
    assert 'value="15/12/2026"' in response.content.decode()
    response = client.post(
        reverse("scoring:round_open"),
        {"year": 2026, "group": "SO", "criteria_set": so_set.pk, "self_deadline": "15/12/2026", "bands": "A>=90;B>=80;C>=70;D", "tie_rule": "dense"},
    )
    assert response.status_code == 302
    assert Assessment.objects.count() == 3


def _queries(client, url, django_assert_max_num_queries=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_assessment_and_round_pages_have_fixed_query_counts(login, cast, round_so, assessment_a, groups):
    from accounts.models import Unit
    from scoring.services import round_add_units

    _complete_with_evidence(login(cast["staff_a"]), assessment_a)
    client = login(cast["admin"])
    # The save above has read the published criteria set into the process (calculation.criteria_and_tree).
    page_before = _queries(client, reverse("scoring:assessment", args=[assessment_a.pk]))
    appraisal_before = _queries(client, reverse("scoring:appraisal", args=[assessment_a.pk]))
    round_before = _queries(client, reverse("scoring:round", args=[round_so.pk]))
    for i in range(10):
        Unit.objects.create(code=f"S{i}", name=f"Sở {i}", group=groups["SO"])
    round_add_units(round_=round_so)
    LeafEvidence.objects.create(assessment=assessment_a, criterion=leaf(assessment_a, "2.2"), document_number="1/QĐ")
    assert _queries(client, reverse("scoring:round", args=[round_so.pk])) == round_before
    assert _queries(client, reverse("scoring:assessment", args=[assessment_a.pk])) == page_before
    assert _queries(client, reverse("scoring:appraisal", args=[assessment_a.pk])) == appraisal_before


def test_a_save_that_loses_the_race_with_a_submission_changes_nothing(cast, assessment_a):
    """The view checks permission before the row lock; the state is checked again under it."""
    from scoring import engine
    from scoring.services import LeafEntry, ScoringError, unit_can_edit, values_save

    stale = Assessment.objects.get(pk=assessment_a.pk)  # read while still a draft
    Assessment.objects.filter(pk=assessment_a.pk).update(state="submitted")  # a submission commits meanwhile
    with pytest.raises(ScoringError):
        values_save(
            assessment=stale, stage="self", entries=[LeafEntry(leaf(stale, "1.2.2"), engine.LeafInput(points=D("1")))],
            user=cast["staff_a"], guard=unit_can_edit,
        )
    assert not LeafValue.objects.exists() and not ValueChange.objects.exists()
