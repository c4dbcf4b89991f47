"""Request ids: one id per request, on the response and on every log line written while it runs.

A proxy or load balancer in front may already have given the request an id (X-Request-ID); keeping
it lets one request be followed from the proxy's log to ours. A client-supplied value is only kept
when it looks like an id, so nobody can write arbitrary text (new lines, markup) into the logs.
The id lives in a context variable, so threads of one gunicorn worker never see each other's ids.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:@+=-]{1,128}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def request_id_get() -> str:
    """The id of the request being served in this context, or "-" outside a request."""
    return _current.get()


def request_id_set(value: str) -> contextvars.Token:
    """Bind an id to the current context (a background job keeps the id of the request that started it)."""
    return _current.set(value if value and _SANE.match(value) else uuid.uuid4().hex)


def request_id_reset(token: contextvars.Token) -> None:
    _current.reset(token)


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every other middleware's log lines carry the id too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_id_set(request.headers.get(HEADER, ""))
        request.request_id = _current.get()
        try:
            response = self.get_response(request)
            response[HEADER] = request.request_id
            return response
        finally:
            request_id_reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` for the formatter (`%(request_id)s`); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs 4xx/5xx responses ("Not Found: /…") after the middleware has returned;
            # those records carry the request itself.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or _current.get()
        return True
