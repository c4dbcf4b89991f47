"""The unit's self-assessment as an Excel sheet: the import columns of `scoring.excel` filled with the
unit's self values, read-only helper columns after them, and a sheet of instructions. Uploading it
back goes through `parse_scores(stage="self")`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from core.excel import write_sheet
from scoring import engine

from .excel import HELPER_HEADERS, METHOD_FIELDS, SCORE_COLUMNS, SHEET_WIDTHS
from .models import Assessment, Stage

GREY = PatternFill("solid", fgColor="EEEEEE")
HELPER_FILL = PatternFill("solid", fgColor="F5F5F0")


def _method_hint(method: engine.Method) -> str:
    columns = {
        "points": "Điểm",
        "option": "Lựa chọn",
        "numerator": "Tử số",
        "denominator": "Mẫu số",
        "count": "Số lượng",
    }
    names = " + ".join(f"“{columns[f]}”" for f in METHOD_FIELDS[method] if f in columns)
    return _("%(method)s – nhập cột %(columns)s") % {"method": engine.METHOD_LABELS[method], "columns": names}


def unit_sheet_workbook(assessment: Assessment) -> Workbook:
    """The unit's self-assessment as a workbook `parse_scores(stage="self")` reads back.

    One row per leaf scored by the unit (survey leaves are left out), in tree order, with the
    current self values; read-only helper columns come after the import columns.
    """
    criteria_set = assessment.round.criteria_set
    leaves = [
        c for c in criteria_set.criteria.exclude(method="").order_by("position") if c.method != engine.Method.SURVEY
    ]
    stored = {v.criterion_id: v for v in assessment.values.filter(stage=Stage.SELF)}
    workbook = Workbook()
    sheet = workbook.active
    rows = []
    for c in leaves:
        v = stored.get(c.pk)
        method = engine.Method(c.method)
        rows.append(
            [
                assessment.unit.code,
                c.code,
                v.points if v else None,
                (v.option or None) if v else None,
                v.numerator if v else None,
                v.denominator if v else None,
                v.count if v else None,
                "x" if v and v.not_applicable else None,
                (v.note or None) if v else None,
                c.title,
                c.max_points,
                _method_hint(method),
                c.describe_rule(),
                c.evidence,
            ]
        )
    headers = [col.label for col in SCORE_COLUMNS] + list(HELPER_HEADERS)
    write_sheet(sheet, headers, rows, widths=SHEET_WIDTHS, number_formats={10: "0.00"}, title=assessment.unit.code)
    helper_start = len(SCORE_COLUMNS)
    field_index = {c.key: i for i, c in enumerate(SCORE_COLUMNS)}
    for line, c in enumerate(leaves, start=2):
        method = engine.Method(c.method)
        cells = sheet[line]
        for key in ("points", "option", "numerator", "denominator", "count"):
            if key not in METHOD_FIELDS[method]:
                cells[field_index[key]].fill = GREY
        if not c.allow_na:
            cells[field_index["not_applicable"]].fill = GREY
        for cell in cells[helper_start:]:
            cell.fill = HELPER_FILL
            cell.font = Font(color="555555")
        if method is engine.Method.CHOICE:
            labels = [o.label for o in c.parsed_rule.options]
            formula = '"' + ",".join(labels) + '"'
            if all("," not in label and '"' not in label for label in labels) and len(formula) <= 255:
                validation = DataValidation(type="list", formula1=formula, allow_blank=True)
                sheet.add_data_validation(validation)
                validation.add(cells[field_index["option"]])
    info = workbook.create_sheet(_("Hướng dẫn"))
    write_sheet(
        info,
        [_("Thông tin"), _("Giá trị")],
        [
            [_("Đơn vị"), f"{assessment.unit.code} – {assessment.unit.name}"],
            [_("Năm đánh giá"), assessment.round.year],
            [_("Bộ tiêu chí"), str(criteria_set)],
            [_("Cách nhập"), _("Mỗi dòng là một tiêu chí. Chỉ điền các cột không tô xám: Điểm, Lựa chọn, Tử số, Mẫu số, Số lượng, Không áp dụng (ghi “x”), Ghi chú (giải trình). Số thập phân viết 0,5 hoặc 0.5.")],
            [_("Cột tham khảo"), _("Các cột từ “Nội dung” trở đi chỉ để tham khảo; sửa các cột này không có tác dụng.")],
            [_("Tài liệu kiểm chứng"), _("Tệp tài liệu kiểm chứng vẫn đính kèm trên trang phiếu đánh giá, không qua tệp Excel.")],
            [_("Tải lên"), _("Tải tệp đã điền lên trang phiếu đánh giá: hệ thống cho xem trước mọi thay đổi rồi mới lưu.")],
        ],
        widths=(24, 100),
    )
    return workbook
