"""Analysis pages: points lost (heat map), self-assessment versus appraisal, years compared by code.

Every expectation is worked out by hand from the hand-written set of tests/xlsx.py:
domain 1 (max 6) = 1.1.1 (1) + 1.1.2 (2,5) + 1.2.1 (1, may be N/A) + 1.2.2 (1,5);
domain 2 (max 8) = 2.1 (2) + 2.2 (2, 0,5 each) + 2.3 (1) + 2.4 (1) + 2.5 (2, survey);
bonus B (1) = B.1 + B.2; penalty P (2) = P.1 (0,5 each).
"""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Unit, User
from criteria.models import Criterion
from criteria.services import criteria_set_clone_to_year, criteria_set_publish
from scoring import analysis, engine
from scoring.ranking import compute, current, round_publish
from scoring.services import LeafEntry, round_add_units, round_open, values_save
from scoring.views.analysis import heat_style

pytestmark = pytest.mark.django_db
D = Decimal


def enter(assessment, stage, values: dict):
    """values: {code: LeafInput kwargs}; appraisal values carry a note (required where they differ)."""
    criteria = {c.code: c for c in assessment.round.criteria_set.criteria.all()}
    entries = [LeafEntry(criteria[code], engine.LeafInput(**kw), note="Theo hồ sơ") for code, kw in values.items()]
    result = values_save(assessment=assessment, stage=stage, entries=entries)
    assert not result.errors, result.errors


@pytest.fixture
def scored(round_so, assessment_a, assessment_b):
    """SGDDT over-scores by 1, STP under-scores by 0,5, SNV enters nothing.

    SGDDT self: 1.1.1 on time (1), 1.2.1 N/A, 1.2.2 = 1,5, 2.2 × 4 (2), P.1 × 1 (0,5) -> 4
          appraisal: 1.1.1 late (0,5), 1.2.2 = 1 -> final 0,5 + 1 + 2 − 0,5 = 3 of 13 (N/A 1.2.1)
    STP   self: 1.1.1 none (0), 1.2.2 = 0,5, 2.2 × 1 (0,5) -> 1
          appraisal: 1.2.2 = 1 -> final 0 + 1 + 0,5 = 1,5 of 14
    """
    enter(
        assessment_a,
        "self",
        {
            "1.1.1": {"option": "Ban hành kịp thời"},
            "1.2.1": {"not_applicable": True},
            "1.2.2": {"points": D("1.5")},
            "2.2": {"count": D(4)},
            "P.1": {"count": D(1)},
        },
    )
    enter(assessment_a, "appraisal", {"1.1.1": {"option": "Ban hành không kịp thời"}, "1.2.2": {"points": D(1)}})
    enter(
        assessment_b,
        "self",
        {"1.1.1": {"option": "Không ban hành"}, "1.2.2": {"points": D("0.5")}, "2.2": {"count": D(1)}},
    )
    enter(assessment_b, "appraisal", {"1.2.2": {"points": D(1)}})
    return round_so


def row(matrix, code):
    return next(r for r in matrix.rows if r.code == code)


def cell(matrix, code, unit_code):
    return next(c for c in row(matrix, code).cells if c.unit_code == unit_code)


# ---------------------------------------------------------------- points lost and the gap


def test_points_lost_matrix_by_hand(scored):
    matrix = analysis.points_lost(compute(scored))
    assert [u.unit_code for u in matrix.units] == ["SGDDT", "STP", "SNV"]  # by final rank
    assert "B.1" not in [r.code for r in matrix.rows]  # a bonus not earned is not a loss
    # 1.1.1 (max 1): SGDDT late 0,5 -> lost 0,5; STP none -> lost 1; SNV no value
    assert (cell(matrix, "1.1.1", "SGDDT").lost, cell(matrix, "1.1.1", "SGDDT").ratio) == (D("0.5"), D("0.5"))
    assert cell(matrix, "1.1.1", "STP").lost == D(1)
    assert cell(matrix, "1.1.1", "SNV").lost is None
    assert cell(matrix, "1.2.1", "SGDDT").lost is None  # not applicable
    one = row(matrix, "1.1.1")
    assert (one.total, one.counted, one.average, one.share) == (D("1.5"), 2, D("0.75"), D("75.00"))
    # 2.2 (max 2): SGDDT 4 items = 2 -> 0; STP 1 item = 0,5 -> 1,5; share 1,5 / 4
    assert (row(matrix, "2.2").total, row(matrix, "2.2").share) == (D("1.5"), D("37.50"))
    # 1.2.2 (max 1,5): 0,5 + 0,5
    assert (row(matrix, "1.2.2").total, row(matrix, "1.2.2").share) == (D("1.0"), D("33.33"))
    # P.1 penalty: the deduction is the loss
    assert cell(matrix, "P.1", "SGDDT").lost == D("0.5") and row(matrix, "P.1").is_penalty
    # 1.1.1 and 2.2 both lost 1,5: the larger share of the stake first
    assert [r.code for r in matrix.worst] == ["1.1.1", "2.2", "1.2.2", "P.1"]
    assert matrix.unit_totals == [D("1.5"), D("3.0"), D(0)]
    assert matrix.frame.at["1.1.1", "STP"] == D(1)


def test_self_gap_orders_over_scoring_first(scored):
    gaps = analysis.self_gap(compute(scored))
    assert [(g.unit.unit_code, g.self_total, g.total, g.gap) for g in gaps] == [
        ("SGDDT", D(4), D(3), D(1)),
        ("SNV", D(0), D(0), D(0)),
        ("STP", D(1), D("1.5"), D("-0.5")),
    ]
    # % of the self-assessment maximum: SGDDT 14 − survey 2 − N/A 1 = 11; STP 12
    assert (gaps[0].maximum, gaps[0].gap_share) == (D(11), D("9.09"))
    assert (gaps[2].maximum, gaps[2].gap_share) == (D(12), D("-4.17"))
    assert (gaps[0].bar, gaps[2].bar) == (D("100.00"), D("50.00"))


def test_gap_leaves_out_the_survey_units_never_self_assess(scored, assessment_a):
    # SIPAS 2.5 (max 2) at 50 % -> 1 point in SGDDT's final total, none in its self total
    criterion = scored.criteria_set.criteria.get(code="2.5")
    assert not values_save(assessment=assessment_a, stage="survey", entries=[LeafEntry(criterion, engine.LeafInput(rate=D(50)))]).errors
    sgddt = next(g for g in analysis.self_gap(compute(scored)) if g.unit.unit_code == "SGDDT")
    assert (sgddt.self_total, sgddt.total, sgddt.survey, sgddt.appraised) == (D(4), D(4), D(1), D(3))
    assert (sgddt.raw_gap, sgddt.gap) == (D(0), D(1))  # still over-scored by 1 on what it assessed


def test_published_ranking_gives_the_same_analysis(scored, cast):
    round_publish(round_=scored, user=cast["admin"])
    ranking = current(scored)
    assert not ranking.provisional
    matrix = analysis.points_lost(ranking)
    assert cell(matrix, "1.1.1", "SGDDT").lost == D("0.5")
    assert row(matrix, "2.2").total == D("1.5")
    assert [g.unit.unit_code for g in analysis.self_gap(ranking)] == ["SGDDT", "SNV", "STP"]


def test_analysis_page_shows_heat_map_gap_and_links(scored, login, cast):
    response = login(cast["admin"]).get(reverse("scoring:analysis", args=[scored.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert heat_style(D("0.5")) in html and heat_style(D(1)) in html
    assert f"/danh-gia/ky/{scored.pk}/don-vi/SGDDT/" in html
    assert reverse("scoring:analysis_xlsx", args=[scored.pk]) in html
    gaps = [g.unit.unit_code for g, _href, _bar in response.context["gaps"]]
    assert gaps == ["SGDDT", "SNV", "STP"]


def test_heat_style_runs_from_white_to_red():
    assert heat_style(D(0)) == "background-color:hsl(4,72%,100%);color:inherit"
    assert heat_style(D(1)) == "background-color:hsl(4,72%,45%);color:#fff"


def test_excel_export_holds_both_tables(scored, login, cast):
    response = login(cast["viewer"]).get(reverse("scoring:analysis_xlsx", args=[scored.pk]))
    assert response.status_code == 200
    assert "phan-tich-2026-SO.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    lost, gap = book.worksheets
    header = [c.value for c in lost[1]]
    assert header[:6] == ["Mã", "Tiêu chí", "Điểm tối đa", "SGDDT", "STP", "SNV"]
    by_code = {r[0].value: [c.value for c in r] for r in lost.iter_rows(min_row=2)}
    assert by_code["1.1.1"][3:6] == [0.5, 1, None]
    assert by_code["1.1.1"][6:] == [1.5, 2, 0.75, 75]
    assert [r[1].value for r in gap.iter_rows(min_row=2)] == ["SGDDT", "SNV", "STP"]
    assert [r[8].value for r in gap.iter_rows(min_row=2)] == [1, 0, -0.5]


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("name", ["staff_a", "head_a", "staff_b", "inspector"])
def test_same_group_readers_without_results_get_403(scored, login, cast, name):
    client = login(cast[name])
    for url in (reverse("scoring:analysis", args=[scored.pk]), reverse("scoring:analysis_xlsx", args=[scored.pk])):
        assert client.get(url).status_code == 403


def test_other_group_gets_404(scored, login, cast, groups, units):
    other = User.objects.create(username="thamdinh.xa", full_name="Thẩm định xã", unit=units["snv"], is_appraiser=True)
    other.appraised_groups.add(groups["XA"])
    for user in (cast["staff_x"], other):
        client = login(user)
        for url in (reverse("scoring:analysis", args=[scored.pk]), reverse("scoring:analysis_xlsx", args=[scored.pk])):
            assert client.get(url).status_code == 404
    assert login(cast["admin"]).get(reverse("scoring:analysis", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["admin", "viewer", "appraiser"])
def test_results_readers_open_the_analysis(scored, login, cast, name):
    client = login(cast[name])
    assert client.get(reverse("scoring:analysis", args=[scored.pk])).status_code == 200
    assert client.get(reverse("scoring:analysis_xlsx", args=[scored.pk])).status_code == 200


def test_anonymous_is_sent_to_log_in(scored, client):
    for url in (reverse("scoring:analysis", args=[scored.pk]), reverse("scoring:compare_years")):
        response = client.get(url)
        assert response.status_code == 302 and "dang-nhap" in response["Location"]


@pytest.mark.parametrize("name,status", [("admin", 200), ("viewer", 200), ("appraiser", 403), ("staff_a", 403), ("inspector", 403)])
def test_comparison_only_for_home_affairs_and_viewers(scored, login, cast, name, status):
    response = login(cast[name]).get(reverse("scoring:compare_years") + "?group=SO&unit=SGDDT&years=2026")
    assert response.status_code == status


# ---------------------------------------------------------------- query count


def test_analysis_query_count_does_not_grow_with_units(scored, login, cast, groups):
    client = login(cast["admin"])
    url = reverse("scoring:analysis", args=[scored.pk])
    client.get(url)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(6):
        Unit.objects.create(code=f"S{n:02d}", name=f"Sở thử {n}", group=groups["SO"])
    round_add_units(round_=scored)
    for assessment in scored.assessments.filter(unit__code__startswith="S0"):
        enter(assessment, "self", {"1.1.1": {"option": "Ban hành kịp thời"}, "2.2": {"count": D(2)}})
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["columns"]) == 9
    # 6 (the user comes with its unit): the published criteria set comes from the process after the first view (criteria_and_tree).
    assert len(large) == len(small) == 6, [q["sql"][:90] for q in large.captured_queries]


# ---------------------------------------------------------------- year over year


@pytest.fixture
def two_years(scored, so_set, cast, units):
    """2027: the set cloned, 2.4 dropped and 2.6 added (same maximum); SGDDT scores again.

    SGDDT 2027 self (= final): 1.1.1 on time (1), 1.2.2 = 1,5, 2.6 = 0,75 -> 3,25 of 14 = 23,21
          domain 1: 2,5 of 6 = 41,67 (2026: 0,5 + 1 of 5 = 30,00)
    2026 indexes: SGDDT 3/13 = 23,08 (1st), STP 1,5/14 = 10,71 (2nd), SNV 0 (3rd);
    2027: SGDDT 1st, SNV and STP 0 tie 2nd.
    """
    draft = criteria_set_clone_to_year(criteria_set=so_set, user=cast["admin"])
    old = draft.criteria.get(code="2.4")
    parent, position = old.parent, old.position
    old.delete()
    Criterion.objects.create(
        criteria_set=draft, code="2.6", parent=parent, position=position, depth=1, title="Chuyển đổi số trong xử lý hồ sơ",
        max_points=D(1), kind="score", method="manual",
    )
    criteria_set_publish(criteria_set=draft, user=cast["admin"])
    round_2027 = round_open(year=2027, group=so_set.group, criteria_set=draft, user=cast["admin"])
    a = round_2027.assessments.get(unit=units["a"])
    enter(a, "self", {"1.1.1": {"option": "Ban hành kịp thời"}, "1.2.2": {"points": D("1.5")}, "2.6": {"points": D("0.75")}, "P.1": {"count": D(0)}})
    return scored, round_2027


def code_row(rows, code):
    return next(r for r in rows if r.code == code)


def test_unit_year_over_year_matches_criteria_by_code(two_years, units):
    result = analysis.year_over_year_unit(units["a"], [2026, 2027])
    assert result.years == [2026, 2027]
    f26, f27 = result.figures
    assert (f26.total, f26.maximum, f26.index, f26.rank) == (D(3), D(13), D("23.08"), 1)
    assert (f27.total, f27.maximum, f27.index, f27.rank) == (D("3.25"), D(14), D("23.21"), 1)
    assert (f27.index_change, f27.rank_change) == (D("0.13"), 0)
    leaf = code_row(result.leaves, "1.1.1")
    assert [c.value for c in leaf.cells] == [D("0.5"), D(1)] and leaf.change == D("0.5") and leaf.only_in == []
    dropped, added = code_row(result.leaves, "2.4"), code_row(result.leaves, "2.6")
    assert [c.present for c in dropped.cells] == [True, False] and dropped.only_in == [2026]
    assert [c.present for c in added.cells] == [False, True] and added.only_in == [2027]
    assert added.cells[1].value == D("0.75") and added.change is None
    codes = [r.code for r in result.leaves]
    assert codes.index("2.4") < codes.index("2.5") and codes.index("2.6") > codes.index("2.3")
    penalty = code_row(result.leaves, "P.1")  # 0,5 deducted in 2026, none in 2027: better
    assert (penalty.change, penalty.trend, leaf.trend) == (D("-0.5"), "up", "up")
    domain = code_row(result.domains, "1")
    assert [c.value for c in domain.cells] == [D("30.00"), D("41.67")]
    assert domain.change == D("11.67")


def test_group_year_over_year_ranks_and_changes(two_years, groups):
    result = analysis.year_over_year_group(groups["SO"], [2025, 2026, 2027])
    assert result.years == [2026, 2027] and result.missing_years == [2025]
    table = {r.unit_code: [(f.index, f.rank) for f in r.figures] for r in result.rows}
    assert table == {
        "SGDDT": [(D("23.08"), 1), (D("23.21"), 1)],
        "STP": [(D("10.71"), 2), (D(0), 2)],
        "SNV": [(D(0), 3), (D(0), 2)],
    }
    assert [r.unit_code for r in result.rows] == ["SGDDT", "SNV", "STP"]  # 2027 rank, then code
    changes = {r.unit_code: r.figures[1].rank_change for r in result.rows}
    assert changes == {"SGDDT": 0, "SNV": 1, "STP": 0}


def test_comparison_page(two_years, login, cast):
    client = login(cast["viewer"])
    response = client.get(reverse("scoring:compare_years") + "?group=SO&unit=SGDDT&years=2026,2027")
    assert response.status_code == 200
    html = response.content.decode()
    assert "chỉ có năm 2026" in html and "chỉ có năm 2027" in html
    assert response.context["by_unit"].years == [2026, 2027]
    # by default the years that have a round; checkbox form (years=…&years=…) works too
    assert client.get(reverse("scoring:compare_years")).context["years"] == [2026, 2027]
    response = client.get(reverse("scoring:compare_years") + "?group=SO&years=2027&years=2026")
    assert response.context["years"] == [2026, 2027] and response.context["by_unit"] is None
    response = client.get(reverse("scoring:compare_years") + "?group=XA&unit=SGDDT&years=abc")
    assert response.status_code == 200 and response.context["unit"] is None
