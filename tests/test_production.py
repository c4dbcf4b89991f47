"""Production plumbing: the health endpoint, request ids in responses and logs, stateless settings."""

import json
import logging

import pytest
from django.db import connection
from django.test import override_settings

from core import health
from core.request_id import HEADER, RequestIdFilter, request_id_get


@pytest.mark.django_db
def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "db": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_names_the_failing_part(client, monkeypatch):
    def broken():
        raise ConnectionError("cache down")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "db": "ok", "cache": "error"}
    assert "cache down" not in response.content.decode()  # details go to the log only


@pytest.mark.django_db
def test_healthz_reports_a_database_that_cannot_answer(client, monkeypatch):
    def broken():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_healthz")

    monkeypatch.setitem(health.CHECKS, "db", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["db"] == "error"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_is_not_redirected_to_https(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/dang-nhap/").status_code == 301


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def request_log():
    handler = _Records()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_sane_request_id_is_kept_and_on_every_log_line(client, request_log):
    response = client.get("/khong-co-trang-nay/", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response.status_code == 404
    assert response[HEADER] == "lb-7f3a.42"
    assert request_log and all(r.request_id == "lb-7f3a.42" for r in request_log)
    formatted = logging.Formatter("[%(request_id)s] %(message)s").format(request_log[0])
    assert formatted.startswith("[lb-7f3a.42] Not Found")
    assert request_id_get() == "-"  # nothing leaks past the request


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client, request_log):
    response = client.get("/khong-co-trang-nay/", HTTP_X_REQUEST_ID="x\nFAKE log line")
    generated = response[HEADER]
    assert generated != "x\nFAKE log line" and len(generated) == 32 and generated.isalnum()
    assert all(r.request_id == generated for r in request_log)
    other = client.get("/healthz")[HEADER]
    assert other != generated


def test_settings_keep_app_servers_stateless(settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.MIDDLEWARE[0] == "core.request_id.RequestIdMiddleware"
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["request_id"]


def _settings_seen(code: str, **environ: str | None) -> str:
    """What `code` prints in a fresh process whose settings read `environ` (None: unset)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name, value in environ.items():
        env.pop(name, None)
        if value is not None:
            env[name] = value
    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=root, env=env,
                          capture_output=True, text=True, check=True).stdout


def test_redis_url_selects_the_redis_cache():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.CELERY_TASK_ALWAYS_EAGER, settings.SESSION_ENGINE)"
    out = _settings_seen(code, REDIS_URL="redis://127.0.0.1:6379/3", CELERY_BROKER_URL="redis://127.0.0.1:6379/4")
    # Sessions stay in the database, not behind Redis: a Redis outage must not log everybody out.
    assert out.split() == ["django.core.cache.backends.redis.RedisCache", "False", "django.contrib.sessions.backends.db"]


@pytest.mark.parametrize(
    ("switch", "expected"),
    [(None, "True 5"), ("1", "True 5"), ("0", "None None")],
)
def test_postgresql_queries_are_prepared_unless_switched_off(switch, expected):
    """On PostgreSQL the server binds parameters and keeps queries prepared; DB_PREPARED_STATEMENTS=0
    (a pooler in transaction mode) leaves both to Django's defaults."""
    code = (
        "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS'];"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    out = _settings_seen(code, DATABASE_URL="postgres://u@127.0.0.1:5432/x", DB_PREPARED_STATEMENTS=switch)
    assert out.strip() == expected


@pytest.mark.django_db
def test_the_signed_in_users_unit_comes_with_the_user(client, django_assert_num_queries):
    """Every page's header names the user's unit: it is read with the user, not by a query of its own."""
    from django.contrib.auth import get_user
    from django.test import RequestFactory

    from accounts.models import Unit, UnitGroup, User

    group = UnitGroup.objects.create(code="G", name="Nhóm")
    unit = Unit.objects.create(code="U1", name="Sở Thử nghiệm", group=group)
    user = User.objects.create_user("canbo.thu", password="x", unit=unit)
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    loaded = get_user(request)  # as AuthenticationMiddleware loads request.user
    with django_assert_num_queries(0):
        assert loaded.unit.name == "Sở Thử nghiệm"


@pytest.mark.django_db
def test_sessions_signed_in_before_the_unit_backend_stay_signed_in(client):
    """The migration that introduced accounts.backends rewrites the backend path of live sessions:
    nobody is signed out by the upgrade (and loses what they were typing)."""
    import importlib

    from django.apps import apps
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from accounts.models import User

    migration = importlib.import_module("accounts.migrations.0002_sessions_signed_in_with_unit_backend")
    user = User.objects.create_user("canbo.cu", password="x")
    client.force_login(user)
    store = SessionStore(session_key=client.session.session_key)
    store[migration.BACKEND_KEY] = migration.OLD  # as a session signed in before the change
    store.save()

    def signed_in() -> bool:
        request = RequestFactory().get("/")
        request.session = SessionStore(session_key=store.session_key)
        return get_user(request).is_authenticated

    assert not signed_in()  # what Django would do with the old path
    migration.forwards(apps, None)
    assert signed_in()
