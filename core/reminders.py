"""Reminder e-mails sent at most once per person and reason, whatever feature computes them.

A feature computes what is due as `Reminder`s (pure rules, no ledger, so the home page can reuse
them); `send_reminders` hands each one to `send_once`, which records it in `SentReminder`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction

from .models import SentReminder


@dataclass(frozen=True)
class Reminder:
    user: object  # accounts.User
    key: str  # unique per recipient and reason; a new key means a new e-mail
    subject: str
    body: str
    url: str = ""


def site_url() -> str:
    # Mail is read outside the site, so links must be absolute; no request to build them from here.
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def absolute(path: str) -> str:
    return f"{site_url()}{path}"


def already_sent(user, key: str) -> bool:
    return SentReminder.objects.filter(user=user, key=key).exists()


def send_once(user, key: str, subject: str, body: str) -> bool:
    """Send the e-mail unless this user already got `key`; True when a mail went out now.

    The ledger row is inserted first, inside the transaction that sends: a second run (even one
    running at the same moment) hits the unique constraint and sends nothing, and a failed send
    rolls the row back (the exception propagates) so the next run tries again. A crash between
    the send and the commit would send twice; that is preferred to a reminder never sent.
    """
    if not user.email:
        return False  # nothing to send to; no row, so adding an address later still gets the mail
    try:
        with transaction.atomic():
            _row, created = SentReminder.objects.get_or_create(user=user, key=key)
            if not created:
                return False
            # Looked up on the module so tests (and a future retry wrapper) can replace it.
            mail.send_mail(subject, body, None, [user.email])
    except IntegrityError:
        return False  # another run inserted the same row between our read and our write
    return True
