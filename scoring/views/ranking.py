"""Ranking pages, the unit's result page, publication and the Excel export."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import can_see_unit_detail, get_round_for_ranking, is_home_affairs, sees_group_results
from accounts.models import Unit
from core.responses import xlsx_response
from core.templatetags.par import decimal_separator, format_fixed2

from .. import charts, exports, live_ranking
from .. import ranking as rankings
from ..models import Assessment


def _stage(request) -> str:
    return "self" if request.GET.get("stage") == "self" else "final"


def _publication_number(user, round_, number: str | None) -> int | None:
    """The publication the user asked for and may read, None for the current ranking; raises
    Http404/PermissionDenied. Readers of the group may pick any publication; units only ever see
    the latest published one, never the provisional ranking. Checked without computing anything,
    so background jobs can repeat the check cheaply."""
    reader = sees_group_results(user, round_)
    if number and reader:
        if not str(number).isdigit() or not round_.publications.filter(number=int(number)).exists():
            raise Http404
        return int(number)
    if not reader and not round_.is_published:
        raise PermissionDenied
    return None


def _ranking_for(request, round_, *, with_leaves: bool = True):
    number = _publication_number(request.user, round_, request.GET.get("cong-bo"))
    return live_ranking.shown(round_, publication_number=number, with_leaves=with_leaves)


def _xlsx_name(round_, ranking) -> str:
    suffix = "tam-tinh" if ranking.provisional else f"cong-bo-{ranking.publication.number}"
    return f"chi-so-cchc-{round_.group.code}-{round_.year}-{suffix}.xlsx"


def ranking_job_check(user, params: dict) -> None:
    """core.jobs check for the ranking PDF and Excel: the same access as the ranking page."""
    round_ = get_round_for_ranking(user, int(params["round"]))
    _publication_number(user, round_, params.get("publication"))


def ranking_xlsx_job(job, progress):
    """core.jobs run: the Excel workbook of a (large) group."""
    round_ = get_round_for_ranking(job.user, int(job.params["round"]))
    number = _publication_number(job.user, round_, job.params.get("publication"))
    progress(10, _("Đang tính xếp hạng…"))
    ranking = live_ranking.shown(round_, publication_number=number)
    progress(50, _("Đang ghi bảng tính…"))
    return _xlsx_name(round_, ranking), exports.workbook(ranking)


@require_POST
@login_required
def ranking_job_start(request, pk: int):
    """Start the Excel or PDF export of the ranking as a background job and go to its page."""
    from core.jobs import job_start

    round_ = get_round_for_ranking(request.user, pk)
    kind = {"xlsx": "ranking_xlsx", "pdf": "ranking_pdf"}.get(request.POST.get("format", ""))
    if kind is None:
        raise Http404
    params = {"round": round_.pk, "stage": _stage_value(request.POST.get("stage")), "publication": request.POST.get("cong-bo", "")}
    job = job_start(kind, params, request.user)
    return redirect("core:job", pk=job.pk)


def _stage_value(value: str | None) -> str:
    return "self" if value == "self" else "final"


def _unit_result_url(round_):
    """unit code -> its result page, as {% url 'scoring:unit_result' round.pk code %} writes it,
    without resolving the URL once per row."""
    head, tail = reverse("scoring:unit_result", args=[round_.pk, "unit-code"]).split("unit-code")
    return lambda code: head + quote(code, safe=RFC3986_SUBDELIMS + "/~:@") + tail


# The two tables of the ranking page are written here rather than in ranking.html: 800 units ×
# 2 tables through the template engine took ~0.5 s of a ~0.6 s page (~17,000 cells at ~20 µs each);
# this writes the same markup in ~15 ms. Every text is escaped; numbers go through the functions
# behind the |fixed2 filter. Rows carry id="u-<code>" so that a unit can jump to its own.


def _ranking_rows(units, stage: str, *, link, reader: bool, own_unit_id: int | None) -> SafeString:
    sep = decimal_separator()
    rows = []
    for u in units:
        _points, maximum, index, rank, band = u.figures(stage)
        name = escape(u.unit_name)
        if reader or u.unit_id == own_unit_id:
            name = f'<a href="{escape(link(u.unit_code))}">{name}</a>'
        own = ' class="own"' if u.unit_id == own_unit_id else ""
        rows.append(
            f'<tr{own} id="u-{escape(u.unit_code)}">'
            f'<td class="num">{rank}</td><td><code>{escape(u.unit_code)}</code></td><td>{name}</td>'
            f'<td class="num">{format_fixed2(u.self_total, sep)}</td><td class="num">{format_fixed2(u.total, sep)}</td>'
            f'<td class="num">{format_fixed2(maximum, sep)}</td><td class="num">{format_fixed2(index, sep)}</td>'
            f"<td>{escape(band)}</td></tr>"
        )
    return SafeString("\n".join(rows))


def _domain_rows(ranking, *, own_unit_id: int | None) -> SafeString:
    """Per-domain sub-indexes after appraisal, with the unit's rank in each domain."""
    sep = decimal_separator()
    codes = [code for code, *_r in ranking.domains]
    rows = []
    for u in ranking.ordered("final"):
        cells = []
        for code in codes:
            figure = u.domains.get(code)
            cells.append(
                f'<td class="num">{format_fixed2(figure.index, sep)} <span class="muted">({figure.rank})</span></td>'
                if figure
                else '<td class="num"></td>'
            )
        own = ' class="own"' if u.unit_id == own_unit_id else ""
        rows.append(
            f'<tr{own}><td><code>{escape(u.unit_code)}</code></td>'
            f'<td>{escape(u.unit_name)}</td>{"".join(cells)}</tr>'
        )
    return SafeString("\n".join(rows))


@login_required
def ranking_page(request, pk: int):
    round_ = get_round_for_ranking(request.user, pk)
    stage = _stage(request)
    ranking = _ranking_for(request, round_, with_leaves=False)
    ordered = ranking.ordered(stage)
    reader = sees_group_results(request.user, round_)
    own_unit_id = request.user.unit_id
    own = next((u for u in ordered if u.unit_id == own_unit_id), None) if own_unit_id else None
    is_admin = is_home_affairs(request.user)
    return render(
        request,
        "scoring/ranking.html",
        {
            "round": round_,
            "ranking": ranking,
            "stage": stage,
            "unit_count": len(ordered),
            "ranking_rows": _ranking_rows(ordered, stage, link=_unit_result_url(round_), reader=reader, own_unit_id=own_unit_id),
            "domains": ranking.domains,
            "domain_rows": _domain_rows(ranking, own_unit_id=own_unit_id) if ranking.domains else "",
            "own": own,
            "own_figures": own.figures(stage) if own else None,
            "chart": charts.ranking_bar_page_svg(ranking, stage=stage) if ordered else "",
            "status": exports.status_text(ranking),
            "publications": round_.publications.order_by("-number") if reader else [],
            "reader": reader,
            "is_admin": is_admin,
            "live_seconds": settings.RANKING_LIVE_SECONDS,
            # Only the publish panel (Home Affairs) warns of assessments not yet final.
            "not_final": round_.assessments.exclude(state=Assessment.State.FINALIZED).count() if is_admin else 0,
            # Large groups get their exports as background jobs.
            "background_exports": len(ordered) > settings.JOB_UNITS_THRESHOLD,
            "pub_query": f"&cong-bo={ranking.publication.number}" if request.GET.get("cong-bo") and ranking.publication else "",
        },
    )


@login_required
def ranking_xlsx(request, pk: int):
    round_ = get_round_for_ranking(request.user, pk)
    ranking = _ranking_for(request, round_)
    return xlsx_response(live_ranking.workbook(ranking), _xlsx_name(round_, ranking))


def _round_for_home_affairs(user, pk: int):
    """The round, for what only Home Affairs does to its ranking: another group's unit gets 404, any
    other reader 403."""
    round_ = get_round_for_ranking(user, pk)
    if not is_home_affairs(user):
        raise PermissionDenied
    return round_


@require_POST
@login_required
def ranking_refresh(request, pk: int):
    """Home Affairs' “Tính lại ngay”: the provisional ranking computed afresh rather than on schedule."""
    live_ranking.refresh(_round_for_home_affairs(request.user, pk))
    messages.success(request, _("Đã tính lại kết quả tạm tính theo số liệu mới nhất."))
    return redirect("scoring:ranking", pk=pk)


@require_POST
@login_required
def round_publish_view(request, pk: int):
    round_ = _round_for_home_affairs(request.user, pk)
    publication = rankings.round_publish(
        round_=round_,
        user=request.user,
        decision_number=request.POST.get("decision_number", "").strip()[:60],
        note=request.POST.get("note", "").strip(),
    )
    messages.success(request, _("Đã công bố kết quả (lần %(n)s). Kết quả này được giữ nguyên dù số liệu thay đổi sau đó.") % {"n": publication.number})
    return redirect("scoring:ranking", pk=pk)


@login_required
def unit_result(request, pk: int, code: str):
    from accounts.access import rounds_for

    round_ = get_object_or_404(rounds_for(request.user).select_related("group", "criteria_set"), pk=pk)
    unit = get_object_or_404(Unit, code=code, group=round_.group)
    if not can_see_unit_detail(request.user, round_, unit):
        raise Http404  # another unit's detail does not exist for this user
    reader = sees_group_results(request.user, round_)
    # The group's readers see the snapshot the ranking page shows; a unit its own figures as they are.
    ranking = live_ranking.shown(round_) if reader else rankings.current(round_)
    result = ranking.for_unit(unit.pk)
    if result is None and ranking.stamp:  # a unit added to the round since the snapshot
        ranking = rankings.current(round_)
        result = ranking.for_unit(unit.pk)
    if result is None:
        raise Http404
    rows = []
    for leaf_code, title, maximum, kind, method in ranking.leaves:
        s, f = result.leaves.get(leaf_code, (None, None))
        rows.append(
            {"code": leaf_code, "title": title, "max": maximum, "kind": kind, "method": method, "self": s, "final": f,
             "diff": (f - s) if (s is not None and f is not None) else None}
        )
    domain_rows = [(d_code, title, maximum, result.domains.get(d_code)) for d_code, title, maximum in ranking.domains]
    radar = ""
    if len(domain_rows) >= 3:  # a radar needs three axes; the table below shows fewer domains
        radar = charts.radar_svg(
            [f"{d_code}" for d_code, *_r in domain_rows],
            {_("Tự chấm"): [d.self_index if d else 0 for *_x, d in domain_rows], _("Sau thẩm định"): [d.index if d else 0 for *_x, d in domain_rows]},
        )
    return render(
        request,
        "scoring/unit_result.html",
        {
            "round": round_,
            "unit": unit,
            "result": result,
            "ranking": ranking,
            "rows": rows,
            "domain_rows": domain_rows,
            "radar": radar,
            "show_rank": reader or not ranking.provisional,
            "status": exports.status_text(ranking),
            "reader": reader,
        },
    )


urlpatterns = [
    path("ky/<int:pk>/xep-hang/", ranking_page, name="ranking"),
    path("ky/<int:pk>/xep-hang/excel/", ranking_xlsx, name="ranking_xlsx"),
    path("ky/<int:pk>/xep-hang/tinh-lai/", ranking_refresh, name="ranking_refresh"),
    path("ky/<int:pk>/xep-hang/tao-trong-nen/", ranking_job_start, name="ranking_job"),
    path("ky/<int:pk>/cong-bo/", round_publish_view, name="round_publish"),
    path("ky/<int:pk>/don-vi/<str:code>/", unit_result, name="unit_result"),
]
