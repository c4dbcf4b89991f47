"""Reading and writing the Excel tables users exchange with the system.

Every import reads its first sheet through `read_table`: headers are matched
case-insensitively in Vietnamese or English, each problem is reported with its Excel line
and column, and nothing is written until the whole file is valid.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.text import clean_text

HEADER_SEARCH_ROWS = 10
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    headers: tuple[str, ...]  # first is the Vietnamese header written on export
    required: bool = False

    @property
    def label(self) -> str:
        return self.headers[0]


@dataclass
class RowError:
    line: int  # Excel line number (the header is line 1)
    column: str  # header as the user wrote it, or "" for the whole row
    message: str

    def __str__(self) -> str:
        where = _("Dòng %(line)s") % {"line": self.line}
        if self.column:
            where += _(", cột “%(column)s”") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class Row:
    line: int
    values: dict[str, object]

    def text(self, key: str) -> str:
        return clean_text(self.values.get(key))

    def raw(self, key: str) -> object:
        return self.values.get(key)

    def is_blank(self) -> bool:
        return all(clean_text(v) == "" for v in self.values.values())


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    header_labels: dict[str, str] = field(default_factory=dict)  # key -> header as written

    def label(self, key: str) -> str:
        return self.header_labels.get(key, key)


def _header_key(value: object) -> str:
    return clean_text(value).casefold()


def read_table(source, columns: Sequence[Column]) -> Table:
    """Read the first sheet of an .xlsx file into rows keyed by column key.

    `source` is a path, bytes or a file-like object. Blank rows are skipped.
    """
    table = Table()
    try:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        if hasattr(source, "seek"):
            source.seek(0)
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        del exc
        table.errors.append(RowError(1, "", _("Tệp không phải là tệp Excel .xlsx hợp lệ.")))
        return table
    try:
        sheet = workbook.worksheets[0]
        stream = sheet.iter_rows(values_only=True)
        rows = list(itertools.islice(stream, HEADER_SEARCH_ROWS))  # the rest is streamed below
        if not rows:
            table.errors.append(RowError(1, "", _("Trang tính đầu tiên không có dòng tiêu đề.")))
            return table
        aliases = {_header_key(h): col for col in columns for h in col.headers}
        required = {col.key for col in columns if col.required}
        # Hand-made workbooks often carry a title or the decision's name above the table: the
        # header is the first of the top rows that holds every required column.
        header_index = 0
        for index, candidate in enumerate(rows):
            found = {aliases[_header_key(c)].key for c in candidate if _header_key(c) in aliases}
            if required <= found:
                header_index = index
                break
        header = rows[header_index]
        positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            col = aliases.get(_header_key(cell))
            if col is None or col.key in positions:
                continue
            positions[col.key] = index
            table.header_labels[col.key] = clean_text(cell)
        for col in columns:
            if col.required and col.key not in positions:
                table.errors.append(
                    RowError(
                        header_index + 1,
                        col.label,
                        _("Thiếu cột “%(header)s” (hoặc “%(alias)s”).")
                        % {"header": col.headers[0], "alias": col.headers[-1]},
                    )
                )
            table.header_labels.setdefault(col.key, col.label)
        if table.errors:
            return table
        body = itertools.chain(rows[header_index + 1 :], stream)
        for line, values in enumerate(body, start=header_index + 2):
            row = Row(
                line, {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
            )
            if not row.is_blank():
                table.rows.append(row)
    finally:
        workbook.close()
    return table


HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def new_workbook() -> Workbook:
    return Workbook()


def write_sheet(
    sheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    widths: Sequence[int] | None = None,
    number_formats: dict[int, str] | None = None,
    title: str | None = None,
) -> None:
    """Write a header row and data rows with the formatting users expect when they print."""
    if title:
        sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BORDER
    number_formats = number_formats or {}
    for values in rows:
        sheet.append([_cell_value(v) for v in values])
        for index, cell in enumerate(sheet[sheet.max_row]):
            cell.border = BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if index in number_formats:
                cell.number_format = number_formats[index]
            elif isinstance(cell.value, (date, datetime)):
                cell.number_format = "dd/mm/yyyy"
    for index, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _cell_value(value: object) -> object:
    # Decimals become numbers so that Excel sums them; it shows the comma itself in a Vietnamese
    # locale. Two-decimal values survive the float: str(float("1.75")) == "1.75" on the way back.
    if isinstance(value, Decimal):
        return float(value)
    return value


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
