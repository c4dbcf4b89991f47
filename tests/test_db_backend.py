"""core.postgresql: a kept connection is checked (`SELECT 1`) only after it sat idle, and a dead one
is then replaced; one used a moment ago goes straight to the request's queries."""

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]


def _new_request() -> None:
    connection.health_check_done = False  # what Django does when a request starts


def _query() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


def test_the_backend_is_in_use():
    assert type(connections["default"]).__module__ == "core.postgresql.base" and connection.health_check_enabled


def test_a_connection_used_a_moment_ago_is_not_checked(monkeypatch):
    _query()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    _new_request()
    assert _query() == 1
    assert checks == []


def test_an_idle_connection_is_checked_and_a_dead_one_replaced(monkeypatch):
    _query()
    connection.used_at -= 2  # idle for two seconds
    _new_request()
    connection.connection.close()  # meanwhile the database server restarted
    assert _query() == 1  # checked, found dead, reconnected: the request does not fail
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    connection.used_at -= 2
    _new_request()
    _query()
    assert checks == [1]
