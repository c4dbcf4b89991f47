"""Units import/export: codes, aliases, new groups, validation with nothing saved, and access."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Unit, UnitGroup
from accounts.services import units_import
from tests.xlsx import xlsx_bytes

pytestmark = pytest.mark.django_db
VI = ["Mã đơn vị", "Tên đơn vị", "Nhóm", "Mã đơn vị cấp trên"]
EN = ["code", "name", "group", "parent_code"]


def _state():
    return sorted(Unit.objects.values_list("code", "name", "group__code", "parent__code"))


def test_it_creates_units_groups_and_parents_in_any_order(groups):
    rows = [["THPT_A", "Trường THPT A", "THPT", "SGDDT"], ["SGDDT", "Sở Giáo dục và Đào tạo", "SO", ""], ["MN_1", "Trường Mầm non 1", "MN", "SGDDT"]]
    outcome = units_import(source=xlsx_bytes(VI, rows))
    assert outcome.ok, outcome.errors
    assert sorted(outcome.created) == ["MN_1", "SGDDT", "THPT_A"]
    assert outcome.new_groups == ["MN"]
    assert UnitGroup.objects.get(code="MN").name == "MN"  # named by its code until renamed
    assert Unit.objects.get(code="THPT_A").parent.code == "SGDDT"


def test_english_headers_and_updates(units):
    outcome = units_import(source=xlsx_bytes(EN, [["STP", "Sở Tư pháp tỉnh", "SO", ""], ["SNV", "Sở Nội vụ", "SO", ""]]))
    assert outcome.ok and outcome.updated == ["STP"] and outcome.unchanged == ["SNV"]
    assert Unit.objects.get(code="STP").name == "Sở Tư pháp tỉnh"


def test_unit_search_ignores_accents_and_case(login, cast, units):
    html = login(cast["admin"]).get(reverse("unit_list"), {"q": "so tu phap"}).content.decode()
    assert "Sở Tư pháp" in html and "Sở Giáo dục" not in html


BAD = [
    ("missing header", ["Mã đơn vị", "Tên đơn vị"], [["A", "B"]], 1, "Nhóm"),
    ("duplicate code", VI, [["A1", "Một", "SO", ""], ["a1", "Hai", "SO", ""]], 3, "Mã đơn vị"),
    ("missing name", VI, [["A1", "", "SO", ""]], 2, "Tên đơn vị"),
    ("missing group", VI, [["A1", "Một", "", ""]], 2, "Nhóm"),
    ("unknown parent", VI, [["A1", "Một", "SO", "KHONGCO"]], 2, "Mã đơn vị cấp trên"),
    ("own parent", VI, [["A1", "Một", "SO", "A1"]], 2, "Mã đơn vị cấp trên"),
    ("cycle", VI, [["A1", "Một", "SO", "A2"], ["A2", "Hai", "SO", "A1"]], 2, "Mã đơn vị cấp trên"),
    ("bad code", VI, [["Sở 1", "Một", "SO", ""]], 2, "Mã đơn vị"),
    ("code too long", VI, [["A" * 31, "Một", "SO", ""]], 2, "Mã đơn vị"),
    ("name too long", VI, [["A1", "Ủy ban " * 40, "SO", ""]], 2, "Tên đơn vị"),
    ("group too long", VI, [["A1", "Một", "G" * 21, ""]], 2, "Nhóm"),
    ("loop above", VI, [["A1", "Một", "SO", "A2"], ["A2", "Hai", "SO", "A3"], ["A3", "Ba", "SO", "A2"]], 2, "Mã đơn vị cấp trên"),
]


@pytest.mark.parametrize("case,headers,rows,line,column", BAD, ids=[b[0] for b in BAD])
def test_bad_rows_fail_with_line_and_column_and_save_nothing(units, case, headers, rows, line, column):
    rows = [*rows, ["NEW_OK", "Đơn vị hợp lệ", "SO", ""]] if headers == VI else rows
    before = (_state(), UnitGroup.objects.count())
    outcome = units_import(source=xlsx_bytes(headers, rows))
    assert not outcome.ok
    assert any(e.line == line and e.column == column for e in outcome.errors), [str(e) for e in outcome.errors]
    assert (_state(), UnitGroup.objects.count()) == before


def test_a_loop_through_the_units_already_stored_is_refused(units):
    # THPT_CVA is under SGDDT in the system; the file puts SGDDT under it.
    outcome = units_import(source=xlsx_bytes(VI, [["SGDDT", "Sở Giáo dục và Đào tạo", "SO", "THPT_CVA"]]))
    assert [(e.line, e.message) for e in outcome.errors] == [(2, "Quan hệ cấp trên tạo thành vòng lặp.")]


def test_it_updates_names_groups_and_parents_of_stored_units(units):
    rows = [
        ["sgddt", "Sở Giáo dục", "SO", ""],  # renamed; codes match whatever their case
        ["THPT_CVA", "Trường THPT Chu Văn An", "THPT", "P_TANLAP"],  # moved under another unit
        ["P_TANLAP", "UBND phường Tân Lập", "XA", "PHUONG_MOI"],  # under a unit the file creates
        ["PHUONG_MOI", "UBND phường Mới", "XA", ""],
        ["STP", "Sở Tư pháp", "NHOM_MOI", ""],  # to a new group
    ]
    outcome = units_import(source=xlsx_bytes(VI, rows))
    assert outcome.ok, outcome.errors
    assert outcome.created == ["PHUONG_MOI"] and outcome.new_groups == ["NHOM_MOI"]
    assert outcome.updated == ["sgddt", "STP", "THPT_CVA", "P_TANLAP"]  # name or group changes first, then moves
    assert set(_state()) >= {
        ("SGDDT", "Sở Giáo dục", "SO", None),
        ("THPT_CVA", "Trường THPT Chu Văn An", "THPT", "P_TANLAP"),
        ("P_TANLAP", "UBND phường Tân Lập", "XA", "PHUONG_MOI"),
        ("STP", "Sở Tư pháp", "NHOM_MOI", None),
    }
    # Written in bulk, the accent-free search column is kept as save() keeps it.
    for unit in Unit.objects.all():
        stored = unit.search_name
        unit.set_search_name()
        assert stored == unit.search_name
    assert Unit.objects.get(search_name__contains="phuong moi").code == "PHUONG_MOI"


def test_the_import_reads_and_writes_in_batches_not_per_row(units, django_assert_max_num_queries):
    """A national list has about 10,000 units: the queries grow with the levels of the hierarchy
    the file adds (each inserted once its parents have ids) and the batches, not with each row."""

    def rows(n):
        parents = [[f"XA{i:04d}", f"UBND xã {i}", "XA", ""] for i in range(n)]
        schools = [[f"TH{i:04d}", f"Trường {i}", "TH", f"XA{i:04d}"] for i in range(n)]
        renamed = [["STP", f"Sở Tư pháp ({n})", "SO", ""], ["THPT_CVA", "Trường THPT Chu Văn An", "THPT", f"XA{n - 1:04d}"]]
        return schools + parents + renamed

    with django_assert_max_num_queries(12):
        small = units_import(source=xlsx_bytes(VI, rows(5)))
    Unit.objects.filter(parent__code__startswith="XA").exclude(code="THPT_CVA").delete()
    Unit.objects.filter(code="THPT_CVA").update(parent=None)
    Unit.objects.filter(code__startswith="XA").delete()
    with django_assert_max_num_queries(12):
        large = units_import(source=xlsx_bytes(VI, rows(300)))
    assert (len(small.created), len(large.created)) == (10, 600) and large.updated == ["STP", "THPT_CVA"]
    assert Unit.objects.get(code="TH0299").parent.code == "XA0299"


def test_not_an_xlsx(units):
    outcome = units_import(source=b"hello")
    assert not outcome.ok and ".xlsx" in outcome.errors[0].message


def test_export_reimports_unchanged(login, cast, units):
    response = login(cast["admin"]).get(reverse("unit_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == VI
    before = _state()
    outcome = units_import(source=response.content)
    assert outcome.ok and not outcome.created and not outcome.updated
    assert _state() == before


@pytest.mark.parametrize("who", ["staff_a", "head_a", "staff_b"])
def test_unit_users_cannot_list_or_export_units(login, cast, who):
    client = login(cast[who])
    assert client.get(reverse("unit_list")).status_code == 403
    assert client.get(reverse("unit_export")).status_code == 403


def test_appraiser_sees_only_units_of_their_groups(login, cast, units):
    html = login(cast["appraiser"]).get(reverse("unit_list")).content.decode()
    assert "Sở Tư pháp" in html and "UBND phường Tân Lập" not in html
    response = login(cast["appraiser"]).get(reverse("unit_export"))
    codes = [r[0] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)]
    assert "P_TANLAP" not in codes and "STP" in codes


@pytest.mark.parametrize("who", ["appraiser", "viewer", "staff_a"])
def test_only_home_affairs_imports_units(login, cast, who):
    client = login(cast[who])
    assert client.get(reverse("unit_import")).status_code == 403
    assert client.post(reverse("unit_import_confirm"), {"token": "x"}).status_code == 403


def test_web_import_previews_then_confirms(login, cast, units):
    client = login(cast["admin"])
    upload = SimpleUploadedFile("dv.xlsx", xlsx_bytes(VI, [["X_MOI", "UBND xã Mới", "XA", ""]]))
    preview = client.post(reverse("unit_import"), {"file": upload})
    assert "X_MOI" in preview.content.decode() and not Unit.objects.filter(code="X_MOI").exists()
    client.post(reverse("unit_import_confirm"), {"token": preview.context["token"]})
    assert Unit.objects.filter(code="X_MOI", group__code="XA").exists()


def test_web_import_shows_row_errors(login, cast, units):
    upload = SimpleUploadedFile("dv.xlsx", xlsx_bytes(VI, [["X_MOI", "", "XA", ""]]))
    html = login(cast["admin"]).post(reverse("unit_import"), {"file": upload}).content.decode()
    assert "Thiếu tên đơn vị" in html and not Unit.objects.filter(code="X_MOI").exists()
