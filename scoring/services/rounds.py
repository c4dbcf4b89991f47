"""Opening a yearly round and giving every unit of its group an assessment."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Unit, UnitGroup
from criteria.models import CriteriaSet
from scoring import engine

from ..models import Assessment, Round
from .errors import ScoringError


@transaction.atomic
def round_open(
    *,
    year: int,
    group: UnitGroup,
    criteria_set: CriteriaSet,
    user=None,
    self_deadline: dt.date | None = None,
    appraisal_deadline: dt.date | None = None,
    explanation_deadline: dt.date | None = None,
    final_deadline: dt.date | None = None,
    bands: str = engine.DEFAULT_BANDS,
    tie_rule: str = engine.TieRule.COMPETITION.value,
) -> Round:
    if not criteria_set.is_published:
        raise ScoringError(_("Chỉ mở kỳ đánh giá với bộ tiêu chí đã ban hành."))
    if criteria_set.group_id != group.pk:
        raise ScoringError(
            _("Bộ tiêu chí %(set)s không dành cho nhóm %(group)s.") % {"set": criteria_set.code, "group": group.code}
        )
    if Round.objects.filter(year=year, group=group).exists():
        raise ScoringError(_("Nhóm %(group)s đã có kỳ đánh giá năm %(year)s.") % {"group": group.code, "year": year})
    try:
        bands = engine.format_bands(engine.parse_bands(bands))
    except engine.RuleError as exc:
        raise ScoringError(exc.message) from exc
    round_ = Round.objects.create(
        year=year,
        group=group,
        criteria_set=criteria_set,
        self_deadline=self_deadline,
        appraisal_deadline=appraisal_deadline,
        explanation_deadline=explanation_deadline,
        final_deadline=final_deadline,
        bands=bands,
        tie_rule=tie_rule,
        opened_by=user,
    )
    round_add_units(round_=round_, user=user)
    return round_


@transaction.atomic
def round_add_units(*, round_: Round, user=None) -> list[Assessment]:
    """One assessment for every active unit of the group that has none yet (units added later)."""
    have = set(round_.assessments.values_list("unit_id", flat=True))
    units = Unit.objects.filter(group=round_.group, is_active=True).exclude(pk__in=have)
    created = Assessment.objects.bulk_create([Assessment(round=round_, unit=u) for u in units])
    tree = round_.criteria_set.engine_tree
    empty_self = engine.compute_tree(tree, {}, include_survey=False)
    empty_final = engine.compute_tree(tree, {}, include_survey=True)
    Assessment.objects.filter(pk__in=[a.pk for a in created]).update(
        self_max=empty_self.maximum, final_max=empty_final.maximum, leaves_todo=empty_self.to_enter
    )
    return created
