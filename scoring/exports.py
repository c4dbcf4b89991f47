"""Ranking exports: the Excel workbook and the machine formats of the `ranking` command."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .ranking import Ranking

CSV_COLUMNS = ["rank", "unit_code", "unit_name", "points", "max_points", "index", "band"]
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def status_text(ranking: Ranking) -> str:
    if ranking.provisional:
        return _("Kết quả tạm tính, chưa công bố (lập ngày %(date)s)") % {"date": timezone.localdate().strftime("%d/%m/%Y")}
    pub = ranking.publication
    return _("Công bố lần %(n)s ngày %(date)s") % {"n": pub.number, "date": timezone.localtime(pub.published_at).strftime("%d/%m/%Y")}


def stage_label(stage: str) -> str:
    return _("điểm tự chấm") if stage == "self" else _("điểm sau thẩm định")


def rows(ranking: Ranking, stage: str) -> list[dict]:
    """One dict per unit in rank order, with the CSV columns (numbers as Decimal)."""
    out = []
    for unit in ranking.ordered(stage):
        points, maximum, index, rank, band = unit.figures(stage)
        out.append(
            {"rank": rank, "unit_code": unit.unit_code, "unit_name": unit.unit_name, "points": points, "max_points": maximum, "index": index, "band": band}
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
    data = [(str(r["rank"]), r["unit_code"], r["unit_name"], comma(r["points"]), comma(r["max_points"]), comma(r["index"]), r["band"]) for r in rows(ranking, stage)]
    header = (_("Hạng"), _("Mã"), _("Đơn vị"), _("Điểm"), _("Tối đa"), _("Chỉ số"), _("Loại"))
    widths = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, h in enumerate(header)]
    right = {0, 3, 4, 5}
    fmt = lambda cells: "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))  # noqa: E731
    lines.append(fmt(header))
    lines.extend(fmt(d) for d in data)
    return "\n".join(lines) + "\n"


def _title(sheet, text: str, subtitle: str, width: int) -> None:
    sheet.append([text])
    sheet.append([subtitle])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = CENTER
    sheet["A2"].font = Font(italic=True)
    sheet["A2"].alignment = CENTER


def _print_setup(sheet, header_rows: str, freeze: str) -> None:
    sheet.freeze_panes = freeze
    sheet.print_title_rows = header_rows
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5


def workbook(ranking: Ranking) -> Workbook:
    """Ranking sheet, per-domain sheet and the units × criteria matrix (self and final points)."""
    book = Workbook()
    title = _("KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM %(year)s – %(group)s") % {"year": ranking.round.year, "group": ranking.round.group.name.upper()}
    subtitle = f"{status_text(ranking)} · {ranking.round.criteria_set.code} v{ranking.round.criteria_set.version}"

    sheet = book.active
    sheet.title = _("Xếp hạng")
    headers = [_("Hạng"), _("Mã đơn vị"), _("Tên đơn vị"), _("Điểm tự chấm"), _("Chỉ số tự chấm (%)"), _("Điểm sau thẩm định"), _("Điểm tối đa"), _("Chỉ số (%)"), _("Xếp loại")]
    _title(sheet, title, subtitle, len(headers))
    sheet.append(headers)
    for unit in ranking.ordered("final"):
        sheet.append([unit.rank, unit.unit_code, unit.unit_name, float(unit.self_total), float(unit.self_index), float(unit.total), float(unit.maximum), float(unit.index), unit.band])
    _style_table(sheet, header_row=3, widths=[7, 14, 45, 12, 12, 12, 10, 10, 9], number_cols={4, 5, 6, 7, 8})
    _print_setup(sheet, "3:3", "D4")

    domains = book.create_sheet(_("Chỉ số thành phần"))
    headers = [_("Mã đơn vị"), _("Tên đơn vị")]
    for code, name, maximum in ranking.domains:
        headers += [f"{code}. {name} ({_('tối đa')} {maximum:f})", _("Hạng")]
    _title(domains, title, subtitle + " · " + _("chỉ số thành phần theo lĩnh vực (%)"), len(headers))
    domains.append(headers)
    for unit in ranking.ordered("final"):
        line = [unit.unit_code, unit.unit_name]
        for code, *_rest in ranking.domains:
            figure = unit.domains.get(code)
            line += [float(figure.index), figure.rank] if figure else [None, None]
        domains.append(line)
    _style_table(domains, header_row=3, widths=[14, 40] + [14, 6] * len(ranking.domains), number_cols=set(range(3, len(headers) + 1, 2)))
    _print_setup(domains, "3:3", "C4")

    matrix = book.create_sheet(_("Ma trận điểm"))
    leaves = ranking.leaves
    width = 2 + 2 * len(leaves) + 2
    _title(matrix, title, subtitle + " · " + _("điểm từng tiêu chí: tự chấm / sau thẩm định"), width)
    first = [_("Mã đơn vị"), _("Tên đơn vị")]
    second = ["", ""]
    for code, _name, maximum, _kind, _method in leaves:
        first += [f"{code} ({_('tối đa')} {maximum:f})", ""]
        second += [_("Tự chấm"), _("Thẩm định")]
    first += [_("Tổng tự chấm"), _("Tổng sau thẩm định")]
    second += ["", ""]
    matrix.append(first)
    matrix.append(second)
    for col in range(3, 3 + 2 * len(leaves), 2):
        matrix.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 1)
    for unit in ranking.ordered("final"):
        line = [unit.unit_code, unit.unit_name]
        for code, *_rest in leaves:
            s, f = unit.leaves.get(code, (None, None))
            line += [None if s is None else float(s), None if f is None else float(f)]
        line += [float(unit.self_total), float(unit.total)]
        matrix.append(line)
    _style_table(
        matrix, header_row=3, widths=[14, 36] + [8] * (2 * len(leaves) + 2), number_cols=set(), header_rows=2, body=False
    )
    _print_setup(matrix, "3:4", "C5")
    return book


def _style_table(
    sheet, *, header_row: int, widths: list[int], number_cols: set[int], header_rows: int = 1, body: bool = True
) -> None:
    """`body=False` leaves the data cells unstyled and prints grid lines instead: styling each of a
    matrix's ~100,000 cells one by one is most of the export's time."""
    for row in sheet.iter_rows(min_row=header_row, max_row=header_row + header_rows - 1):
        for cell in row:
            cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD, CENTER, BORDER
    if not body:
        sheet.print_options.gridLines = True
    else:
        for row in sheet.iter_rows(min_row=header_row + header_rows):
            for cell in row:
                cell.border = BORDER
                if cell.column in number_cols:
                    cell.number_format = "0.00"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
