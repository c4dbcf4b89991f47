"""The ranking report as a PDF document (Decree 30 layout, templates/documents/ranking_report.html)."""

from __future__ import annotations

import math
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import get_round_for_ranking
from core.pdf import render_pdf, vn_long_date
from core.templatetags.par import decimal_separator, format_fixed2

from .. import charts, engine, live_ranking
from .. import ranking as rankings
from ..models import Round
from .ranking import _publication_number

CHART_ROWS = 45  # units per chart: one chart fits an A4 page under the heading
# Up to two pages of bars, one per unit. A larger group gets one chart of its distribution and of
# its first and last TOP_UNITS instead: 800 bars would take 18 pages, repeat the ranking table
# beside it and let nobody compare unit 12 with unit 700 (see charts.ranking_distribution_svg).
PER_UNIT_CHART_MAX = 2 * CHART_ROWS
TOP_UNITS = 10
# The annex of sub-indexes per unit and domain, up to this many units (about 11 landscape pages).
# Beyond, the annex gives each domain's average, highest and lowest sub-index, and each unit's row
# stays in the Excel workbook (sheet "Chỉ số thành phần") and on the unit's result page: for 800
# schools the per-unit annex is 28 pages of figures, better sorted and filtered in the workbook,
# and half the time of the whole report (WeasyPrint lays out ~1 ms per table cell).
ANNEX_UNITS_MAX = 300
DOC_NUMBER_BLANK = "…/BC-SNV"


def _stage(request) -> str:
    return "self" if request.GET.get("stage") == "self" else "final"


def _place(province: str) -> str:
    """ "tỉnh Hòa Bình Xanh" -> "Hòa Bình Xanh": the place line names the province, without "tỉnh"."""
    for prefix in ("tỉnh ", "thành phố ", "tp. "):
        if province.lower().startswith(prefix):
            return province[len(prefix) :]
    return province


def _chunks(items: list, size: int) -> list[list]:
    """Even chunks of at most `size` (60 units -> 30 + 30, not 45 + 15)."""
    if not items:
        return []
    count = math.ceil(len(items) / size)
    step = math.ceil(len(items) / count)
    return [items[i : i + step] for i in range(0, len(items), step)]


def _bands_text(text: str) -> str:
    parts = []
    for band in engine.parse_bands(text):
        if band.threshold is None:
            parts.append(f"{band.label}: còn lại")
        else:
            threshold = f"{band.threshold.normalize():f}".replace(".", ",")
            parts.append(f"{band.label}: {'từ' if band.op == '>=' else 'trên'} {threshold}%")
    return "; ".join(parts)


def _band_counts(ranking: rankings.Ranking, figures: list[tuple]) -> list[dict]:
    """Units per band, in the order of the bands, with their share (%) of the group."""
    counts: dict[str, int] = {}
    for figure in figures:
        counts[figure[4]] = counts.get(figure[4], 0) + 1
    labels = [band.label for band in engine.parse_bands(ranking.bands)]
    labels += [label for label in counts if label not in labels]
    total = len(figures) or 1
    return [{"label": label, "count": counts.get(label, 0), "share": Decimal(100 * counts.get(label, 0)) / total} for label in labels]


def _charts(ranking: rankings.Ranking, stage: str, ordered: list) -> list[str]:
    if not ordered:
        return []
    if len(ordered) > PER_UNIT_CHART_MAX:
        return [charts.svg_data_uri(charts.ranking_distribution_svg(ranking, stage, top=TOP_UNITS))]
    return [charts.svg_data_uri(charts.ranking_bar_svg(ranking, stage, units=chunk)) for chunk in _chunks(ordered, CHART_ROWS)]


def _domain_rows(ranking: rankings.Ranking) -> list[tuple]:
    """(unit, cells) in final rank order, one cell per domain: "84,38 (12)", the sub-index and the
    rank in the domain. Two cells per domain would double the annex, which WeasyPrint lays out
    cell by cell."""
    separator = decimal_separator()
    codes = [code for code, _title, _max in ranking.domains]
    rows = []
    for unit in ranking.ordered("final"):
        figures = [unit.domains.get(code) for code in codes]
        rows.append((unit, [f"{format_fixed2(f.index, separator)} ({f.rank})" if f else "–" for f in figures]))
    return rows


def _domain_summary(ranking: rankings.Ranking) -> list[dict]:
    """Per domain, the average, highest and lowest sub-index (%) of the group, after appraisal."""
    summary = []
    for code, title, maximum in ranking.domains:
        values = [unit.domains[code].index for unit in ranking.units if code in unit.domains]
        summary.append(
            {"code": code, "title": title, "maximum": maximum, "count": len(values),
             "mean": sum(values) / len(values) if values else None, "high": max(values, default=None), "low": min(values, default=None)}
        )
    return summary


def ranking_report_context(ranking: rankings.Ranking, stage: str, **extra) -> dict:
    """Everything templates/documents/ranking_report.html shows; `extra` overrides (e.g. signer_name)."""
    round_: Round = ranking.round
    publication = ranking.publication
    criteria_set = publication.criteria_set if publication else round_.criteria_set
    version = publication.criteria_version if publication else criteria_set.version
    ordered = ranking.ordered(stage)
    figures = [unit.figures(stage) for unit in ordered]
    rows = []
    for position, (unit, (_points, maximum, index, rank, band)) in enumerate(zip(ordered, figures, strict=True), start=1):
        rows.append(
            {"stt": position, "rank": rank, "unit": unit, "self_total": unit.self_total, "total": unit.total,
             "maximum": maximum, "index": index, "band": band}
        )
    annex_per_unit = len(ordered) <= ANNEX_UNITS_MAX
    indexes = [figure[2] for figure in figures]
    province = settings.PROVINCE_NAME
    report_date = timezone.localdate()
    context = {
        "ranking": ranking,
        "round": round_,
        "stage": stage,
        "stage_label": "điểm tự chấm của đơn vị" if stage == "self" else "điểm sau thẩm định",
        "publication": publication,
        "published_on": timezone.localtime(publication.published_at).date() if publication else None,
        "criteria_set": criteria_set,
        "criteria_version": version,
        "tie_rule_label": Round.TieRule(ranking.tie_rule).label,
        "bands_text": _bands_text(ranking.bands),
        "rows": rows,
        "domains": ranking.domains,
        "annex_per_unit": annex_per_unit,
        "domain_rows": _domain_rows(ranking) if annex_per_unit else [],
        "domain_summary": [] if annex_per_unit else _domain_summary(ranking),
        "band_counts": _band_counts(ranking, figures),
        "index_mean": sum(indexes) / len(indexes) if indexes else None,
        "first": rows[0] if rows else None,
        "last": rows[-1] if rows else None,
        "charts": _charts(ranking, stage, ordered),
        "per_unit_chart": len(ordered) <= PER_UNIT_CHART_MAX,
        "top_units": TOP_UNITS,
        "parent_agency": f"UBND {province}".upper(),
        "issuing_agency": "SỞ NỘI VỤ",
        "doc_number": (publication.decision_number if publication and publication.decision_number else DOC_NUMBER_BLANK),
        "province": province,
        "place": _place(province),
        "report_date": report_date,
        "long_date": vn_long_date(report_date),
        "signer_name": "",
    }
    context.update(extra)
    return context


@require_GET
@login_required
def ranking_pdf(request, pk: int):
    """The ranking report as a PDF download; the same access as the ranking page."""
    round_ = get_round_for_ranking(request.user, pk)  # another group's unit: 404; before publication: 403
    stage = _stage(request)
    number = _publication_number(request.user, round_, request.GET.get("cong-bo"))  # the page's link passes it
    ranking = live_ranking.shown(round_, publication_number=number, with_leaves=False)  # no per-criterion figure
    pdf = render_pdf("documents/ranking_report.html", ranking_report_context(ranking, stage), request=request)
    filename = f"xep-hang-{round_.group.code}-{round_.year}-{stage}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def ranking_pdf_job(job, progress):
    """core.jobs run: the ranking report of a (large) group; access is checked by
    scoring.views.ranking.ranking_job_check, the same as ranking_pdf's."""
    round_ = get_round_for_ranking(job.user, int(job.params["round"]))
    stage = "self" if job.params.get("stage") == "self" else "final"
    number = _publication_number(job.user, round_, job.params.get("publication"))
    progress(10, _("Đang tính xếp hạng…"))
    context = ranking_report_context(live_ranking.shown(round_, publication_number=number, with_leaves=False), stage)
    progress(40, _("Đang dựng tệp PDF…"))
    return f"xep-hang-{round_.group.code}-{round_.year}-{stage}.pdf", render_pdf("documents/ranking_report.html", context)


urlpatterns = [
    path("ky/<int:pk>/xep-hang/pdf/", ranking_pdf, name="ranking_pdf"),
]
