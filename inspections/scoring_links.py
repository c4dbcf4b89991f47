"""Where inspections feed the yearly round (inspections issue §5).

Findings linked to a criterion show beside it in the unit's self-assessment and appraisal; criteria
marked for it get their numerator and denominator from the inspecting unit's own records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from accounts.models import Unit

from .models import Finding, RemedialAction, Visit

VISITED = (Visit.Status.DONE, Visit.Status.CONCLUDED)


def findings_by_criterion(unit_id: int, year: int) -> dict[str, list[Finding]]:
    """Findings about the unit from inspections of the round's year and the year before, by criterion
    code; their remedial actions are loaded with them (two queries whatever the numbers)."""
    findings = (
        Finding.objects.filter(visit__unit_id=unit_id, visit__plan__year__in=(year - 1, year))
        .exclude(criterion_code="")
        .select_related("visit__plan")
        .prefetch_related("actions")
        .order_by("-visit__plan__year", "kind", "pk")
    )
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.criterion_code].append(finding)
    return dict(grouped)


@dataclass(frozen=True)
class Prefill:
    numerator: Decimal
    denominator: Decimal
    source: str  # in words, e.g. "7/13 đơn vị trực thuộc đã được kiểm tra"


def inspected_units(unit: Unit, year: int) -> Prefill | None:
    """Subordinate units inspected in the year by plans the unit organised / all its active subordinates."""
    from django.utils.translation import gettext as _

    total = Unit.objects.filter(parent=unit, is_active=True).count()
    if not total:
        return None
    visited = (
        Visit.objects.filter(plan__organizer=unit, plan__year=year, status__in=VISITED, unit__parent=unit, unit__is_active=True)
        .values("unit_id")
        .distinct()
        .count()
    )
    return Prefill(Decimal(visited), Decimal(total), _("%(n)s/%(d)s đơn vị trực thuộc đã được kiểm tra trong năm") % {"n": visited, "d": total})


def issues_resolved(unit: Unit, year: int) -> Prefill | None:
    """Requests from the unit's own inspections of the year that were dealt with / all of them."""
    from django.utils.translation import gettext as _

    counts = RemedialAction.objects.filter(finding__visit__plan__organizer=unit, finding__visit__plan__year=year).aggregate(
        total=Count("pk"), closed=Count("pk", filter=Q(status=RemedialAction.Status.CLOSED))
    )
    if not counts["total"]:
        return None
    return Prefill(
        Decimal(counts["closed"]),
        Decimal(counts["total"]),
        _("%(n)s/%(d)s kiến nghị qua kiểm tra đã được xử lý") % {"n": counts["closed"], "d": counts["total"]},
    )


PREFILLS = {"inspected_units": inspected_units, "issues_resolved": issues_resolved}


def prefill_for(prefill: str, unit: Unit, year: int) -> Prefill | None:
    function = PREFILLS.get(prefill)
    return function(unit, year) if function else None
