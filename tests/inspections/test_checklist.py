"""The offline checklist: download, fill in Excel, upload with a preview, confirm."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from inspections.checklist import HEADERS, INFO_TITLE
from inspections.models import Finding, Visit

EXPECTED_HEADERS = ["Mã nội dung", "Nội dung kiểm tra", "Đã kiểm tra", "Kết quả kiểm tra", "Loại", "Nội dung kết quả", "Mã tiêu chí", "Nguyên nhân"]


def _download(client, visit):
    response = client.get(reverse("inspections:checklist_download", args=[visit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def _upload(client, visit, data: bytes, name="kiem-tra.xlsx"):
    upload = SimpleUploadedFile(name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return client.post(reverse("inspections:checklist_upload", args=[visit.pk]), {"file": upload})


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _seed(visit_a, plan, cast):
    area = plan.areas.get(code="VTLT")
    visit_a.checks.create(area=area, checked=True, result="Lập hồ sơ đầy đủ.\nKho lưu trữ đạt chuẩn.")
    Finding.objects.create(visit=visit_a, kind="strength", text="Thực hiện tốt cơ chế một cửa", position=1)
    Finding.objects.create(
        visit=visit_a, kind="shortcoming", text="Chưa lập hồ sơ công việc", cause="Chưa quan tâm", area=area, criterion_code="2.2", position=1
    )


def test_layout_of_the_workbook(login, cast, plan, visit_a, so_set):
    _seed(visit_a, plan, cast)
    workbook = load_workbook(io.BytesIO(_download(login(cast["inspector"]), visit_a)))
    assert HEADERS == EXPECTED_HEADERS
    rows = _rows(workbook.worksheets[0])
    assert rows[0] == EXPECTED_HEADERS
    assert rows[1][:4] == ["1", "Công tác chỉ đạo, điều hành CCHC", None, None]
    assert rows[3][:5] == ["VTLT", "Công tác văn thư, lưu trữ", "x", "Lập hồ sơ đầy đủ.\nKho lưu trữ đạt chuẩn.", None]
    assert rows[4][4:] == ["Ưu điểm", "Thực hiện tốt cơ chế một cửa", None, None]
    assert rows[5] == ["VTLT", "Công tác văn thư, lưu trữ", None, None, "Tồn tại, hạn chế", "Chưa lập hồ sơ công việc", "2.2", "Chưa quan tâm"]
    info = {r[0]: r[1] for r in _rows(workbook[INFO_TITLE]) if r and r[0]}
    assert info["Mã cuộc kiểm tra"] == visit_a.pk and info["Mã đơn vị"] == "SGDDT"


def test_unchanged_upload_gives_no_changes(login, cast, plan, visit_a, so_set):
    _seed(visit_a, plan, cast)
    client = login(cast["inspector"])
    response = _upload(client, visit_a, _download(client, visit_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tệp không làm thay đổi gì" in page, page
    assert response.context["outcome"].unchanged == 5
    assert response.context["token"] == ""


def test_round_trip_preview_then_confirm(login, cast, plan, visit_a, so_set):
    _seed(visit_a, plan, cast)
    client = login(cast["inspector"])
    workbook = load_workbook(io.BytesIO(_download(client, visit_a)))
    sheet = workbook.worksheets[0]
    sheet["C2"] = "có"
    sheet["D2"] = "Có kế hoạch CCHC năm, ban hành đúng hạn"
    sheet["C3"] = "Yes"
    sheet["F6"] = "Chưa lập hồ sơ công việc theo quy định"  # the shortcoming's text edited
    sheet.append(["1", "", "", "", "Tồn tại, hạn chế", "Chưa kiểm tra nội bộ về CCHC", "1.2.1", "Thiếu nhân lực"])
    sheet.append(["", "", "", "", "ưu điểm", "Ứng dụng tốt phần mềm quản lý văn bản", "", ""])
    response = _upload(client, visit_a, _save(workbook))
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.ok, outcome.errors
    changed = {(c.line, c.field, c.new) for c in outcome.changes}
    assert (2, "Đã kiểm tra", "Có") in changed
    assert (2, "Kết quả kiểm tra", "Có kế hoạch CCHC năm, ban hành đúng hạn") in changed
    assert (3, "Đã kiểm tra", "Có") in changed
    assert (6, "Nội dung", "Chưa lập hồ sơ công việc theo quy định") in changed
    assert (7, "Nội dung", "Chưa kiểm tra nội bộ về CCHC") in changed
    assert (8, "Nội dung", "Ứng dụng tốt phần mềm quản lý văn bản") in changed
    page = response.content.decode()
    assert "Chưa có gì được lưu" in page and "Xác nhận lưu" in page
    # Nothing saved by the preview.
    assert Finding.objects.count() == 2 and visit_a.checks.count() == 1

    response = client.post(reverse("inspections:checklist_confirm", args=[visit_a.pk]), {"token": response.context["token"]})
    assert response.status_code == 302
    checks = {c.area.code: (c.checked, c.result) for c in visit_a.checks.select_related("area")}
    assert checks["1"] == (True, "Có kế hoạch CCHC năm, ban hành đúng hạn")
    assert checks["2"] == (True, "")
    assert checks["VTLT"] == (True, "Lập hồ sơ đầy đủ.\nKho lưu trữ đạt chuẩn.")
    assert Finding.objects.count() == 4
    edited = Finding.objects.get(criterion_code="2.2")
    assert edited.text == "Chưa lập hồ sơ công việc theo quy định" and edited.cause == "Chưa quan tâm"
    new = Finding.objects.get(criterion_code="1.2.1")
    assert (new.kind, new.area.code, new.cause, new.created_by) == ("shortcoming", "1", "Thiếu nhân lực", cast["inspector"])
    assert Finding.objects.filter(kind="strength").count() == 2
    visit_a.refresh_from_db()
    assert visit_a.status == Visit.Status.DONE
    # The same file again: no changes (nothing doubled).
    response = _upload(client, visit_a, _download(client, visit_a))
    assert "Tệp không làm thay đổi gì" in response.content.decode()


def test_row_errors_and_nothing_saved(login, cast, plan, visit_a, so_set):
    client = login(cast["inspector"])
    workbook = load_workbook(io.BytesIO(_download(client, visit_a)))
    sheet = workbook.worksheets[0]
    sheet["C2"] = "có lẽ"
    sheet["D3"] = "Đã kiểm tra một phần"
    sheet.append(["", "", "", "", "Tồn tại, hạn chế", "", "", "Thiếu cán bộ"])
    sheet.append(["", "", "", "", "Tồn tại, hạn chế", "Chưa niêm yết TTHC", "9.9", ""])
    sheet.append(["ZZ", "", "", "", "Ưu điểm", "Tốt", "", ""])
    sheet.append(["", "", "", "", "Khác", "Không rõ loại", "", ""])
    response = _upload(client, visit_a, _save(workbook))
    outcome = response.context["outcome"]
    messages = {(e.line, e.column): e.message for e in outcome.errors}
    assert "không hợp lệ" in messages[(2, "Đã kiểm tra")]
    assert messages[(5, "Nội dung kết quả")] == "Cần nhập nội dung kết quả kiểm tra."
    assert "Mã tiêu chí “9.9” không có trong bộ tiêu chí" in messages[(6, "Mã tiêu chí")]
    assert "không có nội dung kiểm tra mã “ZZ”" in messages[(7, "Mã nội dung")]
    assert "Loại “Khác” không hợp lệ" in messages[(8, "Loại")]
    assert response.context["token"] == ""
    page = response.content.decode()
    assert "chưa có gì được lưu" in page
    assert not Finding.objects.exists() and not visit_a.checks.exists()


def test_a_workbook_of_another_visit_is_refused(login, cast, plan, visit_a, visit_b):
    admin = login(cast["admin"])
    workbook = load_workbook(io.BytesIO(_download(admin, visit_b)))
    workbook.worksheets[0]["C2"] = "x"
    workbook.worksheets[0].append(["", "", "", "", "Ưu điểm", "Tốt", "", ""])
    response = _upload(admin, visit_a, _save(workbook))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tệp này là danh sách kiểm tra của cuộc kiểm tra khác: đơn vị STP" in page
    assert response.context["token"] == ""
    assert not Finding.objects.exists() and not visit_a.checks.exists() and not visit_b.checks.exists()


def test_a_workbook_without_the_info_sheet_is_refused(login, cast, visit_a):
    workbook = Workbook()
    workbook.active.append(EXPECTED_HEADERS)
    workbook.active.append(["1", "", "x", "", "", "", "", ""])
    response = _upload(login(cast["admin"]), visit_a, _save(workbook))
    assert "thiếu trang “Thông tin”" in response.content.decode()
    assert not visit_a.checks.exists()


def test_confirm_needs_the_delegation_and_an_open_visit(login, cast, plan, visit_a):
    client = login(cast["inspector"])
    workbook = load_workbook(io.BytesIO(_download(client, visit_a)))
    workbook.worksheets[0]["C2"] = "x"
    response = _upload(client, visit_a, _save(workbook))
    token = response.context["token"]
    assert token
    Visit.objects.filter(pk=visit_a.pk).update(status=Visit.Status.CONCLUDED)
    assert client.post(reverse("inspections:checklist_confirm", args=[visit_a.pk]), {"token": token}).status_code == 403
    assert login(cast["staff_a"]).post(reverse("inspections:checklist_confirm", args=[visit_a.pk]), {"token": token}).status_code == 403
    assert not visit_a.checks.exists()
