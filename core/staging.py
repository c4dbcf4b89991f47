"""Keep an uploaded file between the preview and the confirmation of an import.

The file goes to Django storage (shared between app servers and Celery workers) under a random
token that is also remembered in the user's session, so one user cannot confirm another user's
upload. A large file is checked (`import_check_start`) and confirmed (`import_job_start`) by
background jobs (core/jobs.py), which read the staged file from storage wherever they run; the
import deletes it when done, and so does a check that finds nothing to import.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import StagedClaim

SESSION_KEY = "staged_uploads"


# A preview nobody confirms leaves its file behind; staging a new one clears those older than this.
STALE_AFTER = timedelta(days=2)


def stage(request, uploaded, *, purpose: str, meta: dict | None = None) -> str:
    purge_stale(purpose)
    token = secrets.token_urlsafe(16)
    path = default_storage.save(f"staging/{purpose}/{token}.xlsx", ContentFile(uploaded.read()))
    staged = request.session.get(SESSION_KEY, {})
    staged[token] = {"path": path, "purpose": purpose, "name": uploaded.name, "meta": meta or {}}
    request.session[SESSION_KEY] = staged
    return token


def purge_stale(purpose: str, *, older_than: timedelta = STALE_AFTER) -> int:
    """Delete the staged files of `purpose` older than `older_than` (previews never confirmed or
    cancelled); the number deleted. A background import still reading one is long done by then."""
    limit = timezone.now() - older_than
    StagedClaim.objects.filter(claimed_at__lt=limit).delete()  # their files are long gone
    folder = f"staging/{purpose}"
    try:
        _dirs, names = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return 0
    deleted = 0
    for name in names:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
                deleted += 1
        except (FileNotFoundError, NotImplementedError):
            continue  # gone meanwhile (another server purged it), or a storage that cannot tell
    return deleted


def update_meta(request, token: str, **meta) -> None:
    """Add to what was staged with the file (the id of the job that checks it)."""
    staged = request.session.get(SESSION_KEY, {})
    if token in staged:
        staged[token]["meta"].update(meta)
        request.session[SESSION_KEY] = staged
        request.session.modified = True


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
    # The session is saved only at the end of the request, so two confirmations sent together (a
    # double click) would both find the token; the token's unique row lets only the first through.
    if entry is None or any(entry["meta"].get(key) != value for key, value in meta.items()) or not _claim_once(token):
        messages.error(request, _("Phiên nhập đã hết hạn hoặc đã được xác nhận; hãy tải tệp lên lại."))
        return None
    staged = request.session.get(SESSION_KEY, {})
    staged.pop(token, None)
    request.session[SESSION_KEY] = staged
    return entry


def _claim_once(token: str) -> bool:
    try:
        with transaction.atomic():
            StagedClaim.objects.create(token=token)
    except IntegrityError:
        return False
    return True


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


# A row element of the sheet's XML, with or without a namespace prefix (<row r="2"> or <x:row …>);
# not <rowBreaks>.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def estimated_rows(upload) -> int:
    """How many rows the first sheet has below its first line, counted from the sheet's XML
    without reading any cell, so that a large file can be sent to a background check before the
    request spends seconds parsing it. An upper bound: blank rows and a title above the header
    count too. 0 when the file cannot be read; the check then says what is wrong with it.
    """
    from openpyxl.reader.excel import ExcelReader

    try:
        upload.seek(0)
        reader = ExcelReader(upload, read_only=True)
        try:
            reader.read_manifest()
            reader.read_workbook()  # the workbook part only: sheet names and where they are stored
            paths = [rel.target for _sheet, rel in reader.parser.find_sheets() if "chartsheet" not in rel.Type]
            if not paths:
                return 0
            count, carry = 0, b""
            with reader.archive.open(paths[0]) as xml:
                while chunk := xml.read(1 << 20):
                    buffer = carry + chunk
                    cut = buffer.rfind(b"<")  # a tag cut at the end of the chunk is counted with the next
                    count += len(_ROW_TAG.findall(buffer, 0, cut))
                    carry = buffer[cut:]
            count += len(_ROW_TAG.findall(carry))
        finally:
            reader.archive.close()
    except Exception:  # not an .xlsx, or a damaged one: the ordinary check reports it
        return 0
    finally:
        upload.seek(0)
    return max(count - 1, 0)
