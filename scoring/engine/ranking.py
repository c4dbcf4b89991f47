"""Ranking units of a group and classifying their index into bands."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.utils.translation import gettext as _

from .rules import RuleError, clean_label, normalize_text, parse_decimal
from .types import TieRule

K = TypeVar("K", bound=Hashable)

DEFAULT_BANDS = "A>=90;B>=80;C>=70;D"

# "Label >= 90", "Label ≥ 90%", "Label > 89,5". The label is taken lazily so a
# label ending in a digit ("Loại 1 >= 90") still leaves the threshold alone.
_BAND_RE = re.compile(r"^(.+?)\s*(>=|≥|>)\s*([^\s%]+)\s*%?$")
_OPERATOR_CHARS = set("<>=≥≤")


def rank(items: Sequence[tuple[K, Decimal]], tie_rule: TieRule = TieRule.COMPETITION) -> dict[K, int]:
    """Rank by value, highest first; equal values share a rank.

    Competition ranking skips after a tie (1, 2, 2, 4); dense does not (1, 2, 2, 3).
    """
    ordered = sorted(items, key=lambda item: item[1], reverse=True)
    ranks: dict[K, int] = {}
    previous: Decimal | None = None
    current = 0
    for position, (key, value) in enumerate(ordered, start=1):
        # Decimal equality ignores scale: 90 and 90.00 tie, as they should.
        if previous is None or value != previous:
            current = current + 1 if tie_rule == TieRule.DENSE else position
            previous = value
        ranks[key] = current
    return ranks


@dataclass(frozen=True)
class ClassBand:
    label: str
    op: str | None  # ">=" or ">"; None on the last band, which takes the rest
    threshold: Decimal | None

    def matches(self, index: Decimal) -> bool:
        if self.op is None or self.threshold is None:
            return True
        return index > self.threshold if self.op == ">" else index >= self.threshold


def parse_bands(text: str | None) -> tuple[ClassBand, ...]:
    """Parse "A>=90;B>=80;C>=70;D"; empty text means the default bands."""
    text = (text or "").strip() or DEFAULT_BANDS
    parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    bands: list[ClassBand] = []
    seen: set[str] = set()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        match = _BAND_RE.match(part)
        if match and _OPERATOR_CHARS & set(match.group(1)):
            match = None  # "A=>90", "A<=90": a wrong operator, reported below
        if match:
            label = clean_label(match.group(1))
            op = ">" if match.group(2) == ">" else ">="
            try:
                threshold = parse_decimal(match.group(3), field="bands")
            except RuleError:
                raise RuleError(
                    _("Mức xếp loại “%(part)s”: ngưỡng “%(value)s” không hợp lệ.")
                    % {"part": part, "value": match.group(3)},
                    "bands",
                ) from None
            if last:
                raise RuleError(
                    _("Mức xếp loại cuối cùng (“%(part)s”) không được có ngưỡng: nó nhận mọi kết quả còn lại.")
                    % {"part": part},
                    "bands",
                )
            if threshold > 100:
                raise RuleError(_("Mức xếp loại “%(part)s”: ngưỡng phải từ 0 đến 100.") % {"part": part}, "bands")
            previous = bands[-1].threshold if bands else None
            if previous is not None and threshold >= previous:
                raise RuleError(
                    _("Mức xếp loại “%(part)s”: ngưỡng phải nhỏ hơn ngưỡng của mức trước.") % {"part": part},
                    "bands",
                )
        else:
            label = clean_label(part)
            if _OPERATOR_CHARS & set(label):
                raise RuleError(
                    _("Mức xếp loại “%(part)s” không hợp lệ: cần dạng “A>=90”, toán tử “>=”, “≥” hoặc “>”.")
                    % {"part": part},
                    "bands",
                )
            if not last:
                raise RuleError(
                    _("Mức xếp loại “%(part)s” thiếu ngưỡng; chỉ mức cuối cùng không có ngưỡng.") % {"part": part},
                    "bands",
                )
            op, threshold = None, None
        key = normalize_text(label)
        if key in seen:
            raise RuleError(_("Nhãn xếp loại “%(label)s” bị trùng.") % {"label": label}, "bands")
        seen.add(key)
        bands.append(ClassBand(label=label, op=op, threshold=threshold))
    if len(bands) < 2:
        raise RuleError(_("Cần ít nhất 2 mức xếp loại, ví dụ “A>=90;B>=80;C>=70;D”."), "bands")
    return tuple(bands)


def _plain(d: Decimal) -> str:
    # Comma decimals, as people write them; parse_bands reads them back.
    text = format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))
    return text.replace(".", ",")


def format_bands(bands: Sequence[ClassBand]) -> str:
    """Canonical text of bands, e.g. "A>=90;B>=80;C>=70;D"."""
    parts = []
    for band in bands:
        if band.op is None or band.threshold is None:
            parts.append(band.label)
        else:
            parts.append(f"{band.label}{band.op}{_plain(band.threshold)}")
    return ";".join(parts)


def classify(index: Decimal, bands: Sequence[ClassBand] | str) -> str:
    """The label of the first band the index reaches."""
    if isinstance(bands, str):
        bands = parse_bands(bands)
    for band in bands:
        if band.matches(index):
            return band.label
    return bands[-1].label if bands else ""
