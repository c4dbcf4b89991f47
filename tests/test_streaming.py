"""core.streaming.stream_rows: the rows of a query read as they come (a ranking's leaf values), on
SQLite and on PostgreSQL (CI runs both)."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import Unit, UnitGroup
from core.streaming import stream_rows

SQL = "SELECT code, name FROM accounts_unit WHERE code LIKE %(prefix)s ORDER BY code"


@pytest.fixture
def units(db):
    group = UnitGroup.objects.create(code="ST", name="Nhóm thử")
    Unit.objects.bulk_create(Unit(code=f"ST{i:02}", name=f"Đơn vị {i}", group=group) for i in range(10))


def test_every_row_arrives_in_order_across_chunks(units):
    rows = list(stream_rows(SQL, {"prefix": "ST%"}, chunk=3))
    assert rows == [(f"ST{i:02}", f"Đơn vị {i}") for i in range(10)]
    assert list(stream_rows(SQL, {"prefix": "KHONG%"})) == []


def test_the_query_is_counted_like_any_other(units, django_assert_num_queries):
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with django_assert_num_queries(1) as captured, connection.execute_wrapper(wrapper):
        assert len(list(stream_rows(SQL, {"prefix": "ST%"}, chunk=4))) == 10
    assert seen == [SQL]
    assert "'ST%'" in captured.captured_queries[0]["sql"]  # logged with its parameters


def test_stopping_early_leaves_the_connection_usable(units):
    rows = stream_rows(SQL, {"prefix": "ST%"}, chunk=2)
    assert next(rows) == ("ST00", "Đơn vị 0")
    rows.close()
    assert Unit.objects.filter(code__startswith="ST").count() == 10


def test_a_bad_query_raises_djangos_error(units):
    with pytest.raises(DatabaseError), transaction.atomic():
        list(stream_rows("SELECT no_such_column FROM accounts_unit", {}))
    assert Unit.objects.filter(code__startswith="ST").count() == 10
