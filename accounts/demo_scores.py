"""Sample values for the demo province, so that rankings and analysis have something to show.

Deterministic (seeded by the unit code) and entered through the same services as the pages.
The demo users' own units (SGDDT, STP) are left empty for people to try the self-assessment.
"""

from __future__ import annotations

import random
from decimal import Decimal

from scoring import engine
from scoring.models import Assessment, Round, Stage
from scoring.services import (
    LeafEntry,
    appraisal_accept_self,
    assessment_complete_appraisal,
    assessment_send_preliminary,
    assessment_submit,
    values_save,
)
from scoring.workflow import apply

LEFT_EMPTY = {"SGDDT", "STP"}
NOTE = "Số liệu theo báo cáo kết quả thực hiện CCHC năm của đơn vị"


def _input(criterion, rng: random.Random) -> engine.LeafInput:
    rule = criterion.parsed_rule
    if criterion.allow_na and rng.random() < 0.1:
        return engine.LeafInput(not_applicable=True)
    method = criterion.method
    if method == engine.Method.CHOICE:
        weights = [3, 2] + [1] * (len(rule.options) - 2)
        return engine.LeafInput(option=rng.choices(rule.options, weights=weights)[0].label)
    if method in (engine.Method.BANDS, engine.Method.PROPORTIONAL):
        denominator = rng.randint(20, 400)
        return engine.LeafInput(numerator=Decimal(int(denominator * rng.uniform(0.75, 1))), denominator=Decimal(denominator))
    if method == engine.Method.PER_ITEM:
        return engine.LeafInput(count=rng.randint(0, 4))
    if method == engine.Method.DEDUCTION:
        return engine.LeafInput(count=rng.choice([0, 0, 0, 1, 2]))
    if method == engine.Method.MANUAL:
        steps = int(criterion.max_points * 4)
        return engine.LeafInput(points=Decimal(rng.randint(steps // 2, steps)) / 4)
    return engine.LeafInput()


def fill_round(round_: Round, user=None) -> int:
    """Self values for every unit but the demo users'; then each unit moves a little further."""
    leaves = [c for c in round_.criteria_set.criteria.exclude(method="").order_by("position")]
    filled = 0
    for assessment in round_.assessments.select_related("unit").order_by("unit__code"):
        if assessment.unit.code in LEFT_EMPTY or assessment.values.exists():
            continue
        rng = random.Random(f"{round_.year}-{assessment.unit.code}")
        own = [LeafEntry(c, _input(c, rng), note=NOTE) for c in leaves if c.method != engine.Method.SURVEY]
        values_save(assessment=assessment, stage=Stage.SELF, entries=own, user=user)
        survey = [LeafEntry(c, engine.LeafInput(rate=Decimal(rng.randint(650, 980)) / 10)) for c in leaves if c.method == engine.Method.SURVEY]
        values_save(assessment=assessment, stage=Stage.SURVEY, entries=survey, user=user, reason="Kết quả điều tra xã hội học (mẫu)")
        step = rng.randint(0, 3)
        if step >= 1:
            _force_submit(assessment, user)
        if step >= 2:
            appraisal_accept_self(assessment=assessment, user=user)
            assessment_complete_appraisal(assessment=assessment, user=user)
            assessment_send_preliminary(assessment=assessment, user=user)
        if step >= 3:
            # Demo data skips the wait for the explanation deadline that assessment_finalize enforces.
            apply(assessment, "finalize", user=user, note="Dữ liệu mẫu")
        filled += 1
    return filled


def _force_submit(assessment: Assessment, user) -> None:
    try:
        assessment_submit(assessment=assessment, user=user)
    except Exception:  # noqa: BLE001 - demo data: a unit that cannot submit stays in draft
        pass
