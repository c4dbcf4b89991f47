"""Saving a form's or a page's leaf values: one assessment, under its row lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import Criterion
from scoring import engine

from .. import calculation
from ..models import Assessment, LeafValue, Stage, ValueChange
from ..models.values import INPUT_FIELDS
from .errors import ScoringError


@dataclass
class LeafEntry:
    """What a form or a file gives for one leaf at one stage."""

    criterion: Criterion
    input: engine.LeafInput
    note: str = ""


@dataclass
class SaveResult:
    saved: list[str] = field(default_factory=list)  # codes whose value changed
    errors: dict[str, engine.InputError] = field(default_factory=dict)  # code -> error
    # The assessment's tree and every stored value after the save, for answers that show new figures.
    tree: engine.Tree | None = None
    values: dict[str, calculation.LeafValues] = field(default_factory=dict)
    # Stage -> engine result of those values, for the stages the save already computed.
    computed: dict[str, engine.TreeResult] = field(default_factory=dict)


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def is_empty(value) -> bool:
    return value is None or value is False or value == ""


def stored_value(value: engine.LeafInput, name: str):
    attr = getattr(value, name)
    if name == "option":
        return attr or ""
    if isinstance(attr, Decimal):
        return attr.quantize(Decimal("0.01"))
    return attr


def values_save(
    *,
    assessment: Assessment,
    stage: str,
    entries: list[LeafEntry],
    user=None,
    reason: str = "",
    require_reason_against: str | None = None,
    guard=None,
) -> SaveResult:
    """Validate each entry with the engine; save the valid ones with a history row per changed field.

    `guard(locked_assessment) -> bool`: re-checked under the row lock (e.g. "the unit may still edit").
    `require_reason_against`: the stage a new value is compared to ("self" for the appraisal,
    "appraisal" for the final appraisal); where the points differ, a reason (the entry's note or
    `reason`) is required.
    """
    result = SaveResult()
    now = timezone.now()
    with transaction.atomic():
        # Lock the assessment: two app servers saving the same sheet queue up here.
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("round__criteria_set")
            .get(pk=assessment.pk)
        )
        # The caller's permission was checked before the lock; a submission committed meanwhile
        # must win, so the state is checked again under the lock.
        if guard is not None and not guard(locked):
            raise ScoringError(_("Phiếu vừa thay đổi trạng thái; giá trị không được lưu."))
        tree, grouped = calculation.load(locked)
        existing = {v.criterion_id: v for leaf in grouped.values() if (v := leaf.get(stage)) is not None}
        changes: list[ValueChange] = []
        for entry in entries:
            criterion = entry.criterion
            node = tree.nodes[criterion.code]
            try:
                leaf = engine.leaf_points(node, entry.input)
            except engine.InputError as exc:
                result.errors[criterion.code] = exc
                continue
            note = entry.note.strip()
            if require_reason_against and not (note or reason):
                before = calculation.LeafValues() if criterion.code not in grouped else grouped[criterion.code]
                order = (Stage.SELF,) if require_reason_against == "self" else calculation.APPRAISAL_ORDER
                reference = before.first(order)
                ref_points = None
                if reference is not None:
                    ref_points = engine.leaf_points(node, reference.as_input()).points
                if leaf.points is not None and (
                    ref_points != leaf.points
                    or bool(reference and reference.not_applicable) != entry.input.not_applicable
                ):
                    result.errors[criterion.code] = engine.InputError(
                        _("Cần ghi lý do vì điểm khác điểm %(ref)s.")
                        % {"ref": _("tự chấm") if require_reason_against == "self" else _("thẩm định sơ bộ")},
                        field="note",
                    )
                    continue
            value = existing.get(criterion.pk) or LeafValue(assessment=locked, criterion=criterion, stage=stage)
            changed = []
            for name in INPUT_FIELDS:
                new = stored_value(entry.input, name)
                old = getattr(value, name)
                # Zero is a value (0 items, 0 points); only None/"" mean "nothing entered".
                if old != new and not (is_empty(old) and is_empty(new)):
                    changed.append((name, old, new))
                    setattr(value, name, new)
            if (value.note or "") != note:
                changed.append(("note", value.note, note))
                value.note = note
            if not changed:
                continue
            value.score = leaf.points
            value.updated_by = user
            value.updated_at = now
            value.save()
            setattr(grouped.setdefault(criterion.code, calculation.LeafValues()), stage, value)
            for name, old, new in changed:
                changes.append(
                    ValueChange(
                        assessment=locked,
                        criterion=criterion,
                        stage=stage,
                        field=name,
                        old_value=as_text(old),
                        new_value=as_text(new),
                        changed_by=user,
                        changed_at=now,
                        reason=reason or note,
                    )
                )
            result.saved.append(criterion.code)
        ValueChange.objects.bulk_create(changes)
        if result.saved:
            calculation.refresh_totals(locked, tree, grouped, computed=result.computed)
    result.tree, result.values = tree, grouped
    return result
