"""Analysis of rankings for Home Affairs: where units lose points, who over-scores, how years compare.

Every figure is read from `scoring.ranking` (live or published); nothing here recomputes points.
The only arithmetic is on those figures: points lost on a leaf (maximum − final points, or the
deduction of a penalty), sums, averages and shares. Values stay `Decimal` for display; pandas is
used to pivot long records into code × unit / code × year tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from scoring import engine

from .models import Round
from .ranking import RankedUnit, Ranking, current

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
SHORT_TITLE = 48


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cell(value) -> Decimal | None:
    """A value out of a pivoted frame: pandas fills the holes with NaN; the page wants None."""
    if value is None:
        return None
    if isinstance(value, float):  # NaN from reindex/pivot; real values are Decimals
        return None
    return value


def short_title(title: str, length: int = SHORT_TITLE) -> str:
    title = " ".join(title.split())
    return title if len(title) <= length else title[: length - 1].rstrip() + "…"


def _pivot(records: list[tuple], rows: Sequence, columns: Sequence) -> pd.DataFrame:
    """(row, column, value) records → a rows × columns frame of objects, in the order given."""
    frame = pd.DataFrame.from_records(records, columns=["row", "column", "value"])
    if frame.empty:
        return pd.DataFrame(index=list(rows), columns=list(columns), dtype=object)
    frame["value"] = frame["value"].astype(object)
    table = frame.pivot(index="row", columns="column", values="value")
    return table.reindex(index=list(rows), columns=list(columns)).astype(object)


# ---------------------------------------------------------------- points lost


@dataclass
class LostCell:
    unit_code: str
    final: Decimal | None  # final points on the leaf; None: not applicable or no value yet
    lost: Decimal | None
    ratio: Decimal  # lost / maximum, 0..1 (heat-map intensity)


@dataclass
class LostRow:
    code: str
    title: str
    maximum: Decimal
    kind: str
    cells: list[LostCell]
    total: Decimal = ZERO  # points lost by all units together
    counted: int = 0  # units with a value on the leaf
    average: Decimal | None = None  # per unit with a value
    share: Decimal | None = None  # total lost as % of the points at stake (maximum × counted)

    @property
    def short_title(self) -> str:
        return short_title(self.title)

    @property
    def is_penalty(self) -> bool:
        return self.kind == engine.Kind.PENALTY.value


@dataclass
class LostMatrix:
    """Criteria (rows, in the set's order) × units (columns, by final rank)."""

    ranking: Ranking
    units: list[RankedUnit]
    rows: list[LostRow]
    unit_totals: list[Decimal]
    frame: pd.DataFrame  # code × unit code, Decimal or NaN

    @property
    def worst(self) -> list[LostRow]:
        """Criteria where the most points were lost, most first (share of the stake breaks ties)."""
        lost = [row for row in self.rows if row.total > 0]
        return sorted(lost, key=lambda r: (-r.total, -(r.share or ZERO), r.code))


def lost_on_leaf(kind: str, maximum: Decimal, final: Decimal | None) -> Decimal | None:
    """Points a unit lost on one leaf: what it missed of a score leaf, or a penalty's deduction."""
    if final is None:
        return None
    if kind == engine.Kind.PENALTY.value:
        return final
    return max(maximum - final, ZERO)


def points_lost(ranking: Ranking) -> LostMatrix:
    """Points lost per leaf and unit. Bonus leaves are left out: a bonus not earned is not a loss."""
    units = ranking.ordered()
    leaves = [leaf for leaf in ranking.leaves if leaf[3] != engine.Kind.BONUS.value]
    codes = [code for code, *_rest in leaves]
    unit_codes = [u.unit_code for u in units]
    records = []
    for code, _title, maximum, kind, _method in leaves:
        for unit in units:
            final = unit.leaves.get(code, (None, None))[1]
            records.append((code, unit.unit_code, lost_on_leaf(kind, maximum, final)))
    frame = _pivot(records, codes, unit_codes)
    rows = []
    unit_totals = [ZERO] * len(units)
    for code, title, maximum, kind, _method in leaves:
        cells = []
        for index, unit in enumerate(units):
            lost = _cell(frame.at[code, unit.unit_code])
            ratio = ZERO if lost is None or not maximum else min(lost / maximum, Decimal(1))
            cells.append(LostCell(unit.unit_code, unit.leaves.get(code, (None, None))[1], lost, ratio))
            if lost is not None:
                unit_totals[index] += lost
        values = [c.lost for c in cells if c.lost is not None]
        row = LostRow(code, title, maximum, kind, cells, total=sum(values, ZERO), counted=len(values))
        if values:
            row.average = _q(row.total / len(values))
            stake = maximum * len(values)
            row.share = _q(row.total / stake * HUNDRED) if stake else None
        rows.append(row)
    return LostMatrix(ranking, units, rows, unit_totals, frame)


# ---------------------------------------------------------------- self-assessment versus appraisal


@dataclass
class GapRow:
    unit: RankedUnit
    self_total: Decimal  # self-assessed points (the survey is never self-assessed)
    total: Decimal  # final points, survey included
    survey: Decimal  # final points from the sociological survey
    appraised: Decimal  # final points on what the unit assessed itself: total − survey
    maximum: Decimal  # the self-assessment maximum (survey left out)
    gap: Decimal  # self − appraised: positive when the unit scored itself higher than the appraisal
    gap_share: Decimal | None  # gap as % of the maximum
    bar: Decimal = ZERO  # |gap| relative to the largest |gap| of the round, 0..100

    @property
    def raw_gap(self) -> Decimal:
        """`RankedUnit.gap`: self minus final points, survey included."""
        return self.unit.gap


def self_gap(ranking: Ranking) -> list[GapRow]:
    """Per unit: self points, appraised points and the gap, largest over-scoring first.

    Units do not assess the survey leaves themselves, so comparing their self total with a final
    total that includes the survey would show every unit as under-scoring by its survey points.
    The gap is therefore taken on the same leaves: self − (final − survey points), i.e.
    `RankedUnit.gap` + survey points; both are given.
    """
    survey_codes = [code for code, _title, _max, _kind, method in ranking.leaves if method == engine.Method.SURVEY.value]
    rows = []
    for u in ranking.units:
        survey = sum((u.leaves.get(code, (None, None))[1] or ZERO for code in survey_codes), ZERO)
        gap = u.gap + survey
        rows.append(
            GapRow(
                unit=u,
                self_total=u.self_total,
                total=u.total,
                survey=survey,
                appraised=u.total - survey,
                maximum=u.self_max,
                gap=gap,
                gap_share=_q(gap / u.self_max * HUNDRED) if u.self_max else None,
            )
        )
    widest = max((abs(r.gap) for r in rows), default=ZERO)
    for row in rows:
        row.bar = _q(abs(row.gap) / widest * HUNDRED) if widest else ZERO
    rows.sort(key=lambda r: (-r.gap, r.unit.unit_code))
    return rows


# ---------------------------------------------------------------- year over year


def rankings_for(group, years: Iterable[int]) -> dict[int, Ranking]:
    """The current ranking (published, else live) of each year's round of the group, by year."""
    rounds = Round.objects.filter(group=group, year__in=list(years)).select_related("group", "criteria_set")
    return {round_.year: current(round_) for round_ in sorted(rounds, key=lambda r: r.year)}


@dataclass
class YearFigure:
    year: int
    total: Decimal
    maximum: Decimal
    index: Decimal
    rank: int
    band: str
    of: int  # units ranked that year
    provisional: bool
    index_change: Decimal | None = None  # against the previous year shown
    rank_change: int | None = None  # places gained against the previous year shown (positive: up)


@dataclass
class CodeCell:
    present: bool  # the code exists in that year's criteria set
    value: Decimal | None = None  # final points (leaf) or index (domain); None: not applicable / no value
    maximum: Decimal | None = None
    points: Decimal | None = None  # domains: the points behind the index


@dataclass
class CodeRow:
    code: str
    title: str
    cells: list[CodeCell]
    years: list[int]
    kind: str = engine.Kind.SCORE.value

    @property
    def short_title(self) -> str:
        return short_title(self.title)

    @property
    def only_in(self) -> list[int]:
        """Years whose set holds the code, when some other year's does not."""
        present = [y for y, c in zip(self.years, self.cells, strict=True) if c.present]
        return present if len(present) < len(self.years) else []

    @property
    def change(self) -> Decimal | None:
        """Last value minus first, over the years whose set holds the code and give a value."""
        values = [c.value for c in self.cells if c.present and c.value is not None]
        return values[-1] - values[0] if len(values) >= 2 else None

    @property
    def trend(self) -> str:
        """"up" when the change is for the better (fewer points deducted on a penalty), "down" when worse."""
        change = self.change
        if not change:
            return ""
        better = change < 0 if self.kind == engine.Kind.PENALTY.value else change > 0
        return "up" if better else "down"


@dataclass
class UnitComparison:
    unit: object
    years: list[int]
    figures: list[YearFigure | None]  # None: the unit was not assessed that year
    domains: list[CodeRow]
    leaves: list[CodeRow]


@dataclass
class GroupRow:
    unit_id: int
    unit_code: str
    unit_name: str
    figures: list[YearFigure | None]

    @property
    def latest(self) -> YearFigure | None:
        return next((f for f in reversed(self.figures) if f is not None), None)


@dataclass
class GroupComparison:
    group: object
    years: list[int]
    missing_years: list[int]
    rows: list[GroupRow]
    provisional: dict[int, bool] = field(default_factory=dict)


def _figure(year: int, ranking: Ranking, unit: RankedUnit) -> YearFigure:
    return YearFigure(
        year, unit.total, unit.maximum, unit.index, unit.rank, unit.band, len(ranking.units), ranking.provisional
    )


def _chain(figures: list[YearFigure | None]) -> None:
    previous = None
    for figure in figures:
        if figure is None:
            continue
        if previous is not None:
            figure.index_change = figure.index - previous.index
            figure.rank_change = previous.rank - figure.rank
        previous = figure


def _merged_order(orders: list[list[str]]) -> list[str]:
    """Codes of every year, in the newest set's order; a code of an older year only goes after
    the code that preceded it there."""
    merged: list[str] = []
    for order in reversed(orders):
        seen = set(merged)
        previous = None
        for code in order:
            if code not in seen:
                position = merged.index(previous) + 1 if previous is not None else 0
                merged.insert(position, code)
                seen.add(code)
            previous = code
    return merged


def _years(years: Iterable[int], rankings: dict[int, Ranking] | None, group) -> tuple[list[int], dict[int, Ranking]]:
    wanted = sorted(set(years))
    if rankings is None:
        rankings = rankings_for(group, wanted)
    return [y for y in wanted if y in rankings], rankings


def year_over_year_group(group, years: Iterable[int], *, rankings: dict[int, Ranking] | None = None) -> GroupComparison:
    """Index and rank of every unit of the group in each year, and the places gained or lost."""
    wanted = sorted(set(years))
    shown, rankings = _years(wanted, rankings, group)
    by_unit: dict[int, GroupRow] = {}
    for column, year in enumerate(shown):
        ranking = rankings[year]
        for unit in ranking.units:
            row = by_unit.get(unit.unit_id)
            if row is None:
                row = by_unit[unit.unit_id] = GroupRow(unit.unit_id, unit.unit_code, unit.unit_name, [None] * len(shown))
            row.unit_code, row.unit_name = unit.unit_code, unit.unit_name  # the newest name wins
            row.figures[column] = _figure(year, ranking, unit)
    rows = list(by_unit.values())
    for row in rows:
        _chain(row.figures)
    last = len(shown) - 1

    def order(row: GroupRow):
        final = row.figures[last] if shown else None
        return (final is None, final.rank if final else 0, row.unit_code)

    rows.sort(key=order)
    return GroupComparison(
        group,
        shown,
        [y for y in wanted if y not in rankings],
        rows,
        {y: rankings[y].provisional for y in shown},
    )


def _code_rows(
    years: list[int], per_year: dict[int, list[tuple[str, str, Decimal, str]]], values: dict[int, dict[str, tuple]]
) -> list[CodeRow]:
    """Rows matched BY CODE across years. per_year: year → [(code, title, maximum, kind)] in set order;
    values: year → code → (value, points, maximum) for the unit."""
    codes = _merged_order([[code for code, *_rest in per_year[y]] for y in years])
    records = [(code, year, values[year].get(code)) for year in years for code, *_rest in per_year[year]]
    frame = _pivot(records, codes, years)
    titles, kinds, maxima = {}, {}, {}
    for year in years:
        for code, title, maximum, kind in per_year[year]:
            titles[code], kinds[code] = title, kind  # the newest year's wins
            maxima[(code, year)] = maximum
    rows = []
    for code in codes:
        cells = []
        for year in years:
            if (code, year) not in maxima:
                cells.append(CodeCell(present=False))
                continue
            figure = _cell(frame.at[code, year])
            value, points, maximum = figure if figure is not None else (None, None, maxima[(code, year)])
            cells.append(CodeCell(True, value, maximum, points))
        rows.append(CodeRow(code, titles[code], cells, years, kinds[code]))
    return rows


def year_over_year_unit(unit, years: Iterable[int], *, rankings: dict[int, Ranking] | None = None) -> UnitComparison:
    """One unit across years: totals, index and rank; each domain's index and each leaf's final
    points, criteria matched by code (a code of one year only is shown as such)."""
    shown, rankings = _years(years, rankings, unit.group)
    figures: list[YearFigure | None] = []
    domain_lists, leaf_lists = {}, {}
    domain_values: dict[int, dict[str, tuple]] = {}
    leaf_values: dict[int, dict[str, tuple]] = {}
    for year in shown:
        ranking = rankings[year]
        ranked = ranking.for_unit(unit.pk)
        figures.append(_figure(year, ranking, ranked) if ranked is not None else None)
        domain_lists[year] = [(code, title, maximum, engine.Kind.SCORE.value) for code, title, maximum in ranking.domains]
        leaf_lists[year] = [(code, title, maximum, kind) for code, title, maximum, kind, _method in ranking.leaves]
        domain_values[year], leaf_values[year] = {}, {}
        if ranked is None:
            continue
        for code, _title, _maximum in ranking.domains:
            d = ranked.domains.get(code)
            if d is not None:
                domain_values[year][code] = (d.index, d.points, d.maximum)
        for code, _title, maximum, _kind, _method in ranking.leaves:
            final = ranked.leaves.get(code, (None, None))[1]
            leaf_values[year][code] = (final, final, maximum)
    _chain(figures)
    return UnitComparison(
        unit,
        shown,
        figures,
        _code_rows(shown, domain_lists, domain_values),
        _code_rows(shown, leaf_lists, leaf_values),
    )
