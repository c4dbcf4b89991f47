"""Leaf values in Excel: the layout `import_scores`, the unit's own sheet and the survey import share.

One table layout for every stage, which the unit's own sheet (`scoring.unit_sheet`) also writes: a
row is one leaf of one unit. `parse_scores` validates the whole file (units, criteria, stage against
method, and every input through the engine) and
`scores_import` writes it in one transaction through `services.values_save_many`, the bulk twin of
`values_save`, so history rows and cached totals are kept exactly as when values are typed on the page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Unit
from core.excel import Column, RowError, read_table
from core.memory import cycle_collector_paused
from core.text import clean_text
from criteria.models import Criterion
from scoring import engine
from scoring.engine.rules import normalize_text

from .models import Assessment, AssessmentEvent, LeafValue, Round, Stage

UNIT = Column("unit_code", ("Mã đơn vị", "unit_code"), required=True)
CRITERION = Column("criterion_code", ("Mã tiêu chí", "criterion_code"), required=True)
INPUTS = (
    Column("points", ("Điểm", "points")),
    Column("option", ("Lựa chọn", "option")),
    Column("numerator", ("Tử số", "numerator")),
    Column("denominator", ("Mẫu số", "denominator")),
    Column("count", ("Số lượng", "count")),
    Column("not_applicable", ("Không áp dụng", "not_applicable")),
    Column("note", ("Ghi chú", "note")),
)
# The layout of `import_scores` (and of the unit's sheet, which adds helper columns after it).
SCORE_COLUMNS = (UNIT, CRITERION, *INPUTS)
# The survey file: the rate may be headed "Tỷ lệ" or, in an import_scores file, "Điểm".
RATE = Column("rate", ("Tỷ lệ", "Điểm", "rate", "points"), required=True)
SURVEY_COLUMNS = (
    Column("unit_code", ("Mã đơn vị", "unit_code"), required=True),
    Column("criterion_code", ("Mã tiêu chí", "criterion_code"), required=True),
    RATE,
    *(c for c in INPUTS if c.key != "points"),
)
HELPER_HEADERS = ("Nội dung", "Điểm tối đa", "Cách chấm", "Quy tắc", "Tài liệu kiểm chứng")
SHEET_WIDTHS = (12, 11, 9, 28, 10, 10, 9, 10, 40, 60, 10, 24, 45, 40)

STAGES = ("self", "appraisal", "survey")
YES = {"x", "có", "co", "yes", "y", "1", "true", "đúng"}
NO = {"", "không", "khong", "no", "n", "0", "false"}
YES_OR_NO = YES | NO
NUMBER_FIELDS = ("points", "numerator", "denominator", "count", "rate")

# The input field each method reads; any other input column of the row must be empty.
METHOD_FIELDS: dict[engine.Method, tuple[str, ...]] = {
    engine.Method.MANUAL: ("points",),
    engine.Method.CHOICE: ("option",),
    engine.Method.BANDS: ("numerator", "denominator"),
    engine.Method.PROPORTIONAL: ("numerator", "denominator"),
    engine.Method.PER_ITEM: ("count",),
    engine.Method.DEDUCTION: ("count",),
    engine.Method.SURVEY: ("rate",),
}
VALUE_FIELDS = ("points", "option", "numerator", "denominator", "count", "rate")
# Where an engine error is reported: its field, else the criterion's code.
ERROR_COLUMNS = {f: f for f in (*VALUE_FIELDS, "not_applicable", "note")}


def round_is_published(round_) -> bool:
    """Whether the round's results are published (then no file may change them)."""
    return round_.is_published


LATE_STATES = {Assessment.State.EXPLANATION, Assessment.State.EXPLAINED, Assessment.State.FINALIZED}


def target_stage(assessment: Assessment, stage: str) -> str:
    """The stored stage a file's `stage` writes: "appraisal" means the one the appraiser is in."""
    if stage == "appraisal":
        return Stage.FINAL if assessment.state in LATE_STATES else Stage.APPRAISAL
    return Stage(stage)


@dataclass
class ScoreRow:
    """One valid row: the leaf, the assessment and stage it goes to, and the engine's input."""

    line: int
    assessment: Assessment
    criterion: Criterion
    stage: str
    input: engine.LeafInput
    note: str | None  # None: the file has no note column, keep the stored note
    points: Decimal | None = None  # what the engine gives for the input

    @property
    def unit_code(self) -> str:
        return self.assessment.unit.code


@dataclass
class FieldChange:
    """One field of one leaf value the import changes (or would change)."""

    unit_code: str
    criterion_code: str
    criterion_title: str
    stage: str
    field: str
    old: str
    new: str

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    @property
    def field_label(self) -> str:
        return field_label(self.field)

    @property
    def old_display(self) -> str:
        return _display(self.old)

    @property
    def new_display(self) -> str:
        return _display(self.new)


def _display(text: str) -> str:
    """History text the Vietnamese way: "1.50" → "1,5"; anything else as stored."""
    try:
        number = Decimal(text)
    except (ArithmeticError, ValueError):
        return text
    if not number.is_finite():
        return text
    shown = format(number.normalize(), "f") if number == number.to_integral() else format(number, "f").rstrip("0")
    return shown.replace(".", ",")


@dataclass
class ScoresImportOutcome:
    rows: list[ScoreRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    changes: list[FieldChange] = field(default_factory=list)
    changed: dict[str, int] = field(default_factory=dict)  # stage -> leaf values changed
    unchanged: int = 0  # rows that change nothing
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed_total(self) -> int:
        return sum(self.changed.values())

    def changed_by_stage(self) -> list[tuple[str, int]]:
        return [(Stage(s).label, n) for s, n in self.changed.items()]


def field_label(name: str) -> str:
    try:
        return str(LeafValue._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _text(value: object) -> str:
    """A code as typed: Excel turns "2" into 2 and, in an English locale, "2.1" into 2.1."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return clean_text(value)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, int | float | Decimal):  # never blank: spare the text clean-up
        return False
    return clean_text(value) == ""


def _memo(cache: dict, function, value):
    """function(value) once per distinct cell value: a file repeats its codes, notes and numbers."""
    key = (value.__class__, value)  # 1, 1.0 and True are equal keys but not the same cell
    try:
        return cache[key]
    except KeyError:
        result = cache[key] = function(value)
        return result


def _number_or_error(value: object, name: str) -> Decimal | engine.RuleError:
    try:
        return _number(value, name)
    except engine.RuleError as exc:
        return exc


def _leaf_or_error(node: engine.Node, not_applicable: bool, values: dict) -> tuple[engine.LeafInput, Decimal | None] | engine.InputError:
    """The engine's input and points for one leaf, as stored: count an int, option as the rule writes it."""
    leaf_input = engine.LeafInput(not_applicable=not_applicable, **values)
    try:
        points = engine.leaf_points(node, leaf_input).points
    except engine.InputError as exc:
        return exc
    if leaf_input.count is not None:
        leaf_input.count = int(leaf_input.count)
    if leaf_input.option:
        key = normalize_text(leaf_input.option)
        leaf_input.option = next(o.label for o in node.rule.options if normalize_text(o.label) == key)
    return leaf_input, points


def _number(value: object, name: str) -> Decimal:
    if name == "rate" and isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
    # Negative numbers pass here so that the engine gives its own reason ("Điểm không được âm").
    return engine.parse_decimal(value, field=name, allow_negative=True)


class _Context:
    """Units, rounds, assessments and criteria of a year, each loaded once."""

    def __init__(self, year: int, assessment: Assessment | None, round_: Round | None, stage: str):
        self.year = year
        self.only_assessment = assessment
        self.only_round = round_
        self.stage = stage
        rounds = Round.objects.filter(year=year).select_related("group", "criteria_set")
        if round_ is not None:
            rounds = rounds.filter(pk=round_.pk)
        if assessment is not None:
            rounds = rounds.filter(pk=assessment.round_id)
        self.round_of_group = {r.group_id: r for r in rounds}
        assessments = Assessment.objects.filter(round__in=list(self.round_of_group.values())).select_related("unit")
        self.assessment_of = {(a.round_id, a.unit_id): a for a in assessments}
        by_pk = {r.pk: r for r in self.round_of_group.values()}
        for a in self.assessment_of.values():
            a.round = by_pk[a.round_id]
        self.units = {u.code.upper(): u for u in Unit.objects.all()}
        sets = {r.criteria_set_id: r.criteria_set for r in self.round_of_group.values()}
        self.criteria: dict[tuple[int, str], Criterion] = {}
        for c in Criterion.objects.filter(criteria_set_id__in=list(sets)).select_related("criteria_set"):
            self.criteria[(c.criteria_set_id, c.code.casefold())] = c
        self.trees = {pk: s.engine_tree for pk, s in sets.items()}
        self._published: dict[int, bool] = {}
        self._targets: dict[str, tuple[Assessment | None, str]] = {}
        self._leaves: dict[tuple[int, str], tuple[Criterion | None, str]] = {}

    def published(self, round_: Round) -> bool:
        if round_.pk not in self._published:
            self._published[round_.pk] = round_is_published(round_)
        return self._published[round_.pk]

    def target(self, unit_code: str) -> tuple[Assessment | None, str]:
        """The assessment a unit code's rows write to, or why there is none (once per code)."""
        if unit_code not in self._targets:
            self._targets[unit_code] = self._target(unit_code)
        return self._targets[unit_code]

    def _target(self, unit_code: str) -> tuple[Assessment | None, str]:
        assessment = self.only_assessment
        if assessment is not None:
            if unit_code and unit_code.upper() != assessment.unit.code.upper():
                return None, _("Tệp này là của đơn vị khác (mã “%(code)s”), không phải của %(unit)s.") % {"code": unit_code, "unit": assessment.unit.code}
            target = assessment
        elif not unit_code:
            return None, _("Thiếu mã đơn vị.")
        elif unit_code.upper() not in self.units:
            return None, _("Không có đơn vị mã “%(code)s”.") % {"code": unit_code}
        else:
            unit = self.units[unit_code.upper()]
            round_found = self.round_of_group.get(unit.group_id)
            target = self.assessment_of.get((round_found.pk, unit.pk)) if round_found else None
            if target is None:
                if self.only_round is not None:
                    return None, _("Đơn vị “%(code)s” không có phiếu trong kỳ đánh giá này.") % {"code": unit_code}
                return None, _("Đơn vị “%(code)s” không có phiếu đánh giá năm %(year)s.") % {"code": unit_code, "year": self.year}
        if self.published(target.round):
            return None, _("Kết quả kỳ đánh giá %(round)s đã công bố; không được sửa.") % {"round": target.round}
        return target, ""

    def leaf(self, target: Assessment, code: str) -> tuple[Criterion | None, str]:
        """The leaf a criterion code names in the target's criteria set, or why it cannot be scored here."""
        key = (target.round_id, code)
        if key not in self._leaves:
            self._leaves[key] = self._leaf(target, code)
        return self._leaves[key]

    def _leaf(self, target: Assessment, code: str) -> tuple[Criterion | None, str]:
        criterion = self.criteria.get((target.round.criteria_set_id, code.casefold()))
        if criterion is None:
            return None, _("Không có tiêu chí mã “%(code)s” trong bộ tiêu chí %(set)s.") % {"code": code, "set": target.round.criteria_set.code}
        if not criterion.is_leaf:
            return None, _("Tiêu chí “%(code)s” có tiêu chí con, không chấm điểm trực tiếp.") % {"code": criterion.code}
        if self.stage == "survey" and criterion.method != engine.Method.SURVEY:
            return None, _("Tiêu chí “%(code)s” không chấm bằng điều tra xã hội học: tệp điều tra chỉ nhận tiêu chí điều tra.") % {"code": criterion.code}
        if self.stage != "survey" and criterion.method == engine.Method.SURVEY:
            return None, _("Tiêu chí “%(code)s” chấm bằng điều tra xã hội học: chỉ nhập tỷ lệ điều tra, không nhập điểm tự chấm hay thẩm định.") % {"code": criterion.code}
        return criterion, ""


def parse_scores(
    source,
    *,
    year: int,
    stage: str,
    assessment: Assessment | None = None,
    round_: Round | None = None,
) -> tuple[list[ScoreRow], list[RowError]]:
    """Validate a whole file of leaf values; rows come back only when there is no error.

    `stage` is "self", "appraisal" or "survey". `assessment` limits the file to one unit's sheet
    (its unit column may then be left empty); `round_` limits it to the units of one round.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    columns = SURVEY_COLUMNS if stage == "survey" else SCORE_COLUMNS
    if assessment is not None:
        columns = tuple(Column(c.key, c.headers) if c.key == "unit_code" else c for c in columns)
    table = read_table(source, columns)
    errors = list(table.errors)
    if errors:
        return [], errors
    if not table.rows:
        return [], [RowError(2, "", _("Tệp không có dòng dữ liệu nào."))]
    ctx = _Context(year, assessment, round_, stage)
    rows: list[ScoreRow] = []
    seen: dict[tuple[int, int], int] = {}
    codes: dict = {}
    texts: dict = {}
    numbers: dict[str, dict] = {name: {} for name in NUMBER_FIELDS}
    parsers = {name: functools.partial(_number_or_error, name=name) for name in NUMBER_FIELDS}
    # Rows with the same leaf and input share one LeafInput: nothing changes it after parsing.
    leaves: dict[tuple, tuple[engine.LeafInput, Decimal | None] | engine.InputError] = {}

    for row in table.rows:
        cells = row.values
        problems: list[tuple[str, str]] = []
        problem = problems.append

        # ---- unit and its assessment
        target, why = ctx.target(_memo(codes, _text, cells.get("unit_code")))
        if why:
            problem(("unit_code", why))

        # ---- criterion
        code = _memo(codes, _text, cells.get("criterion_code"))
        criterion: Criterion | None = None
        if not code:
            problem(("criterion_code", _("Thiếu mã tiêu chí.")))
        elif target is not None:
            criterion, why = ctx.leaf(target, code)
            if why:
                problem(("criterion_code", why))

        # ---- inputs (read even when the leaf is unknown, so every mistake of the row is reported)
        values: dict[str, object] = {}
        for name in NUMBER_FIELDS:
            raw = cells.get(name)
            if _is_blank(raw):
                continue
            number = _memo(numbers[name], parsers[name], raw)
            if isinstance(number, engine.RuleError):
                problem((name, number.message))
            else:
                values[name] = number
        option = _memo(texts, clean_text, cells.get("option"))
        if option:
            values["option"] = option
        na_text = _memo(texts, clean_text, cells.get("not_applicable")).casefold()
        if na_text not in YES_OR_NO:
            problem(("not_applicable", _("Cột này chỉ nhận “x”, “có” hoặc “yes” (hoặc để trống).")))
        not_applicable = na_text in YES
        note = _memo(texts, clean_text, cells.get("note")) if "note" in cells else None

        leaf = None
        if criterion is not None and not problems:
            method = engine.Method(criterion.method)
            for name in values:
                if name not in METHOD_FIELDS[method]:
                    problem((name, _("Tiêu chí “%(code)s” chấm theo cách “%(method)s”: để trống cột này.") % {"code": criterion.code, "method": engine.METHOD_LABELS[method]}))
            if not_applicable and values:
                problem(("not_applicable", _("Đã khai báo không áp dụng thì để trống các cột số liệu.")))
            if not problems:
                key = (criterion.pk, not_applicable, *values.items())
                leaf = leaves.get(key)
                if leaf is None:
                    node = ctx.trees[criterion.criteria_set_id].nodes[criterion.code]
                    leaf = leaves[key] = _leaf_or_error(node, not_applicable, values)
                if isinstance(leaf, engine.InputError):
                    problem((ERROR_COLUMNS.get(leaf.field or "", "criterion_code"), leaf.message))
                    leaf = None

        # ---- duplicates
        if target is not None and criterion is not None:
            key = (target.pk, criterion.pk)
            if key in seen:
                problem(("criterion_code", _("Trùng với dòng %(line)s (cùng đơn vị và tiêu chí).") % {"line": seen[key]}))
            else:
                seen[key] = row.line

        for key, message in problems:
            errors.append(RowError(row.line, table.label(key), message))
        if not problems and target is not None and criterion is not None and leaf is not None:
            rows.append(
                ScoreRow(
                    line=row.line,
                    assessment=target,
                    criterion=criterion,
                    stage=target_stage(target, stage),
                    input=leaf[0],
                    note=note,
                    points=leaf[1],
                )
            )
    errors.sort(key=lambda e: e.line)
    return (rows if not errors else []), errors


@cycle_collector_paused()
def scores_import(
    *,
    source,
    year: int,
    stage: str,
    user=None,
    filename: str = "",
    dry_run: bool = False,
    reason: str | None = None,
    assessment: Assessment | None = None,
    round_: Round | None = None,
) -> ScoresImportOutcome:
    """Validate the whole file, then write every row in one transaction (or nothing).

    The values go through `values_save_many` with the file's name as the reason of their history
    rows (`reason` overrides it). With `dry_run` the same writes run and are rolled back, so the
    outcome lists exactly what would change.
    """
    from . import services

    rows, errors = parse_scores(source, year=year, stage=stage, assessment=assessment, round_=round_)
    outcome = ScoresImportOutcome(rows=rows, errors=errors, dry_run=dry_run)
    if errors:
        return outcome
    reason = reason or filename
    entries = [services.BulkEntry(r.assessment, r.stage, r.criterion, r.input, r.note) for r in rows]
    # A savepoint only for the dry run, the one thing rolled back here: values_save_many writes
    # nothing unless every row is valid, and SQLite journals every page a savepoint changes.
    with transaction.atomic(savepoint=dry_run):
        result = services.values_save_many(entries=entries, user=user, reason=reason)
        if result.errors:
            outcome.errors = sorted(
                (RowError(rows[i].line, _column_label(exc.field), exc.message) for i, exc in result.errors.items()),
                key=lambda e: e.line,
            )
            return outcome
        events = []
        for (pk, target), count in result.saved.items():
            outcome.changed[target] = outcome.changed.get(target, 0) + count
            state = result.states[pk]
            if state != Assessment.State.DRAFT:
                # A file changing a submitted sheet is an event on its timeline too, not only history.
                note = _("%(n)s giá trị (%(stage)s) từ tệp %(file)s") % {"n": count, "stage": target, "file": filename or reason or ""}
                events.append(AssessmentEvent(assessment_id=pk, actor=user, from_state=state, to_state=state, action="import", note=note))
        AssessmentEvent.objects.bulk_create(events)
        outcome.unchanged = len(rows) - sum(result.saved.values())
        unit_codes: dict[int, str] = {}
        for i, name, old, new in result.changes:
            row = rows[i]
            unit_code = unit_codes.get(id(row.assessment))
            if unit_code is None:
                unit_code = unit_codes[id(row.assessment)] = row.unit_code
            outcome.changes.append(FieldChange(unit_code, row.criterion.code, row.criterion.title, row.stage, name, old, new))
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def _column_label(name: str | None) -> str:
    for column in SCORE_COLUMNS:
        if column.key == name:
            return column.label
    return RATE.label if name == "rate" else ""
