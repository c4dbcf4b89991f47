"""Django's PostgreSQL backend, with the connection health check skipped while the connection is busy.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of every request that uses
a kept connection, so that one closed by a database restart is replaced instead of failing the
request. Under load a worker's connection answered a query milliseconds earlier, and that round trip
was 7 % of the app servers' time in the load test (py-spy, loadtest/RESULTS.md). Here the check runs
only when the connection has been idle for HEALTH_CHECK_IDLE seconds: after a quiet spell, when a
restart may have gone unnoticed. A restart in the last second of use still fails the request that
meets it; Django then drops the broken connection and the next request opens a new one.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_IDLE = 1.0  # seconds


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = float("-inf")  # when this connection last gave a cursor (time.monotonic)

    def create_cursor(self, name=None):
        self.used_at = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self):
        if self.connection is not None and time.monotonic() - self.used_at < HEALTH_CHECK_IDLE:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
