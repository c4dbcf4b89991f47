"""Remedial actions: deadlines, the unit's report, the delegation's review, access and replays."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from inspections.models import ActionAttachment, ActionEvent, Finding, InspectionDocument, RemedialAction
from inspections.services.actions import (
    ActionError,
    action_accept,
    action_create,
    action_report,
    action_send_back,
    action_set_default_deadlines,
    validate_deadline,
    validate_visit_deadlines,
)

S = RemedialAction.Status
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
D = dt.date


def pdf(name="bien-ban-khac-phuc.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def shortcoming(visit_a, cast):
    return Finding.objects.create(
        visit=visit_a, kind=Finding.Kind.SHORTCOMING, text="Chưa công khai đầy đủ thủ tục hành chính tại bộ phận một cửa",
        created_by=cast["inspector"],
    )


@pytest.fixture
def strength(visit_a, cast):
    return Finding.objects.create(visit=visit_a, kind=Finding.Kind.STRENGTH, text="Ban hành kế hoạch CCHC kịp thời")


@pytest.fixture
def action(shortcoming, cast):
    return action_create(
        finding=shortcoming, text="Niêm yết công khai đầy đủ thủ tục hành chính", user=cast["inspector"], deadline=D(2026, 11, 30)
    )


@pytest.fixture
def action_b(visit_b, cast):
    finding = Finding.objects.create(visit=visit_b, kind=Finding.Kind.SHORTCOMING, text="Hồ sơ lưu trữ chưa được chỉnh lý")
    return action_create(finding=finding, text="Chỉnh lý hồ sơ lưu trữ", user=cast["admin"])


def issue_notice(visit, day):
    return InspectionDocument.objects.create(
        visit=visit, kind=InspectionDocument.Kind.NOTICE, status=InspectionDocument.Status.ISSUED, number="12/TB-SNV", issue_date=day
    )


# ---------------------------------------------------------------- deadlines


def test_deadline_defaults_to_notice_date_plus_plan_days(shortcoming, visit_a, cast):
    first = action_create(finding=shortcoming, text="Yêu cầu thứ nhất", user=cast["admin"])
    kept = action_create(finding=shortcoming, text="Yêu cầu có hạn riêng", user=cast["admin"], deadline=D(2026, 12, 20))
    assert first.deadline is None and first.responsible_unit == visit_a.unit  # default unit: the visited unit

    assert action_set_default_deadlines(visit=visit_a, notice_date=D(2026, 11, 2)) == 1
    first.refresh_from_db()
    kept.refresh_from_db()
    assert first.deadline == D(2026, 11, 17)  # 15 days after the notice
    assert kept.deadline == D(2026, 12, 20)
    assert action_set_default_deadlines(visit=visit_a, notice_date=D(2026, 11, 2)) == 0  # run again: nothing changes

    # Once the notice is issued, a new request without a deadline gets the default at once.
    issue_notice(visit_a, D(2026, 11, 2))
    visit_a.plan.remedial_days = 30
    visit_a.plan.save()
    later = action_create(finding=shortcoming, text="Yêu cầu bổ sung", user=cast["admin"])
    assert later.deadline == D(2026, 12, 2)


def test_deadline_before_the_notice_is_refused(shortcoming, visit_a, cast, action):
    issue_notice(visit_a, D(2026, 11, 2))
    message = "Hạn khắc phục không được trước ngày thông báo kết luận (02/11/2026)."
    with pytest.raises(ActionError) as exc:
        action_create(finding=shortcoming, text="Quá sớm", user=cast["admin"], deadline=D(2026, 11, 1))
    assert exc.value.message == message
    with pytest.raises(ActionError):
        validate_deadline(action, D(2026, 10, 31))
    validate_deadline(visit_a, D(2026, 11, 2))  # the notice's own day is allowed
    validate_deadline(visit_a, None)
    # The documents feature checks a notice it is about to issue with its date.
    with pytest.raises(ActionError):
        validate_deadline(visit_a, D(2026, 11, 20), notice=D(2026, 11, 25))
    with pytest.raises(ActionError) as exc:
        validate_visit_deadlines(visit=visit_a, notice_date=D(2026, 12, 1))
    assert "Niêm yết công khai" in exc.value.message
    validate_visit_deadlines(visit=visit_a, notice_date=D(2026, 11, 30))


def test_deadline_without_notice_is_free(visit_a):
    validate_deadline(visit_a, D(2020, 1, 1))


def test_add_page_refuses_early_deadline_and_keeps_what_was_typed(login, cast, shortcoming, visit_a):
    issue_notice(visit_a, D(2026, 11, 2))
    client = login(cast["inspector"])
    url = reverse("inspections:action_add", args=[shortcoming.pk])
    response = client.post(url, {"text": "Rà soát quy trình nội bộ", "deadline": "01/11/2026"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hạn khắc phục không được trước ngày thông báo kết luận (02/11/2026)." in body
    assert "Rà soát quy trình nội bộ" in body and "01/11/2026" in body
    assert not RemedialAction.objects.exists()

    response = client.post(url, {"text": "Rà soát quy trình nội bộ", "deadline": "31/02/2026"})
    assert "Ngày phải có dạng dd/mm/yyyy." in response.content.decode()

    response = client.post(url, {"text": "Rà soát quy trình nội bộ", "deadline": "", "next": "/kiem-tra/"})
    assert response.status_code == 302 and response["Location"] == "/kiem-tra/"
    created = RemedialAction.objects.get()
    assert created.deadline == D(2026, 11, 17) and created.responsible_unit == visit_a.unit
    assert list(created.events.values_list("from_status", "to_status")) == [("", S.OPEN)]


def test_add_with_another_responsible_unit(login, cast, shortcoming, units):
    client = login(cast["admin"])
    url = reverse("inspections:action_add", args=[shortcoming.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"text": "Trường THPT hoàn thiện hồ sơ", "responsible_unit": units["school"].pk, "deadline": "15/12/2026"})
    assert RemedialAction.objects.get().responsible_unit == units["school"]


def test_edit_refuses_early_deadline_and_keeps_the_saved_one(login, cast, visit_a, action):
    issue_notice(visit_a, D(2026, 11, 2))
    client = login(cast["inspector"])
    url = reverse("inspections:action_edit", args=[action.pk])
    response = client.post(url, {"text": "Nội dung mới", "deadline": "20/10/2026"})
    assert "không được trước ngày thông báo kết luận (02/11/2026)" in response.content.decode()
    action.refresh_from_db()
    assert action.text == "Niêm yết công khai đầy đủ thủ tục hành chính" and action.deadline == D(2026, 11, 30)
    client.post(url, {"text": "Nội dung mới", "deadline": "10/12/2026"})
    action.refresh_from_db()
    assert action.text == "Nội dung mới" and action.deadline == D(2026, 12, 10)


def test_only_shortcomings_carry_requests(login, cast, strength):
    with pytest.raises(ActionError):
        action_create(finding=strength, text="Không hợp lệ", user=cast["admin"])
    assert login(cast["admin"]).post(reverse("inspections:action_add", args=[strength.pk]), {"text": "x"}).status_code == 404


def test_empty_request_text_is_refused(login, cast, shortcoming):
    response = login(cast["admin"]).post(reverse("inspections:action_add", args=[shortcoming.pk]), {"text": "   "})
    assert response.status_code == 200 and not RemedialAction.objects.exists()


def test_delete_while_open_and_refused_once_reported(login, cast, shortcoming, action):
    other = action_create(finding=shortcoming, text="Thêm nhầm", user=cast["admin"])
    client = login(cast["inspector"])
    client.post(reverse("inspections:action_delete", args=[other.pk]))
    assert not RemedialAction.objects.filter(pk=other.pk).exists()
    assert client.post(reverse("inspections:action_delete", args=[other.pk])).status_code == 302  # replay: nothing to do

    action_report(action=action, report_text="Đã niêm yết", user=cast["staff_a"])
    client.post(reverse("inspections:action_delete", args=[action.pk]))
    assert RemedialAction.objects.filter(pk=action.pk).exists()


# ---------------------------------------------------------------- report and review


def test_report_then_accept_closes(login, cast, action):
    unit = login(cast["staff_a"])
    page = unit.get(reverse("inspections:action", args=[action.pk]))
    assert page.status_code == 200 and "Gửi báo cáo đến đoàn kiểm tra" in page.content.decode()
    response = unit.post(
        reverse("inspections:action_report", args=[action.pk]),
        {"report_text": "Đã niêm yết 135 thủ tục tại bộ phận một cửa", "files": [pdf()]},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == S.REPORTED and action.reported_by == cast["staff_a"]
    attachment = ActionAttachment.objects.get(action=action)
    assert attachment.original_name == "bien-ban-khac-phuc.pdf"
    file_url = reverse("inspections:action_file", args=[attachment.pk])
    assert unit.get(file_url).status_code == 200

    delegation = login(cast["inspector"])
    assert delegation.get(file_url).status_code == 200
    delegation.post(reverse("inspections:action_accept", args=[action.pk]), {"note": "Đạt yêu cầu"})
    action.refresh_from_db()
    assert action.status == S.CLOSED and action.review_note == "Đạt yêu cầu" and action.reviewed_by == cast["inspector"]
    assert list(action.events.values_list("from_status", "to_status")) == [("", S.OPEN), (S.OPEN, S.REPORTED), (S.REPORTED, S.CLOSED)]
    body = delegation.get(reverse("inspections:action", args=[action.pk])).content.decode()
    assert "Diễn biến" in body and "Đạt yêu cầu" in body and "Đã hoàn thành" in body


def test_send_back_needs_a_reason_then_the_unit_reports_again(login, cast, action):
    action_report(action=action, report_text="Đã niêm yết một phần", user=cast["staff_a"])
    delegation = login(cast["inspector"])
    url = reverse("inspections:action_send_back", args=[action.pk])
    response = delegation.post(url, {"reason": "  "})
    assert "Chưa nhập lý do trả lại báo cáo." in response.content.decode()
    action.refresh_from_db()
    assert action.status == S.REPORTED

    delegation.post(url, {"reason": "Chưa niêm yết thủ tục lĩnh vực giáo dục thường xuyên"})
    action.refresh_from_db()
    assert action.status == S.OPEN and action.review_note == "Chưa niêm yết thủ tục lĩnh vực giáo dục thường xuyên"

    unit = login(cast["head_a"])
    body = unit.get(reverse("inspections:action", args=[action.pk])).content.decode()
    assert "Báo cáo bị trả lại" in body and "Chưa niêm yết thủ tục lĩnh vực giáo dục thường xuyên" in body
    assert "Đã niêm yết một phần" in body  # the previous report is offered again for editing
    unit.post(reverse("inspections:action_report", args=[action.pk]), {"report_text": "Đã niêm yết đủ"})
    action.refresh_from_db()
    assert action.status == S.REPORTED and action.report_text == "Đã niêm yết đủ"
    events = list(action.events.values_list("to_status", "note"))
    assert events[-2] == (S.OPEN, "Chưa niêm yết thủ tục lĩnh vực giáo dục thường xuyên")


def test_replayed_posts_change_nothing(login, cast, action):
    unit = login(cast["staff_a"])
    url = reverse("inspections:action_report", args=[action.pk])
    unit.post(url, {"report_text": "Lần một", "files": [pdf()]})
    response = unit.post(url, {"report_text": "Lần hai", "files": [pdf("khac.pdf")]})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.report_text == "Lần một" and action.attachments.count() == 1

    delegation = login(cast["inspector"])
    delegation.post(reverse("inspections:action_accept", args=[action.pk]), {"note": "Được"})
    delegation.post(reverse("inspections:action_accept", args=[action.pk]), {"note": "Lần hai"})
    response = delegation.post(reverse("inspections:action_send_back", args=[action.pk]), {"reason": "Muộn"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == S.CLOSED and action.review_note == "Được"
    assert ActionEvent.objects.filter(action=action).count() == 3

    with pytest.raises(ActionError):
        action_report(action=action, report_text="Sau khi đóng", user=cast["staff_a"])
    with pytest.raises(ActionError):
        action_send_back(action=action, user=cast["admin"], reason="x")
    with pytest.raises(ActionError):
        action_accept(action=action, user=cast["admin"])


def test_bad_file_refuses_the_report_and_keeps_the_text(login, cast, action):
    unit = login(cast["staff_a"])
    fake = SimpleUploadedFile("anh.jpg", b"not really a jpeg", content_type="image/jpeg")
    response = unit.post(reverse("inspections:action_report", args=[action.pk]), {"report_text": "Đã khắc phục xong", "files": [fake]})
    assert response.status_code == 200
    body = response.content.decode()
    assert "anh.jpg" in body and "Đã khắc phục xong" in body
    action.refresh_from_db()
    assert action.status == S.OPEN and not action.attachments.exists()
    response = unit.post(reverse("inspections:action_report", args=[action.pk]), {"report_text": ""})
    assert "Chưa nhập kết quả khắc phục." in response.content.decode()


# ---------------------------------------------------------------- overdue: the one definition

TODAY = D(2026, 12, 1)


@pytest.mark.parametrize(
    ("status", "deadline", "overdue"),
    [
        (S.OPEN, D(2026, 11, 30), True),
        (S.OPEN, TODAY, False),
        (S.OPEN, D(2026, 12, 2), False),
        (S.OPEN, None, False),
        (S.REPORTED, D(2026, 11, 30), True),
        (S.REPORTED, TODAY, False),
        (S.CLOSED, D(2026, 11, 30), False),
        (S.CLOSED, D(2026, 1, 1), False),
        (S.CLOSED, D(2026, 12, 2), False),
    ],
)
def test_overdue_is_past_the_deadline_and_not_closed(action, status, deadline, overdue):
    RemedialAction.objects.filter(pk=action.pk).update(status=status, deadline=deadline)
    action.refresh_from_db()
    assert action.is_overdue(TODAY) is overdue
    assert RemedialAction.objects.overdue(TODAY).filter(pk=action.pk).exists() is overdue


# ---------------------------------------------------------------- access


def test_another_unit_gets_404(login, cast, action):
    attachment_report = action_report(action=action, report_text="Đã làm", user=cast["staff_a"], files=[pdf()])
    file_pk = attachment_report.attachments.get().pk
    for name in ("staff_b", "staff_x", "viewer", "appraiser"):
        client = login(cast[name])
        assert client.get(reverse("inspections:action", args=[action.pk])).status_code == 404, name
        assert client.get(reverse("inspections:action_file", args=[file_pk])).status_code == 404, name
        for view in ("action_report", "action_accept", "action_send_back", "action_edit"):
            assert client.post(reverse(f"inspections:{view}", args=[action.pk]), {"reason": "x", "report_text": "x"}).status_code == 404
    action.refresh_from_db()
    assert action.status == S.REPORTED


def test_inspector_of_another_delegation_gets_404(login, cast, action_b):
    client = login(cast["inspector"])
    assert client.get(reverse("inspections:action", args=[action_b.pk])).status_code == 404
    assert client.post(reverse("inspections:action_add", args=[action_b.finding_id]), {"text": "x"}).status_code == 404
    assert client.post(reverse("inspections:action_delete", args=[action_b.pk])).status_code == 404
    assert RemedialAction.objects.filter(pk=action_b.pk).exists()


def test_unit_cannot_review_its_own_report_nor_edit_requests(login, cast, action, shortcoming):
    action_report(action=action, report_text="Đã làm", user=cast["staff_a"])
    client = login(cast["staff_a"])
    assert client.post(reverse("inspections:action_accept", args=[action.pk])).status_code == 403
    assert client.post(reverse("inspections:action_send_back", args=[action.pk]), {"reason": "x"}).status_code == 403
    assert client.get(reverse("inspections:action_edit", args=[action.pk])).status_code == 403
    assert client.post(reverse("inspections:action_delete", args=[action.pk])).status_code == 403
    assert client.post(reverse("inspections:action_add", args=[shortcoming.pk]), {"text": "x"}).status_code == 403
    action.refresh_from_db()
    assert action.status == S.REPORTED
    body = client.get(reverse("inspections:action", args=[action.pk])).content.decode()
    assert "Chấp nhận, hoàn thành" not in body and "chờ đoàn kiểm tra xem xét" in body


def test_delegation_cannot_report_for_the_unit(login, cast, action):
    assert login(cast["inspector"]).post(reverse("inspections:action_report", args=[action.pk]), {"report_text": "x"}).status_code == 403
    action.refresh_from_db()
    assert action.status == S.OPEN


def test_other_unit_cannot_add_on_a_foreign_finding(login, cast, shortcoming):
    assert login(cast["staff_b"]).post(reverse("inspections:action_add", args=[shortcoming.pk]), {"text": "x"}).status_code == 404


def test_partial_lists_actions_with_the_add_form(rf_request, cast, shortcoming, action, strength):
    html = render_to_string("inspections/_actions.html", {"finding": shortcoming, "can_record": True}, request=rf_request)
    assert "Niêm yết công khai đầy đủ thủ tục hành chính" in html and "30/11/2026" in html
    assert reverse("inspections:action_add", args=[shortcoming.pk]) in html
    html = render_to_string("inspections/_actions.html", {"finding": shortcoming, "can_record": False}, request=rf_request)
    assert "Niêm yết công khai" in html and 'name="text"' not in html
    assert render_to_string("inspections/_actions.html", {"finding": strength, "can_record": True}, request=rf_request).strip() == ""


@pytest.fixture
def rf_request(cast):
    request = RequestFactory().get("/kiem-tra/chuyen/1/")
    request.user = cast["inspector"]
    return request


def test_action_page_queries_are_fixed(login, cast, action, django_assert_max_num_queries):
    action_report(action=action, report_text="Đã làm", user=cast["staff_a"], files=[pdf(), pdf("b.pdf")])
    client = login(cast["inspector"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("inspections:action", args=[action.pk])).status_code == 200


def test_a_correction_keeps_the_first_notice_as_reference(shortcoming, visit_a, cast):
    first = issue_notice(visit_a, D(2026, 11, 2))
    InspectionDocument.objects.create(
        visit=visit_a, kind=InspectionDocument.Kind.NOTICE, status=InspectionDocument.Status.ISSUED, number="13/TB-SNV",
        issue_date=D(2026, 11, 9), replaces=first,
    )
    validate_deadline(visit_a, D(2026, 11, 5))
    assert action_create(finding=shortcoming, text="Sau đính chính", user=cast["admin"]).deadline == D(2026, 11, 17)
