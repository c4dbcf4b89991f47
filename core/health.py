"""`/healthz`: what a load balancer or monitor asks before sending traffic to this app server.

No login and no session: the probe has neither. It answers 200 only when this server can reach
the database and the cache; otherwise 503 with the failing part named, so the balancer takes the
server out of rotation and the operator sees at once which dependency is down. Details of the
error go to the log (with the request id), never to the anonymous caller.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _cache() -> bool:
    # A write and a read back: a Redis that accepts connections but cannot store is still down.
    key, token = "healthz", uuid.uuid4().hex
    cache.set(key, token, timeout=30)
    return cache.get(key) == token


CHECKS = {"db": _database, "cache": _cache}


@never_cache
@require_GET
def healthz(request):
    body = {}
    for name, check in CHECKS.items():
        try:
            ok = check()
        except Exception:
            logger.exception("Health check %s failed", name)
            ok = None
        if ok is False:
            logger.error("Health check %s failed: wrong answer", name)
        body[name] = "ok" if ok else "error"
    healthy = all(value == "ok" for value in body.values())
    return JsonResponse({"status": "ok" if healthy else "error", **body}, status=200 if healthy else 503)
