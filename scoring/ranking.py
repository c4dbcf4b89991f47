"""Ranking of a round: live (provisional) from the stored inputs, or frozen in a publication.

Every figure comes from the scoring engine. Live rankings read the round's inputs in one query
and compute each unit once; publishing stores the same figures, so a published ranking never moves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from scoring import engine

from .calculation import choose_inputs
from .models import Assessment, LeafValue, Publication, PublishedResult, Round

STAGES = ("self", "final")


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

    @property
    def provisional(self) -> bool:
        return self.publication is None

    def ordered(self, stage: str = "final") -> list[RankedUnit]:
        key = (lambda u: (u.self_rank, u.unit_code)) if stage == "self" else (lambda u: (u.rank, u.unit_code))
        return sorted(self.units, key=key)

    def for_unit(self, unit_id: int) -> RankedUnit | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


def _criteria_lists(criteria_set) -> tuple[list, list, list]:
    criteria = list(criteria_set.criteria.order_by("position"))
    domains = [(c.code, c.title, c.max_points) for c in criteria if c.parent_id is None and c.kind == engine.Kind.SCORE]
    leaves = [(c.code, c.title, c.max_points, c.kind, c.method) for c in criteria if c.method]
    return criteria, domains, leaves


def compute(round_: Round) -> Ranking:
    """The live (provisional) ranking of every assessment of the round."""
    criteria, domains, leaves = _criteria_lists(round_.criteria_set)
    tree = engine.Tree([c.as_engine_node() for c in criteria])
    code_of = {c.pk: c.code for c in criteria}
    per_assessment: dict[int, dict[str, dict[str, engine.LeafInput]]] = defaultdict(dict)
    rows = LeafValue.objects.filter(assessment__round=round_).values_list(
        "assessment_id", "criterion_id", "stage", "not_applicable", "points", "option", "numerator", "denominator", "count", "rate"
    )
    # The same input recurs across units (an option, a count, a rate): one LeafInput and one validity
    # check per distinct (leaf, input) instead of per row keeps a 800 × 120 round's overhead down.
    shared: dict[tuple, engine.LeafInput] = {}
    checked: dict[int, bool] = {}  # id(stored input) -> valid
    for assessment_id, criterion_id, stage, *raw in rows.iterator(chunk_size=5000):
        key = (criterion_id, *raw)
        value = shared.get(key)
        if value is None:
            na, points, option, numerator, denominator, count, rate = raw
            value = shared[key] = engine.LeafInput(
                not_applicable=na, points=points, option=option or None, numerator=numerator, denominator=denominator, count=count, rate=rate
            )
            checked[id(value)] = _valid(tree, code_of[criterion_id], value)
        per_assessment[assessment_id].setdefault(code_of[criterion_id], {})[stage] = value
    survey_valid: dict[tuple, bool] = {}
    memo: dict = {}  # leaf results by (code, id(input)), shared by every unit (see compute_tree)
    keep_alive: list = []  # inputs made per unit stay referenced, so no id is reused while memo lives
    units = []
    assessments = round_.assessments.select_related("unit").order_by("unit__code")
    for assessment in assessments:
        per_leaf = per_assessment.get(assessment.pk, {})
        results = {}
        for stage in STAGES:
            inputs = choose_inputs(tree, per_leaf, stage)
            inputs = {code: value for code, value in inputs.items() if _checked(tree, code, value, checked, survey_valid)}
            keep_alive.append(inputs)
            results[stage] = engine.compute_tree(tree, inputs, include_survey=(stage != "self"), memo=memo)
        own, final = results["self"], results["final"]
        unit = RankedUnit(
            unit_id=assessment.unit_id,
            unit_code=assessment.unit.code,
            unit_name=assessment.unit.name,
            self_total=own.total,
            self_max=own.maximum,
            self_index=own.index,
            total=final.total,
            maximum=final.maximum,
            index=final.index,
            state=assessment.state,
        )
        for code, _title, _max in domains:
            unit.domains[code] = DomainFigure(
                final.points.get(code, Decimal(0)),
                final.max_points.get(code, Decimal(0)),
                engine.domain_index(final, code),
                self_points=own.points.get(code, Decimal(0)),
                self_maximum=own.max_points.get(code, Decimal(0)),
                self_index=engine.domain_index(own, code),
            )
        for code, *_rest in leaves:
            s, f = own.leaves.get(code), final.leaves.get(code)
            unit.leaves[code] = (
                s.points if s is not None and s.applicable else None,
                f.points if f is not None and f.applicable else None,
            )
        units.append(unit)
    ranking = Ranking(round_, units, domains, leaves, round_.tie_rule, round_.bands)
    _rank(ranking)
    return ranking


def _checked(tree: engine.Tree, code: str, value: engine.LeafInput, checked: dict[int, bool], survey_valid: dict[tuple, bool]) -> bool:
    known = checked.get(id(value))
    if known is not None:
        return known
    # choose_inputs builds a fresh LeafInput(rate=…) for survey leaves: memoised by its rate.
    key = (code, value.rate)
    if key not in survey_valid:
        survey_valid[key] = _valid(tree, code, value)
    return survey_valid[key]


def _valid(tree: engine.Tree, code: str, value: engine.LeafInput) -> bool:
    # Stored inputs were validated on entry; one that no longer fits (a later correction of the
    # rules) counts as not entered rather than breaking the whole ranking.
    try:
        engine.leaf_points(tree.nodes[code], value)
        return True
    except engine.InputError:
        return False


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


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


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
    PublishedResult.objects.bulk_create(
        [
            PublishedResult(
                publication=publication,
                unit_id=u.unit_id,
                unit_code=u.unit_code,
                unit_name=u.unit_name,
                self_total=u.self_total,
                self_max=u.self_max,
                self_index=u.self_index,
                self_rank=u.self_rank,
                self_band=u.self_band,
                total=u.total,
                maximum=u.maximum,
                index=u.index,
                rank=u.rank,
                band=u.band,
                domains={
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
                },
                leaves={code: [_text(s), _text(f)] for code, (s, f) in u.leaves.items()},
            )
            for u in ranking.units
        ],
        batch_size=1000,
    )
    return publication


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def load(publication: Publication, *, with_leaves: bool = True) -> Ranking:
    """A published ranking exactly as it was frozen."""
    units = [
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
    domains = [(code, title, Decimal(maximum)) for code, title, maximum in publication.domains]
    leaves = [(code, title, Decimal(maximum), kind, method) for code, title, maximum, kind, method in publication.leaves]
    return Ranking(publication.round, units, domains, leaves, publication.tie_rule, publication.bands, publication)


def latest_publication(round_: Round) -> Publication | None:
    return round_.publications.order_by("-number").first()


def current(round_: Round, *, publication_number: int | None = None, with_leaves: bool = True) -> Ranking:
    """The published snapshot (the latest, or the one asked for), else the provisional ranking."""
    if publication_number is not None:
        publication = round_.publications.filter(number=publication_number).first()
    else:
        publication = latest_publication(round_)
    return load(publication, with_leaves=with_leaves) if publication is not None else compute(round_)
