"""Ranking of a round: live (provisional) from the stored leaf points, or frozen in a publication.

Every leaf's points were worked out by the engine when the value was saved (`LeafValue.score`);
a live ranking sums them per domain in one pass over one grouped query and lets the engine cap
and index the totals. Publishing stores the same figures, so a published ranking never moves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core import bulk
from core.streaming import stream_rows
from scoring import engine

from . import calculation
from .models import Assessment, LeafValue, Publication, PublishedResult, Round, Stage

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class DomainFigure:
    points: Decimal
    maximum: Decimal
    index: Decimal
    rank: int = 0
    self_points: Decimal = Decimal(0)
    self_maximum: Decimal = Decimal(0)
    self_index: Decimal = Decimal(0)


@dataclass
class RankedUnit:
    unit_id: int
    unit_code: str
    unit_name: str
    self_total: Decimal
    self_max: Decimal
    self_index: Decimal
    total: Decimal
    maximum: Decimal
    index: Decimal
    self_rank: int = 0
    self_band: str = ""
    rank: int = 0
    band: str = ""
    state: str = ""
    domains: dict[str, DomainFigure] = field(default_factory=dict)
    leaves: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)

    def figures(self, stage: str) -> tuple[Decimal, Decimal, Decimal, int, str]:
        """(points, maximum, index, rank, band) at `stage`."""
        if stage == "self":
            return self.self_total, self.self_max, self.self_index, self.self_rank, self.self_band
        return self.total, self.maximum, self.index, self.rank, self.band

    @property
    def gap(self) -> Decimal:
        """Self-assessed minus final points: how much the unit over-scored itself."""
        return self.self_total - self.total


@dataclass
class Ranking:
    round: Round
    units: list[RankedUnit]
    domains: list[tuple[str, str, Decimal]]  # (code, title, maximum)
    leaves: list[tuple[str, str, Decimal, str, str]]  # (code, title, maximum, kind, method)
    tie_rule: str
    bands: str
    publication: Publication | None = None
    computed_at: datetime | None = None  # when a provisional ranking was computed
    stamp: str = ""  # the shared snapshot it belongs to (live_ranking)

    @property
    def provisional(self) -> bool:
        return self.publication is None

    def ordered(self, stage: str = "final") -> list[RankedUnit]:
        key = (lambda u: (u.self_rank, u.unit_code)) if stage == "self" else (lambda u: (u.rank, u.unit_code))
        return sorted(self.units, key=key)

    def for_unit(self, unit_id: int) -> RankedUnit | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


def _criteria_lists(criteria) -> tuple[list, list]:
    domains = [(c.code, c.title, c.max_points) for c in criteria if c.parent_id is None and c.kind == engine.Kind.SCORE]
    leaves = [(c.code, c.title, c.max_points, c.kind, c.method) for c in criteria if c.method]
    return domains, leaves


# Each (unit, leaf) row of the round: its self value and the value that counts at the final stage
# (final appraisal, else preliminary appraisal, else self), each as the stored points, -1 for "not
# applicable", NULL when nothing was entered; survey leaves take the survey stage's points instead.
# A value "counts" when it has points or is marked not applicable: the engine stores `score` for every
# value it accepted, so this is choose_inputs' rule in SQL. The database does the grouping — the same
# work as summing the stored points — and Python only adds the leaves of each unit once.
_LEAF_ROWS = """
SELECT v.assessment_id, v.criterion_id,
       MAX(CASE WHEN v.stage = %(self)s THEN {value} END),
       COALESCE(MAX(CASE WHEN v.stage = %(final)s THEN {value} END),
                MAX(CASE WHEN v.stage = %(appraisal)s THEN {value} END),
                MAX(CASE WHEN v.stage = %(self)s THEN {value} END)),
       MAX(CASE WHEN v.stage = %(survey)s THEN {value} END)
FROM {leafvalue} v
WHERE v.assessment_id IN (SELECT a.id FROM {assessment} a WHERE a.round_id = %(round)s)
GROUP BY v.assessment_id, v.criterion_id
"""
_VALUE = "CASE WHEN v.not_applicable THEN -1 ELSE v.score END"
# PostgreSQL sends numeric as Decimal, slow to hash once per row: as text instead. SQLite's floats
# hash fast, and casting them to text there costs more than it saves.
_VALUE_POSTGRES = f"CAST({_VALUE} AS TEXT)"
_NA = object()  # what -1 becomes in Python


def _leaf_rows(round_: Round):
    value = _VALUE_POSTGRES if connection.vendor == "postgresql" else _VALUE
    sql = _LEAF_ROWS.format(value=value, leafvalue=LeafValue._meta.db_table, assessment=Assessment._meta.db_table)
    params = {
        "self": Stage.SELF,
        "final": Stage.FINAL,
        "appraisal": Stage.APPRAISAL,
        "survey": Stage.SURVEY,
        "round": round_.pk,
    }
    # Streamed: 8,000 units × 150 leaves never sit in memory at once, and on PostgreSQL the rows are
    # added up while the database is still grouping the next ones.
    return stream_rows(sql, params)  # a context manager: `with _leaf_rows(round_) as rows`


def compute(round_: Round) -> Ranking:
    """The live (provisional) ranking of every assessment of the round, from the stored leaf points.

    `LeafValue.score` is the engine's points for the stored input, kept by every write path and
    rebuilt by `recompute_scores`; the domains, caps, totals and indexes come from the engine's
    `rollup_domains`, the same as a unit's own page (a test compares the two on every method).
    """
    criteria, tree = calculation.criteria_and_tree(round_.criteria_set)
    domains, leaves = _criteria_lists(criteria)
    # criterion id -> (code, domain, maximum, survey?): one lookup per row below
    leaf_of = {
        c.pk: (c.code, tree.domain_of[c.code], c.max_points, c.method == engine.Method.SURVEY)
        for c in criteria
        if c.method
    }
    # Every leaf counts in its domain's maximum unless the unit marks it not applicable.
    full_self = dict.fromkeys(tree.domains, ZERO)
    full_final = dict.fromkeys(tree.domains, ZERO)
    for code in tree.leaves:
        node = tree.nodes[code]
        full_final[tree.domain_of[code]] += node.max_points
        if node.method is not engine.Method.SURVEY:
            full_self[tree.domain_of[code]] += node.max_points
    decimals: dict = {}  # stored value as returned -> Decimal (few distinct values)
    no_leaves = dict.fromkeys((code for code, *_rest in leaves), (None, None))

    sums: dict[int, tuple] = {}  # assessment id -> (own points, own maxima, final points, final maxima, leaves)
    with _leaf_rows(round_) as rows:
        for assessment_id, criterion_id, s, f, sv in rows:
            unit_sums = sums.get(assessment_id)
            if unit_sums is None:
                unit_sums = sums[assessment_id] = _empty_sums(tree, full_self, full_final, no_leaves)
            own_points, own_max, final_points, final_max, per_leaf = unit_sums
            code, domain, maximum, is_survey = leaf_of[criterion_id]
            if is_survey:
                s, f = None, sv
            if s is not None:
                known = decimals.get(s)
                s = _decimal(s, decimals) if known is None else known
                if s is _NA:
                    own_max[domain] -= maximum
                    s = None
                else:
                    own_points[domain] += s
            if f is not None:
                known = decimals.get(f)
                f = _decimal(f, decimals) if known is None else known
                if f is _NA:
                    final_max[domain] -= maximum
                    f = None
                else:
                    final_points[domain] += f
            per_leaf[code] = (s, f)

    units = []
    assessments = round_.assessments.order_by("unit__code").values_list(
        "pk", "unit_id", "unit__code", "unit__name", "state"
    )
    for assessment_id, unit_id, unit_code, unit_name, state in assessments:
        own_points, own_max, final_points, final_max, per_leaf = sums.get(assessment_id) or _empty_sums(
            tree, full_self, full_final, no_leaves
        )
        own = engine.rollup_domains(tree, engine.TreeResult(points=own_points, max_points=own_max))
        final = engine.rollup_domains(tree, engine.TreeResult(points=final_points, max_points=final_max))
        unit = RankedUnit(
            unit_id=unit_id,
            unit_code=unit_code,
            unit_name=unit_name,
            self_total=own.total,
            self_max=own.maximum,
            self_index=own.index,
            total=final.total,
            maximum=final.maximum,
            index=final.index,
            state=state,
            leaves=per_leaf,
        )
        for code, _title, _max in domains:
            unit.domains[code] = DomainFigure(
                final.points[code],
                final.max_points[code],
                engine.domain_index(final, code),
                self_points=own.points[code],
                self_maximum=own.max_points[code],
                self_index=engine.domain_index(own, code),
            )
        units.append(unit)
    ranking = Ranking(round_, units, domains, leaves, round_.tie_rule, round_.bands, computed_at=timezone.now())
    _rank(ranking)
    return ranking


def _empty_sums(tree: engine.Tree, full_self: dict, full_final: dict, no_leaves: dict) -> tuple:
    return (
        dict.fromkeys(tree.domains, ZERO),
        dict(full_self),
        dict.fromkeys(tree.domains, ZERO),
        dict(full_final),
        dict(no_leaves),
    )


def _decimal(value, decimals: dict):
    """A stored value as the query returns it (float or int on SQLite, text on PostgreSQL) as Decimal, or _NA."""
    decimals[value] = _NA if value in (-1, "-1") else Decimal(str(value)).quantize(CENT)
    return decimals[value]


def _rank(ranking: Ranking) -> None:
    tie = engine.TieRule(ranking.tie_rule)
    bands = engine.parse_bands(ranking.bands)
    final = engine.rank([(u.unit_id, u.index) for u in ranking.units], tie)
    own = engine.rank([(u.unit_id, u.self_index) for u in ranking.units], tie)
    for unit in ranking.units:
        unit.rank, unit.band = final[unit.unit_id], engine.classify(unit.index, bands)
        unit.self_rank, unit.self_band = own[unit.unit_id], engine.classify(unit.self_index, bands)
    for code, _title, _max in ranking.domains:
        ranks = engine.rank([(u.unit_id, u.domains[code].index) for u in ranking.units], tie)
        for unit in ranking.units:
            unit.domains[code].rank = ranks[unit.unit_id]


# ---------------------------------------------------------------- publication


RESULT_COLUMNS = (
    "publication", "unit", "unit_code", "unit_name", "self_total", "self_max", "self_index", "self_rank", "self_band",
    "total", "maximum", "index", "rank", "band", "domains", "leaves",
)  # fmt: skip


def _result_row(publication_id: int, u: RankedUnit) -> tuple:
    """One PublishedResult as a row: a publication is written with core.bulk, not bulk_create, since
    Django's per-field work on 800 × 16 values cost as much as computing the ranking."""
    domains = {
        code: {
            "points": str(d.points),
            "max": str(d.maximum),
            "index": str(d.index),
            "rank": d.rank,
            "self_points": str(d.self_points),
            "self_max": str(d.self_maximum),
            "self_index": str(d.self_index),
        }
        for code, d in u.domains.items()
    }
    leaves = {code: [None if s is None else str(s), None if f is None else str(f)] for code, (s, f) in u.leaves.items()}
    return (
        publication_id, u.unit_id, u.unit_code, u.unit_name, u.self_total, u.self_max, u.self_index, u.self_rank, u.self_band,
        u.total, u.maximum, u.index, u.rank, u.band, json.dumps(domains), json.dumps(leaves),
    )  # fmt: skip


@transaction.atomic
def round_publish(*, round_: Round, user=None, decision_number: str = "", note: str = "") -> Publication:
    """Freeze the current ranking; earlier publications stay as they were."""
    Round.objects.select_for_update().get(pk=round_.pk)  # two publishes of one round queue up
    ranking = compute(round_)
    number = (round_.publications.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    cs = round_.criteria_set
    publication = Publication.objects.create(
        round=round_,
        number=number,
        published_at=timezone.now(),
        published_by=user,
        criteria_set=cs,
        criteria_version=cs.version,
        tie_rule=round_.tie_rule,
        bands=round_.bands,
        domains=[[code, title, str(maximum)] for code, title, maximum in ranking.domains],
        leaves=[[code, title, str(maximum), kind, method] for code, title, maximum, kind, method in ranking.leaves],
        decision_number=decision_number,
        note=note,
    )
    # Made one at a time as COPY sends them: PostgreSQL stores the first rows while Python writes the
    # JSON of the next, and 8,000 units' JSON never sits in memory at once.
    bulk.insert_rows(PublishedResult, RESULT_COLUMNS, (_result_row(publication.pk, u) for u in ranking.units))
    return publication


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)


class Kept:
    """What a process keeps of the rankings it has read, by key; the oldest entries are dropped once
    all of them hold more than `units` units (a summary of 8,000 units is ~50 MiB in memory). A
    single entry larger than that is still kept, alone."""

    def __init__(self, units: int):
        self.units = units
        self._entries: dict = {}

    def get(self, key):
        entry = self._entries.get(key)
        return entry[0] if entry is not None else None

    def put(self, key, value, units: int) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (value, units)
        total = sum(size for _value, size in self._entries.values())
        while total > self.units and len(self._entries) > 1:
            total -= self._entries.pop(next(iter(self._entries)))[1]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# Enough for a national year (10,000 units in all its groups) in each process.
KEPT_UNITS = 12_000

# The frozen rows of the publications this process has read, without per-criterion figures, by
# (id, time of publication). On the day results are out the ranking page is every reader's page, and
# each view re-read and re-built a national group's 8,000 rows (0.8–1.1 s, `bench/` L); a publication's
# results are written once and never change. Its editable fields (decision number, note) are read
# afresh with the publication itself. Keyed with the time too: a restored or test database may give
# a new publication an old one's id.
_PUBLISHED_UNITS = Kept(KEPT_UNITS)


def load(publication: Publication, *, with_leaves: bool = True) -> Ranking:
    """A published ranking exactly as it was frozen. Its units may be shared with other requests of
    the process: read them, never change them."""
    key = (publication.pk, publication.published_at)
    units = None if with_leaves else _PUBLISHED_UNITS.get(key)
    if units is None:
        units = _published_units(publication, with_leaves=with_leaves)
        if not with_leaves:
            _PUBLISHED_UNITS.put(key, units, len(units))
    domains = [(code, title, Decimal(maximum)) for code, title, maximum in publication.domains]
    leaves = [
        (code, title, Decimal(maximum), kind, method) for code, title, maximum, kind, method in publication.leaves
    ]
    return Ranking(publication.round, units, domains, leaves, publication.tie_rule, publication.bands, publication)


def _published_units(publication: Publication, *, with_leaves: bool) -> list[RankedUnit]:
    return [
        RankedUnit(
            unit_id=r.unit_id,
            unit_code=r.unit_code,
            unit_name=r.unit_name,
            self_total=r.self_total,
            self_max=r.self_max,
            self_index=r.self_index,
            self_rank=r.self_rank,
            self_band=r.self_band,
            total=r.total,
            maximum=r.maximum,
            index=r.index,
            rank=r.rank,
            band=r.band,
            state=Assessment.State.FINALIZED,
            domains={
                code: DomainFigure(
                    Decimal(d["points"]),
                    Decimal(d["max"]),
                    Decimal(d["index"]),
                    d["rank"],
                    Decimal(d["self_points"]),
                    Decimal(d["self_max"]),
                    Decimal(d["self_index"]),
                )
                for code, d in r.domains.items()
            },
            leaves={code: (_dec(s), _dec(f)) for code, (s, f) in r.leaves.items()} if with_leaves else {},
        )
        # Pages that show no per-criterion figure skip the largest column (units × leaves of JSON).
        for r in (publication.results.all() if with_leaves else publication.results.defer("leaves"))
    ]


def latest_publication(round_: Round) -> Publication | None:
    return round_.publications.order_by("-number").first()


def current(
    round_: Round,
    *,
    publication_number: int | None = None,
    with_leaves: bool = True,
    provisional: Callable[..., Ranking] | None = None,
) -> Ranking:
    """The published snapshot (the latest, or the one asked for), else the provisional ranking:
    computed here, or by `provisional(round_, with_leaves=…)` (the pages' shared snapshot, live_ranking)."""
    if publication_number is not None:
        publication = round_.publications.filter(number=publication_number).first()
    else:
        publication = latest_publication(round_)
    if publication is not None:
        return load(publication, with_leaves=with_leaves)
    return provisional(round_, with_leaves=with_leaves) if provisional is not None else compute(round_)
