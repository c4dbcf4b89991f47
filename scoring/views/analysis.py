"""Analysis pages for Home Affairs: points lost per criterion and unit (heat map), self-assessment
versus appraisal, and the comparison of years. Every figure comes from `scoring.ranking`."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _

from accounts.access import require_roles, rounds_for, sees_group_results
from accounts.models import Role, Unit, UnitGroup
from core.excel import new_workbook, write_sheet
from core.responses import xlsx_response

from .. import analysis
from ..models import Round
from ..ranking import current

TWO_DECIMALS = "0.00"
MAX_YEARS = 10


def _round_for_analysis(request, pk: int) -> Round:
    """404 for a round of a group the user does not know; 403 for one whose results are not theirs."""
    round_ = get_object_or_404(rounds_for(request.user).select_related("group", "criteria_set"), pk=pk)
    if not sees_group_results(request.user, round_):
        raise PermissionDenied
    return round_


def heat_style(ratio: Decimal | None) -> str:
    """Cell background from white (nothing lost) to deep red (everything lost); grey: no value."""
    if ratio is None:
        return "background-color:#f1f3f5;color:#61707f"
    ratio = min(max(float(ratio), 0.0), 1.0)
    lightness = round(100 - 55 * ratio)
    colour = "#fff" if ratio >= 0.6 else "inherit"
    return f"background-color:hsl(4,72%,{lightness}%);color:{colour}"


def unit_result_href(round_: Round, code: str) -> str:
    return f"/danh-gia/ky/{round_.pk}/don-vi/{code}/"


@login_required
def analysis_page(request, pk: int):
    round_ = _round_for_analysis(request, pk)
    ranking = current(round_)
    matrix = analysis.points_lost(ranking)
    gaps = analysis.self_gap(ranking)
    columns = [(u, unit_result_href(round_, u.unit_code)) for u in matrix.units]
    rows = [
        (row, [(cell, heat_style(None if cell.lost is None else cell.ratio)) for cell in row.cells])
        for row in matrix.rows
    ]
    return render(
        request,
        "scoring/analysis.html",
        {
            "round": round_,
            "ranking": ranking,
            "matrix": matrix,
            "columns": columns,
            "rows": rows,
            "totals": list(zip(matrix.units, matrix.unit_totals, strict=True)),
            "worst": matrix.worst[:10],
            "gaps": [(g, unit_result_href(round_, g.unit.unit_code), f"width:{float(g.bar) / 2:.2f}%") for g in gaps],
            "no_value_style": heat_style(None),
            "legend": [(f"{p}%", heat_style(Decimal(p) / 100)) for p in (0, 25, 50, 75, 100)],
        },
    )


@login_required
def analysis_xlsx(request, pk: int):
    round_ = _round_for_analysis(request, pk)
    ranking = current(round_)
    matrix = analysis.points_lost(ranking)
    gaps = analysis.self_gap(ranking)
    workbook = new_workbook()
    units = matrix.units
    headers = [_("Mã"), _("Tiêu chí"), _("Điểm tối đa")] + [u.unit_code for u in units]
    headers += [_("Tổng điểm bị mất"), _("Số đơn vị có điểm"), _("Bình quân mỗi đơn vị"), _("Tỷ lệ mất (%)")]
    body = [
        [row.code, row.title, row.maximum, *[c.lost for c in row.cells], row.total, row.counted, row.average, row.share]
        for row in matrix.rows
    ]
    body.append(["", _("Tổng điểm bị mất của đơn vị"), None, *matrix.unit_totals, None, None, None, None])
    formats = {i: TWO_DECIMALS for i in range(2, len(headers)) if i != len(headers) - 3}
    write_sheet(
        workbook.active,
        headers,
        body,
        widths=[9, 48, 10] + [11] * len(units) + [12, 10, 12, 10],
        number_formats=formats,
        title=_("Điểm bị mất"),
    )
    sheet = workbook.create_sheet()
    headers = [
        _("Hạng"),
        _("Mã"),
        _("Đơn vị"),
        _("Điểm tự chấm"),
        _("Điểm sau thẩm định"),
        _("Trong đó: điều tra xã hội học"),
        _("Điểm thẩm định phần tự chấm"),
        _("Điểm tối đa phần tự chấm"),
        _("Chênh lệch"),
        _("Chênh lệch (% điểm tối đa)"),
    ]
    body = [
        [g.unit.rank, g.unit.unit_code, g.unit.unit_name, g.self_total, g.total, g.survey, g.appraised, g.maximum, g.gap, g.gap_share]
        for g in gaps
    ]
    write_sheet(
        sheet,
        headers,
        body,
        widths=[7, 12, 40, 12, 12, 14, 14, 12, 12, 14],
        number_formats={i: TWO_DECIMALS for i in range(3, 10)},
        title=_("Tự chấm và thẩm định"),
    )
    return xlsx_response(workbook, f"phan-tich-{round_.year}-{round_.group.code}.xlsx")


def _years(request, available: list[int]) -> tuple[list[int], list[str]]:
    """`years=2025,2026` or `years=2025&years=2026`; default: the last five years with a round."""
    years, wrong = set(), []
    for value in request.GET.getlist("years"):
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part.isdigit() and 1990 <= int(part) <= 2200:
                years.add(int(part))
            else:
                wrong.append(part)
    if not years:
        years = set(available[-5:])
    return sorted(years)[-MAX_YEARS:], wrong


@require_roles(Role.HOME_AFFAIRS, Role.VIEWER)
def compare_years(request):
    groups = list(UnitGroup.objects.order_by("position", "code"))
    unit = None
    unit_code = request.GET.get("unit", "").strip()
    group_code = request.GET.get("group", "").strip()
    group = next((g for g in groups if g.code == group_code), None)
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).select_related("group").first()
        if unit is None or (group is not None and unit.group_id != group.pk):
            messages.error(request, _("Không tìm thấy đơn vị %(code)s trong nhóm đã chọn.") % {"code": unit_code})
            unit = None
        elif group is None:
            group = next((g for g in groups if g.pk == unit.group_id), None)
    if group is None and group_code:
        messages.error(request, _("Không có nhóm đơn vị %(code)s.") % {"code": group_code})
    if group is None and groups:
        group = groups[0]
    available = sorted(Round.objects.filter(group=group).values_list("year", flat=True)) if group else []
    years, wrong = _years(request, available)
    if wrong:
        messages.error(request, _("Năm không hợp lệ: %(years)s.") % {"years": ", ".join(wrong)})
    rankings = analysis.rankings_for(group, years) if group else {}
    by_group = analysis.year_over_year_group(group, years, rankings=rankings) if group else None
    by_unit = analysis.year_over_year_unit(unit, years, rankings=rankings) if unit else None
    return render(
        request,
        "scoring/compare_years.html",
        {
            "groups": groups,
            "group": group,
            "units": group.units.order_by("code").only("code", "name") if group else [],
            "unit": unit,
            "available": available,
            "years": years,
            "years_text": ",".join(str(y) for y in years),
            "by_group": by_group,
            "by_unit": by_unit,
        },
    )


urlpatterns = [
    path("ky/<int:pk>/phan-tich/", analysis_page, name="analysis"),
    path("ky/<int:pk>/phan-tich/excel/", analysis_xlsx, name="analysis_xlsx"),
    path("so-sanh/", compare_years, name="compare_years"),
]
