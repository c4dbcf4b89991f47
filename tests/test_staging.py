"""Staged uploads (core/staging.py): a preview's file is confirmed once even when two confirmations
race (a double click), and files of previews nobody confirmed are cleared."""

import copy
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import staging
from criteria.models import CriteriaSet
from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

pytestmark = pytest.mark.django_db


def _request(rf, session_data: dict, token: str):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post("/", {"token": token})
    request.session = SessionStore()
    request.session.update(copy.deepcopy(session_data))  # each request reads its own copy
    request._messages = FallbackStorage(request)
    return request


def test_two_confirmations_sent_together_claim_the_file_once(rf):
    """Both requests read the session before either saved it (a double click on “Xác nhận nhập”
    of a large file, whose import a background job runs): only the first gets the file."""
    first = _request(rf, {}, "")
    token = staging.stage(first, SimpleUploadedFile("don-vi.xlsx", b"PK-xlsx"), purpose="units", meta={"rows": 5000})
    staged = dict(first.session)
    assert staging.claim(_request(rf, staged, token), purpose="units") is not None
    late = _request(rf, staged, token)
    assert staging.claim(late, purpose="units") is None
    assert "Phiên nhập đã hết hạn hoặc đã được xác nhận" in str(list(late._messages)[0])


def test_a_confirmed_preview_cannot_be_confirmed_again(login, cast, groups):
    client = login(cast["admin"])
    data = {"code": "THPT-2026", "name": "Bộ chỉ số trường học", "year": 2026, "group": "THPT"}
    upload = SimpleUploadedFile("tieuchi.xlsx", xlsx_bytes(VI_HEADERS, HANDWRITTEN))
    token = client.post(reverse("criteria:import"), {**data, "file": upload}).context["token"]
    client.post(reverse("criteria:import_confirm"), {"token": token})
    again = client.post(reverse("criteria:import_confirm"), {"token": token}, follow=True)
    assert CriteriaSet.objects.filter(code="THPT-2026").count() == 1
    assert "Phiên nhập đã hết hạn hoặc đã được xác nhận" in again.content.decode()


def test_staging_a_file_clears_the_stale_ones_of_its_kind():
    old = default_storage.save("staging/units/old.xlsx", ContentFile(b"x"))
    recent = default_storage.save("staging/units/recent.xlsx", ContentFile(b"x"))
    other = default_storage.save("staging/survey/old.xlsx", ContentFile(b"x"))
    three_days_ago = time.time() - 3 * 86400
    for path in (old, other):
        os.utime(default_storage.path(path), (three_days_ago, three_days_ago))
    assert staging.purge_stale("units") == 1
    assert not default_storage.exists(old)
    assert default_storage.exists(recent) and default_storage.exists(other)  # young, or of another kind
