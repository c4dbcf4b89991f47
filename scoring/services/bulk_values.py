"""Saving a whole file's leaf values (imports): every assessment written is locked, validated, then
written in a few statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import insert_rows, update_rows
from criteria.models import CriteriaSet, Criterion
from scoring import engine

from .. import calculation
from ..models import Assessment, LeafValue, ValueChange
from ..models.values import INPUT_FIELDS
from .values import as_text, is_empty, stored_value


@dataclass
class BulkEntry:
    """One leaf of one assessment at one stage, as an imported file gives it."""

    assessment: Assessment
    stage: str
    criterion: Criterion
    input: engine.LeafInput
    note: str | None = None  # None: keep the stored note


@dataclass
class BulkSaveResult:
    saved: dict[tuple[int, str], int] = field(default_factory=dict)  # (assessment pk, stage) -> values changed
    changes: list[tuple[int, str, str, str]] = field(default_factory=list)  # (entry index, field, old, new)
    errors: dict[int, engine.InputError] = field(default_factory=dict)  # entry index -> error
    states: dict[int, str] = field(default_factory=dict)  # assessment pk -> state, read under the lock


LOCK_BATCH = 500  # assessments per query: within SQLite's 999 parameters
VALUE_COLUMNS = ("assessment", "criterion", "stage", *INPUT_FIELDS, "score", "note", "updated_by", "updated_at")
CHANGE_COLUMNS = (
    "assessment",
    "criterion",
    "stage",
    "field",
    "old_value",
    "new_value",
    "changed_by",
    "changed_at",
    "reason",
)
TOTAL_COLUMNS = tuple(calculation.totals_fields(engine.TreeResult(), engine.TreeResult()))
_NO_VALUE = (None, False, None, "", None, None, None, None, "")  # pk, INPUT_FIELDS, note of a leaf never saved
ZERO = Decimal("0.00")


def values_save_many(*, entries: list[BulkEntry], user=None, reason: str = "") -> BulkSaveResult:
    """`values_save` for a whole file: the same history rows, scores and totals, in a few statements.

    Locks every assessment written (in pk order), validates every entry with the engine and, only
    if all are valid, writes the changed values, one `ValueChange` per changed field (reason:
    `reason`, else the entry's note) and the cached totals of each touched assessment, computed
    from its values in memory by the rule of `calculation.refresh_totals`. With any error nothing
    is written and `errors` says which entries failed. Inside a caller's transaction it takes no
    savepoint (SQLite would journal every page written): a failure dooms the caller's transaction.
    """
    result = BulkSaveResult()
    user_pk = user.pk if user is not None else None
    with transaction.atomic(savepoint=False):
        tree_of, values_of, code_of = _lock_and_load(entries, result.states)
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        dirty: dict[tuple[int, int, str], Decimal | None] = {}
        history: list[tuple] = []
        # (criterion pk, id(input)) -> points and stored columns: a file repeats its inputs, and
        # the entries keep every input alive, so an id is not reused while this runs.
        known: dict[tuple[int, int], tuple[Decimal | None, tuple]] = {}
        scored: dict[tuple[str, tuple], engine.LeafResult] = {}  # (code, stored columns) -> result, for _totals
        # History text of each distinct stored value; their decimals all have 2 places, so equal
        # values have equal text.
        texts: dict[tuple[type, object], str] = {}
        for index, entry in enumerate(entries):
            assessment_pk, criterion, stage = entry.assessment.pk, entry.criterion, entry.stage
            criterion_pk = criterion.pk
            points_and_new = known.get((criterion_pk, id(entry.input)))
            if points_and_new is None:
                try:
                    leaf = engine.leaf_points(tree_of[assessment_pk].nodes[criterion.code], entry.input)
                except engine.InputError as exc:
                    result.errors[index] = exc
                    continue
                new = tuple(stored_value(entry.input, n) for n in INPUT_FIELDS)
                scored[(criterion.code, new)] = leaf
                points_and_new = known[(criterion_pk, id(entry.input))] = (leaf.points, new)
            points, new = points_and_new
            leaves = values_of[assessment_pk]
            old = leaves.get((criterion_pk, stage), _NO_VALUE)
            note = old[-1] if entry.note is None else entry.note.strip()
            if old[1:-1] == new and (old[-1] or "") == note:
                continue
            row = list(old)
            changed = []
            for position, name in enumerate(INPUT_FIELDS, start=1):
                before, after = old[position], new[position - 1]
                if before != after and not (is_empty(before) and is_empty(after)):
                    changed.append((name, before, after))
                    row[position] = after
            if (old[-1] or "") != note:
                changed.append(("note", old[-1], note))
                row[-1] = note
            if not changed:
                continue
            leaves[(criterion_pk, stage)] = tuple(row)
            dirty[(assessment_pk, criterion_pk, stage)] = points
            key = (assessment_pk, stage)
            result.saved[key] = result.saved.get(key, 0) + 1
            for name, before, after in changed:
                old_text = texts.get((before.__class__, before))
                if old_text is None:
                    old_text = texts[(before.__class__, before)] = as_text(before)
                new_text = texts.get((after.__class__, after))
                if new_text is None:
                    new_text = texts[(after.__class__, after)] = as_text(after)
                result.changes.append((index, name, old_text, new_text))
                history.append(
                    (assessment_pk, criterion_pk, stage, name, old_text, new_text, user_pk, stamp, reason or note)
                )
        if result.errors or not dirty:
            return result

        inserts, updates = [], []
        for (assessment_pk, criterion_pk, stage), points in dirty.items():
            pk, *inputs, note = values_of[assessment_pk][(criterion_pk, stage)]
            if pk is None:
                inserts.append((assessment_pk, criterion_pk, stage, *inputs, points, note, user_pk, stamp))
            else:
                updates.append((*inputs, points, note, user_pk, stamp, pk))
        insert_rows(LeafValue, VALUE_COLUMNS, inserts)
        update_rows(LeafValue, VALUE_COLUMNS[3:], updates)
        insert_rows(ValueChange, CHANGE_COLUMNS, history)
        update_rows(
            Assessment, TOTAL_COLUMNS, _totals(sorted({k[0] for k in dirty}), tree_of, values_of, code_of, scored)
        )
    return result


def _lock_and_load(entries: list[BulkEntry], states: dict[int, str]) -> tuple[dict, dict, dict]:
    """Lock the entries' assessments (pk order), then read their trees and every stored value.

    Returns tree per assessment pk, {assessment pk: {(criterion pk, stage): (pk, *INPUT_FIELDS,
    note)}} and criterion pk -> code; `states` gets each assessment's state as locked.
    """
    pks = sorted({e.assessment.pk for e in entries})
    set_of_round: dict[int, CriteriaSet] = {}
    for e in entries:
        if e.assessment.round_id not in set_of_round:
            set_of_round[e.assessment.round_id] = e.assessment.round.criteria_set
    trees = {s.pk: s.engine_tree for s in set_of_round.values()}
    code_of = dict(Criterion.objects.filter(criteria_set__in=list(trees)).values_list("pk", "code"))
    tree_of: dict[int, engine.Tree] = {}
    values_of: dict[int, dict[tuple[int, str], tuple]] = {}
    for start in range(0, len(pks), LOCK_BATCH):
        chunk = pks[start : start + LOCK_BATCH]
        # Two imports, or an import and a page save, queue up here as in values_save.
        locked = Assessment.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        for pk, state, round_id in locked.values_list("pk", "state", "round_id"):
            states[pk] = state
            tree_of[pk] = trees[set_of_round[round_id].pk]
            values_of[pk] = {}
        if len(values_of) < start + len(chunk):
            raise Assessment.DoesNotExist("An assessment of the file was deleted meanwhile.")
        stored = LeafValue.objects.filter(assessment__in=chunk).values_list(
            "assessment", "criterion", "stage", "pk", *INPUT_FIELDS, "note"
        )
        for assessment_pk, criterion_pk, stage, *row in stored:
            values_of[assessment_pk][(criterion_pk, stage)] = tuple(row)
    return tree_of, values_of, code_of


def _totals(pks: list[int], tree_of: dict, values_of: dict, code_of: dict[int, str], scored: dict) -> list[tuple]:
    """`refresh_totals` from the values in memory: one row of TOTAL_COLUMNS and the pk per assessment.

    `scored`: (code, stored columns) -> the engine's result, filled as each distinct value is scored.
    """
    interned: dict[tuple, engine.LeafInput] = {}  # stored columns -> one input object
    columns_of: dict[int, tuple] = {}  # id(interned input) -> its stored columns
    rows = []
    for pk in pks:
        tree = tree_of[pk]
        per_leaf: dict[str, dict[str, engine.LeafInput]] = {}
        for (criterion_pk, stage), (_pk, *values, _note) in values_of[pk].items():
            columns = tuple(values)
            value = interned.get(columns)
            if value is None:
                na, points, option, numerator, denominator, count, rate = values
                value = interned[columns] = engine.LeafInput(
                    na, points, option or None, numerator, denominator, count, rate
                )
                columns_of[id(value)] = columns
            per_leaf.setdefault(code_of[criterion_pk], {})[stage] = value
        own = _tree_result(
            tree, calculation.choose_inputs(tree, per_leaf, "self"), scored, columns_of, include_survey=False
        )
        final = _tree_result(
            tree, calculation.choose_inputs(tree, per_leaf, "final"), scored, columns_of, include_survey=True
        )
        rows.append((*calculation.totals_fields(own, final).values(), pk))
    return rows


def _tree_result(
    tree: engine.Tree, inputs: dict, scored: dict, columns_of: dict, *, include_survey: bool
) -> engine.TreeResult:
    """`engine.compute_tree`'s total, maximum, index and leaf counts, each distinct (leaf, value)
    scored once for all the assessments: as `ranking.compute` does, leaf points are summed per
    domain and the engine's `rollup_domains` applies the caps."""
    points = dict.fromkeys(tree.domains, ZERO)
    maxima = dict.fromkeys(tree.domains, ZERO)
    result = engine.TreeResult(points=points, max_points=maxima)
    for code in tree.leaves:
        node = tree.nodes[code]
        is_survey = node.method is engine.Method.SURVEY
        if is_survey and not include_survey:
            continue
        value = inputs.get(code)
        columns = columns_of.get(id(value))  # None for no value, or a survey input choose_inputs made
        leaf = scored.get((code, columns)) if columns is not None else None
        if leaf is None:
            leaf = engine.leaf_points(node, value)
            if columns is not None:
                scored[(code, columns)] = leaf
        if leaf.applicable:
            domain = tree.domain_of[code]
            if leaf.points is not None:
                points[domain] += leaf.points
            maxima[domain] += node.max_points
        if not is_survey:
            if leaf.points is None and leaf.applicable:
                result.to_enter += 1
            else:
                result.entered += 1
    return engine.rollup_domains(tree, result)


# Rows are written as plain tuples of column values: bulk_create builds a model instance per row,
# and bulk_update a CASE that grows with the batch, which cost more than the rest of an import.
