"""The criteria workbook: one layout for import and export, so export then import gives the same set."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.excel import Column, RowError, Table, read_table, write_sheet
from core.text import clean_text
from scoring import engine

COLUMNS = (
    Column("code", ("Mã", "code"), required=True),
    Column("title", ("Nội dung", "title"), required=True),
    Column("max_points", ("Điểm tối đa", "max_points"), required=True),
    Column("kind", ("Loại", "kind")),
    Column("method", ("Cách chấm", "method"), required=True),
    Column("rule", ("Quy tắc", "rule")),
    Column("inputs", ("Số liệu", "inputs")),
    Column("allow_na", ("Không áp dụng", "allow_na")),
    Column("evidence", ("Tài liệu kiểm chứng", "evidence")),
    Column("guidance", ("Hướng dẫn", "guidance")),
    Column("prefill", ("Số liệu từ kiểm tra", "prefill")),
)
WIDTHS = (10, 60, 10, 9, 18, 45, 40, 10, 40, 40, 22)
# Rate criteria whose numerator and denominator come from the unit's own inspection records.
PREFILL_NAMES = {
    "đơn vị được kiểm tra": "inspected_units",
    "inspected_units": "inspected_units",
    "kiến nghị được xử lý": "issues_resolved",
    "issues_resolved": "issues_resolved",
}
PREFILL_LABELS = {"inspected_units": "đơn vị được kiểm tra", "issues_resolved": "kiến nghị được xử lý"}

CODE_RE = re.compile(r"^[0-9A-Za-zĐđ]+(\.[0-9A-Za-zĐđ]+)*$")
YES = {"x", "có", "co", "yes", "y", "1", "true", "đúng"}
NO = {"", "không", "khong", "no", "n", "0", "false"}


@dataclass
class CriterionRow:
    line: int
    code: str
    title: str
    max_points: Decimal
    kind: engine.Kind
    method: engine.Method | None
    rule: str
    inputs: str
    allow_na: bool
    evidence: str
    guidance: str
    kind_given: bool = False
    prefill: str = ""

    @property
    def parent_code(self) -> str | None:
        return engine.parent_code(self.code)

    @property
    def depth(self) -> int:
        return self.code.count(".")

    @property
    def kind_label(self) -> str:
        return engine.KIND_LABELS[self.kind] if self.parent_code is None else ""

    @property
    def method_label(self) -> str:
        return engine.METHOD_LABELS[self.method] if self.method else ""


@dataclass
class ParsedCriteria:
    rows: list[CriterionRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _code_text(value: object) -> str:
    # Excel turns "1" into 1 and, in an English locale, "1.1" into 1.1: give the text back.
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return clean_text(value)


def parse_criteria(source) -> ParsedCriteria:
    """Validate a whole criteria workbook; rows are returned only when there is no error."""
    table: Table = read_table(source, COLUMNS)
    errors = list(table.errors)
    if errors:
        return ParsedCriteria([], errors)
    if not table.rows:
        return ParsedCriteria([], [RowError(2, "", _("Tệp không có dòng tiêu chí nào."))])

    def err(line: int, key: str, message: str) -> None:
        errors.append(RowError(line, table.label(key) if key else "", message))

    rows: list[CriterionRow] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        code = _code_text(row.raw("code"))
        row_ok = True
        if not code:
            err(row.line, "code", _("Thiếu mã tiêu chí."))
            continue
        if not CODE_RE.match(code):
            err(row.line, "code", _("Mã “%(code)s” không hợp lệ: dùng các đoạn chữ/số cách nhau bằng dấu chấm, ví dụ 1.1.2.") % {"code": code})
            continue
        if code.casefold() in seen:
            err(row.line, "code", _("Mã “%(code)s” bị trùng với dòng %(line)s.") % {"code": code, "line": seen[code.casefold()]})
            continue
        seen[code.casefold()] = row.line
        title = row.text("title")
        if not title:
            err(row.line, "title", _("Thiếu nội dung tiêu chí."))
            row_ok = False
        try:
            max_points = engine.parse_decimal(row.raw("max_points"), field="max_points")
        except engine.RuleError as exc:
            err(row.line, "max_points", exc.message)
            max_points, row_ok = Decimal("0"), False
        kind, kind_given = engine.Kind.SCORE, False
        if row.text("kind"):
            try:
                kind, kind_given = engine.parse_kind(row.text("kind")), True
            except engine.RuleError as exc:
                err(row.line, "kind", exc.message)
                row_ok = False
        method = None
        if row.text("method"):
            try:
                method = engine.parse_method(row.text("method"))
            except engine.RuleError as exc:
                err(row.line, "method", exc.message)
                row_ok = False
        prefill = PREFILL_NAMES.get(row.text("prefill").casefold(), None) if row.text("prefill") else ""
        if prefill is None:
            err(row.line, "prefill", _("Chỉ nhận “đơn vị được kiểm tra” hoặc “kiến nghị được xử lý” (hoặc để trống)."))
            row_ok = False
        elif prefill and method not in (engine.Method.BANDS, engine.Method.PROPORTIONAL):
            err(row.line, "prefill", _("Chỉ tiêu chí tính theo tỷ lệ (theo mức tỷ lệ hoặc tỷ lệ) mới lấy được số liệu từ kiểm tra."))
            row_ok = False
        allow_na_text = row.text("allow_na").casefold()
        if allow_na_text not in YES | NO:
            err(row.line, "allow_na", _("Cột này chỉ nhận “x”, “có” hoặc “yes” (hoặc để trống)."))
            row_ok = False
        if row_ok:
            rows.append(
                CriterionRow(
                    line=row.line,
                    code=code,
                    title=title,
                    max_points=max_points,
                    kind=kind,
                    method=method,
                    rule=row.text("rule"),
                    inputs=row.text("inputs"),
                    allow_na=allow_na_text in YES,
                    evidence=row.text("evidence"),
                    guidance=row.text("guidance"),
                    kind_given=kind_given,
                    prefill=prefill or "",
                )
            )
    _check_structure(rows, table, errors)
    errors.sort(key=lambda e: e.line)
    return ParsedCriteria(_tree_order(rows) if not errors else [], errors)


def _tree_order(rows: list[CriterionRow]) -> list[CriterionRow]:
    """Depth-first, siblings in file order: a child typed above its parent still lands under it."""
    children: dict[str | None, list[CriterionRow]] = {}
    for row in rows:
        children.setdefault(row.parent_code, []).append(row)
    ordered: list[CriterionRow] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        row = stack.pop()
        ordered.append(row)
        stack.extend(reversed(children.get(row.code, [])))
    return ordered


def _check_structure(rows: list[CriterionRow], table: Table, errors: list[RowError]) -> None:
    """Kinds come from domains; rules parse; the tree holds together (engine.check_tree)."""
    by_code = {r.code: r for r in rows}

    def domain_of(row: CriterionRow) -> CriterionRow:
        code = row.code.split(".")[0]
        return by_code.get(code, row)

    for row in rows:
        if row.parent_code is None:
            continue
        domain = domain_of(row)
        if row.kind_given and row.kind != domain.kind:
            errors.append(
                RowError(row.line, table.label("kind"), _("Loại chỉ ghi ở dòng lĩnh vực; tiêu chí con thừa hưởng loại của lĩnh vực."))
            )
        row.kind = domain.kind
    nodes = []
    for row in rows:
        rule = None
        if row.method is not None:
            try:
                rule = engine.parse_rule(row.method, row.rule, row.max_points)
            except engine.RuleError as exc:
                errors.append(RowError(row.line, table.label("rule"), exc.message))
        nodes.append(
            engine.Node(
                code=row.code,
                parent=row.parent_code,
                kind=row.kind,
                max_points=row.max_points,
                method=row.method,
                rule=rule,
                allow_na=row.allow_na,
                title=row.title,
            )
        )
    lines = {r.code: r.line for r in rows}
    columns = {"parent": "code"}  # a missing parent is a problem of the row's code
    for problem in engine.check_tree(nodes):
        key = columns.get(problem.field, problem.field)
        errors.append(RowError(lines.get(problem.code, 1), table.label(key) if key else "", problem.message))


def criteria_workbook(criteria_set) -> Workbook:
    """The layout `parse_criteria` reads, plus a sheet with the set's details."""
    workbook = Workbook()
    sheet = workbook.active
    rows = []
    for c in criteria_set.criteria.all():
        rows.append(
            [
                c.code,
                c.title,
                c.max_points,
                engine.KIND_LABELS[engine.Kind(c.kind)] if c.parent_id is None else "",
                engine.METHOD_LABELS[engine.Method(c.method)] if c.method else "",
                c.rule,
                c.inputs,
                "x" if c.allow_na else "",
                c.evidence,
                c.guidance,
                PREFILL_LABELS.get(c.prefill, ""),
            ]
        )
    write_sheet(sheet, [col.label for col in COLUMNS], rows, widths=WIDTHS, number_formats={2: "0.00"}, title=_("Tiêu chí"))
    info = workbook.create_sheet(_("Thông tin"))
    write_sheet(
        info,
        [_("Thông tin"), _("Giá trị")],
        [
            [_("Mã bộ tiêu chí"), criteria_set.code],
            [_("Tên"), criteria_set.name],
            [_("Năm"), criteria_set.year],
            [_("Nhóm đơn vị"), criteria_set.group.code],
            [_("Phiên bản"), criteria_set.version],
            [_("Trạng thái"), criteria_set.get_status_display()],
            [_("Quyết định"), criteria_set.decision_label],
        ],
        widths=(24, 70),
    )
    return workbook
