"""Points of one leaf for every method, rounding, and the roll-up of a whole tree."""

from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from django.utils import translation

from scoring.engine import (
    InputError,
    Kind,
    LeafInput,
    Method,
    Node,
    Tree,
    compute_tree,
    domain_index,
    index_of,
    leaf_points,
    parse_rule,
    round_half_up,
)

BANDS = ">= 100% = 2; >= 95% = 1,75; > 90% = 1; còn lại = 0"


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


def leaf(method, max_points, rule_text=None, *, allow_na=False, code="1.1", parent="1", kind=Kind.SCORE):
    max_points = D(str(max_points))
    return Node(code, parent, kind, max_points, method, parse_rule(method, rule_text, max_points), allow_na=allow_na)


def ratio(numerator, denominator):
    return LeafInput(numerator=D(numerator), denominator=D(denominator))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (F(3, 2) * F(2, 3), D("1.00")),  # max 1,5 × 2/3
        (F(2) * F(1, 8), D("0.25")),  # max 2 × 1/8
        (F(201, 200), D("1.01")),  # 1.005: float round(1.005, 2) gives 1.0
        (F(2) * F(11995, 11999), D("2.00")),
        (F(1, 3), D("0.33")),
        (F(2, 3), D("0.67")),
        (F(-1, 200), D("-0.01")),
        (D("2.675"), D("2.68")),  # float round(2.675, 2) gives 2.67
        (D("0.125"), D("0.13")),  # banker's rounding would give 0.12
        (D("0.124999"), D("0.12")),
        (D(3), D("3.00")),
    ],
)
def test_round_half_up(value, expected):
    result = round_half_up(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("entered", "expected"),
    [(D(0), D(0)), (D(2), D(2)), (D("1.25"), D("1.25")), (D("0.5"), D("0.5")), (0.5, D("0.5")), (None, None)],
)
def test_manual(entered, expected):
    assert leaf_points(leaf(Method.MANUAL, 2), LeafInput(points=entered)).points == expected


@pytest.mark.parametrize(
    ("entered", "fragment"),
    [(D("2.01"), "Điểm vượt quá điểm tối đa (2)."), (D(-1), "không được âm"), (D("0.125"), "2 chữ số thập phân")],
)
def test_manual_errors(entered, fragment):
    with pytest.raises(InputError) as exc:
        leaf_points(leaf(Method.MANUAL, 2), LeafInput(points=entered))
    assert exc.value.field == "points"
    assert fragment in exc.value.message


CHOICE = "Hoàn thành xuất sắc = 100%; Hoàn thành tốt = 75%; Hoàn thành = 50%"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("Hoàn thành xuất sắc", D(2)),
        ("Hoàn thành tốt", D("1.5")),
        ("Hoàn thành", D(1)),
        ("  hoàn   THÀNH tốt ", D("1.5")),
        ("Ho\u00e0n tha\u0300nh", D(1)),  # NFD "thành"
        (None, None),
        ("  ", None),
    ],
)
def test_choice(option, expected):
    assert leaf_points(leaf(Method.CHOICE, 2, CHOICE), LeafInput(option=option)).points == expected


def test_choice_unknown_option():
    with pytest.raises(InputError) as exc:
        leaf_points(leaf(Method.CHOICE, 2, CHOICE), LeafInput(option="Xuất sắc"))
    assert exc.value.field == "option"
    assert exc.value.message == "Lựa chọn không có trong quy tắc: Xuất sắc."


@pytest.mark.parametrize(
    ("rule", "numerator", "denominator", "points", "rate"),
    [
        # 11,801 on time + 194 early of 11,999 dossiers.
        (BANDS, 11995, 11999, D("1.75"), D("99.97")),
        # 2,299 digitally signed of 2,412 outgoing documents: 95,3150…%, which
        # the report printed truncated as 95,31; half-up gives 95,32.
        (BANDS, 2299, 2412, D("1.75"), D("95.32")),
        (BANDS, 52, 125, D(0), D("41.60")),
        (BANDS, 100, 100, D(2), D("100.00")),
        (BANDS, 0, 5, D(0), D("0.00")),
        (BANDS, 91, 100, D(1), D("91.00")),
        (BANDS, 90, 100, D(0), D("90.00")),
        # 94,995% shows as 95,00 but must not reach ">= 95".
        (BANDS, 18999, 20000, D(1), D("95.00")),
        # 7 of 13 offices inspected.
        (">= 30% = 1; còn lại = 0", 7, 13, D(1), D("53.85")),
        (">= 30% = 1; còn lại = 0", 3, 13, D(0), D("23.08")),
        # The threshold exactly hit.
        ("> 95 = 1; còn lại = 0", 95, 100, D(0), D("95.00")),
        (">= 95 = 1; còn lại = 0", 95, 100, D(1), D("95.00")),
    ],
)
def test_bands(rule, numerator, denominator, points, rate):
    result = leaf_points(leaf(Method.BANDS, 2, rule), ratio(numerator, denominator))
    assert result.points == points
    assert result.rate == rate


@pytest.mark.parametrize(
    ("max_points", "numerator", "denominator", "expected"),
    [
        (2, 11995, 11999, D("2.00")),  # 1,99933
        ("1.5", 11995, 11999, D("1.50")),  # 1,49950
        (1, 2299, 2412, D("0.95")),  # 0,95315
        (2, 52, 125, D("0.83")),  # 0,832
        ("1.5", 2, 3, D("1.00")),
        (2, 1, 8, D("0.25")),
        ("2.01", 1, 2, D("1.01")),  # 1,005 exactly: half-up
        (2, 0, 7, D("0.00")),
        (2, 7, 7, D("2.00")),
    ],
)
def test_proportional(max_points, numerator, denominator, expected):
    result = leaf_points(leaf(Method.PROPORTIONAL, max_points), ratio(numerator, denominator))
    assert result.points == expected


@pytest.mark.parametrize("method", [Method.BANDS, Method.PROPORTIONAL])
@pytest.mark.parametrize(
    ("inp", "field", "message"),
    [
        (ratio(13, 12), "numerator", "Tử số không được lớn hơn mẫu số."),
        (ratio(0, 0), "denominator", "Mẫu số phải lớn hơn 0."),
        (ratio(1, -5), "denominator", "Mẫu số phải lớn hơn 0."),
        (ratio(-1, 5), "numerator", "Tử số không được âm."),
        (LeafInput(numerator=D(5)), "denominator", "Cần nhập cả tử số và mẫu số."),
        (LeafInput(denominator=D(5)), "numerator", "Cần nhập cả tử số và mẫu số."),
    ],
)
def test_ratio_errors(method, inp, field, message):
    node = leaf(method, 2, BANDS if method is Method.BANDS else None)
    with pytest.raises(InputError) as exc:
        leaf_points(node, inp)
    assert (exc.value.field, exc.value.message) == (field, message)


@pytest.mark.parametrize("method", [Method.BANDS, Method.PROPORTIONAL])
def test_ratio_not_entered(method):
    node = leaf(method, 2, BANDS if method is Method.BANDS else None)
    assert leaf_points(node, LeafInput()).points is None


@pytest.mark.parametrize(
    ("method", "count", "expected"),
    [
        (Method.PER_ITEM, 0, D(0)),
        (Method.PER_ITEM, 3, D("1.5")),
        (Method.PER_ITEM, 4, D(2)),
        (Method.PER_ITEM, 10, D(2)),  # capped at the maximum
        (Method.PER_ITEM, D(3), D("1.5")),
        (Method.DEDUCTION, 0, D(2)),
        (Method.DEDUCTION, 1, D("1.5")),
        (Method.DEDUCTION, 4, D(0)),
        (Method.DEDUCTION, 9, D(0)),  # never below 0
        (Method.PER_ITEM, None, None),
        (Method.DEDUCTION, None, None),
    ],
)
def test_count_methods(method, count, expected):
    assert leaf_points(leaf(method, 2, "0,5"), LeafInput(count=count)).points == expected


@pytest.mark.parametrize("count", [-1, D("1.5"), True, "3", 2.0])
@pytest.mark.parametrize("method", [Method.PER_ITEM, Method.DEDUCTION])
def test_count_errors(method, count):
    with pytest.raises(InputError) as exc:
        leaf_points(leaf(method, 2, "0,5"), LeafInput(count=count))
    assert exc.value.field == "count"
    assert exc.value.message == "Số lượng phải là số nguyên không âm."


@pytest.mark.parametrize(
    ("max_points", "rate", "expected"),
    [
        (2, D("87.5"), D("1.75")),
        ("1.5", D("33.33"), D("0.50")),  # 0,499950
        (2, D(100), D(2)),
        (2, D(0), D(0)),
        (1, D("0.5"), D("0.01")),  # 0,005 -> 0,01
        (2, None, None),
    ],
)
def test_survey(max_points, rate, expected):
    assert leaf_points(leaf(Method.SURVEY, max_points), LeafInput(rate=rate)).points == expected


@pytest.mark.parametrize("rate", [D("100.01"), D(-1), D("50.123")])
def test_survey_errors(rate):
    with pytest.raises(InputError) as exc:
        leaf_points(leaf(Method.SURVEY, 2), LeafInput(rate=rate))
    assert exc.value.field == "rate"


def test_not_applicable():
    result = leaf_points(leaf(Method.MANUAL, 2, allow_na=True), LeafInput(not_applicable=True))
    assert (result.points, result.applicable) == (None, False)
    with pytest.raises(InputError) as exc:
        leaf_points(leaf(Method.MANUAL, 2), LeafInput(not_applicable=True))
    assert exc.value.field == "not_applicable"
    assert exc.value.message == "Tiêu chí này không được khai báo không áp dụng."


def test_no_input():
    assert leaf_points(leaf(Method.CHOICE, 2, CHOICE), None).points is None


@pytest.mark.parametrize(
    ("total", "maximum", "expected"),
    [
        (D(0), D(0), D(0)),
        (D(5), D(10), D(50)),
        (D(2), D(3), D("66.67")),
        (D(1), D(8), D("12.5")),
        (D(11), D(10), D(100)),
        (D("8.66"), D(9), D("96.22")),
        (D(1), D(32), D("3.13")),  # 3.125: half-up, not half-even
        (D("0.01"), D("1.6"), D("0.63")),  # 0.625
        (D("0.00"), D(5), D(0)),
    ],
)
def test_index_of(total, maximum, expected):
    assert index_of(total, maximum) == expected


def tree_nodes():
    score, bonus, penalty = Kind.SCORE, Kind.BONUS, Kind.PENALTY

    def group(code, parent, max_points, kind=score):
        return Node(code, parent, kind, D(max_points))

    return [
        group("1", None, 6),
        group("1.1", "1", 3),
        leaf(Method.MANUAL, 1, code="1.1.1", parent="1.1"),
        leaf(Method.BANDS, 2, BANDS, code="1.1.2", parent="1.1"),
        group("1.2", "1", 3),
        leaf(Method.CHOICE, 1, "Có = 1; Không = 0", code="1.2.1", parent="1.2", allow_na=True),
        leaf(Method.PER_ITEM, 2, "0,5", code="1.2.2", parent="1.2"),
        group("2", None, 4),
        leaf(Method.PROPORTIONAL, 2, code="2.1", parent="2"),
        leaf(Method.SURVEY, 2, code="2.2", parent="2"),
        group("3", None, 2, bonus),
        leaf(Method.MANUAL, "1.5", code="3.1", parent="3", kind=bonus),
        leaf(Method.PER_ITEM, 2, "1", code="3.2", parent="3", kind=bonus),
        group("4", None, 1, penalty),
        leaf(Method.PER_ITEM, 2, "0,5", code="4.1", parent="4", kind=penalty),
    ]


def full_inputs():
    return {
        "1.1.1": LeafInput(points=D("0.75")),
        "1.1.2": ratio(11995, 11999),  # 1,75
        "1.2.1": LeafInput(option="Có"),  # 1
        "1.2.2": LeafInput(count=3),  # 1,5
        "2.1": ratio(2299, 2412),  # 2 × 0,95315 = 1,91
        "2.2": LeafInput(rate=D("87.5")),  # 1,75
        "3.1": LeafInput(points=D("1.5")),
        "3.2": LeafInput(count=1),  # bonus 2,5 capped at 2
        "4.1": LeafInput(count=3),  # penalty 1,5 capped at 1
    }


def test_full_tree_by_hand():
    result = compute_tree(tree_nodes(), full_inputs())
    assert result.points["1.1"] == D("2.5")
    assert result.points["1.2"] == D("2.5")
    assert result.points["1"] == D(5)
    assert result.points["2"] == D("3.66")
    assert result.max_points["1"] == 6
    assert result.score_points == D("8.66")
    assert (result.bonus, result.penalty) == (D(2), D(1))
    assert result.points["3"] == 2
    assert result.points["4"] == 1
    assert result.total == D("9.66")
    assert result.maximum == 10
    assert result.index == D("96.6")
    assert (result.entered, result.to_enter) == (8, 0)
    assert result.leaves["1.1.2"].rate == D("99.97")
    assert domain_index(result, "1") == D("83.33")
    assert domain_index(result, "2") == D("91.5")


def test_tree_order_and_prebuilt_tree_do_not_matter():
    expected = compute_tree(tree_nodes(), full_inputs())
    tree = Tree(list(reversed(tree_nodes())))
    assert compute_tree(tree, full_inputs()) == expected
    assert compute_tree(tree, full_inputs()) == expected  # reusable


def test_stages_sharing_known_leaf_results_add_up_as_computed_alone():
    """compute_tree(known=…): one unit's stages share each leaf's result for an input."""
    tree = Tree(tree_nodes())
    own = full_inputs()
    final = {**own, "1.1.1": LeafInput(points=D("0.5")), "1.2.2": LeafInput(count=4), "3.1": LeafInput(points=D("1.50"))}
    known: dict = {}
    assert compute_tree(tree, own, include_survey=False, known=known) == compute_tree(tree, own, include_survey=False)
    assert compute_tree(tree, final, known=known) == compute_tree(tree, final)
    assert compute_tree(tree, own, known=known) == compute_tree(tree, own)
    assert len(known) == 11  # 8 leaves of the self stage, the survey leaf, the two changed ones
    with pytest.raises(InputError):  # a refused input is never remembered as a result
        compute_tree(tree, {**own, "1.2.2": LeafInput(count=-1)}, known=known)
    with pytest.raises(InputError):  # nor taken for an accepted one that compares equal (True == 1)
        compute_tree(tree, {**own, "3.2": LeafInput(count=True)}, known=known)
    assert len(known) == 11


def test_self_stage_leaves_survey_out():
    result = compute_tree(tree_nodes(), full_inputs(), include_survey=False)
    assert "2.2" not in result.leaves
    assert result.points["2"] == D("1.91")
    assert result.max_points["2"] == 2
    assert result.maximum == 8
    assert result.total == D("7.91")
    assert result.index == D("98.88")  # 98,875 half-up


def test_not_applicable_leaf_leaves_points_and_maximum():
    inputs = full_inputs() | {"1.2.1": LeafInput(not_applicable=True)}
    result = compute_tree(tree_nodes(), inputs)
    assert result.leaves["1.2.1"].applicable is False
    assert result.max_points["1.2"] == 2
    assert result.max_points["1"] == 5
    assert result.maximum == 9
    assert result.total == D("8.66")
    assert result.index == D("96.22")
    assert (result.entered, result.to_enter) == (8, 0)


def test_unentered_leaf_counts_zero_but_stays_in_maximum():
    inputs = full_inputs()
    del inputs["1.1.1"]
    inputs["1.1.2"] = LeafInput()
    result = compute_tree(tree_nodes(), inputs)
    assert result.leaves["1.1.1"].points is None
    assert result.points["1.1"] == 0
    assert result.maximum == 10
    assert result.total == D("7.16")
    assert result.index == D("71.6")
    assert (result.entered, result.to_enter) == (6, 2)


def test_total_never_below_zero():
    result = compute_tree(tree_nodes(), {"4.1": LeafInput(count=1)})
    assert result.penalty == D("0.5")
    assert result.total == 0
    assert result.index == 0
    assert result.to_enter == 7


def test_index_capped_at_100():
    inputs = {
        "1.1.1": LeafInput(points=D(1)),
        "1.1.2": ratio(1, 1),
        "1.2.1": LeafInput(option="có"),
        "1.2.2": LeafInput(count=4),
        "2.1": ratio(1, 1),
        "2.2": LeafInput(rate=D(100)),
        "3.1": LeafInput(points=D(1)),
    }
    result = compute_tree(tree_nodes(), inputs)
    assert result.total == D(11)
    assert result.maximum == 10
    assert result.index == 100


def test_input_error_names_the_leaf():
    with pytest.raises(InputError) as exc:
        compute_tree(tree_nodes(), {"1.2.2": LeafInput(count=-1)})
    assert exc.value.code == "1.2.2"
    assert exc.value.field == "count"


def test_tree_with_missing_parent_is_refused():
    with pytest.raises(ValueError, match="parent"):
        Tree([leaf(Method.MANUAL, 1, code="9.1", parent="9")])


def test_empty_tree():
    result = compute_tree([], {})
    assert (result.total, result.maximum, result.index) == (0, 0, 0)
