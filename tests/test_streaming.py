"""core.streaming.stream_rows: the rows of a query read as they come (a ranking's leaf values), on
SQLite and on PostgreSQL (CI runs both)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError

from accounts.models import Unit, UnitGroup
from core.streaming import stream_rows

SQL = "SELECT code, name FROM accounts_unit WHERE code LIKE %(prefix)s ORDER BY code"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's streamed rows")


@pytest.fixture
def units(db):
    group = UnitGroup.objects.create(code="ST", name="Nhóm thử")
    Unit.objects.bulk_create(Unit(code=f"ST{i:02}", name=f"Đơn vị {i}", group=group) for i in range(10))


def test_every_row_arrives_in_order_across_chunks(units):
    with stream_rows(SQL, {"prefix": "ST%"}, chunk=3) as rows:
        assert list(rows) == [(f"ST{i:02}", f"Đơn vị {i}") for i in range(10)]
    with stream_rows(SQL, {"prefix": "KHONG%"}) as rows:
        assert list(rows) == []


def test_the_query_is_counted_like_any_other(units, django_assert_num_queries):
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with django_assert_num_queries(1) as captured, connection.execute_wrapper(wrapper):
        with stream_rows(SQL, {"prefix": "ST%"}, chunk=4) as rows:
            assert len(list(rows)) == 10
    assert seen == [SQL]
    assert "'ST%'" in captured.captured_queries[0]["sql"]  # logged with its parameters


def test_leaving_early_leaves_the_connection_usable(units):
    with stream_rows(SQL, {"prefix": "ST%"}, chunk=2) as rows:
        assert next(rows) == ("ST00", "Đơn vị 0")
    assert Unit.objects.filter(code__startswith="ST").count() == 10

    with pytest.raises(ValueError), stream_rows(SQL, {"prefix": "ST%"}, chunk=2) as rows:
        for _row in rows:
            raise ValueError("the reader fails mid-stream: the query is cancelled, nothing waits on it")
    assert Unit.objects.filter(code__startswith="ST").count() == 10


@postgres_only
def test_a_cancelled_query_inside_a_transaction_is_not_silent(units):
    """Cancelling a running query fails PostgreSQL's transaction; Django is told, so the block
    refuses further queries and rolls back loudly instead of a COMMIT that quietly does nothing."""
    many = "SELECT g FROM generate_series(1, 3000000) AS g"
    with pytest.raises(TransactionManagementError), transaction.atomic():
        UnitGroup.objects.create(code="MOI", name="Ghi trước khi đọc")
        with stream_rows(many, {}) as rows:
            assert next(rows) == (1,)  # the server is still producing: leaving cancels it
        UnitGroup.objects.count()
    assert not UnitGroup.objects.filter(code="MOI").exists()
    assert Unit.objects.filter(code__startswith="ST").count() == 10  # the connection works again


def test_a_bad_query_raises_djangos_error(units):
    with pytest.raises(DatabaseError), transaction.atomic(), stream_rows("SELECT no_such_column FROM accounts_unit", {}) as rows:
        list(rows)
    assert Unit.objects.filter(code__startswith="ST").count() == 10
