"""Template filters for points and rates, formatted the Vietnamese way (1,75)."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def points(value) -> str:
    """Two decimals at most, trailing zeros dropped: 2 ; 1,75 ; 0,5."""
    if value is None or value == "":
        return "–"
    value = Decimal(value).quantize(Decimal("0.01"))
    text = number_format(value, 2)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


@register.filter
def fixed2(value) -> str:
    """Always two decimals, as indexes are published: 84,38."""
    if value is None or value == "":
        return "–"
    return number_format(Decimal(value).quantize(Decimal("0.01")), 2)


@register.filter
def get(mapping, key):
    """mapping|get:key — dictionary lookup by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
