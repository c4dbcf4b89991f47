"""Operations on criteria sets that touch several rows: import, publish, new version, clone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import UnitGroup
from core.excel import RowError

from .excel import CriterionRow, parse_criteria
from .models import CriteriaSet, Criterion


class CriteriaError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ImportOutcome:
    rows: list[CriterionRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    criteria_set: CriteriaSet | None = None
    action: str = ""  # "created", "replaced_draft" or "new_version"
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def leaf_count(self) -> int:
        return sum(1 for r in self.rows if r.method)


def _planned_action(code: str) -> tuple[str, CriteriaSet | None]:
    latest = CriteriaSet.objects.filter(code=code).order_by("-version").first()
    if latest is None:
        return "created", None
    if latest.is_published:
        return "new_version", latest
    return "replaced_draft", latest


def criteria_set_import(
    *,
    source,
    code: str,
    name: str,
    year: int,
    group: UnitGroup,
    user=None,
    publish: bool = False,
    dry_run: bool = False,
    decision_number: str = "",
    decision_date: dt.date | None = None,
    decision_issuer: str = "",
    filename: str = "",
) -> ImportOutcome:
    """Validate the whole workbook, then save it in one transaction, or save nothing.

    A new code creates version 1; a code whose latest version is a draft replaces that draft;
    a code whose latest version is published gets a new version (published sets never change).
    """
    parsed = parse_criteria(source)
    outcome = ImportOutcome(rows=parsed.rows, errors=parsed.errors, dry_run=dry_run)
    outcome.action, latest = _planned_action(code)
    if not parsed.ok or dry_run:
        return outcome
    with transaction.atomic():
        if outcome.action == "replaced_draft":
            criteria_set = CriteriaSet.objects.select_for_update().get(pk=latest.pk)
            criteria_set.criteria.all().delete()
        else:
            criteria_set = CriteriaSet(code=code, version=(latest.version + 1) if latest else 1, derived_from=latest)
        criteria_set.name = name
        criteria_set.year = year
        criteria_set.group = group
        criteria_set.decision_number = decision_number
        criteria_set.decision_date = decision_date
        criteria_set.decision_issuer = decision_issuer
        criteria_set.source_filename = filename
        criteria_set.full_clean()
        criteria_set.save()
        _create_criteria(criteria_set, parsed.rows)
        if publish:
            criteria_set_publish(criteria_set=criteria_set, user=user)
    outcome.criteria_set = criteria_set
    return outcome


def _create_criteria(criteria_set: CriteriaSet, rows: list[CriterionRow]) -> None:
    """Insert level by level so that each level's parents already have primary keys."""
    by_code: dict[str, Criterion] = {}
    position = {row.code: index for index, row in enumerate(rows, start=1)}
    for depth in sorted({row.depth for row in rows}):
        level = [
            Criterion(
                criteria_set=criteria_set,
                code=row.code,
                parent=by_code.get(row.parent_code) if row.parent_code else None,
                position=position[row.code],
                depth=depth,
                title=row.title,
                max_points=row.max_points,
                kind=row.kind.value,
                method=row.method.value if row.method else "",
                rule=row.rule,
                inputs=row.inputs,
                allow_na=row.allow_na,
                evidence=row.evidence,
                guidance=row.guidance,
                prefill=row.prefill,
            )
            for row in rows
            if row.depth == depth
        ]
        for created in Criterion.objects.bulk_create(level):
            by_code[created.code] = created


def criteria_set_publish(*, criteria_set: CriteriaSet, user=None) -> CriteriaSet:
    from scoring import engine

    if criteria_set.is_published:
        raise CriteriaError(_("Bộ tiêu chí này đã được ban hành."))
    nodes = criteria_set.engine_nodes()
    if not any(node.method for node in nodes):
        raise CriteriaError(_("Bộ tiêu chí chưa có tiêu chí nào để chấm điểm."))
    problems = engine.check_tree(nodes)
    if problems:
        raise CriteriaError(
            _("Chưa thể ban hành: %(problems)s") % {"problems": "; ".join(f"{p.code}: {p.message}" for p in problems)}
        )
    updated = CriteriaSet.objects.filter(pk=criteria_set.pk, status=CriteriaSet.Status.DRAFT).update(
        status=CriteriaSet.Status.PUBLISHED, published_at=timezone.now(), published_by=user
    )
    if not updated:  # someone else published it between our read and this write
        raise CriteriaError(_("Bộ tiêu chí này đã được ban hành."))
    criteria_set.refresh_from_db()
    return criteria_set


def _copy(source: CriteriaSet, **changes) -> CriteriaSet:
    copy = CriteriaSet(
        code=source.code,
        version=source.version,
        name=source.name,
        year=source.year,
        group=source.group,
        decision_number=source.decision_number,
        decision_date=source.decision_date,
        decision_issuer=source.decision_issuer,
        derived_from=source,
        source_filename=source.source_filename,
    )
    for key, value in changes.items():
        setattr(copy, key, value)
    copy.full_clean()
    copy.save()
    rows = [
        CriterionRow(
            line=0,
            code=c.code,
            title=c.title,
            max_points=c.max_points,
            kind=c.as_engine_node().kind,
            method=c.as_engine_node().method,
            rule=c.rule,
            inputs=c.inputs,
            allow_na=c.allow_na,
            evidence=c.evidence,
            guidance=c.guidance,
            prefill=c.prefill,
        )
        for c in source.criteria.all()
    ]
    _create_criteria(copy, rows)
    return copy


@transaction.atomic
def criteria_set_new_version(*, criteria_set: CriteriaSet, user=None) -> CriteriaSet:
    """A correction of a published set: a draft copy with the next version number."""
    if CriteriaSet.objects.filter(code=criteria_set.code, status=CriteriaSet.Status.DRAFT).exists():
        raise CriteriaError(_("Mã %(code)s đã có một phiên bản dự thảo; hãy sửa bản đó.") % {"code": criteria_set.code})
    last = CriteriaSet.objects.filter(code=criteria_set.code).aggregate(v=Max("version"))["v"]
    return _copy(criteria_set, version=last + 1)


def next_year_code(code: str, year: int) -> str:
    old = str(year)
    return code.replace(old, str(year + 1)) if old in code else f"{code}-{year + 1}"


@transaction.atomic
def criteria_set_clone_to_year(*, criteria_set: CriteriaSet, code: str | None = None, user=None) -> CriteriaSet:
    """Start next year's set from this one, as a draft that Home Affairs then adjusts."""
    year = criteria_set.year + 1
    code = code or next_year_code(criteria_set.code, criteria_set.year)
    if CriteriaSet.objects.filter(code=code).exists():
        raise CriteriaError(_("Mã bộ tiêu chí %(code)s đã tồn tại.") % {"code": code})
    return _copy(criteria_set, code=code, version=1, year=year, decision_number="", decision_date=None)
