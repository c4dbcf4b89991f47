"""The ranking the pages show: the published snapshot, else the provisional ranking as computed at
most settings.RANKING_LIVE_SECONDS ago, shared by every app server through the cache.

Why a provisional ranking is not recomputed for every view: it sums every stored leaf of every unit
of the group (800 units × 120 leaves on a province's largest group), and while a round is open the
units save all day, so a ranking that is exact to the second would be a different one for nearly
every view — the cache could never be used. Readers of a provisional ranking do not need it to the
second; they need to know how old it is: the page, the Excel and the PDF say when it was computed,
all three come from the same computation, and Home Affairs can ask for it to be computed again at
once. A published ranking is frozen in the database and is always read from there.

When the snapshot is due again, one request computes the next one while every other request, on
every app server, goes on showing the previous snapshot (a lock in the cache): a national group's
computation takes seconds, and fifty readers arriving together must not start fifty of them.
"""

from __future__ import annotations

import dataclasses
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from . import exports
from .models import Round
from .ranking import Ranking, compute, current

# A snapshot with every unit's per-criterion figures is kept only up to this many figures (a
# group of 300 units × 150 criteria); larger groups' exports are background jobs (JOB_UNITS_THRESHOLD),
# which compute afresh, and their pages keep only the totals and domains (a few MB at 10,000 units).
LEAVES_KEPT = 45_000
# A snapshot that is due is still shown for this long while one request computes the next (a lock
# held at most as long); past it, a request finding no snapshot computes one itself. Far longer than a
# computation (a few seconds for a national group of 10,000 units).
GRACE_SECONDS = 120


def _key(round_: Round, part: str) -> str:
    return f"ranking-live:{round_.pk}:{part}"


# The snapshots this process has already unpickled, by (round, part). Unpickling a province's
# summary (thousands of Decimals) took longer than the rest of the ranking page; the stamp in the
# shared cache says whether this copy is still the current snapshot, so every app server still
# shows the same one.
_unpickled: dict[tuple[int, str], Ranking] = {}


def _summary(ranking: Ranking) -> Ranking:
    """The same ranking without the per-criterion figures (the ranking page and the PDF show none)."""
    units = [dataclasses.replace(u, leaves={}) for u in ranking.units]
    return dataclasses.replace(ranking, units=units)


def _kept(round_: Round, part: str) -> tuple[Ranking | None, bool]:
    """The current shared snapshot's `part` ("summary" or "leaves") or None, and whether it is due
    (older than RANKING_LIVE_SECONDS)."""
    found = cache.get_many([_key(round_, "stamp"), _key(round_, "fresh")])
    stamp = found.get(_key(round_, "stamp"))
    if stamp is None:
        return None, True
    return _unpickled_part(round_, part, stamp), found.get(_key(round_, "fresh")) != stamp


def _unpickled_part(round_: Round, part: str, stamp: str) -> Ranking | None:
    known = _unpickled.get((round_.pk, part))
    if known is not None and known.stamp == stamp:
        return known
    # Fixed keys, the stamp inside: an expired snapshot is overwritten, never left behind.
    ranking = cache.get(_key(round_, part))
    if ranking is None or ranking.stamp != stamp:
        return None
    if len(_unpickled) >= 32:  # a few rounds are read at a time; never an unbounded dict
        _unpickled.clear()
    _unpickled[(round_.pk, part)] = ranking
    return ranking


def live(round_: Round, *, with_leaves: bool = True) -> Ranking:
    """The provisional ranking of `round_`, computed at most RANKING_LIVE_SECONDS ago (its
    `computed_at` says when). With RANKING_LIVE_SECONDS = 0 it is computed for every call.
    The ranking returned may be shared with other requests of the process: read it, never change it."""
    seconds = settings.RANKING_LIVE_SECONDS
    if seconds <= 0:
        return compute(round_)
    part = "leaves" if with_leaves else "summary"
    ranking, due = _kept(round_, part)
    if ranking is not None and (not due or not _take_turn(round_)):
        # Fresh, or due while another request computes the next one: this one, as it was computed.
        return dataclasses.replace(ranking, round=round_)
    if ranking is None and with_leaves and _kept(round_, "summary")[0] is not None:
        # The snapshot keeps no per-criterion figures (a group above LEAVES_KEPT): computed for this
        # caller alone, leaving the snapshot the ranking page shows as it is.
        return compute(round_)
    took_turn = ranking is not None  # with no snapshot at all, every request computes one (none to show)
    try:
        ranking = compute(round_)
        stamp = uuid.uuid4().hex
        # Stored without the round (a model instance, slow to unpickle): the caller's goes back in.
        summary = dataclasses.replace(_summary(ranking), round=None, stamp=stamp)
        kept = {_key(round_, "summary"): summary, _key(round_, "stamp"): stamp}
        if len(ranking.units) * len(ranking.leaves) <= LEAVES_KEPT:
            kept[_key(round_, "leaves")] = dataclasses.replace(ranking, round=None, stamp=stamp)
        cache.set_many(kept, seconds + GRACE_SECONDS)
        # Written last: until it is there, the new snapshot is not taken for a fresh one.
        cache.set(_key(round_, "fresh"), stamp, seconds)
    finally:
        if took_turn:
            cache.delete(_key(round_, "turn"))
    return dataclasses.replace(ranking, stamp=stamp) if with_leaves else dataclasses.replace(summary, round=round_)


def _take_turn(round_: Round) -> bool:
    """True for the one request (of every app server) that computes the next snapshot."""
    return cache.add(_key(round_, "turn"), 1, GRACE_SECONDS)


def forget(round_: Round) -> None:
    """Compute the provisional ranking afresh on its next view (Home Affairs' “Tính lại ngay”)."""
    cache.delete_many([_key(round_, "stamp"), _key(round_, "fresh")])


def shown(round_: Round, *, publication_number: int | None = None, with_leaves: bool = True) -> Ranking:
    """What the ranking pages and exports show: the publication asked for, else the latest one, else
    the provisional ranking from live()."""
    return current(round_, publication_number=publication_number, with_leaves=with_leaves, provisional=live)


def workbook(ranking: Ranking) -> bytes:
    """exports.workbook(ranking), kept as long as the shared snapshot it was written from: the
    ranking's most expensive request (the whole matrix of figures) is then written once per snapshot
    and language instead of once per download."""
    if not ranking.provisional or not ranking.stamp or settings.RANKING_LIVE_SECONDS <= 0:
        return exports.workbook(ranking)
    key = _key(ranking.round, f"xlsx:{get_language()}")
    kept = cache.get(key)
    if kept is not None and kept[0] == ranking.stamp:
        return kept[1]
    content = exports.workbook(ranking)
    cache.set(key, (ranking.stamp, content), settings.RANKING_LIVE_SECONDS)
    return content
