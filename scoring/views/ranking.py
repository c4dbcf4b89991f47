"""Ranking pages, the unit's result page, publication and the Excel export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import can_see_unit_detail, get_round_for_ranking, is_home_affairs, sees_group_results
from accounts.models import Unit
from core.responses import xlsx_response

from .. import charts, exports
from .. import ranking as rankings
from ..models import Assessment


def _stage(request) -> str:
    return "self" if request.GET.get("stage") == "self" else "final"


def _ranking_for(request, round_):
    """Readers of the group may pick any publication; units only ever see the latest published one."""
    number = request.GET.get("cong-bo")
    if number and sees_group_results(request.user, round_):
        if not number.isdigit() or not round_.publications.filter(number=int(number)).exists():
            raise Http404
        return rankings.current(round_, publication_number=int(number))
    ranking = rankings.current(round_)
    if ranking.provisional and not sees_group_results(request.user, round_):
        raise PermissionDenied
    return ranking


@login_required
def ranking_page(request, pk: int):
    round_ = get_round_for_ranking(request.user, pk)
    stage = _stage(request)
    ranking = _ranking_for(request, round_)
    ordered = ranking.ordered(stage)
    reader = sees_group_results(request.user, round_)
    return render(
        request,
        "scoring/ranking.html",
        {
            "round": round_,
            "ranking": ranking,
            "stage": stage,
            "units": [(u, *u.figures(stage)) for u in ordered],
            "domains": ranking.domains,
            "domain_rows": [(u, [u.domains.get(code) for code, *_r in ranking.domains]) for u in ranking.ordered("final")],
            "chart": charts.ranking_bar_svg(ranking, stage=stage) if ordered else "",
            "status": exports.status_text(ranking),
            "publications": round_.publications.order_by("-number") if reader else [],
            "reader": reader,
            "is_admin": is_home_affairs(request.user),
            "not_final": round_.assessments.exclude(state=Assessment.State.FINALIZED).count() if reader else 0,
            "own_unit_id": request.user.unit_id,
            "pub_query": f"&cong-bo={ranking.publication.number}" if request.GET.get("cong-bo") and ranking.publication else "",
        },
    )


@login_required
def ranking_xlsx(request, pk: int):
    round_ = get_round_for_ranking(request.user, pk)
    ranking = _ranking_for(request, round_)
    suffix = "tam-tinh" if ranking.provisional else f"cong-bo-{ranking.publication.number}"
    return xlsx_response(exports.workbook(ranking), f"chi-so-cchc-{round_.group.code}-{round_.year}-{suffix}.xlsx")


@require_POST
@login_required
def round_publish_view(request, pk: int):
    round_ = get_round_for_ranking(request.user, pk)
    if not is_home_affairs(request.user):
        raise PermissionDenied
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
    path("ky/<int:pk>/cong-bo/", round_publish_view, name="round_publish"),
    path("ky/<int:pk>/don-vi/<str:code>/", unit_result, name="unit_result"),
]
