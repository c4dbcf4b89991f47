"""Ranking: figures, ties, bands and stages against hand-computed values; snapshots that never move;
who may see what; exports that agree with the page."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from accounts.models import Unit
from scoring import engine, ranking
from scoring.models import Stage
from scoring.services import LeafEntry, round_add_units, values_save

pytestmark = pytest.mark.django_db
LI = engine.LeafInput


def _enter(assessment, stage, values, note=""):
    criteria = {c.code: c for c in assessment.round.criteria_set.criteria.all()}
    result = values_save(assessment=assessment, stage=stage, entries=[LeafEntry(criteria[c], v, note=note) for c, v in values.items()])
    assert not result.errors, result.errors


@pytest.fixture
def scored(round_so, groups, units):
    Unit.objects.create(code="SXD", name="Sở Xây dựng", group=groups["SO"])
    round_add_units(round_=round_so)
    round_so.bands = "A>=50;B>=30;C"
    round_so.save()
    a = {x.unit.code: x for x in round_so.assessments.select_related("unit")}
    same = {"1.1.1": LI(option="Ban hành kịp thời"), "1.2.2": LI(points=Decimal("1.5")), "2.2": LI(count=4)}
    _enter(a["SGDDT"], Stage.SELF, same)
    _enter(a["STP"], Stage.SELF, same)
    _enter(a["SNV"], Stage.SELF, {"1.1.1": LI(option="Ban hành không kịp thời")})
    _enter(a["SXD"], Stage.SELF, {**same, "1.2.1": LI(not_applicable=True), "2.3": LI(count=0)})
    _enter(a["SGDDT"], Stage.APPRAISAL, {"2.2": LI(count=2)}, note="Chỉ 2 quy chế hợp lệ")
    _enter(a["SGDDT"], Stage.SURVEY, {"2.5": LI(rate=Decimal("50"))})
    _enter(a["STP"], Stage.SURVEY, {"2.5": LI(rate=Decimal("100"))})
    return round_so


FINAL_CSV = """rank,unit_code,unit_name,points,max_points,index,band
1,STP,Sở Tư pháp,6.50,14.00,46.43,B
2,SXD,Sở Xây dựng,5.50,13.00,42.31,B
3,SGDDT,Sở Giáo dục và Đào tạo,4.50,14.00,32.14,B
4,SNV,Sở Nội vụ,0.50,14.00,3.57,C
"""
SELF_CSV = """rank,unit_code,unit_name,points,max_points,index,band
1,SXD,Sở Xây dựng,5.50,11.00,50.00,A
2,SGDDT,Sở Giáo dục và Đào tạo,4.50,12.00,37.50,B
2,STP,Sở Tư pháp,4.50,12.00,37.50,B
4,SNV,Sở Nội vụ,0.50,12.00,4.17,C
"""


def _csv(stage, capsys, **extra):
    call_command("ranking", year=2026, group="SO", stage=stage, fmt="csv", **extra)
    return capsys.readouterr().out


def test_final_and_self_csv_match_the_rules(scored, capsys):
    assert _csv("final", capsys) == FINAL_CSV
    assert _csv("self", capsys) == SELF_CSV


def test_dense_ties(scored, capsys):
    scored.tie_rule = engine.TieRule.DENSE.value
    scored.save()
    assert _csv("self", capsys).splitlines()[-1].startswith("3,SNV,")


def test_a_published_snapshot_does_not_move(scored, capsys):
    publication = ranking.round_publish(round_=scored, decision_number="45/QĐ-UBND")
    a = scored.assessments.get(unit__code="SNV")
    _enter(a, Stage.SELF, {"1.1.1": LI(option="Ban hành kịp thời"), "2.2": LI(count=4)})
    assert _csv("final", capsys) == FINAL_CSV  # published: frozen
    assert ranking.compute(scored).for_unit(a.unit_id).total == Decimal("3")  # live figures did move
    second = ranking.round_publish(round_=scored)
    assert second.number == 2 and "3.00" in _csv("final", capsys)
    assert _csv("final", capsys, publication=1) == FINAL_CSV  # the old one stays readable
    assert publication.criteria_version == scored.criteria_set.version and publication.tie_rule == "competition"


def test_domain_sub_indexes_and_ranks(scored):
    result = ranking.compute(scored)
    stp = result.for_unit(Unit.objects.get(code="STP").pk)
    # Domain 2 final: 2.2 = 2 + survey 2 = 4 of 8 -> 50 %; domain 1: 1 + 1,5 = 2,5 of 6 -> 41,67 %
    assert (stp.domains["2"].points, stp.domains["2"].maximum, stp.domains["2"].index) == (Decimal("4"), Decimal("8"), Decimal("50.00"))
    assert stp.domains["1"].index == Decimal("41.67") and stp.domains["2"].rank == 1
    assert stp.domains["2"].self_index == Decimal("33.33")  # 2 of 6 without the survey


def test_json_and_table_formats(scored, capsys):
    import json

    call_command("ranking", year=2026, group="SO", fmt="json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["provisional"] is True and payload["units"][0]["unit_code"] == "STP" and payload["units"][0]["index"] == "46.43"
    call_command("ranking", year=2026, group="SO", fmt="table")
    table = capsys.readouterr().out
    assert "46,43" in table and "Sở Tư pháp" in table and "tạm tính" in table.lower()


def test_xlsx_export_agrees_with_the_page(scored, login, cast, tmp_path):
    response = login(cast["admin"]).get(reverse("scoring:ranking_xlsx", args=[scored.pk]))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Xếp hạng", "Chỉ số thành phần", "Ma trận điểm"]
    sheet = book["Xếp hạng"]
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert [(r[0], r[1], r[5], r[7], r[8]) for r in rows] == [
        (1, "STP", 6.5, 46.43, "B"), (2, "SXD", 5.5, 42.31, "B"), (3, "SGDDT", 4.5, 32.14, "B"), (4, "SNV", 0.5, 3.57, "C")
    ]
    matrix = book["Ma trận điểm"]
    header = [c for c in next(matrix.iter_rows(min_row=3, max_row=3, values_only=True))]
    col = header.index("2.2 (tối đa 2)")
    sgddt = next(r for r in matrix.iter_rows(min_row=5, values_only=True) if r[0] == "SGDDT")
    assert (sgddt[col], sgddt[col + 1]) == (2.0, 1.0)  # self 2, appraised 1
    page = login(cast["admin"]).get(reverse("scoring:ranking", args=[scored.pk])).content.decode()
    assert "46,43" in page and "32,14" in page


@pytest.mark.parametrize("in_memory_cells", [50_000, 0], ids=["in memory", "constant memory"])
def test_xlsx_keeps_numbers_formats_and_print_setup(scored, login, cast, monkeypatch, in_memory_cells):
    """Written in memory (a small group) or row by row (a large one), the workbook reads back the
    same: figures are numbers with two-decimal formats, headers bold on every sheet, merged and
    repeated on each printed page."""
    monkeypatch.setattr("scoring.exports.IN_MEMORY_CELLS", in_memory_cells)
    content = login(cast["admin"]).get(reverse("scoring:ranking_xlsx", args=[scored.pk])).content
    book = load_workbook(io.BytesIO(content))
    sheet = book["Xếp hạng"]
    assert sheet["A1"].value.startswith("KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026") and sheet["A1"].font.b
    assert "A1:I1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [c.value for c in sheet[3]] == [
        "Hạng", "Mã đơn vị", "Tên đơn vị", "Điểm tự chấm", "Chỉ số tự chấm (%)", "Điểm sau thẩm định", "Điểm tối đa", "Chỉ số (%)", "Xếp loại"
    ]
    assert all(c.font.b for c in sheet[3])
    first = sheet[4]
    assert isinstance(first[0].value, int) and first[1].value == "STP"
    for cell in first[3:8]:  # numbers, not text (a whole 14.0 reads back as the int 14)
        assert isinstance(cell.value, int | float) and cell.number_format == "0.00", cell
    assert first[0].border.left.style == "thin"
    assert sheet.freeze_panes == "D4" and sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage

    domains = book["Chỉ số thành phần"]
    header = [c.value for c in domains[3]]
    assert header[:2] == ["Mã đơn vị", "Tên đơn vị"] and header[3] == "Hạng"
    stp = next(r for r in domains.iter_rows(min_row=4) if r[0].value == "STP")
    assert isinstance(stp[2].value, float) and stp[2].number_format == "0.00" and isinstance(stp[3].value, int)

    matrix = book["Ma trận điểm"]
    merged = {str(r) for r in matrix.merged_cells.ranges}
    last, before_last = matrix.max_column, matrix.max_column - 1
    totals = {f"{get_column_letter(c)}3:{get_column_letter(c)}4" for c in (before_last, last)}
    assert {"A3:A4", "B3:B4", "C3:D3"} | totals <= merged
    assert [matrix.cell(3, c).value for c in (before_last, last)] == ["Tổng tự chấm", "Tổng sau thẩm định"]
    # The lower cells of the header's two-row ranges carry the header's format too (fill and borders
    # print on both rows); openpyxl reads merged-away cells without their style, so read the XML.
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet3.xml").decode()
    style = {ref: re.search(rf'<c r="{ref}" s="(\d+)"', sheet_xml) for ref in ("A3", "A4", "B4", f"{get_column_letter(last)}4")}
    assert all(style.values()) and len({m.group(1) for m in style.values()}) == 1, style
    assert [matrix["C4"].value, matrix["D4"].value] == ["Tự chấm", "Thẩm định"]
    assert matrix.print_title_rows == "$3:$4" and matrix.print_options.gridLines
    row = next(r for r in matrix.iter_rows(min_row=5, values_only=True) if r[0] == "STP")
    assert row[-2:] == (4.5, 6.5)  # totals self / final as numbers


READERS = ["admin", "viewer", "appraiser"]


@pytest.mark.parametrize("who", READERS)
def test_readers_see_the_provisional_ranking(scored, login, cast, who):
    client = login(cast[who])
    response = client.get(reverse("scoring:ranking", args=[scored.pk]))
    assert response.status_code == 200 and "Tạm tính" in response.content.decode()
    assert client.get(reverse("scoring:ranking_xlsx", args=[scored.pk])).status_code == 200
    assert client.get(reverse("scoring:unit_result", args=[scored.pk, "STP"])).status_code == 200


def test_a_unit_sees_only_its_own_result_before_publication(scored, login, cast):
    client = login(cast["staff_a"])
    assert client.get(reverse("scoring:ranking", args=[scored.pk])).status_code == 403
    assert client.get(reverse("scoring:ranking_xlsx", args=[scored.pk])).status_code == 403
    own = client.get(reverse("scoring:unit_result", args=[scored.pk, "SGDDT"]))
    assert own.status_code == 200 and own.context["show_rank"] is False
    assert client.get(reverse("scoring:unit_result", args=[scored.pk, "STP"])).status_code == 404


def test_after_publication_a_unit_sees_its_rank_and_the_groups_ranking_but_no_other_detail(scored, login, cast):
    ranking.round_publish(round_=scored)
    client = login(cast["staff_a"])
    page = client.get(reverse("scoring:ranking", args=[scored.pk]))
    assert page.status_code == 200 and "Sở Tư pháp" in page.content.decode()
    assert f'href="{reverse("scoring:unit_result", args=[scored.pk, "STP"])}"' not in page.content.decode()
    assert client.get(reverse("scoring:ranking_xlsx", args=[scored.pk])).status_code == 200
    own = client.get(reverse("scoring:unit_result", args=[scored.pk, "SGDDT"]))
    assert own.status_code == 200 and own.context["show_rank"] is True and own.context["result"].rank == 3
    assert client.get(reverse("scoring:unit_result", args=[scored.pk, "STP"])).status_code == 404
    # Units never pick an older or a provisional view through the URL.
    assert client.get(reverse("scoring:ranking", args=[scored.pk]) + "?cong-bo=1").context["ranking"].publication.number == 1


def test_another_group_gets_404_everywhere(scored, login, cast, groups):
    client = login(cast["staff_x"])
    for name, args in [("scoring:ranking", [scored.pk]), ("scoring:ranking_xlsx", [scored.pk]), ("scoring:unit_result", [scored.pk, "SGDDT"])]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    cast["appraiser"].appraised_groups.set([groups["XA"]])
    assert login(cast["appraiser"]).get(reverse("scoring:ranking", args=[scored.pk])).status_code == 404


def test_only_home_affairs_publishes(scored, login, cast):
    for who in ("viewer", "appraiser", "staff_a"):
        response = login(cast[who]).post(reverse("scoring:round_publish", args=[scored.pk]))
        assert response.status_code == 403, who
    assert not scored.publications.exists()
    login(cast["admin"]).post(reverse("scoring:round_publish", args=[scored.pk]), {"decision_number": "45/QĐ-UBND"})
    assert scored.publications.get().decision_number == "45/QĐ-UBND"


def test_ranking_page_queries_do_not_grow_with_units(scored, login, cast, groups, page_queries):
    client = login(cast["admin"])

    def count():
        return len(page_queries(client, reverse("scoring:ranking", args=[scored.pk])))

    before = count()
    for i in range(12):
        Unit.objects.create(code=f"X{i}", name=f"Đơn vị {i}", group=groups["SO"])
    round_add_units(round_=scored)
    assert count() == before
    ranking.round_publish(round_=scored)
    published = count()
    for i in range(12, 20):
        Unit.objects.create(code=f"X{i}", name=f"Đơn vị {i}", group=groups["SO"])
    round_add_units(round_=scored)
    ranking.round_publish(round_=scored)
    assert count() == published


def test_the_page_chart_draws_every_unit_with_its_index(scored):
    from scoring.charts import ranking_bar_page_svg

    svg = ranking_bar_page_svg(ranking.compute(scored), stage="final")
    assert svg.startswith("<svg") and svg.count("<rect") == 4
    assert "1. Sở Tư pháp" in svg and "46,43" in svg and "B ≥ 30" in svg


def _agrees_with_the_engine(round_) -> int:
    """Rankings sum the stored `score` of each value in SQL; a unit's own page runs the engine on its
    inputs. Every figure must agree."""
    from scoring import calculation

    result = ranking.compute(round_)
    checked = 0
    for assessment in round_.assessments.all():
        tree, grouped = calculation.load(assessment)
        own, final = calculation.compute(tree, grouped, "self"), calculation.compute(tree, grouped, "final")
        unit = result.for_unit(assessment.unit_id)
        assert (unit.self_total, unit.self_max, unit.self_index) == (own.total, own.maximum, own.index)
        assert (unit.total, unit.maximum, unit.index) == (final.total, final.maximum, final.index)
        for code, figure in unit.domains.items():
            assert (figure.points, figure.maximum, figure.self_points, figure.self_maximum) == (
                final.points[code], final.max_points[code], own.points[code], own.max_points[code]
            ), code
        for code, (s, f) in unit.leaves.items():
            leaf_s, leaf_f = own.leaves.get(code), final.leaves.get(code)
            assert s == (leaf_s.points if leaf_s and leaf_s.applicable else None), code
            assert f == (leaf_f.points if leaf_f and leaf_f.applicable else None), code
        checked += 1
    return checked


def test_ranking_from_stored_points_equals_the_engine_on_the_fixture(scored):
    # not applicable, appraisal over self, survey only at the final stage, a unit with no value
    assert _agrees_with_the_engine(scored) == 4


def test_ranking_from_stored_points_equals_the_engine_on_a_generated_province():
    # every method, final over appraisal over self, bonus and penalty domains, many units
    from scoring.models import Round

    call_command("generate_dataset", "--units", "16", "--leaves", "30", "--years", "1", "--seed", "3", stdout=io.StringIO())
    assert sum(_agrees_with_the_engine(round_) for round_ in Round.objects.all()) == 16


@pytest.mark.parametrize(
    ("puts", "kept"),
    [
        ([("a", 4), ("b", 4)], ["a", "b"]),  # 8 units of 10: both kept
        ([("a", 4), ("b", 4), ("c", 4)], ["b", "c"]),  # 12 > 10: the oldest goes
        ([("a", 4), ("b", 4), ("a", 4), ("c", 4)], ["a", "c"]),  # put again: the newest, so b goes
        ([("a", 3), ("big", 25)], ["big"]),  # larger than the bound: kept, alone
        ([("big", 25), ("a", 3)], ["a"]),
    ],
)
def test_what_a_process_keeps_of_rankings_is_bounded_by_units(puts, kept):
    """A summary of 8,000 units is ~50 MiB in memory: a process keeps at most KEPT_UNITS units' worth."""
    memo = ranking.Kept(10)
    for key, units in puts:
        memo.put(key, f"value {key}", units)
    assert [key for key in ("a", "b", "c", "big") if memo.get(key) is not None] == kept
    assert all(memo.get(key) == f"value {key}" for key in kept) and len(memo) == len(kept)
