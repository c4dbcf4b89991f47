"""Plain data that goes into and comes out of the scoring engine.

The engine never touches the database: callers turn model rows into these
dataclasses, and every page, export and command uses the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Method(StrEnum):
    MANUAL = "manual"  # tự chấm
    CHOICE = "choice"  # lựa chọn
    BANDS = "bands"  # theo mức tỷ lệ
    PROPORTIONAL = "proportional"  # tỷ lệ
    PER_ITEM = "per_item"  # mỗi lần
    DEDUCTION = "deduction"  # trừ dần
    SURVEY = "survey"  # điều tra xã hội học


class Kind(StrEnum):
    SCORE = "score"  # điểm
    BONUS = "bonus"  # thưởng
    PENALTY = "penalty"  # trừ


class TieRule(StrEnum):
    COMPETITION = "competition"  # 1, 2, 2, 4
    DENSE = "dense"  # 1, 2, 2, 3


@dataclass(frozen=True)
class ChoiceOption:
    label: str
    points: Decimal  # already resolved from a percentage of the maximum
    percent: Decimal | None = None  # set when the rule gave "75%"


@dataclass(frozen=True)
class Band:
    op: str  # ">=" or ">"
    threshold: Decimal  # a rate in percent, e.g. Decimal("95")
    points: Decimal


@dataclass(frozen=True)
class Rule:
    """A parsed rule. Only the fields of its method are set."""

    method: Method
    options: tuple[ChoiceOption, ...] = ()  # choice
    bands: tuple[Band, ...] = ()  # bands
    else_points: Decimal | None = None  # bands: the "còn lại" points
    unit_points: Decimal | None = None  # per_item: points per item; deduction: points per occurrence


@dataclass(frozen=True)
class Node:
    """One node of a criteria tree. `parent` is None for a domain."""

    code: str
    parent: str | None
    kind: Kind
    max_points: Decimal
    method: Method | None = None  # None on nodes that have children
    rule: Rule | None = None
    allow_na: bool = False
    title: str = ""


@dataclass
class LeafInput:
    """What a unit (or appraiser, or the survey import) entered for one leaf."""

    not_applicable: bool = False
    points: Decimal | None = None  # manual
    option: str | None = None  # choice: the option's label
    numerator: Decimal | None = None  # bands, proportional
    denominator: Decimal | None = None
    count: int | None = None  # per_item, deduction
    rate: Decimal | None = None  # survey: 0..100


@dataclass(frozen=True)
class LeafResult:
    points: Decimal | None  # None when nothing was entered (counts as 0 in sums)
    applicable: bool = True
    rate: Decimal | None = None  # bands/proportional/survey: exact rate rounded half-up to 2 decimals, for display


@dataclass
class TreeResult:
    leaves: dict[str, LeafResult] = field(default_factory=dict)
    points: dict[str, Decimal] = field(default_factory=dict)  # every node code -> points (after caps)
    max_points: dict[str, Decimal] = field(default_factory=dict)  # every node code -> applicable maximum
    score_points: Decimal = Decimal("0")  # sum of score domains
    bonus: Decimal = Decimal("0")  # capped
    penalty: Decimal = Decimal("0")  # capped
    total: Decimal = Decimal("0")  # score + bonus - penalty, never below 0
    maximum: Decimal = Decimal("0")  # sum of maxima of applicable score leaves
    index: Decimal = Decimal("0")  # round(total / maximum * 100), at most 100
    entered: int = 0  # applicable leaves with a value
    to_enter: int = 0  # applicable leaves without one (survey leaves not counted)
