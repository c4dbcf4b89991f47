"""|points and |fixed2 (and the functions pages call directly) write numbers exactly as before their
speed-up: two places rounded half to even, a comma in Vietnamese, trailing zeros dropped by |points."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.templatetags.par import decimal_separator, fixed2, format_fixed2, format_points, points

VALUES = [
    Decimal("1.005"), Decimal("1.015"), Decimal("2.675"), Decimal("-0.005"), Decimal("-1.25"), Decimal("0"),
    Decimal("0.000"), Decimal("100"), Decimal("1E+2"), Decimal("76.125"), Decimal("12345678.995"), Decimal("0.5"),
    0, 7, 1.5, 0.1, 2.675, "3.14159", "2",
]


def _before(value, separator, strip):
    text = f"{Decimal(value).quantize(Decimal('0.01')):.2f}".replace(".", separator)
    if strip and separator in text:
        text = text.rstrip("0").rstrip(separator)
    return text


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_it_writes_what_it_wrote_before(language, value):
    with translation.override(language):
        separator = decimal_separator()
        assert separator == ","  # both languages write decimals with a comma (config/formats)
        assert fixed2(value) == format_fixed2(value, separator) == _before(value, separator, strip=False)
        assert points(value) == format_points(value, separator) == _before(value, separator, strip=True)
    assert format_points(value, ".") == _before(value, ".", strip=True)


def test_nothing_is_a_dash():
    for value in (None, ""):
        assert points(value) == fixed2(value) == format_points(value, ",") == format_fixed2(value, ",") == "–"


def test_in_a_template():
    with translation.override("vi"):
        html = Template("{% load par %}{{ a|points }} {{ b|fixed2 }} {{ c|points }}").render(
            Context({"a": Decimal("1.750"), "b": Decimal("84.375"), "c": Decimal("2.00")})
        )
    assert html == "1,75 84,38 2"
