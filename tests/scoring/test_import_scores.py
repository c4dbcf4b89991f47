"""import_scores and the survey import on the web: one layout, validated whole, written all-or-nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from scoring import engine
from scoring.excel import parse_scores, round_is_published, scores_import
from scoring.models import Assessment, LeafValue, Stage, ValueChange
from scoring.services import LeafEntry, values_save
from tests.xlsx import xlsx_bytes

HEADERS = ["Mã đơn vị", "Mã tiêu chí", "Điểm", "Lựa chọn", "Tử số", "Mẫu số", "Số lượng", "Không áp dụng", "Ghi chú"]
EN_HEADERS = ["unit_code", "criterion_code", "points", "option", "numerator", "denominator", "count", "not_applicable", "note"]


def r(unit, code, points=None, option=None, num=None, den=None, count=None, na=None, note=None):
    return [unit, code, points, option, num, den, count, na, note]


# The unit SGDDT's self-assessment, every method once; the figures are worked out by hand below.
SELF_ROWS = [
    r("SGDDT", "1.1.1", option="Ban hành không kịp thời", note="Ban hành ngày 20/01"),  # 0,5
    r("SGDDT", "1.1.2", num=11995, den=11999),  # 99,97 % ≥ 95 % → 1,75
    r("SGDDT", "1.2.1", na="x"),  # not applicable: maximum 11 instead of 12
    r("SGDDT", "1.2.2", points="1,25"),  # 1,25
    r("SGDDT", "2.1", num="2299", den="2412"),  # 95,315 % × 2 → 1,91
    r("SGDDT", "2.2", count=3),  # 3 × 0,5 → 1,5
    r("SGDDT", "2.3", count=1),  # 1 − 0,25 → 0,75
    r("SGDDT", "2.4", option="hoàn thành TỐT"),  # 75 % of 1 → 0,75
    r("SGDDT", "B.1", option="Giấy khen"),  # bonus 0,5
    r("SGDDT", "B.2", count=1),  # bonus 0,5 → bonus 1 (cap 1)
    r("SGDDT", "P.1", count=1),  # penalty 0,5
]
# score 0,5 + 1,75 + 1,25 + 1,91 + 1,5 + 0,75 + 0,75 = 8,41; + 1 − 0,5 = 8,91
SELF_TOTAL = Decimal("8.91")
SELF_MAX = Decimal("11")  # 6 + 8 − 1 (1.2.1 not applicable) − 2 (survey 2.5 left out)
FINAL_MAX = Decimal("13")  # the survey leaf counts after the appraisal


def write(tmp_path, rows, headers=HEADERS, name="ket-qua.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(headers, rows))
    return path


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_scores", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def value(assessment, code, stage):
    return LeafValue.objects.get(assessment=assessment, criterion__code=code, stage=stage)


# ---------------------------------------------------------------- errors, line and column

GOOD = r("SGDDT", "1.2.2", points=1)  # line 2 of every bad file: a valid row is not enough to save

BAD = [
    ("unknown unit", "self", [r("KHONGCO", "1.2.2", points=1)], 3, "Mã đơn vị", "Không có đơn vị mã “KHONGCO”"),
    ("missing unit", "self", [r(None, "1.2.2", points=1)], 3, "Mã đơn vị", "Thiếu mã đơn vị"),
    ("unit without assessment", "self", [r("P_TANLAP", "1.2.2", points=1)], 3, "Mã đơn vị", "không có phiếu đánh giá năm 2026"),
    ("unknown criterion", "self", [r("STP", "9.9", points=1)], 3, "Mã tiêu chí", "Không có tiêu chí mã “9.9” trong bộ tiêu chí SO-2026"),
    ("non-leaf criterion", "self", [r("STP", "1.1", points=1)], 3, "Mã tiêu chí", "có tiêu chí con"),
    ("survey leaf at self", "self", [r("STP", "2.5", points=80)], 3, "Mã tiêu chí", "chấm bằng điều tra xã hội học"),
    ("survey leaf at appraisal", "appraisal", [r("STP", "2.5", points=80)], 3, "Mã tiêu chí", "chấm bằng điều tra xã hội học"),
    ("above the maximum", "self", [r("STP", "1.2.2", points="1,75")], 3, "Điểm", "vượt quá điểm tối đa (1,5)"),
    ("too many decimals", "self", [r("STP", "1.2.2", points="1,255")], 3, "Điểm", "quá 2 chữ số thập phân"),
    ("negative points", "self", [r("STP", "1.2.2", points=-1)], 3, "Điểm", "Điểm không được âm"),
    ("numerator above denominator", "self", [r("STP", "1.1.2", num=12000, den=11999)], 3, "Tử số", "Tử số không được lớn hơn mẫu số"),
    ("numerator alone", "self", [r("STP", "2.1", num=5)], 3, "Mẫu số", "Cần nhập cả tử số và mẫu số"),
    ("zero denominator", "self", [r("STP", "2.1", num=0, den=0)], 3, "Mẫu số", "Mẫu số phải lớn hơn 0"),
    ("negative count", "self", [r("STP", "2.2", count=-1)], 3, "Số lượng", "Số lượng phải là số nguyên không âm"),
    ("fractional count", "self", [r("STP", "2.3", count="1,5")], 3, "Số lượng", "Số lượng phải là số nguyên không âm"),
    ("unknown option", "self", [r("STP", "1.1.1", option="Ban hành muộn")], 3, "Lựa chọn", "Lựa chọn không có trong quy tắc: Ban hành muộn"),
    ("not applicable not allowed", "self", [r("STP", "1.1.1", na="x")], 3, "Không áp dụng", "không được khai báo không áp dụng"),
    ("not applicable with a value", "self", [r("STP", "1.2.1", num=1, den=2, na="x")], 3, "Không áp dụng", "để trống các cột số liệu"),
    ("bad not applicable mark", "self", [r("STP", "1.2.1", na="có lẽ")], 3, "Không áp dụng", "chỉ nhận “x”"),
    ("column of another method", "self", [r("STP", "1.1.1", points=1)], 3, "Điểm", "chấm theo cách “lựa chọn”: để trống cột này"),
    ("non-numeric points", "self", [r("STP", "1.2.2", points="một")], 3, "Điểm", "“một” không phải là số"),
    ("non-numeric numerator", "self", [r("STP", "2.1", num="abc", den=10)], 3, "Tử số", "“abc” không phải là số"),
    ("non-numeric count", "self", [r("STP", "2.2", count="ba")], 3, "Số lượng", "“ba” không phải là số"),
    ("duplicate row", "self", [r("STP", "1.2.2", points=1), r("stp", "1.2.2", points="0,5")], 4, "Mã tiêu chí", "Trùng với dòng 3"),
    ("non-survey leaf at survey", "survey", [r("STP", "1.2.2", points=80)], 3, "Mã tiêu chí", "không chấm bằng điều tra xã hội học"),
    ("rate above 100", "survey", [r("STP", "2.5", points=120)], 3, "Điểm", "Tỷ lệ phải từ 0 đến 100"),
    ("negative rate", "survey", [r("STP", "2.5", points="-5")], 3, "Điểm", "Tỷ lệ phải từ 0 đến 100"),
    ("non-numeric rate", "survey", [r("STP", "2.5", points="cao")], 3, "Điểm", "“cao” không phải là số"),
]


@pytest.mark.parametrize(("stage", "rows", "line", "column", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_rows_are_reported_with_line_and_column(round_so, stage, rows, line, column, message):
    good = r("SGDDT", "2.5", points=50) if stage == "survey" else GOOD
    parsed, errors = parse_scores(xlsx_bytes(HEADERS, [good, *rows]), year=2026, stage=stage)
    assert parsed == []
    assert [(e.line, e.column) for e in errors] == [(line, column)], [str(e) for e in errors]
    assert message in errors[0].message


@pytest.mark.parametrize(("stage", "rows", "line", "column", "message"), [case[1:] for case in BAD[:3]], ids=[case[0] for case in BAD[:3]])
def test_the_command_prints_errors_and_saves_nothing(round_so, tmp_path, stage, rows, line, column, message):
    path = write(tmp_path, [GOOD, *rows])
    err = StringIO()
    with pytest.raises(CommandError, match="1 lỗi; không có gì được lưu."):
        call_command("import_scores", str(path), "--year", "2026", "--stage", stage, stdout=StringIO(), stderr=err)
    assert f"Dòng {line}, cột “{column}”: " in err.getvalue()
    assert message in err.getvalue()
    assert not LeafValue.objects.exists()


def test_missing_column_and_empty_file(round_so):
    _rows, errors = parse_scores(xlsx_bytes(["Mã đơn vị", "Điểm"], [["SGDDT", 1]]), year=2026, stage="self")
    assert [(e.line, e.column) for e in errors] == [(1, "Mã tiêu chí")]
    _rows, errors = parse_scores(xlsx_bytes(HEADERS, []), year=2026, stage="self")
    assert [(e.line, e.message) for e in errors] == [(2, "Tệp không có dòng dữ liệu nào.")]
    _rows, errors = parse_scores(b"not a workbook", year=2026, stage="self")
    assert errors[0].line == 1


def test_every_problem_of_a_file_is_reported_at_once(round_so):
    rows = [r("KHONGCO", "1.2.2"), r("STP", "1.2.2", points=9), r("STP", "2.2", count=-2)]
    _rows, errors = parse_scores(xlsx_bytes(HEADERS, rows), year=2026, stage="self")
    assert [(e.line, e.column) for e in errors] == [(2, "Mã đơn vị"), (3, "Điểm"), (4, "Số lượng")]


# ---------------------------------------------------------------- happy paths


def test_self_stage_writes_values_totals_and_history(assessment_a, tmp_path):
    path = write(tmp_path, SELF_ROWS, name="tu-cham-2026.xlsx")
    out, _err = run(path, "--year", "2026", "--stage", "self")
    assert "Đã lưu: thay đổi 11 giá trị (Tự chấm)." in out
    assert "Không đổi: 0 dòng." in out

    assert value(assessment_a, "1.1.2", Stage.SELF).score == Decimal("1.75")
    assert value(assessment_a, "1.1.2", Stage.SELF).numerator == Decimal("11995")
    assert value(assessment_a, "2.1", Stage.SELF).score == Decimal("1.91")
    assert value(assessment_a, "1.2.2", Stage.SELF).points == Decimal("1.25")
    assert value(assessment_a, "1.2.1", Stage.SELF).not_applicable is True
    assert value(assessment_a, "2.4", Stage.SELF).option == "Hoàn thành tốt"  # stored as the rule writes it
    assert value(assessment_a, "2.2", Stage.SELF).count == 3
    assert value(assessment_a, "1.1.1", Stage.SELF).note == "Ban hành ngày 20/01"

    assessment_a.refresh_from_db()
    assert assessment_a.self_total == SELF_TOTAL
    assert assessment_a.self_max == SELF_MAX
    assert assessment_a.self_index == Decimal("81.00")  # 8,91 / 11
    assert assessment_a.final_total == SELF_TOTAL  # nothing appraised yet: the self values stand
    assert assessment_a.final_max == FINAL_MAX
    assert assessment_a.final_index == Decimal("68.54")  # 8,91 / 13
    assert (assessment_a.leaves_done, assessment_a.leaves_todo) == (11, 0)

    history = ValueChange.objects.filter(assessment=assessment_a)
    assert history.count() == 14  # one per changed field: 11 leaves, + note of 1.1.1, + denominators of 1.1.2 and 2.1
    assert set(history.values_list("reason", flat=True)) == {"tu-cham-2026.xlsx"}
    assert set(history.values_list("stage", flat=True)) == {Stage.SELF}

    # The same file again changes nothing and writes no history.
    out, _err = run(path, "--year", "2026", "--stage", "self")
    assert "Không có giá trị nào thay đổi." in out and "Không đổi: 11 dòng." in out
    assert ValueChange.objects.count() == 14


def test_english_headers_and_dot_decimals(assessment_b, tmp_path):
    path = write(tmp_path, [r("STP", "1.2.2", points="0.5"), r("STP", "1.1.1", option="Ban hành kịp thời")], headers=EN_HEADERS)
    run(path, "--year", "2026", "--stage", "self")
    assessment_b.refresh_from_db()
    assert assessment_b.self_total == Decimal("1.50")
    assert value(assessment_b, "1.2.2", Stage.SELF).points == Decimal("0.50")


def test_appraisal_stage_writes_the_preliminary_appraisal(assessment_a, tmp_path):
    run(write(tmp_path, SELF_ROWS), "--year", "2026", "--stage", "self")
    path = write(tmp_path, [r("SGDDT", "1.2.2", points=1, note="Thiếu báo cáo quý IV")], name="tham-dinh.xlsx")
    out, _err = run(path, "--year", "2026", "--stage", "appraisal")
    assert "Đã lưu: thay đổi 1 giá trị (Thẩm định)." in out
    appraised = value(assessment_a, "1.2.2", Stage.APPRAISAL)
    assert appraised.points == Decimal("1.00") and appraised.score == Decimal("1.00")
    assessment_a.refresh_from_db()
    assert assessment_a.self_total == SELF_TOTAL  # the unit's own figure does not move
    assert assessment_a.final_total == Decimal("8.66")  # 8,91 − 0,25
    assert set(ValueChange.objects.filter(stage=Stage.APPRAISAL).values_list("reason", flat=True)) == {"tham-dinh.xlsx"}


@pytest.mark.parametrize("state", [Assessment.State.EXPLANATION, Assessment.State.EXPLAINED, Assessment.State.FINALIZED])
def test_appraisal_stage_after_the_preliminary_result_writes_the_final_appraisal(assessment_a, tmp_path, state):
    run(write(tmp_path, SELF_ROWS), "--year", "2026", "--stage", "self")
    Assessment.objects.filter(pk=assessment_a.pk).update(state=state)
    out, _err = run(write(tmp_path, [r("SGDDT", "2.2", count=1)]), "--year", "2026", "--stage", "appraisal")
    assert "(Thẩm định lại)" in out
    assert value(assessment_a, "2.2", Stage.FINAL).score == Decimal("0.50")
    assert not LeafValue.objects.filter(stage=Stage.APPRAISAL).exists()
    assessment_a.refresh_from_db()
    assert assessment_a.final_total == Decimal("7.91")  # 8,91 − (1,5 − 0,5)
    assert assessment_a.state == state  # any state before publication


def test_survey_stage_writes_rates(assessment_a, assessment_b, tmp_path):
    run(write(tmp_path, SELF_ROWS), "--year", "2026", "--stage", "self")
    path = write(tmp_path, [r("SGDDT", "2.5", points="80"), r("STP", "2.5", points="92,5")], name="sipas-2026.xlsx")
    out, _err = run(path, "--year", "2026", "--stage", "survey")
    assert "Đã lưu: thay đổi 2 giá trị (Điều tra xã hội học)." in out
    survey = value(assessment_a, "2.5", Stage.SURVEY)
    assert (survey.rate, survey.score) == (Decimal("80.00"), Decimal("1.60"))
    assert value(assessment_b, "2.5", Stage.SURVEY).score == Decimal("1.85")
    assessment_a.refresh_from_db()
    assert assessment_a.self_total == SELF_TOTAL  # the survey is not part of the self-assessment
    assert assessment_a.final_total == Decimal("10.51")  # 8,91 + 1,6
    assert assessment_a.final_index == Decimal("80.85")  # 10,51 / 13
    assert ValueChange.objects.filter(stage=Stage.SURVEY, reason="sipas-2026.xlsx").count() == 2


def test_blank_value_clears_and_missing_note_column_keeps_the_note(assessment_a, tmp_path):
    run(write(tmp_path, SELF_ROWS), "--year", "2026", "--stage", "self")
    headers = ["Mã đơn vị", "Mã tiêu chí", "Lựa chọn"]
    run(write(tmp_path, [["SGDDT", "1.1.1", "Ban hành kịp thời"]], headers=headers), "--year", "2026", "--stage", "self")
    kept = value(assessment_a, "1.1.1", Stage.SELF)
    assert (kept.option, kept.note) == ("Ban hành kịp thời", "Ban hành ngày 20/01")
    run(write(tmp_path, [r("SGDDT", "1.2.2")]), "--year", "2026", "--stage", "self")
    assert value(assessment_a, "1.2.2", Stage.SELF).points is None


def test_dry_run_writes_nothing_and_lists_the_changes(assessment_a, tmp_path):
    out, _err = run(write(tmp_path, SELF_ROWS), "--year", "2026", "--stage", "self", "--dry-run")
    assert "Chạy thử, không lưu: sẽ thay đổi 11 giá trị (Tự chấm)." in out
    assert "SGDDT 1.1.2 [Tự chấm] tử số: “” → “11995”" in out
    assert not LeafValue.objects.exists()
    assert not ValueChange.objects.exists()
    assessment_a.refresh_from_db()
    assert assessment_a.self_total == 0


def test_one_bad_row_saves_nothing_and_keeps_previous_values(assessment_a, tmp_path):
    run(write(tmp_path, SELF_ROWS), "--year", "2026", "--stage", "self")
    before = ValueChange.objects.count()
    rows = [r("SGDDT", "1.2.2", points="1,5"), r("STP", "1.2.2", points=1), r("SGDDT", "2.2", count=-1)]
    with pytest.raises(CommandError, match="1 lỗi"):
        run(write(tmp_path, rows), "--year", "2026", "--stage", "self")
    assert value(assessment_a, "1.2.2", Stage.SELF).points == Decimal("1.25")
    assert not LeafValue.objects.filter(assessment__unit__code="STP").exists()
    assert ValueChange.objects.count() == before
    assessment_a.refresh_from_db()
    assert assessment_a.self_total == SELF_TOTAL


def test_a_row_refused_when_writing_is_reported_and_nothing_is_saved(assessment_a, assessment_b, monkeypatch):
    """The write checks every input again under the lock; one refusal and no row of any unit is written."""
    from scoring import services

    original = services.values_save_many

    def changed_meanwhile(*, entries, **kwargs):
        stp = next(i for i, e in enumerate(entries) if e.assessment.unit.code == "STP")
        e = entries[stp]
        entries[stp] = services.BulkEntry(e.assessment, e.stage, e.criterion, engine.LeafInput(points=Decimal("9")), e.note)
        return original(entries=entries, **kwargs)

    monkeypatch.setattr(services, "values_save_many", changed_meanwhile)
    source = xlsx_bytes(HEADERS, [r("SGDDT", "1.2.2", points=1), r("STP", "1.2.2", points=1)])
    outcome = scores_import(source=source, year=2026, stage="self", filename="f.xlsx")
    assert [(e.line, e.column, e.message) for e in outcome.errors] == [(3, "Điểm", "Điểm vượt quá điểm tối đa (1,5).")]
    assert (outcome.changed, outcome.changes, outcome.unchanged) == ({}, [], 0)
    assert not LeafValue.objects.exists() and not ValueChange.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_while_writing_rolls_every_assessment_back(assessment_a, assessment_b, monkeypatch):
    from django.db import DatabaseError

    from scoring.services import bulk_values as services

    original = services.update_rows

    def failing(model, names, rows):
        if model is Assessment:  # the values and their history are written by now
            raise DatabaseError("giả lập")
        return original(model, names, rows)

    monkeypatch.setattr(services, "update_rows", failing)
    source = xlsx_bytes(HEADERS, [r("SGDDT", "1.2.2", points=1), r("STP", "1.2.2", points=1)])
    with pytest.raises(DatabaseError):
        scores_import(source=source, year=2026, stage="self", filename="f.xlsx")
    assert not LeafValue.objects.exists() and not ValueChange.objects.exists()


def test_a_published_round_is_refused(assessment_a, tmp_path):
    from scoring.ranking import round_publish

    round_publish(round_=assessment_a.round)
    err = StringIO()
    with pytest.raises(CommandError, match="1 lỗi; không có gì được lưu."):
        call_command("import_scores", str(write(tmp_path, [GOOD])), "--year", "2026", "--stage", "appraisal", stdout=StringIO(), stderr=err)
    assert "Dòng 2, cột “Mã đơn vị”" in err.getvalue() and "đã công bố" in err.getvalue()
    assert not LeafValue.objects.exists()


def test_round_is_published_follows_the_publications(round_so):
    from scoring.ranking import round_publish

    assert round_is_published(round_so) is False
    round_publish(round_=round_so)
    assert round_is_published(round_so) is True


def test_history_carries_the_user_when_given(assessment_a, tmp_path, cast):
    run(write(tmp_path, [GOOD]), "--year", "2026", "--stage", "self", "--user", cast["admin"].username)
    assert ValueChange.objects.get().changed_by == cast["admin"]
    with pytest.raises(CommandError, match="Không có người dùng"):
        run(write(tmp_path, [GOOD]), "--year", "2026", "--stage", "self", "--user", "khongco")


def test_missing_file(db):
    with pytest.raises(CommandError, match="Không tìm thấy tệp"):
        call_command("import_scores", "/khong/co.xlsx", "--year", "2026", "--stage", "self")


# ---------------------------------------------------------------- the survey import on the web

SURVEY_HEADERS = ["Mã đơn vị", "Mã tiêu chí", "Tỷ lệ"]


def _upload(client, url, content, name="dieu-tra.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def test_survey_web_import_preview_then_confirm(assessment_a, assessment_b, login, cast):
    client = login(cast["admin"])
    url = reverse("scoring:survey_import", args=[assessment_a.round_id])
    assert client.get(url).status_code == 200
    response = _upload(client, url, xlsx_bytes(SURVEY_HEADERS, [["SGDDT", "2.5", "80"], ["STP", "2.5", "92,5"]]))
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.ok and outcome.changed_total == 2
    assert not LeafValue.objects.exists()  # preview only
    token = response.context["token"]
    assert token
    response = client.post(reverse("scoring:survey_confirm", args=[assessment_a.round_id]), {"token": token})
    assert response.status_code == 302
    assert value(assessment_a, "2.5", Stage.SURVEY).score == Decimal("1.60")
    assert set(ValueChange.objects.values_list("reason", flat=True)) == {"dieu-tra.xlsx"}
    assert set(ValueChange.objects.values_list("changed_by", flat=True)) == {cast["admin"].pk}
    # The token is spent.
    response = client.post(reverse("scoring:survey_confirm", args=[assessment_a.round_id]), {"token": token})
    assert response.status_code == 302 and ValueChange.objects.count() == 2


def test_survey_web_import_accepts_points_header_and_reports_errors(assessment_a, login, cast):
    client = login(cast["admin"])
    url = reverse("scoring:survey_import", args=[assessment_a.round_id])
    response = _upload(client, url, xlsx_bytes(["unit_code", "criterion_code", "points"], [["SGDDT", "2.5", 150], ["SGDDT", "2.1", 50], ["P_TANLAP", "2.5", 50]]))
    errors = [(e.line, e.column) for e in response.context["outcome"].errors]
    assert errors == [(2, "points"), (3, "criterion_code"), (4, "unit_code")]
    assert response.context["token"] == ""
    assert "chưa có gì được lưu" in response.content.decode()


@pytest.mark.parametrize("who", ["appraiser", "viewer", "staff_a", "head_a", "inspector"])
def test_survey_web_import_is_for_home_affairs_only(round_so, login, cast, who):
    client = login(cast[who])
    url = reverse("scoring:survey_import", args=[round_so.pk])
    assert client.get(url).status_code == 403
    assert _upload(client, url, xlsx_bytes(SURVEY_HEADERS, [["SGDDT", "2.5", "80"]])).status_code == 403
    assert client.post(reverse("scoring:survey_confirm", args=[round_so.pk]), {"token": "x"}).status_code == 403
    assert not LeafValue.objects.exists()


def test_values_typed_on_the_page_show_as_old_values(assessment_a, so_set):
    criterion = so_set.criteria.get(code="1.2.2")
    values_save(assessment=assessment_a, stage=Stage.SELF, entries=[LeafEntry(criterion, engine.LeafInput(points=Decimal("1")))])
    outcome = scores_import(source=xlsx_bytes(HEADERS, [GOOD[:2] + ["1,5"]]), year=2026, stage="self", dry_run=True)
    assert [(c.criterion_code, c.field, c.old, c.new) for c in outcome.changes] == [("1.2.2", "points", "1", "1.50")]
    assert (outcome.changes[0].old_display, outcome.changes[0].new_display) == ("1", "1,5")
    assert value(assessment_a, "1.2.2", Stage.SELF).points == Decimal("1.00")


def test_a_file_changing_a_submitted_sheet_leaves_an_event_as_well_as_history(assessment_a, tmp_path, cast):
    from scoring.models import AssessmentEvent

    Assessment.objects.filter(pk=assessment_a.pk).update(state="submitted")
    run(write(tmp_path, [GOOD]), "--year", "2026", "--stage", "appraisal", "--user", cast["admin"].username)
    event = AssessmentEvent.objects.get(assessment=assessment_a, action="import")
    assert (event.from_state, event.to_state, event.actor) == ("submitted", "submitted", cast["admin"])
    assert ValueChange.objects.filter(assessment=assessment_a).exists()
