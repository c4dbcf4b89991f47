"""Small helpers shared by management commands."""

import datetime as dt

from django.core.management.base import CommandError


def parse_vn_date(text: str | None, option: str) -> dt.date | None:
    """dd/mm/yyyy, the way officials write dates."""
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CommandError(f"{option}: ngày phải có dạng dd/mm/yyyy (nhận được “{text}”).")


def print_row_errors(stderr, errors) -> None:
    for error in errors:
        stderr.write(str(error))
