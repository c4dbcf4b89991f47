"""The unit's own Excel round trip: download, fill in, upload, preview, confirm."""

import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from scoring import engine
from scoring.excel import HELPER_HEADERS, SCORE_COLUMNS
from scoring.models import Assessment, LeafValue, Stage, ValueChange
from scoring.services import LeafEntry, values_save
from tests.xlsx import xlsx_bytes

LEAVES = ["1.1.1", "1.1.2", "1.2.1", "1.2.2", "2.1", "2.2", "2.3", "2.4", "B.1", "B.2", "P.1"]  # 2.5 is the survey's


def download(client, assessment):
    response = client.get(reverse("scoring:sheet_download", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def fill(workbook, values: dict[str, dict[str, object]]) -> bytes:
    """Type values into the downloaded sheet the way a person would, by header and criterion code."""
    sheet = workbook.worksheets[0]
    header = {cell.value: cell.column for cell in sheet[1]}
    for row in sheet.iter_rows(min_row=2):
        code = row[header["Mã tiêu chí"] - 1].value
        for name, typed in values.get(code, {}).items():
            sheet.cell(row=row[0].row, column=header[name], value=typed)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, assessment, content, name="phieu-sgddt.xlsx"):
    url = reverse("scoring:sheet_upload", args=[assessment.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def seed(assessment, so_set):
    criteria = {c.code: c for c in so_set.criteria.all()}
    values_save(
        assessment=assessment,
        stage=Stage.SELF,
        entries=[
            LeafEntry(criteria["1.1.1"], engine.LeafInput(option="Ban hành kịp thời"), "Kế hoạch số 12/KH"),
            LeafEntry(criteria["2.1"], engine.LeafInput(numerator=Decimal("2299"), denominator=Decimal("2412"))),
        ],
    )


def test_download_layout_and_prefilled_values(assessment_a, so_set, login, cast):
    seed(assessment_a, so_set)
    sheet = download(login(cast["staff_a"]), assessment_a).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c.label for c in SCORE_COLUMNS] + list(HELPER_HEADERS)
    assert [row[1] for row in rows[1:]] == LEAVES
    assert {row[0] for row in rows[1:]} == {"SGDDT"}
    by_code = {row[1]: row for row in rows[1:]}
    assert by_code["1.1.1"][3] == "Ban hành kịp thời" and by_code["1.1.1"][8] == "Kế hoạch số 12/KH"
    assert (by_code["2.1"][4], by_code["2.1"][5]) == (2299, 2412)
    assert by_code["1.2.2"][2] is None
    # Helper columns after the import columns: title, maximum, method, rule, evidence.
    assert by_code["1.1.2"][9] == "Mức độ thực hiện kế hoạch CCHC"
    assert by_code["1.1.2"][10] == 2.5
    assert "theo mức tỷ lệ" in by_code["1.1.2"][11]
    assert by_code["1.1.2"][12] == so_set.criteria.get(code="1.1.2").describe_rule()
    assert by_code["1.1.2"][13] == "Báo cáo CCHC năm"


@pytest.mark.parametrize(("who", "status"), [("staff_a", 200), ("head_a", 200), ("appraiser", 200), ("viewer", 200), ("admin", 200), ("staff_b", 404), ("staff_x", 404)])
def test_who_may_download(assessment_a, login, cast, who, status):
    assert login(cast[who]).get(reverse("scoring:sheet_download", args=[assessment_a.pk])).status_code == status


def test_download_fill_upload_preview_confirm(assessment_a, so_set, login, cast):
    seed(assessment_a, so_set)
    client = login(cast["staff_a"])
    content = fill(
        download(client, assessment_a),
        {
            "1.1.2": {"Tử số": 11995, "Mẫu số": 11999},
            "1.2.2": {"Điểm": "1,25", "Ghi chú": "Tự đánh giá theo báo cáo"},
            "1.2.1": {"Không áp dụng": "x"},
            "2.1": {"Ghi chú": "Số liệu Hệ thống một cửa"},
        },
    )
    response = upload(client, assessment_a, content)
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.ok
    seen = {(c.criterion_code, c.field, c.old, c.new) for c in outcome.changes}
    assert seen == {
        ("1.1.2", "numerator", "", "11995"),
        ("1.1.2", "denominator", "", "11999"),
        ("1.2.2", "points", "", "1.25"),
        ("1.2.2", "note", "", "Tự đánh giá theo báo cáo"),
        ("1.2.1", "not_applicable", "", "x"),
        ("2.1", "note", "", "Số liệu Hệ thống một cửa"),
    }
    page = response.content.decode()
    assert "Mức độ thực hiện kế hoạch CCHC" in page and "1,25" in page
    # Nothing saved by the preview.
    assert not LeafValue.objects.filter(assessment=assessment_a, criterion__code="1.1.2").exists()
    assessment_a.refresh_from_db()
    total_before = assessment_a.self_total
    assert total_before == Decimal("2.91")  # 1 + 1,91

    response = client.post(reverse("scoring:sheet_confirm", args=[assessment_a.pk]), {"token": response.context["token"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:assessment", args=[assessment_a.pk])
    saved = LeafValue.objects.get(assessment=assessment_a, criterion__code="1.1.2", stage=Stage.SELF)
    assert saved.score == Decimal("1.75")
    assessment_a.refresh_from_db()
    assert assessment_a.self_total == Decimal("5.91")  # 1 + 1,75 + 1,25 + 1,91
    assert assessment_a.self_max == Decimal("11")  # 1.2.1 not applicable
    reasons = set(ValueChange.objects.filter(assessment=assessment_a, changed_by=cast["staff_a"]).values_list("reason", flat=True))
    assert reasons == {"Tệp Excel phieu-sgddt.xlsx"}


def test_unchanged_sheet_offers_nothing_to_confirm(assessment_a, so_set, login, cast):
    seed(assessment_a, so_set)
    client = login(cast["staff_a"])
    response = upload(client, assessment_a, fill(download(client, assessment_a), {}))
    assert response.context["outcome"].ok and response.context["outcome"].changes == []
    assert response.context["token"] == ""
    assert "không làm thay đổi" in response.content.decode()


def test_downloaded_sheet_also_works_with_import_scores(assessment_a, login, cast, tmp_path):
    content = fill(download(login(cast["viewer"]), assessment_a), {"2.2": {"Số lượng": 2}, "B.1": {"Lựa chọn": "Bằng khen"}})
    path = tmp_path / "tu-cham.xlsx"
    path.write_bytes(content)
    call_command("import_scores", str(path), "--year", "2026", "--stage", "self", stdout=StringIO(), stderr=StringIO())
    assessment_a.refresh_from_db()
    assert assessment_a.self_total == Decimal("2.00")  # 2 × 0,5 + bonus 1


def test_errors_are_listed_and_nothing_is_saved(assessment_a, login, cast):
    client = login(cast["staff_a"])
    content = fill(download(client, assessment_a), {"1.2.2": {"Điểm": 3}, "2.2": {"Số lượng": -1}, "1.1.1": {"Lựa chọn": "Ban hành muộn"}})
    response = upload(client, assessment_a, content)
    errors = [(e.line, e.column) for e in response.context["outcome"].errors]
    assert errors == [(2, "Lựa chọn"), (5, "Điểm"), (7, "Số lượng")]
    assert response.context["token"] == ""
    assert "chưa có gì được lưu" in response.content.decode()
    assert not LeafValue.objects.exists()


def test_another_units_file_is_refused_row_by_row(assessment_a, assessment_b, login, cast):
    file_b = fill(download(login(cast["staff_b"]), assessment_b), {"1.2.2": {"Điểm": 1}})
    client = login(cast["staff_a"])
    response = upload(client, assessment_a, file_b)
    errors = response.context["outcome"].errors
    assert len(errors) == len(LEAVES)
    assert {(e.column, e.message.startswith("Tệp này là của đơn vị khác")) for e in errors} == {("Mã đơn vị", True)}
    assert [e.line for e in errors] == list(range(2, 2 + len(LEAVES)))
    assert not LeafValue.objects.exists()


def test_the_unit_column_may_be_left_empty(assessment_a, login, cast):
    content = xlsx_bytes(["Mã đơn vị", "Mã tiêu chí", "Điểm"], [[None, "1.2.2", "1,5"]])
    response = upload(login(cast["staff_a"]), assessment_a, content)
    assert response.context["outcome"].ok and response.context["outcome"].changed_total == 1


def test_staff_of_another_unit_gets_404(assessment_a, login, cast):
    client = login(cast["staff_b"])
    assert client.get(reverse("scoring:sheet_upload", args=[assessment_a.pk])).status_code == 404
    assert upload(client, assessment_a, xlsx_bytes(["Mã tiêu chí", "Điểm"], [["1.2.2", 1]])).status_code == 404
    assert client.post(reverse("scoring:sheet_confirm", args=[assessment_a.pk]), {"token": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["appraiser", "viewer"])
def test_readers_who_are_not_members_get_403(assessment_a, login, cast, who):
    assert login(cast[who]).get(reverse("scoring:sheet_upload", args=[assessment_a.pk])).status_code == 403


def test_upload_after_submission_is_forbidden(assessment_a, login, cast):
    client = login(cast["staff_a"])
    assert client.get(reverse("scoring:sheet_upload", args=[assessment_a.pk])).status_code == 200
    response = upload(client, assessment_a, xlsx_bytes(["Mã tiêu chí", "Điểm"], [["1.2.2", 1]]))
    token = response.context["token"]
    assert token
    Assessment.objects.filter(pk=assessment_a.pk).update(state=Assessment.State.SUBMITTED)
    assert client.get(reverse("scoring:sheet_upload", args=[assessment_a.pk])).status_code == 403
    assert upload(client, assessment_a, xlsx_bytes(["Mã tiêu chí", "Điểm"], [["1.2.2", 1]])).status_code == 403
    # A preview made before the submission cannot be confirmed after it.
    assert client.post(reverse("scoring:sheet_confirm", args=[assessment_a.pk]), {"token": token}).status_code == 403
    assert not LeafValue.objects.exists()


def test_confirm_needs_a_token_of_this_sheet(assessment_a, login, cast):
    client = login(cast["staff_a"])
    response = client.post(reverse("scoring:sheet_confirm", args=[assessment_a.pk]), {"token": "khongco"})
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:sheet_upload", args=[assessment_a.pk])
    assert client.get(reverse("scoring:sheet_confirm", args=[assessment_a.pk])).status_code == 405
