"""Parsing and describing scoring rules.

Everything here is pure: rule text in, `Rule` out. Numbers follow the
Vietnamese habit of writing decimals with a comma ("1,75") but a dot is
accepted as well, because spreadsheets exported on English systems use it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .types import Band, ChoiceOption, Kind, Method, Node, Rule

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# One optional sign, digits, at most one decimal separator. A second separator
# ("1.234,5") is rejected on purpose: guessing which one groups thousands
# would silently turn 1.234 points into 1234.
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_WS_RE = re.compile(r"\s+")
# Bands are matched as a whole part because ">=" itself contains "=".
_BAND_RE = re.compile(r"^(>=|≥|>)\s*([^=:%\s]+)\s*%?\s*[=:]\s*(.+)$")
_ELSE_RE = re.compile(r"^(?:còn lại|else)\s*[=:]\s*(.+)$")

METHOD_LABELS: dict[Method, str] = {
    Method.MANUAL: "tự chấm",
    Method.CHOICE: "lựa chọn",
    Method.BANDS: "theo mức tỷ lệ",
    Method.PROPORTIONAL: "tỷ lệ",
    Method.PER_ITEM: "mỗi lần",
    Method.DEDUCTION: "trừ dần",
    Method.SURVEY: "điều tra xã hội học",
}

KIND_LABELS: dict[Kind, str] = {
    Kind.SCORE: "điểm",
    Kind.BONUS: "thưởng",
    Kind.PENALTY: "trừ",
}


class RuleError(ValueError):
    """A rule, maximum or method that cannot be used; `message` is translated."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_text(text: str) -> str:
    """NFC, collapsed whitespace, casefolded: how labels and names are compared."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def clean_label(text: str) -> str:
    """NFC and collapsed whitespace, case kept: how labels are stored."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def round_half_up(x: Decimal | Fraction | int) -> Decimal:
    """Round to 2 decimals, halves away from zero (the way reports round)."""
    if isinstance(x, Fraction):
        # Exact: never go through a binary or 28-digit intermediate.
        scaled = abs(x) * 100
        cents = math.floor(scaled + Fraction(1, 2))
        result = Decimal(cents).scaleb(-2)
        return -result if x < 0 and cents else result
    return (Decimal(x) + 0).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(
    value: object,
    *,
    field: str = "",
    allow_negative: bool = False,
    places: int = 2,
) -> Decimal:
    """Read a number typed by a person or found in a spreadsheet cell."""
    number: Decimal
    if isinstance(value, bool):
        raise RuleError(_("Giá trị “%(value)s” không phải là số.") % {"value": value}, field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # repr gives the shortest text that round-trips, so 0.5 stays 0.5
        # and 1.75 stays 1.75 instead of their binary expansions.
        number = Decimal(repr(value)) if math.isfinite(value) else Decimal("NaN")
    elif isinstance(value, str):
        text = value.replace("\u00a0", " ").strip()
        if not _NUMBER_RE.match(text):
            raise RuleError(_("Giá trị “%(value)s” không phải là số.") % {"value": value}, field)
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the regex already guards
            raise RuleError(_("Giá trị “%(value)s” không phải là số.") % {"value": value}, field) from None
    else:
        raise RuleError(_("Giá trị “%(value)s” không phải là số.") % {"value": value}, field)
    if not number.is_finite():
        raise RuleError(_("Giá trị “%(value)s” không phải là số.") % {"value": value}, field)
    if number < 0 and not allow_negative:
        raise RuleError(_("Giá trị “%(value)s” không được âm.") % {"value": value}, field)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise RuleError(
            _("Giá trị “%(value)s” có quá %(places)s chữ số thập phân.") % {"value": value, "places": places},
            field,
        )
    result = number.quantize(Decimal(1).scaleb(-max(places, 2)))
    return result + 0 if result == 0 else result  # drop a "-0"


def parse_method(text: str | None) -> Method:
    key = normalize_text(text or "")
    for method, label in METHOD_LABELS.items():
        if key in (label, method.value, method.value.replace("_", " ")):
            return method
    raise RuleError(_("Phương pháp chấm “%(value)s” không hợp lệ.") % {"value": text or ""}, "method")


def parse_kind(text: str | None) -> Kind:
    key = normalize_text(text or "")
    if not key:
        return Kind.SCORE
    # Officials also write the longer forms they see in decisions ("điểm thưởng", "điểm cộng").
    aliases = {"điểm thưởng": Kind.BONUS, "điểm cộng": Kind.BONUS, "cộng": Kind.BONUS, "điểm trừ": Kind.PENALTY}
    if key in aliases:
        return aliases[key]
    for kind, label in KIND_LABELS.items():
        if key in (label, kind.value):
            return kind
    raise RuleError(_("Loại tiêu chí “%(value)s” không hợp lệ.") % {"value": text or ""}, "kind")


def _split_parts(text: str) -> list[str]:
    # ";" is the documented separator; line breaks come from pasted cells.
    return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]


def _split_pair(part: str) -> tuple[str, str]:
    """Split "left = right" on the last "=", or else on the last ":"."""
    for sep in ("=", ":"):
        if sep in part:
            left, right = part.rsplit(sep, 1)
            return left.strip(), right.strip()
    raise RuleError(_("Phần “%(part)s” thiếu dấu “=” giữa nhãn và điểm.") % {"part": part}, "rule")


def _points_of(part: str, text: str, max_points: Decimal) -> tuple[Decimal, Decimal | None]:
    """Points written as a number or as a percentage of the maximum."""
    percent: Decimal | None = None
    try:
        if text.endswith("%"):
            percent = parse_decimal(text[:-1].strip(), field="rule")
            points = round_half_up(Fraction(max_points) * Fraction(percent) / 100)
        else:
            points = parse_decimal(text, field="rule")
    except RuleError:
        raise RuleError(
            _(
                "Phần “%(part)s”: điểm “%(points)s” không hợp lệ (cần số không âm, tối đa 2 chữ số thập phân, hoặc phần trăm)."
            )
            % {"part": part, "points": text},
            "rule",
        ) from None
    if points > max_points:
        raise RuleError(
            _("Phần “%(part)s”: %(points)s điểm vượt quá điểm tối đa (%(max)s).")
            % {"part": part, "points": format_points(points), "max": format_points(max_points)},
            "rule",
        )
    return points, percent


def _parse_choice(text: str, max_points: Decimal) -> Rule:
    options: list[ChoiceOption] = []
    seen: set[str] = set()
    for part in _split_parts(text):
        left, right = _split_pair(part)
        label = clean_label(left)
        if not label:
            raise RuleError(_("Phần “%(part)s” thiếu nhãn lựa chọn.") % {"part": part}, "rule")
        key = normalize_text(label)
        if key in seen:
            raise RuleError(_("Lựa chọn “%(label)s” bị trùng.") % {"label": label}, "rule")
        seen.add(key)
        points, percent = _points_of(part, right, max_points)
        options.append(ChoiceOption(label=label, points=points, percent=percent))
    if len(options) < 2:
        raise RuleError(_("Quy tắc lựa chọn cần ít nhất 2 lựa chọn, dạng “Nhãn = điểm; Nhãn = điểm”."), "rule")
    return Rule(method=Method.CHOICE, options=tuple(options))


def _parse_bands(text: str, max_points: Decimal) -> Rule:
    bands: list[Band] = []
    else_points: Decimal | None = None
    for part in _split_parts(text):
        if else_points is not None:
            raise RuleError(_("Mức “còn lại” phải là mức cuối cùng (gặp “%(part)s” sau nó).") % {"part": part}, "rule")
        else_match = _ELSE_RE.match(normalize_text(part))
        if else_match:
            else_points, _percent = _points_of(part, else_match.group(1), max_points)
            continue
        match = _BAND_RE.match(part)
        if not match:
            raise RuleError(
                _(
                    "Mức “%(part)s” không hợp lệ: cần dạng “>= 95%% = 1,75” với toán tử “>=”, “≥” hoặc “>”, "
                    "và mức cuối “còn lại = điểm”."
                )
                % {"part": part},
                "rule",
            )
        points, _percent = _points_of(part, match.group(3).strip(), max_points)
        op = ">" if match.group(1) == ">" else ">="
        try:
            threshold = parse_decimal(match.group(2), field="rule")
        except RuleError:
            raise RuleError(
                _("Mức “%(part)s”: ngưỡng “%(value)s” không hợp lệ.") % {"part": part, "value": match.group(2)},
                "rule",
            ) from None
        if threshold > HUNDRED:
            raise RuleError(_("Mức “%(part)s”: ngưỡng phải từ 0 đến 100%%.") % {"part": part}, "rule")
        if bands and threshold >= bands[-1].threshold:
            raise RuleError(
                _("Mức “%(part)s”: ngưỡng %(value)s%% phải nhỏ hơn ngưỡng trước (%(previous)s%%).")
                % {"part": part, "value": format_points(threshold), "previous": format_points(bands[-1].threshold)},
                "rule",
            )
        bands.append(Band(op=op, threshold=threshold, points=points))
    if not bands:
        raise RuleError(_("Quy tắc theo mức tỷ lệ cần ít nhất một mức có ngưỡng, ví dụ “>= 95% = 1,75”."), "rule")
    if else_points is None:
        raise RuleError(_("Quy tắc theo mức tỷ lệ phải kết thúc bằng mức “còn lại = điểm”."), "rule")
    return Rule(method=Method.BANDS, bands=tuple(bands), else_points=else_points)


def _parse_unit(method: Method, text: str) -> Rule:
    try:
        unit = parse_decimal(text, field="rule")
    except RuleError:
        unit = Decimal(0)
    if unit <= 0:
        raise RuleError(
            _("Quy tắc “%(rule)s” không hợp lệ: cần số điểm lớn hơn 0 cho mỗi lần, ví dụ 0,5.") % {"rule": text},
            "rule",
        )
    return Rule(method=method, unit_points=unit)


def parse_rule(method: Method, text: str | None, max_points: Decimal) -> Rule:
    """Parse the rule text of a leaf; free text is ignored where the method has no rule."""
    if max_points < 0:
        raise RuleError(_("Điểm tối đa phải là số không âm, tối đa 2 chữ số thập phân."), "max_points")
    if method in (Method.MANUAL, Method.PROPORTIONAL, Method.SURVEY):
        return Rule(method=method)
    text = (text or "").strip()
    if not text:
        raise RuleError(
            _("Phương pháp “%(method)s” cần có quy tắc chấm điểm.") % {"method": METHOD_LABELS[method]}, "rule"
        )
    if method is Method.CHOICE:
        return _parse_choice(text, max_points)
    if method is Method.BANDS:
        return _parse_bands(text, max_points)
    return _parse_unit(method, text)


def format_points(d: Decimal) -> str:
    """A number for readers: locale separators, no trailing zeros ("1,75", "2", "0,5")."""
    value = Decimal(d)
    if value == value.to_integral_value():
        return number_format(value.quantize(Decimal(1)), 0)
    value = value.normalize()
    places = -value.as_tuple().exponent  # type: ignore[operator]
    return number_format(value, places)


def _pts(d: Decimal) -> str:
    return _("%(points)s điểm") % {"points": format_points(d)}


def _rate_sentence(numerator_label: str, denominator_label: str) -> str:
    return _("Tỷ lệ = %(numerator)s / %(denominator)s × 100.") % {
        "numerator": numerator_label or _("tử số"),
        "denominator": denominator_label or _("mẫu số"),
    }


def _lower_first(text: str) -> str:
    # "Số nội quy" inside a sentence becomes "số nội quy"; acronyms such as "TTHC" stay as they are.
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def describe_rule(
    node: Node,
    *,
    numerator_label: str = "",
    denominator_label: str = "",
    count_label: str = "",
) -> str:
    """The rule of a leaf in words, for the scoring page and the printed guide."""
    method, rule, maximum = node.method, node.rule, node.max_points
    count = count_label or _("số lần")
    text = ""
    if method is Method.MANUAL:
        text = _("Đơn vị tự chấm từ 0 đến %(max)s.") % {"max": _pts(maximum)}
    elif method is Method.PROPORTIONAL:
        text = _("Điểm = %(max)s × tỷ lệ (%%) / 100, làm tròn 2 chữ số thập phân.") % {"max": format_points(maximum)}
        if numerator_label or denominator_label:
            text = _rate_sentence(numerator_label, denominator_label) + " " + text
    elif method is Method.SURVEY:
        text = _("Điểm = %(max)s × tỷ lệ điều tra xã hội học (%%) / 100; không tự chấm.") % {
            "max": format_points(maximum)
        }
    elif rule is None or method is None:
        text = _("Chưa có quy tắc chấm điểm.")
    elif method is Method.CHOICE:
        items = [_("%(label)s: %(points)s") % {"label": o.label, "points": _pts(o.points)} for o in rule.options]
        text = "; ".join(items) + "."
    elif method is Method.BANDS:
        items = []
        for i, band in enumerate(rule.bands):
            args = {"threshold": format_points(band.threshold), "points": _pts(band.points)}
            if band.op == ">":
                items.append(_("trên %(threshold)s%%: %(points)s") % args)
            elif i == 0:
                items.append(_("từ %(threshold)s%% trở lên: %(points)s") % args)
            else:
                items.append(_("từ %(threshold)s%%: %(points)s") % args)
        items.append(_("còn lại: %(points)s") % {"points": _pts(rule.else_points or Decimal(0))})
        levels = "; ".join(items)
        text = _rate_sentence(numerator_label, denominator_label) + " " + levels[:1].upper() + levels[1:] + "."
    elif method is Method.PER_ITEM:
        # "Điểm = 0,5 × số nội quy được ban hành; tối đa 2 điểm." reads right whatever the counted thing is.
        text = _("Điểm = %(unit)s × %(count)s; tối đa %(max)s.") % {
            "unit": format_points(rule.unit_points or Decimal(0)),
            "count": _lower_first(count),
            "max": _pts(maximum),
        }
    elif method is Method.DEDUCTION:
        text = _("Điểm = %(max)s − %(unit)s × %(count)s; không thấp hơn 0.") % {
            "max": format_points(maximum),
            "unit": format_points(rule.unit_points or Decimal(0)),
            "count": _lower_first(count),
        }
    if node.allow_na:
        text += " " + _("Được khai báo không áp dụng.")
    return text
