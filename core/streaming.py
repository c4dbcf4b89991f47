"""Rows of a large query read while the database is still producing them.

Django's server-side cursor (`chunked_cursor`) asks for each chunk in turn: PostgreSQL waits while
Python works on a chunk, and Python waits while the next one is produced. psycopg's `stream()`
(libpq's chunked-rows mode) lets the query run on: on two cores the database's grouping and
Python's adding-up overlap. Publishing 800 units × 120 leaves went from 0.73 to 0.57 s, and the
live ranking's computation from 0.56 to 0.36 s (bench/RESULTS.md). Memory stays a chunk at a time,
as with the server-side cursor, so 8,000 units × 150 leaves still stream in.

    with stream_rows(sql, params) as rows:
        for row in rows:
            ...

While the rows stream, the connection runs nothing else: read them inside the block and query
nothing there. Leaving the block early (a break, an exception) cancels the query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper
from psycopg import pq

CHUNK = 2000


@contextmanager
def stream_rows(sql: str, params, *, chunk: int = CHUNK) -> Iterator[Iterator[tuple]]:
    """The rows of one SELECT, as an iterator valid inside the `with` block."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            yield _fetched(cursor, chunk)
            return
        rows = _streamed(cursor, sql, params, chunk)
        try:
            yield rows
        finally:
            _close(rows)


def _fetched(cursor, chunk: int) -> Iterator[tuple]:
    while rows := cursor.fetchmany(chunk):
        yield from rows


def _streamed(cursor, sql: str, params, chunk: int) -> Iterator[tuple]:
    stream = None

    def start(sql, params, many, context):
        nonlocal stream
        connection.validate_no_broken_transaction()  # as Django's own execute() does
        # Chunks of more than one row need libpq 17 (psycopg[binary] ships 18); row by row before.
        stream = cursor.cursor.stream(sql, params, size=chunk if pq.version() >= 170000 else 1)
        return next(stream, None)  # sends the query: the wrappers time it up to its first row

    # Through Django's execute wrappers and its debug log like any query, so query counts (tests,
    # the benchmark) and an import's progress see it. Django has no public hook for a streamed
    # read; _execute_with_wrappers is what its own execute() calls.
    debug = nullcontext()
    if isinstance(cursor, CursorDebugWrapper):
        debug = cursor.debug_sql(sql, params, use_last_executed_query=True)
    with connection.wrap_database_errors:
        with debug:
            first = cursor._execute_with_wrappers(sql, params, False, start)
        if first is None:
            return
        try:
            yield first
            yield from stream
        finally:
            stream.close()  # when left early, psycopg cancels the query and drains the connection


def _close(rows) -> None:
    """Stop a stream left unfinished. The cancel fails PostgreSQL's transaction when the query was
    still running: inside an atomic block Django must know it, or the block's COMMIT would quietly
    roll back everything before it."""
    rows.close()
    if connection.in_atomic_block and connection.connection.info.transaction_status == pq.TransactionStatus.INERROR:
        connection.needs_rollback = True
