"""Keep an uploaded file between the preview and the confirmation of an import.

The file goes to Django storage (shared between app servers) under a random token that is
also remembered in the user's session, so one user cannot confirm another user's upload.
"""

from __future__ import annotations

import secrets

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


def open_staged(entry: dict):
    return default_storage.open(entry["path"], "rb")


def discard(request, token: str) -> None:
    staged = request.session.get(SESSION_KEY, {})
    entry = staged.pop(token, None)
    request.session[SESSION_KEY] = staged
    if entry and default_storage.exists(entry["path"]):
        default_storage.delete(entry["path"])


def take(request, *, purpose: str, **meta) -> tuple[dict, bytes] | None:
    """The confirm step of every import: the staged file of the POSTed token, read and discarded.

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
    with open_staged(entry) as handle:
        data = handle.read()
    discard(request, token)
    return entry, data
