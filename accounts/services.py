"""Units import and export (Excel), with the same validation and atomicity as the criteria import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.excel import Column, RowError, read_table, write_sheet
from core.text import clean_text

from .models import Unit, UnitGroup

UNIT_COLUMNS = (
    Column("code", ("Mã đơn vị", "code"), required=True),
    Column("name", ("Tên đơn vị", "name"), required=True),
    Column("group", ("Nhóm", "group"), required=True),
    Column("parent_code", ("Mã đơn vị cấp trên", "parent_code")),
)
UNIT_CODE_RE = re.compile(r"^[0-9A-Za-z_.\-]+$")


@dataclass
class UnitRow:
    line: int
    code: str
    name: str
    group: str
    parent_code: str


@dataclass
class UnitImportOutcome:
    rows: list[UnitRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value)


def parse_units(source) -> tuple[list[UnitRow], list[RowError]]:
    table = read_table(source, UNIT_COLUMNS)
    errors = list(table.errors)
    if errors:
        return [], errors
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        unit = UnitRow(row.line, _text(row.raw("code")), _text(row.raw("name")), _text(row.raw("group")), _text(row.raw("parent_code")))
        problems = []
        if not unit.code:
            problems.append(("code", _("Thiếu mã đơn vị.")))
        elif not UNIT_CODE_RE.match(unit.code):
            problems.append(("code", _("Mã đơn vị “%(code)s” chỉ được gồm chữ không dấu, số và các dấu _ . -") % {"code": unit.code}))
        elif unit.code.upper() in seen:
            problems.append(("code", _("Mã đơn vị “%(code)s” bị trùng với dòng %(line)s.") % {"code": unit.code, "line": seen[unit.code.upper()]}))
        if not unit.name:
            problems.append(("name", _("Thiếu tên đơn vị.")))
        if not unit.group:
            problems.append(("group", _("Thiếu mã nhóm đơn vị.")))
        elif not UNIT_CODE_RE.match(unit.group):
            problems.append(("group", _("Mã nhóm “%(code)s” chỉ được gồm chữ không dấu, số và các dấu _ . -") % {"code": unit.group}))
        if unit.parent_code and unit.parent_code.upper() == unit.code.upper():
            problems.append(("parent_code", _("Đơn vị không thể là cấp trên của chính nó.")))
        for key, message in problems:
            errors.append(RowError(row.line, table.label(key), message))
        if unit.code and unit.code.upper() not in seen:
            seen[unit.code.upper()] = row.line
        if not problems:
            rows.append(unit)
    in_file = {r.code.upper(): r for r in rows}
    existing = {code.upper() for code in Unit.objects.values_list("code", flat=True)}
    for unit in rows:
        if unit.parent_code and unit.parent_code.upper() not in in_file and unit.parent_code.upper() not in existing:
            errors.append(RowError(unit.line, table.label("parent_code"), _("Không có đơn vị cấp trên mã “%(code)s” trong tệp hoặc trong hệ thống.") % {"code": unit.parent_code}))
    errors.extend(_cycle_errors(rows, table.label("parent_code")))
    errors.sort(key=lambda e: e.line)
    return (rows if not errors else []), errors


def _cycle_errors(rows: list[UnitRow], column: str) -> list[RowError]:
    parents = {code.upper(): (parent or "").upper() for code, parent in Unit.objects.values_list("code", "parent__code")}
    parents.update({r.code.upper(): r.parent_code.upper() for r in rows})
    errors = []
    for unit in rows:
        seen, current = set(), unit.code.upper()
        while current:
            if current in seen:
                errors.append(RowError(unit.line, column, _("Quan hệ cấp trên tạo thành vòng lặp.")))
                break
            seen.add(current)
            current = parents.get(current, "")
    return errors


def units_import(*, source, dry_run: bool = False) -> UnitImportOutcome:
    rows, errors = parse_units(source)
    outcome = UnitImportOutcome(rows=rows, errors=errors, dry_run=dry_run)
    if errors:
        return outcome
    with transaction.atomic():
        groups = {g.code.upper(): g for g in UnitGroup.objects.all()}
        for row in rows:
            if row.group.upper() not in groups:
                # A group code not known yet is created, named by its code until renamed.
                groups[row.group.upper()] = UnitGroup.objects.create(code=row.group, name=row.group, position=len(groups) + 1)
                outcome.new_groups.append(row.group)
        units = {u.code.upper(): u for u in Unit.objects.select_related("parent", "group")}
        for row in rows:  # first pass: every unit exists, so parents can point at any of them
            unit = units.get(row.code.upper())
            group = groups[row.group.upper()]
            if unit is None:
                unit = Unit(code=row.code, name=row.name, group=group)
                unit.save()
                units[row.code.upper()] = unit
                outcome.created.append(row.code)
            elif unit.name != row.name or unit.group_id != group.pk:
                unit.name, unit.group = row.name, group
                unit.save()
                outcome.updated.append(row.code)
        for row in rows:
            unit = units[row.code.upper()]
            parent = units.get(row.parent_code.upper()) if row.parent_code else None
            if unit.parent_id != (parent.pk if parent else None):
                unit.parent = parent
                unit.save(update_fields=["parent"])
                if row.code not in outcome.created and row.code not in outcome.updated:
                    outcome.updated.append(row.code)
        outcome.unchanged = [r.code for r in rows if r.code not in outcome.created and r.code not in outcome.updated]
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def units_workbook(units) -> Workbook:
    workbook = Workbook()
    rows = [[u.code, u.name, u.group.code, u.parent.code if u.parent_id else ""] for u in units]
    write_sheet(workbook.active, [c.label for c in UNIT_COLUMNS], rows, widths=(18, 50, 10, 20), title=_("Đơn vị"))
    return workbook
