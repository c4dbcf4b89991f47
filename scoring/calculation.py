"""From stored leaf values to the engine's inputs and back to cached totals.

Stages: `self` ranks on the unit's own values (bonus and penalty included, survey criteria left
out of points and maximum); `final` takes, per leaf, the final appraisal, else the preliminary
appraisal, else the self value, plus the survey points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def compute(tree: engine.Tree, grouped: dict[str, LeafValues], stage: str) -> engine.TreeResult:
    return engine.compute_tree(tree, stage_inputs(tree, grouped, stage), include_survey=(stage != "self"))


def load(assessment: Assessment) -> tuple[engine.Tree, dict[str, LeafValues]]:
    criteria_set = assessment.round.criteria_set
    tree = criteria_set.engine_tree
    code_of = dict(criteria_set.criteria.values_list("pk", "code"))
    return tree, group_values(assessment.values.all(), code_of)


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


def refresh_totals(assessment: Assessment, tree: engine.Tree | None = None, grouped=None) -> Assessment:
    """Recompute the cached totals of one assessment from its raw inputs and save them."""
    if tree is None or grouped is None:
        tree, grouped = load(assessment)
    fields = totals_fields(compute(tree, grouped, "self"), compute(tree, grouped, "final"))
    for name, value in fields.items():
        setattr(assessment, name, value)
    Assessment.objects.filter(pk=assessment.pk).update(**fields)
    return assessment
