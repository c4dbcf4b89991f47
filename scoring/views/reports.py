"""The ranking report as a PDF document (Decree 30 layout, templates/documents/ranking_report.html)."""

from __future__ import annotations

import math
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

from .. import charts, engine
from .. import ranking as rankings
from ..models import Round

CHART_ROWS = 45  # units per chart: one chart fits an A4 page under the heading
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


def ranking_report_context(ranking: rankings.Ranking, stage: str, **extra) -> dict:
    """Everything templates/documents/ranking_report.html shows; `extra` overrides (e.g. signer_name)."""
    round_: Round = ranking.round
    publication = ranking.publication
    criteria_set = publication.criteria_set if publication else round_.criteria_set
    version = publication.criteria_version if publication else criteria_set.version
    ordered = ranking.ordered(stage)
    rows = []
    for position, unit in enumerate(ordered, start=1):
        _points, maximum, index, rank, band = unit.figures(stage)
        rows.append(
            {"stt": position, "rank": rank, "unit": unit, "self_total": unit.self_total, "total": unit.total,
             "maximum": maximum, "index": index, "band": band}
        )
    domain_codes = [code for code, _title, _max in ranking.domains]
    domain_rows = [(unit, [unit.domains.get(code) for code in domain_codes]) for unit in ranking.ordered("final")]
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
        "domain_rows": domain_rows,
        "charts": [
            charts.svg_data_uri(charts.ranking_bar_svg(ranking, stage, units=chunk)) for chunk in _chunks(ordered, CHART_ROWS)
        ],
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
    ranking = rankings.current(round_)
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
    progress(10, _("Đang tính xếp hạng…"))
    context = ranking_report_context(rankings.current(round_), stage)
    progress(40, _("Đang dựng tệp PDF…"))
    return f"xep-hang-{round_.group.code}-{round_.year}-{stage}.pdf", render_pdf("documents/ranking_report.html", context)


urlpatterns = [
    path("ky/<int:pk>/xep-hang/pdf/", ranking_pdf, name="ranking_pdf"),
]
