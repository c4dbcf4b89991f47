"""Operations of the yearly round that touch several rows (HackSoft style: <entity>_<action>)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, UnitGroup
from core.bulk import insert_rows, update_rows
from criteria.models import CriteriaSet, Criterion
from scoring import engine

from . import calculation, workflow
from .models import Assessment, Explanation, LeafEvidence, LeafValue, Round, Stage, ValueChange
from .models.values import INPUT_FIELDS


class ScoringError(Exception):
    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


# ---------------------------------------------------------------- rounds


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


# ---------------------------------------------------------------- values


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


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _empty(value) -> bool:
    return value is None or value is False or value == ""


def _stored(value: engine.LeafInput, name: str):
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
                new = _stored(entry.input, name)
                old = getattr(value, name)
                # Zero is a value (0 items, 0 points); only None/"" mean "nothing entered".
                if old != new and not (_empty(old) and _empty(new)):
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
                        old_value=_as_text(old),
                        new_value=_as_text(new),
                        changed_by=user,
                        changed_at=now,
                        reason=reason or note,
                    )
                )
            result.saved.append(criterion.code)
        ValueChange.objects.bulk_create(changes)
        if result.saved:
            calculation.refresh_totals(locked, tree, grouped)
    result.tree, result.values = tree, grouped
    return result


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
                new = tuple(_stored(entry.input, n) for n in INPUT_FIELDS)
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
                if before != after and not (_empty(before) and _empty(after)):
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
                    old_text = texts[(before.__class__, before)] = _as_text(before)
                new_text = texts.get((after.__class__, after))
                if new_text is None:
                    new_text = texts[(after.__class__, after)] = _as_text(after)
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


# ---------------------------------------------------------------- self-assessment and submission


def unit_can_edit(assessment: Assessment, today: dt.date | None = None) -> bool:
    return assessment.state == Assessment.State.DRAFT and not assessment.self_deadline_passed(today)


def missing_for_submission(assessment: Assessment) -> list[str]:
    """What stops the head from submitting: leaves without a value, or without evidence and explanation."""
    tree, grouped = calculation.load(assessment)
    with_evidence = set(
        LeafEvidence.objects.filter(assessment=assessment, purpose=LeafEvidence.Purpose.SELF).values_list(
            "criterion__code", flat=True
        )
    )
    problems = []
    for criterion in assessment.round.criteria_set.criteria.exclude(method="").order_by("position"):
        if criterion.method == engine.Method.SURVEY:
            continue
        value = grouped.get(criterion.code, calculation.LeafValues()).self
        label = f"{criterion.code}. {criterion.title}"
        if value is None or not value.has_value():
            problems.append(_("%(leaf)s: chưa chấm điểm.") % {"leaf": label})
        elif not value.not_applicable and criterion.code not in with_evidence and not value.note.strip():
            problems.append(_("%(leaf)s: chưa có tài liệu kiểm chứng hoặc giải trình.") % {"leaf": label})
    return problems


def assessment_submit(*, assessment: Assessment, user, today: dt.date | None = None) -> Assessment:
    if assessment.self_deadline_passed(today):
        raise ScoringError(_("Đã quá hạn tự chấm; liên hệ Sở Nội vụ để được mở lại."))
    problems = missing_for_submission(assessment)
    if problems:
        raise ScoringError(_("Chưa thể nộp: còn %(n)s tiêu chí chưa đủ.") % {"n": len(problems)}, problems)
    try:
        return workflow.apply(assessment, "submit", user=user, submitted_at=timezone.now())
    except workflow.TransitionError as exc:
        raise ScoringError(exc.message) from exc


def assessment_reopen(*, assessment: Assessment, user, reason: str, until: dt.date | None = None) -> Assessment:
    if not reason.strip():
        raise ScoringError(_("Cần ghi lý do mở lại."))
    try:
        return workflow.apply(assessment, "reopen", user=user, note=reason.strip(), reopened_until=until)
    except workflow.TransitionError as exc:
        raise ScoringError(exc.message) from exc


# ---------------------------------------------------------------- appraisal, explanation, final


def appraisal_accept_self(*, assessment: Assessment, user) -> SaveResult:
    """Copy the self value into the appraisal for every leaf the appraiser has not touched."""
    touched = set(assessment.values.filter(stage=Stage.APPRAISAL).values_list("criterion_id", flat=True))
    entries = [
        LeafEntry(v.criterion, v.as_input())
        for v in assessment.values.filter(stage=Stage.SELF)
        .select_related("criterion")
        .exclude(criterion_id__in=touched)
    ]
    return values_save(
        assessment=assessment, stage=Stage.APPRAISAL, entries=entries, user=user, reason=_("Chấp nhận điểm tự chấm")
    )


def missing_appraisal(assessment: Assessment, stage: str = Stage.APPRAISAL) -> list[str]:
    have = set(assessment.values.filter(stage=stage).values_list("criterion_id", flat=True))
    if stage == Stage.FINAL:
        have |= set(assessment.values.filter(stage=Stage.APPRAISAL).values_list("criterion_id", flat=True))
    return [
        f"{c.code}. {c.title}"
        for c in assessment.round.criteria_set.criteria.exclude(method="")
        .exclude(method=engine.Method.SURVEY)
        .order_by("position")
        if c.pk not in have
    ]


def _transition(assessment: Assessment, action: str, user, note: str = "", **changes) -> Assessment:
    try:
        return workflow.apply(assessment, action, user=user, note=note, **changes)
    except workflow.TransitionError as exc:
        raise ScoringError(exc.message) from exc


def assessment_complete_appraisal(*, assessment: Assessment, user) -> Assessment:
    missing = missing_appraisal(assessment)
    if missing:
        raise ScoringError(_("Chưa thể hoàn thành: %(n)s tiêu chí chưa được thẩm định.") % {"n": len(missing)}, missing)
    return _transition(assessment, "complete_appraisal", user)


def disputed_codes(assessment: Assessment) -> list[str]:
    """Leaves whose preliminary appraisal differs from the self value: the unit may explain them."""
    tree, grouped = calculation.load(assessment)
    codes = []
    for code, leaf in grouped.items():
        if leaf.appraisal is None or leaf.self is None:
            continue
        node = tree.nodes[code]
        if (
            engine.leaf_points(node, leaf.appraisal.as_input()).points
            != engine.leaf_points(node, leaf.self.as_input()).points
            or leaf.appraisal.not_applicable != leaf.self.not_applicable
        ):
            codes.append(code)
    order = {c: i for i, c in enumerate(tree.nodes)}
    return sorted(codes, key=order.get)


def assessment_send_preliminary(*, assessment: Assessment, user) -> Assessment:
    return _transition(assessment, "send_preliminary", user)


def explanation_save(*, assessment: Assessment, criterion: Criterion, text: str, user) -> Explanation:
    if assessment.state != Assessment.State.EXPLANATION or assessment.round.explanation_deadline_passed():
        raise ScoringError(_("Đã hết thời gian giải trình."))
    text = text.strip()
    if not text:
        raise ScoringError(_("Nội dung giải trình không được để trống."))
    with transaction.atomic():
        explanation, _created = Explanation.objects.select_for_update().get_or_create(
            assessment=assessment, criterion=criterion, defaults={"text": text, "updated_by": user}
        )
        if explanation.text != text:
            ValueChange.objects.create(
                assessment=assessment,
                criterion=criterion,
                stage=Stage.APPRAISAL,
                field="explanation",
                old_value=explanation.text,
                new_value=text,
                changed_by=user,
                reason=_("Giải trình"),
            )
            explanation.text, explanation.updated_by, explanation.updated_at = text, user, timezone.now()
            explanation.save()
        elif _created:
            ValueChange.objects.create(
                assessment=assessment,
                criterion=criterion,
                stage=Stage.APPRAISAL,
                field="explanation",
                new_value=text,
                changed_by=user,
                reason=_("Giải trình"),
            )
    return explanation


def assessment_submit_explanation(*, assessment: Assessment, user) -> Assessment:
    if assessment.round.explanation_deadline_passed():
        raise ScoringError(_("Đã hết thời gian giải trình."))
    return _transition(assessment, "submit_explanation", user)


def assessment_finalize(*, assessment: Assessment, user) -> Assessment:
    if assessment.state == Assessment.State.EXPLANATION and not assessment.round.explanation_deadline_passed():
        raise ScoringError(_("Đơn vị chưa gửi giải trình và chưa hết hạn giải trình."))
    return _transition(assessment, "finalize", user)
