"""The visit's checklist as an Excel workbook, for places without a connection: download, fill on site,
upload back with a preview of every change and error, confirm.

First sheet, one header row:
    Mã nội dung | Nội dung kiểm tra | Đã kiểm tra | Kết quả kiểm tra | Loại | Nội dung kết quả | Mã tiêu chí | Nguyên nhân
- one row per content area of the plan (Loại empty): "Đã kiểm tra" (x/có/yes) and "Kết quả kiểm tra";
- below them one row per finding: Loại = "Ưu điểm" / "Tồn tại, hạn chế", its text, optionally the area
  (Mã nội dung) and the criterion code, and the cause of a shortcoming. New findings are new rows.
Second sheet "Thông tin": the visit id and unit code (a workbook of another visit is refused), and
the line each finding was written on, so that a finding whose text was edited is updated, not doubled.
The workbook never deletes: a finding missing from the file stays (it is deleted on the visit page).
Download then upload unchanged gives "no changes": texts are compared after the same normalisation.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from core.excel import Column, RowError, new_workbook, read_table, write_sheet
from core.text import clean_text, search_key

from .models import Finding, Visit
from .services.plans import (
    CheckData,
    InspectionError,
    _save_checks,
    check_criterion_code,
    criteria_set_for_visit,
    criterion_codes,
    lock_open_visit,
)

SHEET_TITLE = "Danh sách kiểm tra"
INFO_TITLE = "Thông tin"
VISIT_LABEL = "Mã cuộc kiểm tra"
UNIT_LABEL = "Mã đơn vị"
MAP_LABEL = "Dòng của từng kết quả (không sửa)"

COLUMNS = [
    Column("code", ("Mã nội dung", "area_code"), required=True),
    Column("title", ("Nội dung kiểm tra", "area")),
    Column("checked", ("Đã kiểm tra", "checked")),
    Column("result", ("Kết quả kiểm tra", "check_result")),
    Column("kind", ("Loại", "kind"), required=True),
    Column("text", ("Nội dung kết quả", "finding"), required=True),
    Column("criterion", ("Mã tiêu chí", "criterion_code")),
    Column("cause", ("Nguyên nhân", "cause")),
]
HEADERS = [c.label for c in COLUMNS]
KIND_LABELS = {Finding.Kind.STRENGTH: "Ưu điểm", Finding.Kind.SHORTCOMING: "Tồn tại, hạn chế"}
_KIND_KEYS = {
    "uu diem": Finding.Kind.STRENGTH,
    "ton tai, han che": Finding.Kind.SHORTCOMING,
    "ton tai han che": Finding.Kind.SHORTCOMING,
    "ton tai": Finding.Kind.SHORTCOMING,
    "han che": Finding.Kind.SHORTCOMING,
    "strength": Finding.Kind.STRENGTH,
    "shortcoming": Finding.Kind.SHORTCOMING,
}
_YES = {"x", "co", "yes", "y", "1", "true", "da kiem tra", "da", "✓", "v"}
_NO = {"", "khong", "no", "n", "0", "false", "chua", "chua kiem tra", "-"}


def multiline(value: object) -> str:
    """Text kept line by line (results are paragraphs): NFC, spaces collapsed per line, no blank ends."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [clean_text(line) for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


# ---------------------------------------------------------------- download


def checklist_workbook(visit: Visit):
    areas = list(visit.plan.areas.all())
    checks = {c.area_id: c for c in visit.checks.all()}
    order = {Finding.Kind.STRENGTH: 0, Finding.Kind.SHORTCOMING: 1}  # strengths first, as in the minutes
    findings = sorted(visit.findings.select_related("area"), key=lambda f: (order[f.kind], f.position, f.pk))
    rows = []
    for area in areas:
        check = checks.get(area.pk)
        rows.append([area.code, area.title, "x" if check and check.checked else "", check.result if check else "", "", "", "", ""])
    first_finding_line = len(rows) + 2
    for finding in findings:
        rows.append([
            finding.area.code if finding.area else "",
            finding.area.title if finding.area else "",
            "",
            "",
            KIND_LABELS[finding.kind],
            finding.text,
            finding.criterion_code,
            finding.cause,
        ])
    workbook = new_workbook()
    sheet = workbook.active
    write_sheet(sheet, HEADERS, rows, widths=[10, 40, 11, 50, 17, 60, 12, 40], title=SHEET_TITLE)
    for row in sheet.iter_rows(min_row=2, max_col=2):
        for cell in row:
            cell.font = Font(color="555555")  # reference columns

    info = workbook.create_sheet(INFO_TITLE)
    info.column_dimensions["A"].width = 34
    info.column_dimensions["B"].width = 80
    info.append([_("Danh sách kiểm tra công tác cải cách hành chính")])
    info["A1"].font = Font(bold=True, size=13)
    pairs = [
        (VISIT_LABEL, visit.pk),
        (UNIT_LABEL, visit.unit.code),
        ("Đơn vị được kiểm tra", visit.unit.name),
        ("Kế hoạch", visit.plan.title),
        ("Năm", visit.plan.year),
        ("Tải về lúc", timezone.localtime().strftime("%d/%m/%Y %H:%M")),
    ]
    for label, value in pairs:
        info.append([label, value])
    info.append([])
    info.append(["Hướng dẫn"])
    guide = [
        "Dòng có cột “Loại” để trống là một nội dung kiểm tra: ghi “x” (hoặc “có”) vào cột “Đã kiểm tra” và ghi “Kết quả kiểm tra”.",
        "Mỗi ưu điểm, tồn tại, hạn chế là một dòng: cột “Loại” ghi “Ưu điểm” hoặc “Tồn tại, hạn chế”, cột “Nội dung kết quả” bắt buộc.",
        "Có thể ghi “Mã nội dung” để gắn kết quả với một nội dung kiểm tra và “Mã tiêu chí” theo bộ tiêu chí của đơn vị.",
        "Thêm kết quả mới bằng dòng mới ở cuối bảng. Xoá một kết quả trên trang cuộc kiểm tra, không xoá dòng trong tệp.",
        "Không sửa trang “Thông tin” này: hệ thống dùng nó để nhận ra cuộc kiểm tra.",
    ]
    for line in guide:
        info.append(["", line])
    info.append([])
    kinds_row = info.max_row + 1
    info.append(["Loại", KIND_LABELS[Finding.Kind.STRENGTH]])
    info.append(["", KIND_LABELS[Finding.Kind.SHORTCOMING]])
    info.append([])
    info.append([MAP_LABEL])
    for index, finding in enumerate(findings):
        info.append([first_finding_line + index, finding.pk])
    for row in info.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    last = max(sheet.max_row, 2) + 200
    kinds = DataValidation(type="list", formula1=f"'{INFO_TITLE}'!$B${kinds_row}:$B${kinds_row + 1}", allow_blank=True)
    kinds.error = "Ghi “Ưu điểm” hoặc “Tồn tại, hạn chế”, hoặc để trống với dòng nội dung kiểm tra."
    yes = DataValidation(type="list", formula1='"x,có"', allow_blank=True)
    sheet.add_data_validation(kinds)
    sheet.add_data_validation(yes)
    kinds.add(f"E2:E{last}")
    yes.add(f"C2:C{last}")
    workbook.active = 0
    return workbook


# ---------------------------------------------------------------- upload


@dataclass
class Change:
    line: int
    subject: str
    field: str
    old: str
    new: str


@dataclass
class AreaUpdate:
    area_id: int
    checked: bool
    result: str


@dataclass
class FindingUpdate:
    line: int
    finding: Finding | None  # None: a new finding
    kind: str
    text: str
    cause: str
    area: object | None
    criterion_code: str


@dataclass
class ChecklistOutcome:
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    untouched_findings: int = 0  # on the site, not in the file: kept
    area_updates: list[AreaUpdate] = field(default_factory=list)
    finding_updates: list[FindingUpdate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed_rows(self) -> int:
        return len({c.line for c in self.changes})


def _workbook_identity(data: bytes) -> tuple[dict[str, object], dict[int, int]] | None:
    """({label: value} of the info sheet, {line: finding id}); None when the sheet is missing."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        return None
    try:
        if INFO_TITLE not in workbook.sheetnames:
            return None
        values: dict[str, object] = {}
        line_map: dict[int, int] = {}
        in_map = False
        for row in workbook[INFO_TITLE].iter_rows(max_col=2, values_only=True):
            label = clean_text(row[0]) if row else ""
            value = row[1] if len(row) > 1 else None
            if label == MAP_LABEL:
                in_map = True
                continue
            if in_map:
                try:
                    line_map[int(row[0])] = int(value)
                except (TypeError, ValueError):
                    continue
            elif label and label not in values:
                values[label] = value
        return values, line_map
    finally:
        workbook.close()


def _as_int(value) -> int | None:
    try:
        return int(str(value).strip().split(".")[0])
    except (TypeError, ValueError):
        return None


def _yes_no(value) -> bool | None:
    if isinstance(value, bool):
        return value
    key = search_key(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None


def _yn(value: bool) -> str:
    return _("Có") if value else _("Không")


def checklist_import(*, visit: Visit, source, user, dry_run: bool) -> ChecklistOutcome:
    """Validate a checklist workbook against the visit; apply it (one transaction) unless dry_run."""
    outcome = ChecklistOutcome()
    if hasattr(source, "read"):
        source.seek(0)
        data = source.read()
    else:
        data = bytes(source)
    identity = _workbook_identity(data)
    if identity is None:
        outcome.errors.append(
            RowError(1, "", _("Tệp không phải là danh sách kiểm tra tải từ hệ thống (thiếu trang “%(sheet)s”); hãy tải danh sách kiểm tra của cuộc kiểm tra này về và điền vào đó.") % {"sheet": INFO_TITLE})
        )
        return outcome
    info, line_map = identity
    file_visit, file_unit = _as_int(info.get(VISIT_LABEL)), clean_text(info.get(UNIT_LABEL))
    if file_visit != visit.pk or file_unit != visit.unit.code:
        outcome.errors.append(
            RowError(
                1,
                "",
                _("Tệp này là danh sách kiểm tra của cuộc kiểm tra khác: đơn vị %(unit)s, mã cuộc kiểm tra %(id)s; trang này là cuộc kiểm tra tại %(this)s (mã %(this_id)s). Không có gì được lưu.")
                % {"unit": file_unit or "?", "id": file_visit or "?", "this": visit.unit.name, "this_id": visit.pk},
            )
        )
        return outcome

    table = read_table(data, COLUMNS)
    if table.errors:
        outcome.errors.extend(table.errors)
        return outcome

    areas = {a.code.casefold(): a for a in visit.plan.areas.all()}
    checks = {c.area_id: c for c in visit.checks.all()}
    existing = {f.pk: f for f in visit.findings.select_related("area")}
    criteria_set = criteria_set_for_visit(visit)
    codes = criterion_codes(criteria_set) if criteria_set else None
    seen_areas: dict[int, int] = {}
    finding_rows: list[tuple] = []
    label = table.label

    for row in table.rows:
        errors_before = len(outcome.errors)
        kind_text = row.text("kind")
        code = row.text("code")
        area = areas.get(code.casefold()) if code else None
        if code and area is None:
            outcome.errors.append(RowError(row.line, label("code"), _("Kế hoạch không có nội dung kiểm tra mã “%(code)s”.") % {"code": code}))
        if not kind_text:
            # A content area of the checklist.
            if row.text("text") or row.text("criterion") or row.text("cause"):
                outcome.errors.append(
                    RowError(row.line, label("kind"), _("Dòng có nội dung kết quả phải ghi Loại: “Ưu điểm” hoặc “Tồn tại, hạn chế”."))
                )
                continue
            if not code:
                outcome.errors.append(RowError(row.line, label("code"), _("Cần ghi mã nội dung kiểm tra.")))
                continue
            checked = _yes_no(row.raw("checked"))
            if checked is None:
                outcome.errors.append(
                    RowError(row.line, label("checked"), _("Giá trị “%(value)s” không hợp lệ: ghi “x”, “có” hoặc để trống.") % {"value": row.text("checked")})
                )
            if area is not None and area.pk in seen_areas:
                outcome.errors.append(
                    RowError(row.line, label("code"), _("Nội dung “%(code)s” đã có ở dòng %(line)s.") % {"code": area.code, "line": seen_areas[area.pk]})
                )
            if len(outcome.errors) > errors_before or area is None:
                continue
            seen_areas[area.pk] = row.line
            result = multiline(row.raw("result"))
            check = checks.get(area.pk)
            old_checked, old_result = (check.checked, multiline(check.result)) if check else (False, "")
            subject = f"{area.code}. {area.title}"
            if checked != old_checked:
                outcome.changes.append(Change(row.line, subject, _("Đã kiểm tra"), _yn(old_checked), _yn(checked)))
            if result != old_result:
                outcome.changes.append(Change(row.line, subject, _("Kết quả kiểm tra"), old_result, result))
            if checked != old_checked or result != old_result:
                outcome.area_updates.append(AreaUpdate(area.pk, checked, result))
            else:
                outcome.unchanged += 1
            continue

        # A finding.
        kind = _KIND_KEYS.get(search_key(kind_text))
        if kind is None:
            outcome.errors.append(
                RowError(row.line, label("kind"), _("Loại “%(value)s” không hợp lệ: ghi “Ưu điểm” hoặc “Tồn tại, hạn chế”.") % {"value": kind_text})
            )
        text = multiline(row.raw("text"))
        if not text:
            outcome.errors.append(RowError(row.line, label("text"), _("Cần nhập nội dung kết quả kiểm tra.")))
        if row.text("checked") or row.text("result"):
            outcome.errors.append(
                RowError(row.line, label("result"), _("Dòng ưu điểm, tồn tại không dùng cột “Đã kiểm tra”, “Kết quả kiểm tra”; ghi vào dòng của nội dung kiểm tra."))
            )
        cause = multiline(row.raw("cause"))
        if cause and kind == Finding.Kind.STRENGTH:
            outcome.errors.append(RowError(row.line, label("cause"), _("Nguyên nhân chỉ ghi cho tồn tại, hạn chế.")))
        criterion_code = ""
        if row.text("criterion"):
            try:
                if codes is None:  # no published set for the unit's group and year: say so
                    check_criterion_code(row.text("criterion"), visit)
                criterion_code = check_criterion_code(row.text("criterion"), visit, codes=codes)
            except InspectionError as exc:
                outcome.errors.append(RowError(row.line, label("criterion"), exc.message))
        if len(outcome.errors) > errors_before:
            continue
        finding_rows.append((row.line, kind, text, cause, area, criterion_code))

    if outcome.errors:
        outcome.area_updates.clear()
        return outcome

    # Which existing finding each row is: first the same kind and text, then the line it was written on.
    matched: dict[int, Finding] = {}
    used: set[int] = set()
    by_text: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(existing.values(), key=lambda f: (f.kind, f.position, f.pk)):
        by_text.setdefault((finding.kind, multiline(finding.text)), []).append(finding)
    for line, kind, text, *_rest in finding_rows:
        candidates = [f for f in by_text.get((kind, text), []) if f.pk not in used]
        if candidates:
            matched[line] = candidates[0]
            used.add(candidates[0].pk)
    for line, kind, *_rest in finding_rows:
        if line in matched:
            continue
        finding = existing.get(line_map.get(line, 0))
        if finding is not None and finding.pk not in used and finding.kind == kind:
            matched[line] = finding
            used.add(finding.pk)

    for line, kind, text, cause, area, criterion_code in finding_rows:
        finding = matched.get(line)
        update = FindingUpdate(line, finding, kind, text, cause, area, criterion_code)
        kind_label = KIND_LABELS[kind]
        if finding is None:
            outcome.changes.append(Change(line, _("%(kind)s (mới)") % {"kind": kind_label}, _("Nội dung"), "", text))
            if area is not None:
                outcome.changes.append(Change(line, _("%(kind)s (mới)") % {"kind": kind_label}, _("Nội dung kiểm tra"), "", area.code))
            if criterion_code:
                outcome.changes.append(Change(line, _("%(kind)s (mới)") % {"kind": kind_label}, _("Mã tiêu chí"), "", criterion_code))
            if cause:
                outcome.changes.append(Change(line, _("%(kind)s (mới)") % {"kind": kind_label}, _("Nguyên nhân"), "", cause))
            outcome.finding_updates.append(update)
            continue
        subject = f"{kind_label}: {finding.text[:60]}"
        diffs = [
            (_("Nội dung"), multiline(finding.text), text),
            (_("Nội dung kiểm tra"), finding.area.code if finding.area else "", area.code if area else ""),
            (_("Mã tiêu chí"), finding.criterion_code, criterion_code),
            (_("Nguyên nhân"), multiline(finding.cause), cause),
        ]
        changed = [d for d in diffs if d[1] != d[2]]
        for field_label, old, new in changed:
            outcome.changes.append(Change(line, subject, field_label, old, new))
        if changed:
            outcome.finding_updates.append(update)
        else:
            outcome.unchanged += 1
    outcome.untouched_findings = len(existing) - len(used)

    if dry_run or not outcome.changes:
        return outcome
    try:
        _apply(visit, outcome, user)
    except InspectionError as exc:
        outcome.errors.append(RowError(1, "", exc.message))
    return outcome


@transaction.atomic
def _apply(visit: Visit, outcome: ChecklistOutcome, user) -> None:
    locked = lock_open_visit(visit)
    _save_checks(locked, [CheckData(u.area_id, u.checked, u.result) for u in outcome.area_updates], user)
    positions = {
        kind: (locked.findings.filter(kind=kind).order_by("-position").values_list("position", flat=True).first() or 0)
        for kind in Finding.Kind.values
    }
    for update in outcome.finding_updates:
        if update.finding is None:
            positions[update.kind] += 1
            Finding.objects.create(
                visit=locked, kind=update.kind, text=update.text, cause=update.cause, area=update.area,
                criterion_code=update.criterion_code, position=positions[update.kind], created_by=user, created_at=timezone.now(),
            )
        else:
            finding = Finding.objects.select_for_update().get(pk=update.finding.pk, visit=locked)
            finding.text, finding.cause, finding.area, finding.criterion_code = update.text, update.cause, update.area, update.criterion_code
            finding.save(update_fields=["text", "cause", "area", "criterion_code"])
    if locked.status == Visit.Status.PLANNED:
        locked.status = Visit.Status.DONE
        locked.save(update_fields=["status", "updated_at"])
