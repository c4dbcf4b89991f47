"""The gunicorn settings file (gunicorn.conf.py) tunes the collector in each worker once the app is loaded."""

import gc
import runpy
from pathlib import Path


def test_workers_freeze_the_loaded_app_and_collect_less_often():
    settings = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    before = gc.get_threshold()
    try:
        settings["post_worker_init"](None)
        assert gc.get_threshold() == (50_000, 20, 100)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
