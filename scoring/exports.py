"""Ranking exports: the Excel workbook and the machine formats of the `ranking` command."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from core.templatetags.par import decimal_separator, format_points

from .ranking import Ranking

IN_MEMORY_CELLS = 50_000  # up to this many figures the workbook is written in memory (see workbook)
CSV_COLUMNS = ["rank", "unit_code", "unit_name", "points", "max_points", "index", "band"]


def status_text(ranking: Ranking) -> str:
    if ranking.provisional:
        at = timezone.localtime(ranking.computed_at) if ranking.computed_at else timezone.localtime()
        return _("Kết quả tạm tính, chưa công bố (tính lúc %(time)s ngày %(date)s)") % {
            "time": at.strftime("%H:%M"),
            "date": at.strftime("%d/%m/%Y"),
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


class _Formats:
    """The workbook's cell formats: one shared record per kind of cell."""

    def __init__(self, book: xlsxwriter.Workbook):
        border = {"border": 1, "border_color": "#999999"}
        center = {"align": "center", "valign": "vcenter", "text_wrap": True}
        self.title = book.add_format({"bold": True, "font_size": 13, **center})
        self.subtitle = book.add_format({"italic": True, **center})
        self.header = book.add_format({"bold": True, "bg_color": "#DCE6F1", **center, **border})
        self.text = book.add_format(border)
        self.number = book.add_format({**border, "num_format": "0.00"})


def _sheet(book: xlsxwriter.Workbook, name: str, *, widths: list[int], header_rows: tuple[int, ...], freeze: str):
    """A sheet set up for printing: A4 landscape, one page wide, `header_rows` (0-based) repeated."""
    sheet = book.add_worksheet(name)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(freeze)
    sheet.repeat_rows(*header_rows)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.5, right=0.5)
    return sheet


def _title(sheet, formats: _Formats, text: str, subtitle: str, width: int) -> None:
    sheet.merge_range(0, 0, 0, width - 1, text, formats.title)
    sheet.merge_range(1, 0, 1, width - 1, subtitle, formats.subtitle)


def workbook(ranking: Ranking) -> bytes:
    """The .xlsx file: ranking sheet, per-domain sheet and the units × criteria matrix (self and final points).

    Written with XlsxWriter, about twice as fast a cell as openpyxl's write-only mode (28 against
    58 ms of CPU for 63 units × 45 leaves; this export was a quarter of the load test's CPU,
    loadtest/RESULTS.md). A large group is written in constant-memory mode: each row goes to a
    temporary file once complete, so 800 units × 120 leaves never sit in memory as cell objects; a
    small one in memory, which spares the temporary files (25 against 29 ms). Either way rows are
    written top to bottom. The matrix's point cells carry no format (grid lines print instead of
    borders, and points show as entered: 0,5; 1,75).
    """
    buffer = io.BytesIO()
    cells = len(ranking.units) * (2 * len(ranking.leaves) + len(ranking.domains))
    mode = {"constant_memory": True} if cells > IN_MEMORY_CELLS else {"in_memory": True}
    # Unit names and headers are text, whatever they begin with ("=", "http://"): never formulas or links.
    with xlsxwriter.Workbook(buffer, {**mode, "strings_to_formulas": False, "strings_to_urls": False}) as book:
        _write_sheets(book, ranking)  # closed (its temporary files removed) even if writing fails
    return buffer.getvalue()


def _write_sheets(book: xlsxwriter.Workbook, ranking: Ranking) -> None:
    formats = _Formats(book)
    text, number, header = formats.text, formats.number, formats.header
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
    sheet = _sheet(book, _("Xếp hạng"), widths=[7, 14, 45, 12, 12, 12, 10, 10, 9], header_rows=(2,), freeze="D4")
    _title(sheet, formats, title, subtitle, len(headers))
    sheet.write_row(2, 0, headers, header)
    for row, unit in enumerate(ordered, start=3):
        sheet.write_number(row, 0, unit.rank, text)
        sheet.write_string(row, 1, unit.unit_code, text)
        sheet.write_string(row, 2, unit.unit_name, text)
        for col, figure in enumerate((unit.self_total, unit.self_index, unit.total, unit.maximum, unit.index), start=3):
            sheet.write_number(row, col, float(figure), number)
        sheet.write_string(row, 8, unit.band, text)

    headers = [_("Mã đơn vị"), _("Tên đơn vị")]
    for code, name, maximum in ranking.domains:
        headers += [f"{code}. {name} ({_('tối đa')} {format_points(maximum, separator)})", _("Hạng")]
    domains = _sheet(
        book, _("Chỉ số thành phần"), widths=[14, 40] + [14, 6] * len(ranking.domains), header_rows=(2,), freeze="C4"
    )
    _title(domains, formats, title, subtitle + " · " + _("chỉ số thành phần theo lĩnh vực (%)"), len(headers))
    domains.write_row(2, 0, headers, header)
    for row, unit in enumerate(ordered, start=3):
        domains.write_string(row, 0, unit.unit_code, text)
        domains.write_string(row, 1, unit.unit_name, text)
        for col, (code, *_rest) in enumerate(ranking.domains, start=1):
            figure = unit.domains.get(code)
            if figure is None:
                domains.write_blank(row, 2 * col, None, number)
                domains.write_blank(row, 2 * col + 1, None, text)
            else:
                domains.write_number(row, 2 * col, float(figure.index), number)
                domains.write_number(row, 2 * col + 1, figure.rank, text)

    leaves = ranking.leaves
    width = 2 + 2 * len(leaves) + 2
    matrix = _sheet(book, _("Ma trận điểm"), widths=[14, 36] + [8] * (width - 2), header_rows=(2, 3), freeze="C5")
    matrix.hide_gridlines(0)  # shown and printed
    _title(matrix, formats, title, subtitle + " · " + _("điểm từng tiêu chí: tự chấm / sau thẩm định"), width)
    # Code, name and the two totals span both header rows; each leaf's heading spans its two columns.
    # In constant-memory mode a row is final once a later one is written, and merge_range pads a
    # two-row range's lower cell with its format at once: those ranges are merged without a format
    # (no padding), and their cells formatted row by row.
    spanning = {0: _("Mã đơn vị"), 1: _("Tên đơn vị"), width - 2: _("Tổng tự chấm"), width - 1: _("Tổng sau thẩm định")}
    for col, label in spanning.items():
        matrix.merge_range(2, col, 3, col, label, None)
        matrix.write_string(2, col, label, header)
    for index, (code, _name, maximum, _kind, _method) in enumerate(leaves):
        col = 2 + 2 * index
        matrix.merge_range(2, col, 2, col + 1, f"{code} ({_('tối đa')} {format_points(maximum, separator)})", header)
    matrix.write_row(3, 2, [_("Tự chấm"), _("Thẩm định")] * len(leaves), header)
    for col in spanning:
        matrix.write_blank(3, col, None, header)
    codes = [code for code, *_rest in leaves]
    write = matrix.write_number
    for row, unit in enumerate(ordered, start=4):
        matrix.write_string(row, 0, unit.unit_code)
        matrix.write_string(row, 1, unit.unit_name)
        points = unit.leaves
        col = 2
        for code in codes:
            s, f = points.get(code, (None, None))
            if s is not None:
                write(row, col, float(s))
            if f is not None:
                write(row, col + 1, float(f))
            col += 2
        write(row, col, float(unit.self_total))
        write(row, col + 1, float(unit.total))
