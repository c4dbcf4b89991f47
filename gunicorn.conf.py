"""gunicorn's settings for this app, read from the working directory by `gunicorn config.wsgi`
(README, production; loadtest/run.sh). Workers, bind address and the rest come from the command
line or the environment as usual (WEB_CONCURRENCY, GUNICORN_CMD_ARGS)."""

import gc


def post_worker_init(worker) -> None:
    """Once a worker has loaded the app: freeze what is loaded (gc.freeze: the collector no longer
    scans the app's own hundreds of thousands of long-lived objects) and collect the youngest
    generation less often. A page makes tens of thousands of short-lived objects; with Python's
    defaults the collector ran about twice per self-assessment page, 2.4 ms of its 20 ms; after,
    0.45 ms (measured in loadtest/RESULTS.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
