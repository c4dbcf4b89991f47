"""Production settings from the environment pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_check_deploy_is_clean_with_production_variables():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x7!kq2P9_vL0mZ3rT8wY5nB6cD1fG4hJ-longer-than-fifty-characters-0987",
        "ALLOWED_HOSTS": "cchc.example.gov.vn",
        "HTTPS": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' process, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_defaults_are_vietnamese_and_ho_chi_minh_time(settings):
    assert settings.LANGUAGE_CODE == "vi" and settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    import datetime as dt
    from decimal import Decimal

    from django.utils import formats, translation

    for lang in ("vi", "en"):
        with translation.override(lang):
            assert formats.date_format(dt.date(2026, 3, 5), "SHORT_DATE_FORMAT") == "05/03/2026"
            assert formats.number_format(Decimal("1.75"), 2) == "1,75"
