"""Bulk writes of many plain rows, for the few paths where Django's per-object work dominates.

`insert_rows` / `update_rows` take model field names and tuples of values already in database form
(Decimal, int, str, JSON as text): COPY on PostgreSQL, one executemany on SQLite. No signals, no
`save()`: callers validate first and own the transaction (imports, publishing a ranking).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from django.db import connection

# Told how many rows each COPY inserted: COPY does not go through Django's execute wrappers, through
# which core.jobs.rows_written counts every other write (an import job's progress).
copied_rows: ContextVar[Callable[[int], None] | None] = ContextVar("copied_rows", default=None)


def _copy(cursor, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
    written = 0
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _columns(model, names) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), [quote(model._meta.get_field(n).column) for n in names]


def insert_rows(model, names, rows: Iterable[tuple]) -> None:
    """`rows` may be a generator: on PostgreSQL each row goes out as soon as it is made, so the
    database takes in the first rows while Python still makes the next (a publication's JSON)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:  # nothing to write: no statement at all
        return
    rows = itertools.chain((first,), rows)
    table, columns = _columns(model, names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            written = _copy(cursor, table, columns, rows)
            if (listener := copied_rows.get()) is not None:
                listener(written)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", rows
            )


def update_rows(model, names, rows: list[tuple]) -> None:
    """UPDATE by pk; each row is the values of `names`, then the pk."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table, columns = _columns(model, names)
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One UPDATE per row costs ~80 µs on PostgreSQL: COPY into a scratch table, one UPDATE … FROM.
            scratch = quote(f"{model._meta.db_table}_bulk")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {scratch} AS SELECT {', '.join(columns)}, {pk} FROM {table} WITH NO DATA"
            )
            _copy(cursor, scratch, [*columns, pk], rows)
            sets = ", ".join(f"{c} = s.{c}" for c in columns)
            cursor.execute(f"UPDATE {table} SET {sets} FROM {scratch} s WHERE {table}.{pk} = s.{pk}")
            cursor.execute(f"DROP TABLE {scratch}")
        else:
            cursor.executemany(f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s", rows)
