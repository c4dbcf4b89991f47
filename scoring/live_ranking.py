"""The ranking the pages show: the published snapshot, else the provisional ranking as computed at
most settings.RANKING_LIVE_SECONDS ago (or, while the next is being computed, the one before),
shared by every app server through the cache.

Why a provisional ranking is not recomputed for every view: it sums every stored leaf of every unit
of the group (800 units × 120 leaves on a province's largest group), and while a round is open the
units save all day, so a ranking that is exact to the second would be a different one for nearly
every view — the cache could never be used. Readers of a provisional ranking do not need it to the
second; they need to know how old it is: the page, the Excel and the PDF say when it was computed,
all three come from the same computation, and Home Affairs can ask for it to be computed again at
once. A published ranking is frozen in the database and is always read from there.

When the snapshot is due again, one request computes the next one while every other request, on
every app server, goes on showing the previous snapshot (a turn taken in the cache); with no
snapshot at all, they wait for the one being computed. A national group's computation takes
seconds, and fifty readers arriving together must not start fifty of them.
"""

from __future__ import annotations

import dataclasses
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from . import exports
from .models import Round
from .ranking import KEPT_UNITS, Kept, Ranking, compute, current

# A snapshot with every unit's per-criterion figures is kept only up to this many figures (a
# group of 300 units × 150 criteria); larger groups' exports are background jobs (JOB_UNITS_THRESHOLD),
# which compute afresh, and their pages keep only the totals and domains (a few MB at 10,000 units).
LEAVES_KEPT = 45_000
# A snapshot that is due is still shown for this long while one request computes the next (a lock
# held at most as long); past it, a request finding no snapshot computes one itself. Far longer than a
# computation (a few seconds for a national group of 10,000 units).
GRACE_SECONDS = 120
# With no snapshot at all (the first view, or none for GRACE_SECONDS), the requests that arrive while
# one computes it wait this long for it, looking every WAIT_STEP, before computing it themselves.
WAIT_SECONDS = 10.0
WAIT_STEP = 0.05


def _key(round_: Round, part: str) -> str:
    return f"ranking-live:{round_.pk}:{part}"


# The snapshots this process has already unpickled, by (round, part). Unpickling a province's
# summary (thousands of Decimals) took longer than the rest of the ranking page; the stamp in the
# shared cache says whether this copy is still the current snapshot, so every app server still
# shows the same one.
_unpickled = Kept(KEPT_UNITS)


def _summary(ranking: Ranking) -> Ranking:
    """The same ranking without the per-criterion figures (the ranking page and the PDF show none)."""
    units = [dataclasses.replace(u, leaves={}) for u in ranking.units]
    return dataclasses.replace(ranking, units=units)


def _kept(round_: Round, part: str) -> tuple[Ranking | None, str | None, bool]:
    """The current shared snapshot's `part` ("summary" or "leaves") or None, its stamp (None: no
    snapshot), and whether it is due (older than RANKING_LIVE_SECONDS)."""
    found = cache.get_many([_key(round_, "stamp"), _key(round_, "fresh")])
    stamp = found.get(_key(round_, "stamp"))
    if stamp is None:
        return None, None, True
    return _unpickled_part(round_, part, stamp), stamp, found.get(_key(round_, "fresh")) != stamp


def _unpickled_part(round_: Round, part: str, stamp: str) -> Ranking | None:
    known = _unpickled.get((round_.pk, part))
    if known is not None and known.stamp == stamp:
        return known
    # Fixed keys, the stamp inside: an expired snapshot is overwritten, never left behind.
    ranking = cache.get(_key(round_, part))
    if ranking is None or ranking.stamp != stamp:
        return None
    _unpickled.put((round_.pk, part), ranking, len(ranking.units))
    return ranking


def _keeps_leaves(ranking: Ranking) -> bool:
    return len(ranking.units) * len(ranking.leaves) <= LEAVES_KEPT


def live(round_: Round, *, with_leaves: bool = True) -> Ranking:
    """The provisional ranking of `round_`: computed at most RANKING_LIVE_SECONDS ago, or, while one
    request computes the next one, the previous snapshot (its `computed_at` says when). With
    RANKING_LIVE_SECONDS = 0 it is computed for every call.
    The ranking returned may be shared with other requests of the process: read it, never change it."""
    seconds = settings.RANKING_LIVE_SECONDS
    if seconds <= 0:
        return compute(round_)
    part = "leaves" if with_leaves else "summary"
    ranking, stamp, due = _kept(round_, part)
    if ranking is not None and not due:
        return dataclasses.replace(ranking, round=round_)
    if ranking is None and with_leaves:
        summary = _kept(round_, "summary")[0]
        if summary is not None and not _keeps_leaves(summary):
            # A group above LEAVES_KEPT: its snapshot has no per-criterion figures. Computed for this
            # caller alone, leaving the snapshot the ranking page shows as it is.
            return compute(round_)
    turn = _take_turn(round_)
    if turn is None:  # another request is computing the next snapshot
        if ranking is None:  # nothing to show meanwhile: wait for it rather than compute it again
            ranking = _wait_for(round_, part)
        if ranking is not None:
            return dataclasses.replace(ranking, round=round_)
        # It did not come (the request computing it failed or died, its turn not yet expired), or
        # it holds no per-criterion figures (a large group): computed here, and shared if there is
        # still no snapshot at all.
        return _store(round_, compute(round_), with_leaves=with_leaves)
    try:
        return _store(round_, compute(round_), with_leaves=with_leaves, replacing=stamp)
    finally:
        _give_turn_back(round_, turn)


def _store(
    round_: Round, ranking: Ranking, *, with_leaves: bool, replacing: str | None = None, force: bool = False
) -> Ranking:
    """Share `ranking` as the snapshot, unless another snapshot than the one `replacing` names (its
    stamp; None: none) is there now: Home Affairs' “Tính lại ngay” wrote a newer one while this was
    computed. No snapshot at all (expired or evicted meanwhile) is replaced; `force` writes in any
    case. Returns the ranking (its summary if not `with_leaves`)."""
    seconds = settings.RANKING_LIVE_SECONDS
    stamp = uuid.uuid4().hex
    # Stored without the round (a model instance, slow to unpickle): the caller's goes back in.
    summary = dataclasses.replace(_summary(ranking), round=None, stamp=stamp)
    if force or cache.get(_key(round_, "stamp")) in (replacing, None):
        kept = {_key(round_, "summary"): summary, _key(round_, "stamp"): stamp}
        if _keeps_leaves(ranking):
            kept[_key(round_, "leaves")] = dataclasses.replace(ranking, round=None, stamp=stamp)
        cache.set_many(kept, seconds + GRACE_SECONDS)
        # Written last: until it is there, the new snapshot is not taken for a fresh one.
        cache.set(_key(round_, "fresh"), stamp, seconds)
    else:
        stamp = ""  # this caller's own figures, not the shared snapshot
        summary = dataclasses.replace(summary, stamp=stamp)
    return dataclasses.replace(ranking, stamp=stamp) if with_leaves else dataclasses.replace(summary, round=round_)


def _take_turn(round_: Round) -> str | None:
    """A token for the one request (of every app server) that computes the next snapshot, else None."""
    token = uuid.uuid4().hex
    return token if cache.add(_key(round_, "turn"), token, GRACE_SECONDS) else None


def _give_turn_back(round_: Round, token: str) -> None:
    # Only this request's own turn: one that outlasted GRACE_SECONDS may have passed to another.
    if cache.get(_key(round_, "turn")) == token:
        cache.delete(_key(round_, "turn"))


def _wait_for(round_: Round, part: str) -> Ranking | None:
    """The snapshot another request is computing, once it is there; None after WAIT_SECONDS, or as
    soon as a snapshot without per-criterion figures (a large group) shows they will not come."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        ranking, stamp, _due = _kept(round_, part)
        if ranking is not None:
            return ranking
        if stamp is not None and part == "leaves":
            summary = _kept(round_, "summary")[0]
            if summary is not None and not _keeps_leaves(summary):
                return None
    return None


def refresh(round_: Round) -> Ranking:
    """Home Affairs' “Tính lại ngay”: the provisional ranking computed now and shared at once, whatever
    is being computed meanwhile (a computation that started earlier will not replace it)."""
    return _store(round_, compute(round_), with_leaves=False, force=True)


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
    cache.set(key, (ranking.stamp, content), settings.RANKING_LIVE_SECONDS + GRACE_SECONDS)
    return content
