"""The visit on site: who reads and who records, the record itself, findings with photos, bad input
that loses nothing, and the freeze once the conclusion notice is issued."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections.models import Finding, FindingAttachment, Visit


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _record_data(plan, **extra):
    data = {
        "visit_date": "13/10/2026", "start_time": "14:00", "end_time": "16:30", "place": "Hội trường Sở Giáo dục và Đào tạo",
        "unit_attendees": "Phạm Quốc Hiệu – Phó Giám đốc\n\nLê Văn Ba – Chánh Văn phòng  ",
        "unit_opinion": "Thống nhất với kết quả kiểm tra.",
    }
    for area in plan.areas.all():
        data[f"checked_{area.pk}"] = "on"
        data[f"result_{area.pk}"] = f"Đã kiểm tra hồ sơ {area.code}"
    data.update(extra)
    return data


def _finding_data(**extra):
    data = {"f-kind": "shortcoming", "f-text": "Chưa lập hồ sơ công việc đầy đủ", "f-cause": "Chưa quan tâm", "f-area": "", "f-criterion_code": ""}
    data.update(extra)
    return data


def test_who_reads_a_visit(login, cast, visit_a, visit_b):
    url_a = reverse("inspections:visit", args=[visit_a.pk])
    url_b = reverse("inspections:visit", args=[visit_b.pk])
    assert login(cast["admin"]).get(url_a).status_code == 200
    assert login(cast["admin"]).get(url_b).status_code == 200
    inspector = login(cast["inspector"])
    assert inspector.get(url_a).status_code == 200
    assert inspector.get(url_b).status_code == 404  # not his delegation
    assert login(cast["staff_a"]).get(url_a).status_code == 200
    assert login(cast["head_a"]).get(url_a).status_code == 200
    assert login(cast["staff_a"]).get(url_b).status_code == 404
    assert login(cast["staff_b"]).get(url_a).status_code == 404
    assert login(cast["staff_x"]).get(url_a).status_code == 404
    assert login(cast["appraiser"]).get(url_a).status_code == 404
    assert login(cast["viewer"]).get(url_a).status_code == 404


def test_changes_need_the_delegation(login, cast, plan, visit_a, visit_b):
    record = reverse("inspections:visit_record", args=[visit_a.pk])
    add = reverse("inspections:finding_add", args=[visit_a.pk])
    for who in ("staff_a", "head_a"):
        client = login(cast[who])
        assert client.post(record, _record_data(plan)).status_code == 403
        assert client.post(add, _finding_data()).status_code == 403
        assert client.get(reverse("inspections:checklist_download", args=[visit_a.pk])).status_code == 403
        assert client.get(reverse("inspections:checklist_upload", args=[visit_a.pk])).status_code == 403
    for who in ("staff_b", "appraiser", "viewer"):
        client = login(cast[who])
        assert client.post(record, _record_data(plan)).status_code == 404
        assert client.post(add, _finding_data()).status_code == 404
    inspector = login(cast["inspector"])
    assert inspector.post(reverse("inspections:visit_record", args=[visit_b.pk]), _record_data(plan)).status_code == 404
    assert inspector.post(reverse("inspections:finding_add", args=[visit_b.pk]), _finding_data()).status_code == 404
    assert not Finding.objects.exists()
    visit_a.refresh_from_db()
    assert visit_a.status == Visit.Status.PLANNED


def test_the_delegation_records_the_visit_with_findings_and_a_photo(login, cast, plan, visit_a, so_set):
    client = login(cast["inspector"])
    page = client.get(reverse("inspections:visit", args=[visit_a.pk])).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert "Ban hành kế hoạch CCHC năm" in page  # domain 1's criteria as a reminder
    response = client.post(reverse("inspections:visit_record", args=[visit_a.pk]), _record_data(plan))
    assert response.status_code == 302
    visit_a.refresh_from_db()
    assert visit_a.status == Visit.Status.DONE
    assert visit_a.place == "Hội trường Sở Giáo dục và Đào tạo"
    assert visit_a.unit_attendees == "Phạm Quốc Hiệu – Phó Giám đốc\nLê Văn Ba – Chánh Văn phòng"
    assert timezone.localtime(visit_a.started_at).strftime("%d/%m/%Y %H:%M") == "13/10/2026 14:00"
    assert timezone.localtime(visit_a.ended_at).strftime("%H:%M") == "16:30"
    assert sorted(visit_a.checks.values_list("area__code", "checked")) == [("1", True), ("2", True), ("VTLT", True)]

    area = plan.areas.get(code="2")
    photo = png_bytes()
    response = client.post(
        reverse("inspections:finding_add", args=[visit_a.pk]),
        _finding_data(**{
            "f-area": area.pk, "f-criterion_code": "2.1",
            "f-photos": SimpleUploadedFile("anh.png", photo, content_type="image/png"),
            "f-files": SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf"),
        }),
    )
    assert response.status_code == 302, response.content.decode()
    client.post(reverse("inspections:finding_add", args=[visit_a.pk]), _finding_data(**{"f-kind": "strength", "f-text": "Thực hiện tốt cơ chế một cửa", "f-cause": "bỏ"}))
    shortcoming = Finding.objects.get(kind="shortcoming")
    strength = Finding.objects.get(kind="strength")
    assert (shortcoming.area, shortcoming.criterion_code, shortcoming.created_by) == (area, "2.1", cast["inspector"])
    assert strength.cause == ""  # causes belong to shortcomings
    attachment = shortcoming.attachments.get(content_type="image/png")
    assert attachment.sha256 == hashlib.sha256(photo).hexdigest() and attachment.size == len(photo)
    assert shortcoming.attachments.count() == 2

    # The photo is served inline to readers of the visit, and to nobody else.
    url = reverse("inspections:finding_attachment", args=[attachment.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "inline" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == photo
    assert login(cast["staff_a"]).get(url).status_code == 200
    for who in ("staff_b", "appraiser", "viewer"):
        assert login(cast[who]).get(url).status_code == 404, who

    # The unit reads its findings, without the recording forms.
    page = login(cast["staff_a"]).get(reverse("inspections:visit", args=[visit_a.pk])).content.decode()
    assert "Chưa lập hồ sơ công việc đầy đủ" in page and "Thực hiện tốt cơ chế một cửa" in page
    assert "Thống nhất với kết quả kiểm tra." in page
    assert 'name="f-text"' not in page and "Lưu biên bản" not in page
    assert login(cast["staff_a"]).post(reverse("inspections:finding_delete", args=[shortcoming.pk])).status_code == 403
    assert login(cast["staff_b"]).post(reverse("inspections:finding_delete", args=[shortcoming.pk])).status_code == 404


def test_a_faked_photo_is_refused_and_nothing_is_saved(login, cast, visit_a):
    client = login(cast["inspector"])
    response = client.post(
        reverse("inspections:finding_add", args=[visit_a.pk]),
        _finding_data(**{"f-text": "Văn bản lưu chưa đúng quy định", "f-photos": SimpleUploadedFile("anh.jpg", b"just some text, not a photo")}),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "không khớp với phần mở rộng" in page
    assert "Văn bản lưu chưa đúng quy định" in page  # what was typed is still there
    assert not Finding.objects.exists() and not FindingAttachment.objects.exists()


def test_a_finding_without_text_keeps_what_was_typed(login, cast, plan, visit_a):
    area = plan.areas.get(code="VTLT")
    response = login(cast["inspector"]).post(
        reverse("inspections:finding_add", args=[visit_a.pk]),
        _finding_data(**{"f-text": "   ", "f-cause": "Thiếu cán bộ văn thư", "f-area": area.pk}),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cần nhập nội dung kết quả kiểm tra." in page
    assert "Thiếu cán bộ văn thư" in page
    assert f'<option value="{area.pk}" selected>' in page
    assert not Finding.objects.exists()


def test_unknown_criterion_code_is_refused(login, cast, visit_a, so_set):
    response = login(cast["inspector"]).post(
        reverse("inspections:finding_add", args=[visit_a.pk]), _finding_data(**{"f-criterion_code": "9.9.9"})
    )
    assert response.status_code == 200
    assert "Mã tiêu chí “9.9.9” không có trong bộ tiêu chí năm 2026" in response.content.decode()
    assert not Finding.objects.exists()
    # Typed in lower case on a phone: the set's code is stored.
    login(cast["inspector"]).post(reverse("inspections:finding_add", args=[visit_a.pk]), _finding_data(**{"f-criterion_code": "b.1"}))
    assert Finding.objects.get().criterion_code == "B.1"


def test_record_errors_keep_what_was_typed(login, cast, plan, visit_a):
    response = login(cast["inspector"]).post(
        reverse("inspections:visit_record", args=[visit_a.pk]), _record_data(plan, start_time="16:00", end_time="15:00")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Giờ kết thúc phải sau giờ bắt đầu." in page
    assert "Đã kiểm tra hồ sơ VTLT" in page and "Thống nhất với kết quả kiểm tra." in page
    visit_a.refresh_from_db()
    assert visit_a.status == Visit.Status.PLANNED and not visit_a.checks.exists()


def test_edit_and_delete_a_finding_until_the_conclusion(login, cast, visit_a):
    finding = Finding.objects.create(visit=visit_a, kind="shortcoming", text="Cũ", created_by=cast["admin"])
    client = login(cast["inspector"])
    edit = reverse("inspections:finding_edit", args=[finding.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, _finding_data(**{"f-text": ""}))
    assert response.status_code == 200 and "Cần nhập nội dung kết quả kiểm tra." in response.content.decode()
    response = client.post(edit, _finding_data(**{"f-text": "Mới"}))
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.text == "Mới"

    Visit.objects.filter(pk=visit_a.pk).update(status=Visit.Status.CONCLUDED)
    assert client.get(edit).status_code == 403
    assert client.post(edit, _finding_data(**{"f-text": "Sau kết luận"})).status_code == 403
    assert client.post(reverse("inspections:finding_delete", args=[finding.pk])).status_code == 403
    assert client.post(reverse("inspections:finding_add", args=[visit_a.pk]), _finding_data()).status_code == 403
    assert login(cast["admin"]).post(reverse("inspections:visit_record", args=[visit_a.pk]), {}).status_code == 403
    page = client.get(reverse("inspections:visit", args=[visit_a.pk])).content.decode()
    assert "Đã có thông báo kết luận" in page and 'name="f-text"' not in page
    finding.refresh_from_db()
    assert finding.text == "Mới"

    Visit.objects.filter(pk=visit_a.pk).update(status=Visit.Status.DONE)
    assert client.post(reverse("inspections:finding_delete", args=[finding.pk])).status_code == 302
    assert not Finding.objects.exists()


@pytest.mark.parametrize("who", ["staff_b", "appraiser"])
def test_other_units_cannot_reach_attachments_or_edit_pages(login, cast, visit_a, who):
    finding = Finding.objects.create(visit=visit_a, kind="strength", text="Tốt")
    client = login(cast[who])
    assert client.get(reverse("inspections:finding_edit", args=[finding.pk])).status_code == 404
    assert client.get(reverse("inspections:checklist_download", args=[visit_a.pk])).status_code == 404
