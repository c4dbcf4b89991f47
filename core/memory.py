"""Long in-memory work (a 100,000-row import, an 800-unit PDF) and Python's cycle collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Work that keeps millions of objects alive at once (WeasyPrint's boxes of a long report, the
    rows of a large import) makes each full run of the cycle collector walk them all and free
    nothing: a quarter to a third of the time. Reference counting still frees memory meanwhile.
    Only the caller that found the collector on turns it back on, so overlapping uses in threads
    end with it on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
