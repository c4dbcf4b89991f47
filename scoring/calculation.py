"""From stored leaf values to the engine's inputs and back to cached totals.

Stages: `self` ranks on the unit's own values (bonus and penalty included, survey criteria left
out of points and maximum); `final` takes, per leaf, the final appraisal, else the preliminary
appraisal, else the self value, plus the survey points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save

from criteria.models import CriteriaSet, Criterion
from scoring import engine

from .models import Assessment, LeafValue, Stage

FINAL_ORDER = (Stage.FINAL, Stage.APPRAISAL, Stage.SELF)
APPRAISAL_ORDER = (Stage.APPRAISAL, Stage.SELF)


@dataclass
class LeafValues:
    """Every stage's value of one leaf (None where nothing was entered)."""

    self: LeafValue | None = None
    appraisal: LeafValue | None = None
    final: LeafValue | None = None
    survey: LeafValue | None = None

    def get(self, stage: str) -> LeafValue | None:
        return getattr(self, stage)

    def first(self, order: Iterable[str]) -> LeafValue | None:
        for stage in order:
            value = self.get(stage)
            if value is not None and value.has_value():
                return value
        return None


_PUBLISHED_SETS: dict[tuple, tuple[list[Criterion], engine.Tree]] = {}


def criteria_and_tree(criteria_set: CriteriaSet) -> tuple[list[Criterion], engine.Tree]:
    """The set's criteria in order and its engine tree. A published set never changes (criteria.services
    refuses; a correction is a new version), so each process reads and parses it once: a third of
    the self-assessment page's time went into it. Keyed on the publication's time as well as the id,
    and forgotten whenever a set or a criterion is saved or deleted in this process (tests do that)."""
    key = (criteria_set.pk, criteria_set.published_at)
    cached = _PUBLISHED_SETS.get(key) if criteria_set.is_published else None
    if cached is None:
        criteria = list(criteria_set.criteria.order_by("position"))
        cached = criteria, engine.Tree([c.as_engine_node() for c in criteria])
        if criteria_set.is_published:
            if len(_PUBLISHED_SETS) >= 64:  # a province has a few dozen sets over the years
                _PUBLISHED_SETS.clear()
            _PUBLISHED_SETS[key] = cached
    return cached


def _forget_published_sets(**_kwargs) -> None:
    _PUBLISHED_SETS.clear()


for _model in (CriteriaSet, Criterion):
    post_save.connect(
        _forget_published_sets, sender=_model, dispatch_uid=f"sheet-published-sets-save-{_model.__name__}"
    )
    post_delete.connect(
        _forget_published_sets, sender=_model, dispatch_uid=f"sheet-published-sets-delete-{_model.__name__}"
    )


def group_values(values: Iterable[LeafValue], code_of: dict[int, str]) -> dict[str, LeafValues]:
    grouped: dict[str, LeafValues] = {}
    for value in values:
        code = code_of[value.criterion_id]
        setattr(grouped.setdefault(code, LeafValues()), value.stage, value)
    return grouped


STAGE_ORDER = {"self": (Stage.SELF,), "appraisal": APPRAISAL_ORDER, "final": FINAL_ORDER}


def input_has_value(value: engine.LeafInput) -> bool:
    return value.not_applicable or any(
        getattr(value, name) is not None and getattr(value, name) != ""
        for name in ("points", "option", "numerator", "count", "rate")
    )


def choose_inputs(
    tree: engine.Tree, per_leaf: dict[str, dict[str, engine.LeafInput]], stage: str
) -> dict[str, engine.LeafInput]:
    """The one rule for which stored value counts at a stage (pages, rankings and exports alike)."""
    order = STAGE_ORDER[stage]
    inputs: dict[str, engine.LeafInput] = {}
    for code, by_stage in per_leaf.items():
        node = tree.nodes.get(code)
        if node is None:
            continue
        if node.method is engine.Method.SURVEY:
            survey = by_stage.get(Stage.SURVEY)
            if stage != "self" and survey is not None and survey.rate is not None:
                inputs[code] = engine.LeafInput(rate=survey.rate)
            continue
        for candidate in order:
            value = by_stage.get(candidate)
            if value is not None and input_has_value(value):
                inputs[code] = value
                break
    return inputs


def stage_inputs(tree: engine.Tree, grouped: dict[str, LeafValues], stage: str) -> dict[str, engine.LeafInput]:
    """Inputs for the engine at `stage`: "self", "appraisal" (preliminary) or "final"."""
    per_leaf = {
        code: {s: v.as_input() for s in Stage.values if (v := leaf.get(s)) is not None}
        for code, leaf in grouped.items()
    }
    return choose_inputs(tree, per_leaf, stage)


def compute(tree: engine.Tree, grouped: dict[str, LeafValues], stage: str, known: dict | None = None) -> engine.TreeResult:
    """`known`: shared by one unit's stages (engine.compute_tree)."""
    inputs = stage_inputs(tree, grouped, stage)
    return engine.compute_tree(tree, inputs, include_survey=(stage != "self"), known=known)


def load(assessment: Assessment) -> tuple[engine.Tree, dict[str, LeafValues]]:
    criteria, tree = criteria_and_tree(assessment.round.criteria_set)
    return tree, group_values(assessment.values.all(), {c.pk: c.code for c in criteria})


def totals_fields(own: engine.TreeResult, final: engine.TreeResult) -> dict[str, object]:
    """The cached totals of an assessment, from its "self" and "final" results."""
    return {
        "self_total": own.total,
        "self_max": own.maximum,
        "self_index": own.index,
        "final_total": final.total,
        "final_max": final.maximum,
        "final_index": final.index,
        "leaves_done": own.entered,
        "leaves_todo": own.to_enter,
    }


def refresh_totals(
    assessment: Assessment, tree: engine.Tree | None = None, grouped=None, computed: dict | None = None
) -> Assessment:
    """Recompute the cached totals of one assessment from its raw inputs and save them. The
    "self" and "final" results go into `computed` when given (a save's answer shows them)."""
    if tree is None or grouped is None:
        tree, grouped = load(assessment)
    known: dict = {}
    own, final = compute(tree, grouped, "self", known), compute(tree, grouped, "final", known)
    if computed is not None:
        computed.update({"self": own, "final": final})
    fields = totals_fields(own, final)
    for name, value in fields.items():
        setattr(assessment, name, value)
    Assessment.objects.filter(pk=assessment.pk).update(**fields)
    return assessment
