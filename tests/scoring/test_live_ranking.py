"""The provisional ranking is computed at most every RANKING_LIVE_SECONDS and shared (scoring/live_ranking.py):
a save shows in it once the snapshot is older than that, or at once when Home Affairs recomputes it;
the page, the Excel and the PDF come from the same snapshot and say when it was computed; a
published ranking never waits."""

import dataclasses
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from scoring import engine, exports, live_ranking, ranking
from scoring.models import Stage
from scoring.services import LeafEntry, values_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def snapshots(settings):
    settings.RANKING_LIVE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def _score(round_, unit_code: str, points: str) -> None:
    assessment = round_.assessments.get(unit__code=unit_code)
    leaf = round_.criteria_set.criteria.get(code="1.2.2")
    result = values_save(
        assessment=assessment, stage=Stage.SELF, entries=[LeafEntry(leaf, engine.LeafInput(points=Decimal(points)))]
    )
    assert not result.errors


def _stp_total(client, round_) -> str:
    html = client.get(reverse("scoring:ranking", args=[round_.pk])).content.decode()
    row = html.split('id="u-STP"')[1].split("</tr>")[0]
    return row.split('<td class="num">')[3].split("</td>")[0]  # rank, self points, final points


def _later(monkeypatch, seconds: float) -> None:
    """The cache's clock moved on: its entries expire as they would that much later, and entries
    written from now on expire counting from then."""
    now = locmem.time.time() + seconds
    clock = type("Clock", (), {"time": staticmethod(lambda: now)})
    monkeypatch.setattr(locmem, "time", clock)
    monkeypatch.setattr(cache_base, "time", clock)


def test_a_save_shows_once_the_snapshot_is_older_than_the_setting(round_so, login, cast, monkeypatch):
    client = login(cast["admin"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    assert _stp_total(client, round_so) == "1,00"  # the snapshot of the first view, for 30 s
    _later(monkeypatch, 31)
    assert _stp_total(client, round_so) == "1,50"


def test_the_page_says_when_it_was_computed_and_how_often(round_so, login, cast):
    html = login(cast["viewer"]).get(reverse("scoring:ranking", args=[round_so.pk])).content.decode()
    at = timezone.localtime(live_ranking.live(round_so).computed_at)
    assert f"tính lúc {at:%H:%M} ngày {at:%d/%m/%Y}" in html
    assert "tối đa 30 giây một lần" in html
    assert "Tính lại ngay" not in html  # Home Affairs' button


def test_home_affairs_recomputes_at_once(round_so, login, cast):
    client = login(cast["admin"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    assert "Tính lại ngay" in client.get(reverse("scoring:ranking", args=[round_so.pk])).content.decode()
    response = client.post(reverse("scoring:ranking_refresh", args=[round_so.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("scoring:ranking", args=[round_so.pk])
    assert _stp_total(client, round_so) == "1,50"


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("staff_a", 403), ("staff_x", 404), ("appraiser", 403)])
def test_only_home_affairs_may_recompute(round_so, login, cast, who, status):
    _score(round_so, "STP", "1")
    stp = round_so.assessments.get(unit__code="STP").unit_id
    live_ranking.live(round_so)  # the snapshot someone's view made
    _score(round_so, "STP", "1.5")
    assert login(cast[who]).post(reverse("scoring:ranking_refresh", args=[round_so.pk])).status_code == status
    assert live_ranking.live(round_so).for_unit(stp).self_total == Decimal("1")  # not recomputed


def test_recompute_is_a_post(round_so, login, cast):
    assert login(cast["admin"]).get(reverse("scoring:ranking_refresh", args=[round_so.pk])).status_code == 405


def test_the_excel_is_the_pages_snapshot_and_is_written_once_per_snapshot(round_so, login, cast, monkeypatch):
    client = login(cast["admin"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    written = []
    real = exports.workbook
    monkeypatch.setattr(exports, "workbook", lambda r: written.append(r) or real(r))
    url = reverse("scoring:ranking_xlsx", args=[round_so.pk])
    first, second = client.get(url), client.get(url)
    assert first.content == second.content and len(written) == 1
    sheet = load_workbook(io.BytesIO(first.content))["Xếp hạng"]
    stp = next(row for row in sheet.iter_rows(values_only=True) if "STP" in row)
    assert Decimal(str(stp[stp.index("STP") + 2])) == Decimal("1")  # as the page shows, not the newer 2
    client.cookies["django_language"] = "en"
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert len(written) == 2  # each language's headers: a workbook of its own


def test_a_published_ranking_is_shown_at_once(round_so, login, cast):
    client = login(cast["admin"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    ranking.round_publish(round_=round_so)
    assert _stp_total(client, round_so) == "1,50"
    html = client.get(reverse("scoring:ranking", args=[round_so.pk])).content.decode()
    assert "Tính lại ngay" not in html and "giây một lần" not in html


def test_a_snapshot_saves_the_computation_on_every_later_view(round_so, login, cast, page_queries):
    client = login(cast["viewer"])
    url = reverse("scoring:ranking", args=[round_so.pk])
    computed = len(page_queries(client, url))
    assert len(page_queries(client, url)) == computed - 3  # the criteria set, the leaf figures and the units are not read again


def test_setting_zero_computes_every_view(round_so, login, cast, settings):
    settings.RANKING_LIVE_SECONDS = 0
    client = login(cast["admin"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    assert _stp_total(client, round_so) == "1,50"


def test_a_snapshot_computed_by_another_app_server_replaces_this_ones_copy(round_so, monkeypatch):
    stp = round_so.assessments.get(unit__code="STP").unit_id
    _score(round_so, "STP", "1")
    live_ranking.live(round_so)
    assert live_ranking.live(round_so).for_unit(stp).self_total == Decimal("1")  # this process's copy
    _score(round_so, "STP", "1.5")
    # Another server finds the snapshot gone and writes a new one to the shared cache.
    cache.delete(f"ranking-live:{round_so.pk}:stamp")
    newer = dataclasses.replace(ranking.compute(round_so), round=None, stamp="other")
    cache.set_many({f"ranking-live:{round_so.pk}:stamp": "other", f"ranking-live:{round_so.pk}:leaves": newer}, 150)
    cache.set(f"ranking-live:{round_so.pk}:fresh", "other", 30)
    computed = _counting_computations(monkeypatch)
    assert live_ranking.live(round_so).for_unit(stp).self_total == Decimal("1.50")
    assert computed == []  # read, not computed again


def _counting_computations(monkeypatch) -> list:
    computed = []
    real = live_ranking.compute
    monkeypatch.setattr(live_ranking, "compute", lambda r: computed.append(r) or real(r))
    return computed


def test_a_due_snapshot_is_shown_while_another_request_computes_the_next(round_so, login, cast, monkeypatch):
    """Fifty readers arriving when the snapshot is due start one computation, not fifty: the others,
    on any app server, are shown the previous snapshot until the next one is there."""
    client = login(cast["viewer"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    _later(monkeypatch, 31)
    computed = _counting_computations(monkeypatch)
    assert cache.add(f"ranking-live:{round_so.pk}:turn", 1, 120)  # another server is computing
    assert _stp_total(client, round_so) == "1,00"
    assert _stp_total(client, round_so) == "1,00"
    assert computed == []
    assert cache.get(f"ranking-live:{round_so.pk}:turn") == 1  # still the other server's
    cache.delete(f"ranking-live:{round_so.pk}:turn")  # it failed or went away: the next view computes
    assert _stp_total(client, round_so) == "1,50"
    assert len(computed) == 1
    assert _stp_total(client, round_so) == "1,50"
    assert len(computed) == 1  # fresh again
    assert cache.get(f"ranking-live:{round_so.pk}:turn") is None  # released


def test_past_the_grace_period_a_request_computes_whatever_the_lock(round_so, login, cast, monkeypatch):
    monkeypatch.setattr(live_ranking, "WAIT_SECONDS", 0.2)
    client = login(cast["viewer"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    assert cache.add(f"ranking-live:{round_so.pk}:turn", 1, 3600)  # a computation that never ends
    _later(monkeypatch, 30 + live_ranking.GRACE_SECONDS + 1)
    assert _stp_total(client, round_so) == "1,50"  # waited for it, then computed its own
    assert cache.get(f"ranking-live:{round_so.pk}:turn") == 1  # not this request's to give back


def _another_server_finishes_after(monkeypatch, round_, *, polls: int) -> list:
    """The waiting request's sleeps (recorded, not slept); the snapshot another server was computing
    is written during the `polls`-th."""
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == polls:
            live_ranking.refresh(round_)

    monkeypatch.setattr(live_ranking.time, "sleep", sleep)
    return sleeps


def test_with_no_snapshot_yet_a_request_waits_for_the_one_being_computed(round_so, monkeypatch):
    stp = round_so.assessments.get(unit__code="STP").unit_id
    _score(round_so, "STP", "1")
    assert cache.add(f"ranking-live:{round_so.pk}:turn", 1, 120)  # another server computes the first one
    computed = _counting_computations(monkeypatch)
    sleeps = _another_server_finishes_after(monkeypatch, round_so, polls=3)
    assert live_ranking.live(round_so).for_unit(stp).self_total == Decimal("1")
    assert len(computed) == 1 and len(sleeps) == 3  # the other server's computation only


def test_the_excel_of_a_due_snapshot_is_served_while_another_request_computes(round_so, login, cast, monkeypatch):
    client = login(cast["viewer"])
    url = reverse("scoring:ranking_xlsx", args=[round_so.pk])
    assert client.get(url).status_code == 200
    _later(monkeypatch, 31)
    computed = _counting_computations(monkeypatch)
    assert cache.add(f"ranking-live:{round_so.pk}:turn", 1, 120)
    assert client.get(url).status_code == 200
    assert computed == []


def test_a_computation_begun_before_home_affairs_recomputed_does_not_replace_its_result(round_so, monkeypatch):
    stp = round_so.assessments.get(unit__code="STP").unit_id
    _score(round_so, "STP", "1")
    live_ranking.live(round_so)
    _later(monkeypatch, 31)
    real = live_ranking.compute
    calls = []

    def slow(round_):
        calls.append(round_)
        figures = real(round_)
        if len(calls) == 1:  # while this request computes, a save and “Tính lại ngay”
            _score(round_so, "STP", "1.5")
            live_ranking.refresh(round_so)
        return figures

    monkeypatch.setattr(live_ranking, "compute", slow)
    own = live_ranking.live(round_so)
    assert own.for_unit(stp).self_total == Decimal("1") and own.stamp == ""  # its own, not shared
    assert live_ranking.live(round_so).for_unit(stp).self_total == Decimal("1.50")
    assert len(calls) == 2


def test_a_computation_that_outlasted_its_turn_leaves_the_next_holders_turn_alone(round_so, monkeypatch):
    live_ranking.live(round_so)
    _later(monkeypatch, 31)
    real = live_ranking.compute

    def slow(round_):
        # Longer than GRACE_SECONDS: the turn expired and another server took it.
        cache.set(f"ranking-live:{round_so.pk}:turn", "other", 120)
        return real(round_)

    monkeypatch.setattr(live_ranking, "compute", slow)
    live_ranking.live(round_so)
    assert cache.get(f"ranking-live:{round_so.pk}:turn") == "other"


def test_a_snapshot_that_expired_while_the_next_was_computed_is_replaced(round_so, monkeypatch):
    live_ranking.live(round_so)
    _later(monkeypatch, 31)
    real = live_ranking.compute

    def slow(round_):
        cache.delete(f"ranking-live:{round_so.pk}:stamp")  # expired (or evicted) meanwhile
        return real(round_)

    monkeypatch.setattr(live_ranking, "compute", slow)
    computed = live_ranking.live(round_so)
    assert computed.stamp and cache.get(f"ranking-live:{round_so.pk}:stamp") == computed.stamp


def test_a_wait_that_times_out_shares_what_it_computes(round_so, monkeypatch):
    """The request computing the snapshot died with its turn held: the next one computes and shares
    it, so the requests after it need not wait again."""
    monkeypatch.setattr(live_ranking, "WAIT_SECONDS", 0.01)
    assert cache.add(f"ranking-live:{round_so.pk}:turn", "dead", 120)
    computed = _counting_computations(monkeypatch)
    first = live_ranking.live(round_so)
    assert first.stamp and cache.get(f"ranking-live:{round_so.pk}:stamp") == first.stamp
    assert live_ranking.live(round_so).stamp == first.stamp and len(computed) == 1


def test_a_large_groups_figures_are_not_waited_for(round_so, monkeypatch):
    """With no snapshot yet and its computation under way elsewhere, a caller that needs per-criterion
    figures stops waiting once the snapshot shows it keeps none, and computes its own."""
    monkeypatch.setattr(live_ranking, "LEAVES_KEPT", 0)
    assert cache.add(f"ranking-live:{round_so.pk}:turn", 1, 120)
    sleeps = _another_server_finishes_after(monkeypatch, round_so, polls=1)
    assert any(unit.leaves for unit in live_ranking.live(round_so).units)  # computed for this caller
    assert len(sleeps) == 1


def test_a_failed_computation_gives_the_turn_back(round_so, monkeypatch):
    live_ranking.live(round_so)
    _later(monkeypatch, 31)
    turns = []

    def broken(_round):
        turns.append(cache.get(f"ranking-live:{round_so.pk}:turn"))
        raise RuntimeError("database went away")

    monkeypatch.setattr(live_ranking, "compute", broken)
    with pytest.raises(RuntimeError):
        live_ranking.live(round_so)
    assert turns[0] is not None  # it was this request's turn
    assert cache.get(f"ranking-live:{round_so.pk}:turn") is None


def test_a_small_groups_figures_evicted_from_the_cache_are_computed_and_shared_again(round_so, monkeypatch):
    live_ranking.live(round_so)
    cache.delete(f"ranking-live:{round_so.pk}:leaves")  # Redis evicted one key of the snapshot
    live_ranking._unpickled.clear()
    computed = _counting_computations(monkeypatch)
    first = live_ranking.live(round_so)
    assert len(computed) == 1 and first.stamp
    assert live_ranking.live(round_so).stamp == first.stamp and len(computed) == 1


def test_a_group_too_large_to_keep_its_figures_leaves_the_pages_snapshot_alone(round_so, login, cast, monkeypatch):
    monkeypatch.setattr(live_ranking, "LEAVES_KEPT", 0)  # as a group of 800 units × 120 criteria
    client = login(cast["admin"])
    _score(round_so, "STP", "1")
    assert _stp_total(client, round_so) == "1,00"
    _score(round_so, "STP", "1.5")
    result = client.get(reverse("scoring:unit_result", args=[round_so.pk, "STP"])).content.decode()
    assert "Tự chấm <strong>1,5</strong>" in result  # the per-criterion page computes its figures for itself
    written = []
    real = exports.workbook
    monkeypatch.setattr(exports, "workbook", lambda r: written.append(r) or real(r))
    for _ in range(2):
        assert client.get(reverse("scoring:ranking_xlsx", args=[round_so.pk])).status_code == 200
    assert len(written) == 2  # no snapshot behind it: not kept
    assert _stp_total(client, round_so) == "1,00"  # the page's snapshot did not move


def test_a_unit_added_since_the_snapshot_has_its_result_page(round_so, login, cast, groups):
    from accounts.models import Unit
    from scoring.services import round_add_units

    client = login(cast["viewer"])
    assert client.get(reverse("scoring:ranking", args=[round_so.pk])).status_code == 200
    Unit.objects.create(code="SXD", name="Sở Xây dựng", group=groups["SO"])
    round_add_units(round_=round_so)
    assert client.get(reverse("scoring:unit_result", args=[round_so.pk, "SXD"])).status_code == 200


@pytest.mark.parametrize(("who", "status"), [("staff_a", 403), ("staff_x", 404)])
@pytest.mark.parametrize("name", ["scoring:ranking", "scoring:ranking_xlsx", "scoring:ranking_pdf"])
def test_a_kept_snapshot_reaches_no_one_who_may_not_see_it(round_so, login, cast, who, status, name):
    reader = login(cast["admin"])
    for url in ("scoring:ranking", "scoring:ranking_xlsx"):
        assert reader.get(reverse(url, args=[round_so.pk])).status_code == 200  # snapshot and workbook kept
    assert login(cast[who]).get(reverse(name, args=[round_so.pk])).status_code == status


def test_the_snapshot_needs_redis_by_default():
    from tests.test_production import _settings_seen

    code = "from django.conf import settings; print(settings.RANKING_LIVE_SECONDS)"
    assert _settings_seen(code, REDIS_URL=None, RANKING_LIVE_SECONDS=None).strip() == "0"
    assert _settings_seen(code, REDIS_URL="redis://127.0.0.1:6379/3", RANKING_LIVE_SECONDS=None).strip() == "30"
    assert _settings_seen(code, REDIS_URL=None, RANKING_LIVE_SECONDS="15").strip() == "15"
