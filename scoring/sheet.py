"""The assessment as pages show it: the criteria tree with every stage's value of each leaf.

Built with a fixed number of queries whatever the number of leaves; the engine computes every
number; typed (not yet saved) values can be laid over the stored ones for re-display and preview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from criteria.models import Criterion
from scoring import engine

from . import calculation
from .models import Assessment, Explanation, LeafEvidence, LeafValue, Stage

FIELDS = ("not_applicable", "points", "option", "numerator", "denominator", "count", "note")


@dataclass
class Typed:
    """The raw strings of one leaf's form fields, kept as typed so an error loses nothing."""

    not_applicable: bool = False
    points: str = ""
    option: str = ""
    numerator: str = ""
    denominator: str = ""
    count: str = ""
    note: str = ""

    @classmethod
    def from_value(cls, value: LeafValue | None) -> Typed:
        if value is None:
            return cls()

        def text(v) -> str:
            if v is None:
                return ""
            if isinstance(v, Decimal):
                s = format(v, "f")
                return (s.rstrip("0").rstrip(".") if "." in s else s).replace(".", ",")
            return str(v)

        return cls(
            not_applicable=value.not_applicable,
            points=text(value.points),
            option=value.option,
            numerator=text(value.numerator),
            denominator=text(value.denominator),
            count=text(value.count),
            note=value.note,
        )

    @classmethod
    def from_post(cls, data, prefix: str) -> Typed:
        return cls(
            not_applicable=data.get(f"{prefix}-not_applicable") in ("on", "1", "true"),
            **{name: (data.get(f"{prefix}-{name}") or "").strip() for name in FIELDS if name != "not_applicable"},
        )

    def to_input(self, node: engine.Node) -> engine.LeafInput:
        """Parse the strings; a malformed number raises InputError on its field."""

        def number(name: str) -> Decimal | None:
            raw = getattr(self, name)
            if raw == "":
                return None
            try:
                return engine.parse_decimal(raw, field=name)
            except engine.RuleError as exc:
                raise engine.InputError(exc.message, field=name) from exc

        count = None
        if self.count != "":
            if not self.count.isdigit():
                raise engine.InputError(_("Số lượng phải là số nguyên không âm."), field="count")
            count = int(self.count)
        if self.not_applicable:
            return engine.LeafInput(not_applicable=True)
        method = node.method
        return engine.LeafInput(
            points=number("points") if method == engine.Method.MANUAL else None,
            option=(self.option or None) if method == engine.Method.CHOICE else None,
            numerator=number("numerator") if method in (engine.Method.BANDS, engine.Method.PROPORTIONAL) else None,
            denominator=number("denominator") if method in (engine.Method.BANDS, engine.Method.PROPORTIONAL) else None,
            count=count if method in (engine.Method.PER_ITEM, engine.Method.DEDUCTION) else None,
        )


def _number_text(value: Decimal) -> str:
    text = format(value, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text).replace(".", ",")


@dataclass
class Row:
    criterion: Criterion
    node: engine.Node
    is_leaf: bool
    rule_text: str = ""
    values: calculation.LeafValues = field(default_factory=calculation.LeafValues)
    typed: Typed = field(default_factory=Typed)
    error: engine.InputError | None = None
    points: dict[str, Decimal | None] = field(default_factory=dict)  # stage -> points
    rate: Decimal | None = None
    evidence: list[LeafEvidence] = field(default_factory=list)
    explanation: Explanation | None = None
    disputed: bool = False
    findings: list = field(default_factory=list)  # inspection findings linked to this criterion
    prefill: object | None = None  # numerator/denominator from the unit's inspection records
    method_label: str = ""  # the method's display name, looked up once per page rather than per leaf

    @property
    def code(self) -> str:
        return self.criterion.code

    @property
    def prefix(self) -> str:
        return f"c{self.criterion.pk}"

    @property
    def is_survey(self) -> bool:
        return self.node.method is engine.Method.SURVEY

    @property
    def heading_level(self) -> int:
        return 2 if self.criterion.depth == 0 else 3

    def summary(self, stage: str) -> str:
        """One stage's value in words, for read-only displays."""
        value = self.values.get(stage)
        if value is None or not value.has_value():
            return ""
        if value.not_applicable:
            return _("Không áp dụng")
        method = self.node.method
        fmt = engine.format_points
        if method is engine.Method.CHOICE:
            return value.option
        if method in (engine.Method.BANDS, engine.Method.PROPORTIONAL) and value.denominator:
            leaf = engine.leaf_points(self.node, value.as_input())
            rate = f" ({fmt(leaf.rate)}%)" if leaf.rate is not None else ""
            return f"{fmt(value.numerator)} / {fmt(value.denominator)}{rate}"
        if method in (engine.Method.PER_ITEM, engine.Method.DEDUCTION) and value.count is not None:
            return _("Số lượng: %(n)s") % {"n": value.count}
        if method is engine.Method.SURVEY and value.rate is not None:
            return _("Tỷ lệ điều tra: %(r)s%%") % {"r": fmt(value.rate)}
        if value.points is not None:
            return fmt(value.points)
        return ""

    def summaries(self) -> dict[str, str]:
        return {stage: self.summary(stage) for stage in ("self", "appraisal", "final", "survey")}

    @property
    def has_self_evidence(self) -> bool:
        return any(link.purpose == LeafEvidence.Purpose.SELF for link in self.evidence)


@dataclass
class Sheet:
    assessment: Assessment
    tree: engine.Tree
    rows: list[Row]
    results: dict[str, engine.TreeResult]  # "self", "appraisal", "final"
    files: list = field(default_factory=list)

    def leaf_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_leaf]

    def row(self, code: str) -> Row:
        return next(r for r in self.rows if r.code == code)

    @property
    def domains(self) -> list[Row]:
        return [r for r in self.rows if r.criterion.parent_id is None]


PEOPLE = ("username", "first_name", "last_name", "full_name")
FILE_COLUMNS = ("assessment_id", "file", "original_name", "content_type", "size", "uploaded_at", "uploaded_by_id")
LINK_COLUMNS = ("assessment_id", "criterion_id", "purpose", "file_id", "document_number", "document_date")
LINK_COLUMNS += ("document_title", "added_by_id", "added_at")


def _evidence(assessment: Assessment, code_of: dict[int, str]) -> tuple[list, dict[str, list[LeafEvidence]]]:
    """The assessment's files (newest first) and each leaf's evidence links. A unit uploads a few
    hundred files over a year: each file is read once, with the columns the pages show, and handed
    to the links that cite it; the people who uploaded or cited them (a handful) are read once each
    rather than as a whole user row per file and per link. Three queries whatever the numbers."""
    files = list(assessment.files.only(*FILE_COLUMNS))
    file_of = {f.pk: f for f in files}
    evidence = list(assessment.evidence.only(*LINK_COLUMNS).order_by("added_at", "pk"))
    people = {f.uploaded_by_id for f in files} | {link.added_by_id for link in evidence}
    people.discard(None)
    person_of = {u.pk: u for u in get_user_model().objects.filter(pk__in=people).only(*PEOPLE)} if people else {}
    for file in files:
        file.uploaded_by = person_of.get(file.uploaded_by_id)
    links: dict[str, list[LeafEvidence]] = {}
    for link in evidence:
        if link.file_id in file_of:
            link.file = file_of[link.file_id]
        link.added_by = person_of.get(link.added_by_id)
        links.setdefault(code_of[link.criterion_id], []).append(link)
    return files, links


_RULE_TEXTS: dict[tuple, str] = {}


def _rule_text(criterion: Criterion) -> str:
    """criterion.describe_rule(), remembered for the process: the words depend only on these fields
    and the language, and every page of a 120-leaf assessment would otherwise word them all again."""
    key = (criterion.method, criterion.rule, criterion.max_points, criterion.inputs, criterion.allow_na, get_language())
    text = _RULE_TEXTS.get(key)
    if text is None:
        if len(_RULE_TEXTS) >= 10_000:  # bounded; a province has a few thousand distinct rules at most
            _RULE_TEXTS.clear()
        text = _RULE_TEXTS[key] = criterion.describe_rule()
    return text


def build(assessment: Assessment, *, typed_stage: str | None = None, typed: dict[str, Typed] | None = None) -> Sheet:
    """The sheet of `assessment`; `typed` (code -> Typed) overrides stored values at `typed_stage`."""
    criteria, tree = calculation.criteria_and_tree(assessment.round.criteria_set)
    code_of = {c.pk: c.code for c in criteria}
    grouped = calculation.group_values(assessment.values.all(), code_of)
    files, links = _evidence(assessment, code_of)
    explanations = {code_of[e.criterion_id]: e for e in assessment.explanations.all()}
    from inspections.scoring_links import findings_by_criterion, prefill_for

    findings = findings_by_criterion(assessment.unit_id, assessment.round.year)

    method_labels = {value: str(label) for value, label in Criterion.METHOD_CHOICES}
    rows: list[Row] = []
    overlay: dict[str, engine.LeafInput] = {}
    for criterion in criteria:
        node = tree.nodes[criterion.code]
        row = Row(criterion, node, is_leaf=criterion.is_leaf)
        if row.is_leaf:
            row.rule_text = _rule_text(criterion)
            row.method_label = method_labels.get(criterion.method, criterion.method)
            row.values = grouped.get(criterion.code, calculation.LeafValues())
            row.evidence = links.get(criterion.code, [])
            row.explanation = explanations.get(criterion.code)
            row.findings = findings.get(criterion.code, [])
            stored = row.values.get(typed_stage) if typed_stage else None
            row.typed = (typed or {}).get(criterion.code) or Typed.from_value(stored)
            if (
                criterion.prefill
                and typed_stage == Stage.SELF
                and stored is None
                and criterion.code not in (typed or {})
            ):
                row.prefill = prefill_for(criterion.prefill, assessment.unit, assessment.round.year)
                if row.prefill is not None:
                    # Offered, not saved: the unit checks the figures and saves them like any other.
                    row.typed.numerator = _number_text(row.prefill.numerator)
                    row.typed.denominator = _number_text(row.prefill.denominator)
            if typed and criterion.code in typed:
                try:
                    overlay[criterion.code] = row.typed.to_input(node)
                    row.error = None
                except engine.InputError as exc:
                    row.error = exc
        rows.append(row)

    row_of = {row.code: row for row in rows}
    inputs = {stage: calculation.stage_inputs(tree, grouped, stage) for stage in ("self", "appraisal", "final")}
    if typed_stage:
        # Typed values replace the stored ones of their stage, and the stages computed from it.
        affected = {"self": ("self", "appraisal", "final"), "appraisal": ("appraisal", "final"), "final": ("final",)}
        for stage in affected.get(typed_stage, ()):
            for code, leaf_input in overlay.items():
                if not row_of[code].error:
                    inputs[stage][code] = leaf_input
    results: dict[str, engine.TreeResult] = {}
    computed: list[tuple[dict, bool, engine.TreeResult]] = []  # stages computed without an error
    known: dict = {}  # each leaf's result per input, shared by the stages
    for stage, stage_inputs in inputs.items():
        include_survey = stage != "self"
        # Before the appraisal the later stages' inputs are the unit's own: computed once (a pure engine).
        same = next((r for i, survey, r in computed if survey == include_survey and i == stage_inputs), None)
        if same is not None:
            results[stage] = same
            continue
        errors: dict[str, engine.InputError] = {}
        results[stage] = _stage_result(tree, stage_inputs, include_survey, errors, known)
        if not errors:
            computed.append((stage_inputs, include_survey, results[stage]))
        if stage == typed_stage or (typed_stage is None and stage == "self"):
            for code, exc in errors.items():
                row_of[code].error = row_of[code].error or exc
    for row in rows:
        if not row.is_leaf:
            continue
        for stage, result in results.items():
            leaf = result.leaves.get(row.code)
            row.points[stage] = leaf.points if leaf and leaf.applicable else None
        shown = results.get(typed_stage or "self").leaves.get(row.code) if (typed_stage or "self") in results else None
        row.rate = shown.rate if shown else None
        if row.values.appraisal is not None and row.values.self is not None:
            row.disputed = row.points.get("appraisal") != row.points.get("self") or (
                row.values.appraisal.not_applicable != row.values.self.not_applicable
            )
    return Sheet(assessment, tree, rows, results, files)


def _stage_result(
    tree: engine.Tree, stage_inputs: dict, include_survey: bool, errors: dict, known: dict | None = None
) -> engine.TreeResult:
    """A stage's figures from its valid inputs; each invalid one goes into `errors` and counts as not
    entered. Stored values were checked when saved, so the tree is computed at once and the leaves are
    checked one by one only when that fails (checking first doubled the engine's work on each page)."""
    try:
        result = engine.compute_tree(tree, stage_inputs, include_survey=include_survey, known=known)
    except engine.InputError:
        result = None
    # Inputs the computation did not read (survey leaves at the self stage, a parent's code) are still checked.
    unchecked = stage_inputs.keys() - result.leaves.keys() if result is not None else stage_inputs.keys()
    for code in unchecked:
        try:
            engine.leaf_points(tree.nodes[code], stage_inputs[code])
        except engine.InputError as exc:
            errors[code] = exc
    if result is None:
        valid = {code: leaf_input for code, leaf_input in stage_inputs.items() if code not in errors}
        result = engine.compute_tree(tree, valid, include_survey=include_survey, known=known)
    return result


def typed_from_post(sheet_criteria: list[Criterion], data) -> dict[str, Typed]:
    """Only leaves whose fields are in the POST (a page may show part of the tree)."""
    typed = {}
    for criterion in sheet_criteria:
        prefix = f"c{criterion.pk}"
        if criterion.is_leaf and f"{prefix}-present" in data:
            typed[criterion.code] = Typed.from_post(data, prefix)
    return typed


__all__ = ["Sheet", "Row", "Typed", "build", "typed_from_post", "Stage"]
