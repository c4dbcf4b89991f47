"""Parsing of numbers, methods, kinds and rule texts; rules described in words."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from scoring.engine import (
    Band,
    Kind,
    Method,
    Node,
    RuleError,
    describe_rule,
    format_points,
    parse_decimal,
    parse_kind,
    parse_method,
    parse_rule,
)

BANDS = ">= 100% = 2; >= 95% = 1,75; > 90% = 1; còn lại = 0"


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0,5", D("0.50")),
        ("0.5", D("0.50")),
        (" 1,75\u00a0", D("1.75")),
        ("2", D("2.00")),
        (",5", D("0.50")),
        (0.5, D("0.50")),
        (1.75, D("1.75")),
        (0.1, D("0.10")),
        (3, D("3.00")),
        (D("1.5"), D("1.50")),
        ("1,50", D("1.50")),
    ],
)
def test_parse_decimal_accepts(value, expected):
    result = parse_decimal(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value",
    ["", "abc", "1.234,5", "1,234.5", "1 234", "0,555", 0.555, "-1", -1, D("-0.5"), "1e3", True, None, float("nan")],
)
def test_parse_decimal_rejects(value):
    with pytest.raises(RuleError) as exc:
        parse_decimal(value, field="max_points")
    assert exc.value.field == "max_points"
    assert exc.value.message


def test_parse_decimal_negative_allowed_and_places():
    assert parse_decimal("-0,5", allow_negative=True) == D("-0.50")
    assert parse_decimal("-0", allow_negative=True) == 0
    assert str(parse_decimal("-0", allow_negative=True)) == "0.00"
    with pytest.raises(RuleError):
        parse_decimal("1,5", places=0)
    assert parse_decimal("3", places=0) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tự chấm", Method.MANUAL),
        ("  Tự   Chấm ", Method.MANUAL),
        ("MANUAL", Method.MANUAL),
        ("lựa chọn", Method.CHOICE),
        ("choice", Method.CHOICE),
        ("theo mức tỷ lệ", Method.BANDS),
        ("bands", Method.BANDS),
        ("tỷ lệ", Method.PROPORTIONAL),
        ("proportional", Method.PROPORTIONAL),
        ("mỗi lần", Method.PER_ITEM),
        ("per_item", Method.PER_ITEM),
        ("trừ dần", Method.DEDUCTION),
        ("deduction", Method.DEDUCTION),
        ("Điều tra xã hội học", Method.SURVEY),
        ("survey", Method.SURVEY),
        # Decomposed (NFD) input as pasted from some editors.
        ("t\u01b0\u0323 ch\u00e2\u0301m", Method.MANUAL),
    ],
)
def test_parse_method(text, expected):
    assert parse_method(text) is expected


@pytest.mark.parametrize("text", ["", "tự do", "formula", None])
def test_parse_method_unknown(text):
    with pytest.raises(RuleError) as exc:
        parse_method(text)
    assert exc.value.field == "method"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Kind.SCORE),
        (None, Kind.SCORE),
        ("điểm", Kind.SCORE),
        ("score", Kind.SCORE),
        ("Thưởng", Kind.BONUS),
        ("bonus", Kind.BONUS),
        ("trừ", Kind.PENALTY),
        ("PENALTY", Kind.PENALTY),
    ],
)
def test_parse_kind(text, expected):
    assert parse_kind(text) is expected


def test_parse_kind_unknown():
    with pytest.raises(RuleError):
        parse_kind("phạt nặng")


def test_parse_bands_rule():
    rule = parse_rule(Method.BANDS, BANDS, D(2))
    assert rule.bands == (
        Band(">=", D(100), D(2)),
        Band(">=", D(95), D("1.75")),
        Band(">", D(90), D(1)),
    )
    assert rule.else_points == 0


@pytest.mark.parametrize(
    "text",
    [
        "≥ 100 = 2; ≥ 95 = 1,75; >90=1; Còn lại = 0",
        ">= 100%: 2; >= 95%: 1.75; > 90%: 1; else: 0",
        ">= 100 % = 2\n>= 95 % = 1,75\n> 90 % = 1\nELSE = 0;",
    ],
)
def test_parse_bands_rule_variants(text):
    assert parse_rule(Method.BANDS, text, D(2)) == parse_rule(Method.BANDS, BANDS, D(2))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (">= 90% = 2; >= 95% = 1; còn lại = 0", "nhỏ hơn ngưỡng trước"),
        (">= 90% = 2; > 90% = 1; còn lại = 0", "nhỏ hơn ngưỡng trước"),
        (">= 95% = 2; > 90% = 1", "còn lại"),
        (">= 95% = 2; còn lại = 0; > 90% = 1", "cuối cùng"),
        ("=> 95% = 2; còn lại = 0", "toán tử"),
        ("< 95% = 2; còn lại = 0", "toán tử"),
        ("<= 95% = 2; còn lại = 0", "toán tử"),
        ("đạt thì cho điểm", "không hợp lệ"),
        (">= 95% = -1; còn lại = 0", "không hợp lệ"),
        (">= 95% = 3; còn lại = 0", "vượt quá điểm tối đa"),
        (">= 95% = 2; còn lại = 2,5", "vượt quá điểm tối đa"),
        (">= 150% = 2; còn lại = 0", "từ 0 đến 100"),
        (">= 9x% = 2; còn lại = 0", "ngưỡng"),
        ("còn lại = 0", "ít nhất một mức"),
        ("", "cần có quy tắc"),
        ("   ", "cần có quy tắc"),
    ],
)
def test_parse_bands_rule_errors(text, fragment):
    with pytest.raises(RuleError) as exc:
        parse_rule(Method.BANDS, text, D(2))
    assert exc.value.field == "rule"
    assert fragment in exc.value.message


def test_parse_choice_percentages():
    rule = parse_rule(Method.CHOICE, "Hoàn thành xuất sắc = 100%; Hoàn thành tốt = 75%; Hoàn thành = 50%", D(2))
    assert [(o.label, o.points, o.percent) for o in rule.options] == [
        ("Hoàn thành xuất sắc", D(2), D(100)),
        ("Hoàn thành tốt", D("1.5"), D(75)),
        ("Hoàn thành", D(1), D(50)),
    ]


def test_parse_choice_percentage_rounds_half_up():
    # 0,25 × 50% = 0,125 -> 0,13 (half-up, not banker's 0,12).
    rule = parse_rule(Method.CHOICE, "Có = 100%; Một phần = 50%; Không = 0", D("0.25"))
    assert rule.options[1].points == D("0.13")


def test_parse_choice_colon_and_comma():
    # Real Cà Mau text, with ":" and a comma decimal.
    text = "Ban hành kịp thời: 1; Ban hành không kịp thời: 0,5; Không ban hành: 0"
    rule = parse_rule(Method.CHOICE, text, D(1))
    assert [(o.label, o.points) for o in rule.options] == [
        ("Ban hành kịp thời", D(1)),
        ("Ban hành không kịp thời", D("0.5")),
        ("Không ban hành", D(0)),
    ]


def test_parse_choice_splits_on_last_separator():
    rule = parse_rule(Method.CHOICE, "Tỷ lệ = 100% = 2; Khác = 0", D(2))
    assert rule.options[0].label == "Tỷ lệ = 100%"
    assert rule.options[0].points == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Có = 1", "ít nhất 2"),
        ("Có = 3; Không = 0", "vượt quá điểm tối đa"),
        ("Có = 150%; Không = 0", "vượt quá điểm tối đa"),
        ("Có = 1; có = 0", "bị trùng"),
        ("Có  = 1; CÓ = 0", "bị trùng"),
        ("Có 1; Không = 0", "thiếu dấu"),
        ("= 1; Không = 0", "thiếu nhãn"),
        ("Có = một; Không = 0", "không hợp lệ"),
        ("Có = -1; Không = 0", "không hợp lệ"),
        ("", "cần có quy tắc"),
    ],
)
def test_parse_choice_errors(text, fragment):
    with pytest.raises(RuleError) as exc:
        parse_rule(Method.CHOICE, text, D(2))
    assert exc.value.field == "rule"
    assert fragment in exc.value.message


@pytest.mark.parametrize(("method", "text"), [(Method.PER_ITEM, "0,5"), (Method.DEDUCTION, "0.25")])
def test_parse_unit_rules(method, text):
    rule = parse_rule(method, text, D(2))
    assert rule.unit_points == parse_decimal(text)


@pytest.mark.parametrize("text", ["0", "-0,5", "nửa điểm", "", None, "0,125"])
@pytest.mark.parametrize("method", [Method.PER_ITEM, Method.DEDUCTION])
def test_parse_unit_rules_errors(method, text):
    with pytest.raises(RuleError) as exc:
        parse_rule(method, text, D(2))
    assert exc.value.field == "rule"


@pytest.mark.parametrize("method", [Method.MANUAL, Method.PROPORTIONAL, Method.SURVEY])
def test_free_text_rules_ignored(method):
    assert parse_rule(method, "bất kỳ ghi chú nào", D(2)) == parse_rule(method, None, D(2))


def test_negative_max_rejected():
    with pytest.raises(RuleError) as exc:
        parse_rule(Method.MANUAL, None, D(-1))
    assert exc.value.field == "max_points"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("1.75"), "1,75"), (D("2.00"), "2"), (D("0.50"), "0,5"), (D(0), "0"), (D("100"), "100"), (D("99.97"), "99,97")],
)
def test_format_points(value, expected):
    assert format_points(value) == expected


def _node(method, max_points, rule_text=None, allow_na=False):
    rule = parse_rule(method, rule_text, D(max_points))
    return Node("1.1", "1", Kind.SCORE, D(max_points), method, rule, allow_na=allow_na)


@pytest.mark.parametrize(
    ("node", "labels", "expected"),
    [
        (
            _node(Method.BANDS, 2, BANDS),
            {"numerator_label": "số hồ sơ đúng hạn", "denominator_label": "tổng số hồ sơ"},
            "Tỷ lệ = số hồ sơ đúng hạn / tổng số hồ sơ × 100. Từ 100% trở lên: 2 điểm; từ 95%: 1,75 điểm; "
            "trên 90%: 1 điểm; còn lại: 0 điểm.",
        ),
        (
            _node(Method.PER_ITEM, 2, "0,5"),
            {"count_label": "Số nội quy được ban hành"},
            "Điểm = 0,5 × số nội quy được ban hành; tối đa 2 điểm.",
        ),
        (
            _node(Method.DEDUCTION, 3, "0,5"),
            {"count_label": "Số trường hợp vi phạm"},
            "Điểm = 3 − 0,5 × số trường hợp vi phạm; không thấp hơn 0.",
        ),
        (_node(Method.MANUAL, 2), {}, "Đơn vị tự chấm từ 0 đến 2 điểm."),
        (_node(Method.PROPORTIONAL, "1.5"), {}, "Điểm = 1,5 × tỷ lệ (%) / 100, làm tròn 2 chữ số thập phân."),
        (_node(Method.SURVEY, 2), {}, "Điểm = 2 × tỷ lệ điều tra xã hội học (%) / 100; không tự chấm."),
        (
            _node(Method.CHOICE, 2, "Hoàn thành xuất sắc = 100%; Hoàn thành tốt = 75%; Không = 0"),
            {},
            "Hoàn thành xuất sắc: 2 điểm; Hoàn thành tốt: 1,5 điểm; Không: 0 điểm.",
        ),
        (
            _node(Method.MANUAL, "0.5", allow_na=True),
            {},
            "Đơn vị tự chấm từ 0 đến 0,5 điểm. Được khai báo không áp dụng.",
        ),
    ],
)
def test_describe_rule(node, labels, expected):
    assert describe_rule(node, **labels) == expected


def test_describe_proportional_with_labels():
    text = describe_rule(_node(Method.PROPORTIONAL, 1), numerator_label="văn bản ký số", denominator_label="văn bản đi")
    assert text.startswith("Tỷ lệ = văn bản ký số / văn bản đi × 100. Điểm = 1 × tỷ lệ")
