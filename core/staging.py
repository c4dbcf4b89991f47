"""Keep an uploaded file between the preview and the confirmation of an import.

The file goes to Django storage (shared between app servers and Celery workers) under a random
token that is also remembered in the user's session, so one user cannot confirm another user's
upload. A large file is confirmed by a background job (core/jobs.py `import_job_start`), which
reads the staged file from storage wherever it runs and deletes it when done.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SESSION_KEY = "staged_uploads"


def stage(request, uploaded, *, purpose: str, meta: dict | None = None) -> str:
    token = secrets.token_urlsafe(16)
    path = default_storage.save(f"staging/{purpose}/{token}.xlsx", ContentFile(uploaded.read()))
    staged = request.session.get(SESSION_KEY, {})
    staged[token] = {"path": path, "purpose": purpose, "name": uploaded.name, "meta": meta or {}}
    request.session[SESSION_KEY] = staged
    return token


def fetch(request, token: str, *, purpose: str) -> dict | None:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry["purpose"] != purpose or not default_storage.exists(entry["path"]):
        return None
    return entry


def claim(request, *, purpose: str, **meta) -> dict | None:
    """The confirm step of every import: the staged entry of the POSTed token, taken out of the
    session so it is confirmed once. The file stays in storage for whoever imports it — this
    request (`read`, then `delete`) or a background job on any machine.

    `meta` must match what was staged (the same assessment, visit or round), so a token cannot be
    replayed on another page. None — with the message users see — when the token is unknown,
    already used or for something else.
    """
    from django.contrib import messages
    from django.utils.translation import gettext as _

    token = request.POST.get("token", "")
    entry = fetch(request, token, purpose=purpose)
    if entry is None or any(entry["meta"].get(key) != value for key, value in meta.items()):
        messages.error(request, _("Phiên nhập đã hết hạn hoặc đã được xác nhận; hãy tải tệp lên lại."))
        return None
    staged = request.session.get(SESSION_KEY, {})
    staged.pop(token, None)
    request.session[SESSION_KEY] = staged
    return entry


def read(entry: dict) -> bytes:
    with default_storage.open(entry["path"], "rb") as handle:
        return handle.read()


def delete(entry: dict) -> None:
    if default_storage.exists(entry["path"]):
        default_storage.delete(entry["path"])


def take(request, *, purpose: str, **meta) -> tuple[dict, bytes] | None:
    """`claim` for an import run in the request: the entry and the file's bytes, the file deleted."""
    entry = claim(request, purpose=purpose, **meta)
    if entry is None:
        return None
    data = read(entry)
    delete(entry)
    return entry, data


def in_background(rows: int) -> bool:
    """Whether confirming a file of `rows` rows runs as a background job rather than in the request."""
    return rows > settings.IMPORT_JOB_ROWS
