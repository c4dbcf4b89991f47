"""Ranking exports: the Excel workbook and the machine formats of the `ranking` command."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from core.templatetags.par import decimal_separator, format_points

from .ranking import Ranking

CSV_COLUMNS = ["rank", "unit_code", "unit_name", "points", "max_points", "index", "band"]
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
# Named styles of the workbook (see _styles)
TITLE, SUBTITLE, HEADER, TEXT, NUMBER = "Tiêu đề", "Dòng phụ đề", "Tiêu đề cột", "Ô bảng", "Ô số"


def status_text(ranking: Ranking) -> str:
    if ranking.provisional:
        return _("Kết quả tạm tính, chưa công bố (lập ngày %(date)s)") % {
            "date": timezone.localdate().strftime("%d/%m/%Y")
        }
    pub = ranking.publication
    return _("Công bố lần %(n)s ngày %(date)s") % {
        "n": pub.number,
        "date": timezone.localtime(pub.published_at).strftime("%d/%m/%Y"),
    }


def stage_label(stage: str) -> str:
    return _("điểm tự chấm") if stage == "self" else _("điểm sau thẩm định")


def rows(ranking: Ranking, stage: str) -> list[dict]:
    """One dict per unit in rank order, with the CSV columns (numbers as Decimal)."""
    out = []
    for unit in ranking.ordered(stage):
        points, maximum, index, rank, band = unit.figures(stage)
        out.append(
            {
                "rank": rank,
                "unit_code": unit.unit_code,
                "unit_name": unit.unit_name,
                "points": points,
                "max_points": maximum,
                "index": index,
                "band": band,
            }
        )
    return out


def _fixed(value: Decimal) -> str:
    return f"{value:.2f}"


def to_csv(ranking: Ranking, stage: str) -> str:
    # Machine format: a dot for decimals (the comma separates the fields), two decimals throughout.
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(ranking, stage):
        writer.writerow({**row, **{k: _fixed(row[k]) for k in ("points", "max_points", "index")}})
    return buffer.getvalue()


def to_json(ranking: Ranking, stage: str) -> str:
    payload = {
        "year": ranking.round.year,
        "group": ranking.round.group.code,
        "stage": stage,
        "provisional": ranking.provisional,
        "publication": ranking.publication.number if ranking.publication else None,
        "criteria_set": ranking.round.criteria_set.code,
        "tie_rule": ranking.tie_rule,
        "bands": ranking.bands,
        "units": [{**r, **{k: _fixed(r[k]) for k in ("points", "max_points", "index")}} for r in rows(ranking, stage)],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def to_table(ranking: Ranking, stage: str) -> str:
    """A plain-text table for the terminal, with Vietnamese comma decimals."""

    def comma(value: Decimal) -> str:
        return _fixed(value).replace(".", ",")

    lines = [f"{ranking.round.year} – {ranking.round.group.name} – {stage_label(stage)} – {status_text(ranking)}"]
    data = [
        (
            str(r["rank"]),
            r["unit_code"],
            r["unit_name"],
            comma(r["points"]),
            comma(r["max_points"]),
            comma(r["index"]),
            r["band"],
        )
        for r in rows(ranking, stage)
    ]
    header = (_("Hạng"), _("Mã"), _("Đơn vị"), _("Điểm"), _("Tối đa"), _("Chỉ số"), _("Loại"))
    widths = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, h in enumerate(header)]
    right = {0, 3, 4, 5}

    def fmt(cells) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines.append(fmt(header))
    lines.extend(fmt(d) for d in data)
    return "\n".join(lines) + "\n"


def _styles(book: Workbook) -> None:
    """The workbook's named styles: one shared style record per kind of cell instead of a font, fill,
    border and alignment set cell by cell."""
    for style in (
        NamedStyle(TITLE, font=Font(bold=True, size=13), alignment=CENTER),
        NamedStyle(SUBTITLE, font=Font(italic=True), alignment=CENTER),
        NamedStyle(HEADER, font=BOLD, fill=HEAD, alignment=CENTER, border=BORDER),
        NamedStyle(TEXT, border=BORDER),
        NamedStyle(NUMBER, border=BORDER, number_format="0.00"),
    ):
        book.add_named_style(style)


def _cell(sheet, value, style: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.style = style
    return cell


def _sheet(book: Workbook, name: str, *, widths: list[int], header_rows: str, freeze: str):
    """A write-only sheet set up for printing: A4 landscape, one page wide, header rows repeated.
    Everything but the rows must be set before the first row is written."""
    sheet = book.create_sheet(name)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = freeze
    sheet.print_title_rows = header_rows
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    return sheet


def _title(sheet, text: str, subtitle: str, width: int) -> None:
    sheet.append([_cell(sheet, text, TITLE)])
    sheet.append([_cell(sheet, subtitle, SUBTITLE)])
    _merge(sheet, 1, 1, width)
    _merge(sheet, 2, 1, width)


def _merge(sheet, row: int, first: int, last: int, *, rows: int = 1) -> None:
    # A write-only sheet has no merge_cells(); its writer writes whatever ranges merged_cells holds.
    sheet.merged_cells.add(CellRange(min_row=row, max_row=row + rows - 1, min_col=first, max_col=last))


def _header(sheet, labels: list[str]) -> None:
    sheet.append([_cell(sheet, label, HEADER) for label in labels])


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def workbook(ranking: Ranking) -> Workbook:
    """Ranking sheet, per-domain sheet and the units × criteria matrix (self and final points).

    Written in openpyxl's write-only mode: rows stream to the file as they are appended, each styled
    cell points to a shared named style, and the matrix's ~200,000 point cells carry no style at all
    (grid lines print instead of borders), which keeps 800 units × 120 leaves to a few seconds.
    The returned workbook can be saved once.
    """
    book = Workbook(write_only=True)
    _styles(book)
    title = _("KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM %(year)s – %(group)s") % {
        "year": ranking.round.year,
        "group": ranking.round.group.name.upper(),
    }
    subtitle = f"{status_text(ranking)} · {ranking.round.criteria_set.code} v{ranking.round.criteria_set.version}"
    ordered = ranking.ordered("final")
    separator = decimal_separator()  # maxima in the headers are written the way the pages write them

    headers = [
        _("Hạng"),
        _("Mã đơn vị"),
        _("Tên đơn vị"),
        _("Điểm tự chấm"),
        _("Chỉ số tự chấm (%)"),
        _("Điểm sau thẩm định"),
        _("Điểm tối đa"),
        _("Chỉ số (%)"),
        _("Xếp loại"),
    ]
    sheet = _sheet(book, _("Xếp hạng"), widths=[7, 14, 45, 12, 12, 12, 10, 10, 9], header_rows="3:3", freeze="D4")
    _title(sheet, title, subtitle, len(headers))
    _header(sheet, headers)
    for unit in ordered:
        figures = (unit.self_total, unit.self_index, unit.total, unit.maximum, unit.index)
        sheet.append(
            [
                _cell(sheet, unit.rank, TEXT),
                _cell(sheet, unit.unit_code, TEXT),
                _cell(sheet, unit.unit_name, TEXT),
                *(_cell(sheet, float(f), NUMBER) for f in figures),
                _cell(sheet, unit.band, TEXT),
            ]
        )

    headers = [_("Mã đơn vị"), _("Tên đơn vị")]
    for code, name, maximum in ranking.domains:
        headers += [f"{code}. {name} ({_('tối đa')} {format_points(maximum, separator)})", _("Hạng")]
    domains = _sheet(
        book, _("Chỉ số thành phần"), widths=[14, 40] + [14, 6] * len(ranking.domains), header_rows="3:3", freeze="C4"
    )
    _title(domains, title, subtitle + " · " + _("chỉ số thành phần theo lĩnh vực (%)"), len(headers))
    _header(domains, headers)
    for unit in ordered:
        line = [_cell(domains, unit.unit_code, TEXT), _cell(domains, unit.unit_name, TEXT)]
        for code, *_rest in ranking.domains:
            figure = unit.domains.get(code)
            line += [
                _cell(domains, _number(figure and figure.index), NUMBER),
                _cell(domains, figure and figure.rank, TEXT),
            ]
        domains.append(line)

    leaves = ranking.leaves
    width = 2 + 2 * len(leaves) + 2
    matrix = _sheet(book, _("Ma trận điểm"), widths=[14, 36] + [8] * (width - 2), header_rows="3:4", freeze="C5")
    # The ~200,000 point cells carry no style: a border or a number format on each would double the
    # time of the workbook (openpyxl writes a styled cell apart). The grid prints instead of borders
    # and points show as entered (0,5; 1,75), as before.
    matrix.print_options.gridLines = True
    _title(matrix, title, subtitle + " · " + _("điểm từng tiêu chí: tự chấm / sau thẩm định"), width)
    first = [_("Mã đơn vị"), _("Tên đơn vị")]
    second = [None, None]
    for code, _name, maximum, _kind, _method in leaves:
        first += [f"{code} ({_('tối đa')} {format_points(maximum, separator)})", None]
        second += [_("Tự chấm"), _("Thẩm định")]
    first += [_("Tổng tự chấm"), _("Tổng sau thẩm định")]
    second += [None, None]
    _header(matrix, first)
    _header(matrix, second)
    for col in (1, 2, width - 1, width):  # code, name and the two totals span both header rows
        _merge(matrix, 3, col, col, rows=2)
    for col in range(3, 3 + 2 * len(leaves), 2):
        _merge(matrix, 3, col, col + 1)
    codes = [code for code, *_rest in leaves]
    for unit in ordered:
        line = [unit.unit_code, unit.unit_name]
        points = unit.leaves
        for code in codes:
            s, f = points.get(code, (None, None))
            line += (_number(s), _number(f))
        line += (float(unit.self_total), float(unit.total))
        matrix.append(line)
    return book
