"""Criteria workbook import: a hand-written workbook becomes exactly the tree it describes; every
bad input is rejected with its line, column and reason, and leaves the database as it was."""

from decimal import Decimal

import pytest

from core.excel import workbook_bytes
from criteria.excel import criteria_workbook
from criteria.models import CriteriaSet, Criterion
from criteria.services import criteria_set_import
from scoring import engine
from tests.xlsx import EN_HEADERS, HANDWRITTEN, VI_HEADERS, xlsx_bytes

pytestmark = pytest.mark.django_db


def _import(groups, data, **kw):
    kw.setdefault("code", "T-2026")
    return criteria_set_import(source=data, name="Thử", year=2026, group=groups["SO"], **kw)


def _snapshot(criteria_set):
    return [
        (c.code, c.parent.code if c.parent else None, c.title, c.max_points, c.kind, c.method, c.rule, c.inputs, c.allow_na, c.evidence, c.guidance)
        for c in criteria_set.criteria.select_related("parent").order_by("position")
    ]


def test_it_imports_the_handwritten_workbook_to_exactly_its_tree(groups):
    outcome = _import(groups, xlsx_bytes(VI_HEADERS, HANDWRITTEN))
    assert outcome.ok, outcome.errors
    cs = outcome.criteria_set
    assert cs.version == 1 and cs.status == CriteriaSet.Status.DRAFT
    rows = {c.code: c for c in cs.criteria.select_related("parent")}
    assert list(rows) == [r[0] for r in HANDWRITTEN]
    assert rows["1.1.2"].parent.code == "1.1"
    assert rows["1.1"].max_points == Decimal("3.50")  # "3,5" typed as text with a comma
    assert rows["1.1.2"].method == "bands"
    assert rows["1.1.2"].inputs == "Số nhiệm vụ hoàn thành / Tổng số nhiệm vụ"
    assert rows["1.1.2"].input_labels == ("Số nhiệm vụ hoàn thành", "Tổng số nhiệm vụ")
    assert rows["1.2.1"].allow_na and not rows["1.2.2"].allow_na
    assert rows["B.1"].kind == "bonus" and rows["B"].kind == "bonus"
    assert rows["P.1"].kind == "penalty"
    assert rows["2.5"].method == "survey"
    rule = rows["2.4"].parsed_rule
    assert [(o.label, o.points) for o in rule.options] == [
        ("Hoàn thành xuất sắc", Decimal("1.00")),
        ("Hoàn thành tốt", Decimal("0.75")),
        ("Hoàn thành", Decimal("0.50")),
        ("Không hoàn thành", Decimal("0.00")),
    ]
    assert [(b.op, b.threshold, b.points) for b in rows["1.1.2"].parsed_rule.bands] == [
        (">=", Decimal("100"), Decimal("2.5")),
        (">=", Decimal("95"), Decimal("1.75")),
        (">", Decimal("90"), Decimal("1")),
    ]
    assert rows["1.1.2"].parsed_rule.else_points == Decimal("0")


def test_it_accepts_english_headers_in_any_case_and_order(groups):
    headers = [h.upper() for h in EN_HEADERS]
    order = [1, 0, 2, 3, 4, 5, 6, 7, 8, 9]
    rows = [[r[i] for i in order] for r in HANDWRITTEN]
    outcome = _import(groups, xlsx_bytes([headers[i] for i in order], rows))
    assert outcome.ok, outcome.errors
    assert outcome.criteria_set.criteria.count() == len(HANDWRITTEN)


def test_it_accepts_english_method_and_kind_names(groups):
    rows = [
        ["1", "Lĩnh vực", 2, "score", "", "", "", "", "", ""],
        ["1.1", "Tự chấm", 1, "", "manual", "", "", "", "", ""],
        ["1.2", "Tỷ lệ", 1, "", "Proportional", "", "a / b", "yes", "", ""],
        ["2", "Thưởng", 1, "bonus", "", "", "", "", "", ""],
        ["2.1", "Khen", 1, "", "choice", "Có = 1; Không = 0", "", "", "", ""],
    ]
    outcome = _import(groups, xlsx_bytes(VI_HEADERS, rows))
    assert outcome.ok, outcome.errors
    assert outcome.criteria_set.criteria.get(code="1.2").allow_na


def test_a_child_above_its_parent_still_lands_under_it(groups):
    rows = [HANDWRITTEN[2], HANDWRITTEN[3], HANDWRITTEN[1], HANDWRITTEN[0], *HANDWRITTEN[4:]]
    outcome = _import(groups, xlsx_bytes(VI_HEADERS, rows))
    assert outcome.ok, outcome.errors
    assert [c.code for c in outcome.criteria_set.criteria.order_by("position")][:4] == ["1", "1.1", "1.1.1", "1.1.2"]


def test_export_then_import_gives_the_same_set(groups):
    first = _import(groups, xlsx_bytes(VI_HEADERS, HANDWRITTEN)).criteria_set
    exported = workbook_bytes(criteria_workbook(first))
    second = _import(groups, exported, code="T2-2026")
    assert second.ok, second.errors
    assert _snapshot(second.criteria_set) == _snapshot(first)
    again = workbook_bytes(criteria_workbook(second.criteria_set))
    third = _import(groups, again, code="T3-2026")
    assert _snapshot(third.criteria_set) == _snapshot(first)


def _with(row_index, column, value, rows=None):
    rows = [list(r) for r in (rows or HANDWRITTEN)]
    rows[row_index][VI_HEADERS.index(column)] = value
    return rows


BAD_INPUTS = [
    # (case, headers, rows, expected line, expected column, words in the message)
    ("missing header", [h for h in VI_HEADERS if h != "Điểm tối đa"], [r[:2] + r[3:] for r in HANDWRITTEN], 1, "Điểm tối đa", "Thiếu cột"),
    ("duplicate code", VI_HEADERS, _with(3, "Mã", "1.1.1"), 5, "Mã", "trùng"),
    ("parent missing", VI_HEADERS, _with(3, "Mã", "1.9.2"), 5, "Mã", "1.9"),
    ("parent max differs", VI_HEADERS, _with(1, "Điểm tối đa", 4), 3, "Điểm tối đa", "3,5"),
    ("leaf without method", VI_HEADERS, _with(2, "Cách chấm", ""), 4, "Cách chấm", "chấm"),
    ("group with a method", VI_HEADERS, _with(1, "Cách chấm", "tự chấm"), 3, "Cách chấm", "tiêu chí con"),
    ("unknown method", VI_HEADERS, _with(2, "Cách chấm", "bốc thăm"), 4, "Cách chấm", "bốc thăm"),
    ("malformed rule", VI_HEADERS, _with(2, "Quy tắc", "kịp thời một điểm"), 4, "Quy tắc", ""),
    ("choice above max", VI_HEADERS, _with(2, "Quy tắc", "Kịp thời = 1,5; Không = 0"), 4, "Quy tắc", "1,5"),
    ("thresholds not decreasing", VI_HEADERS, _with(3, "Quy tắc", ">= 90% = 2; >= 95% = 1; còn lại = 0"), 5, "Quy tắc", "95"),
    ("no còn lại", VI_HEADERS, _with(3, "Quy tắc", ">= 100% = 2; >= 95% = 1"), 5, "Quy tắc", "còn lại"),
    ("negative points", VI_HEADERS, _with(6, "Điểm tối đa", -1), 8, "Điểm tối đa", ""),
    ("non-numeric points", VI_HEADERS, _with(6, "Điểm tối đa", "một"), 8, "Điểm tối đa", ""),
    ("three decimals", VI_HEADERS, _with(6, "Điểm tối đa", "1,505"), 8, "Điểm tối đa", ""),
    ("empty title", VI_HEADERS, _with(4, "Nội dung", ""), 6, "Nội dung", "nội dung"),
    ("bad allow_na", VI_HEADERS, _with(4, "Không áp dụng", "có lẽ"), 6, "Không áp dụng", ""),
    ("kind on a child", VI_HEADERS, _with(2, "Loại", "thưởng"), 4, "Loại", "lĩnh vực"),
    ("unknown kind", VI_HEADERS, _with(0, "Loại", "khuyến khích"), 2, "Loại", "khuyến khích"),
]


@pytest.mark.parametrize("case,headers,rows,line,column,words", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_rejected_with_row_column_and_reason_and_nothing_saved(groups, so_set, case, headers, rows, line, column, words):
    before = (CriteriaSet.objects.count(), Criterion.objects.count(), _snapshot(so_set))
    outcome = criteria_set_import(source=xlsx_bytes(headers, rows), code="SO-2026", name="x", year=2026, group=groups["SO"], publish=True)
    assert not outcome.ok
    matching = [e for e in outcome.errors if e.line == line and e.column == column]
    assert matching, [str(e) for e in outcome.errors]
    assert words.casefold() in matching[0].message.casefold()
    assert str(matching[0]).startswith(f"Dòng {line}")
    assert (CriteriaSet.objects.count(), Criterion.objects.count(), _snapshot(so_set)) == before


@pytest.mark.parametrize("data", [b"not an excel file", b"PK\x03\x04garbage", b""], ids=["text", "broken zip", "empty"])
def test_a_file_that_is_not_xlsx_is_rejected(groups, data):
    outcome = _import(groups, data)
    assert not outcome.ok
    assert outcome.errors[0].line == 1
    assert ".xlsx" in outcome.errors[0].message
    assert not CriteriaSet.objects.exists()


def test_errors_are_in_english_for_english_users(groups, settings):
    from django.utils import translation

    with translation.override("en"):
        outcome = _import(groups, xlsx_bytes(VI_HEADERS, _with(3, "Mã", "1.1.1")))
        text = next(str(e) for e in outcome.errors if e.line == 5)
    assert text.startswith("Line 5")
    assert "duplicate" in text.casefold()


def test_dry_run_saves_nothing(groups):
    outcome = _import(groups, xlsx_bytes(VI_HEADERS, HANDWRITTEN), dry_run=True)
    assert outcome.ok and outcome.leaf_count == 12
    assert not CriteriaSet.objects.exists()


def test_reimporting_a_published_code_makes_a_new_version_and_keeps_the_old(groups, so_set):
    before = _snapshot(so_set)
    outcome = _import(groups, xlsx_bytes(VI_HEADERS, _with(2, "Nội dung", "Ban hành kế hoạch (sửa)")), code="SO-2026")
    assert outcome.ok and outcome.action == "new_version"
    assert outcome.criteria_set.version == 2 and outcome.criteria_set.derived_from == so_set
    so_set.refresh_from_db()
    assert _snapshot(so_set) == before


def test_reimporting_a_draft_code_replaces_the_draft(groups, xa_draft):
    outcome = criteria_set_import(source=xlsx_bytes(VI_HEADERS, HANDWRITTEN), code="XA-2026", name="Xã", year=2026, group=groups["XA"])
    assert outcome.ok and outcome.action == "replaced_draft"
    assert outcome.criteria_set.pk == xa_draft.pk and outcome.criteria_set.version == 1
    assert xa_draft.criteria.count() == len(HANDWRITTEN)


def test_the_imported_set_scores_with_the_rules(so_set):
    """Points, index and ranks of three units computed on the imported tree, by hand."""
    tree = so_set.engine_tree
    li = engine.LeafInput
    unit_a = {
        "1.1.1": li(option="Ban hành kịp thời"),  # 1
        "1.1.2": li(numerator=Decimal(11995), denominator=Decimal(11999)),  # 99,97% -> 1,75
        "1.2.1": li(numerator=Decimal(7), denominator=Decimal(13)),  # 53,8% -> 1
        "1.2.2": li(points=Decimal("1.25")),
        "2.1": li(numerator=Decimal(2299), denominator=Decimal(2412)),  # 2 x 95,31% = 1,91
        "2.2": li(count=5),  # min(2, 2,5) = 2
        "2.3": li(count=1),  # 1 - 0,25 = 0,75
        "2.4": li(option="Hoàn thành tốt"),  # 0,75
        "2.5": li(rate=Decimal("80")),  # 1,6
        "B.1": li(option="Bằng khen"),
        "B.2": li(count=2),  # bonus 1 + 1 capped at 1
        "P.1": li(count=1),  # 0,5
    }
    result = engine.compute_tree(tree, unit_a)
    assert result.points["1"] == Decimal("5.00")
    assert result.points["2"] == Decimal("7.01")
    assert result.bonus == Decimal("1") and result.penalty == Decimal("0.5")
    assert result.total == Decimal("12.51") and result.maximum == Decimal("14")
    assert result.index == Decimal("89.36")  # 12,51 / 14 = 89,357...
    # Unit B declares 1.2.1 not applicable: it leaves both points and maximum.
    unit_b = dict(unit_a, **{"1.2.1": li(not_applicable=True)})
    result_b = engine.compute_tree(tree, unit_b)
    assert result_b.maximum == Decimal("13") and result_b.total == Decimal("11.51")
    assert result_b.index == Decimal("88.54")
    self_stage = engine.compute_tree(tree, unit_a, include_survey=False)
    assert self_stage.maximum == Decimal("12") and self_stage.total == Decimal("10.91")
    ranks = engine.rank([("A", result.index), ("B", result_b.index), ("C", result.index)])
    assert ranks == {"A": 1, "C": 1, "B": 3}
    assert engine.classify(result.index, engine.parse_bands(engine.DEFAULT_BANDS)) == "B"


def test_a_title_above_the_header_is_skipped_and_lines_stay_true(groups):
    rows = [["BỘ CHỈ SỐ CCHC CÁC SỞ NĂM 2026"] + [""] * 9, [""] * 10, VI_HEADERS, *_with(3, "Mã", "1.1.1")]
    outcome = criteria_set_import(source=xlsx_bytes(["(kèm theo Quyết định số 125/QĐ-UBND)"], rows), code="T", name="x", year=2026, group=groups["SO"])
    assert any(e.line == 8 and e.column == "Mã" for e in outcome.errors), [str(e) for e in outcome.errors]
    ok = criteria_set_import(source=xlsx_bytes(["Tiêu đề"], [VI_HEADERS, *HANDWRITTEN]), code="T", name="x", year=2026, group=groups["SO"])
    assert ok.ok and ok.criteria_set.criteria.count() == len(HANDWRITTEN)


@pytest.mark.parametrize("text,kind", [("Điểm thưởng", "bonus"), ("ĐIỂM CỘNG", "bonus"), ("điểm trừ", "penalty"), ("Penalty", "penalty")])
def test_longer_kind_names_from_decisions_are_understood(groups, text, kind):
    rows = _with(13, "Loại", text)
    outcome = _import(groups, xlsx_bytes(VI_HEADERS, rows))
    assert outcome.ok, outcome.errors
    assert outcome.criteria_set.criteria.get(code="B.1").kind == kind
