"""Template filters for points and rates, formatted the Vietnamese way (1,75)."""

from decimal import Decimal

from django import template
from django.utils.formats import get_format

register = template.Library()
TWO = Decimal("0.01")


def _two_places(value) -> str:
    # Django's number_format looks up half a dozen locale settings per call; a ranking of 800
    # units formats ~17,000 numbers, so format here and only ask for the decimal separator.
    # (No thousands grouping: USE_THOUSAND_SEPARATOR is off.)
    return f"{Decimal(value).quantize(TWO):.2f}".replace(".", get_format("DECIMAL_SEPARATOR"))


@register.filter
def points(value) -> str:
    """Two decimals at most, trailing zeros dropped: 2 ; 1,75 ; 0,5."""
    if value is None or value == "":
        return "–"
    text = _two_places(value)
    separator = get_format("DECIMAL_SEPARATOR")
    if separator in text:
        text = text.rstrip("0").rstrip(separator)
    return text


@register.filter
def fixed2(value) -> str:
    """Always two decimals, as indexes are published: 84,38."""
    if value is None or value == "":
        return "–"
    return _two_places(value)


@register.filter
def get(mapping, key):
    """mapping|get:key — dictionary lookup by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
