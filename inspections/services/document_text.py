"""The words of an inspection document: dates as officials write them, document numbers and file
names, Decree 30 lists (legal bases, recipients), references to the inspection plan, and the error
the document operations raise (`inspections.services.documents` builds the documents from these)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.text import clean_text

KEEP_LINE = "Lưu: VT, CCHC"
DOTS = "…"
_NUMBER = re.compile(r"^0*(\d{1,6})\s*/\s*(\S(?:.*\S)?)$")


class DocumentError(Exception):
    """A refused operation. `errors`: (form field name or None, Vietnamese message) pairs."""

    def __init__(self, errors):
        if isinstance(errors, str):
            errors = [(None, errors)]
        self.errors = list(errors)
        super().__init__("; ".join(message for _field, message in self.errors))

    @property
    def messages(self) -> list[str]:
        return [message for _field, message in self.errors]


def vn_short_date(day: dt.date) -> str:
    """ "05/3/2026", "09/02/2026": the short date officials write in references (Decree 30 style:
    day with two digits, months 1 and 2 with a leading zero, the others without)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"


def dmy(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else DOTS


def as_date(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_datetime(value) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else timezone.localtime(value)


def clean_lines(text: str) -> list[str]:
    return [clean_text(line) for line in (text or "").splitlines() if clean_text(line)]


_KEEP_TOGETHER = re.compile(r"\d+/[^\s,;()]*[^\s,;().]")


def keep_numbers(text: str) -> SafeString:
    """HTML of `text` where numbers and dates ("15/KH-SNV", "20/02/2026") never break across lines."""
    parts, last = [], 0
    for match in _KEEP_TOGETHER.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(f'<span class="nw">{escape(match.group())}</span>')
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


def _strip_end(text: str) -> str:
    return text.rstrip(" ;.,")


def punctuated(lines: list[str]) -> list[str]:
    """Decree 30 lists: every line ends with ";" and the last with "." (legal bases, recipients)."""
    items = [_strip_end(line) for line in lines if _strip_end(line)]
    return [f"{item};" for item in items[:-1]] + [f"{item}." for item in items[-1:]]


def recipient_lines(text: str) -> list[str]:
    """ "- UBND tỉnh (để b/c);" … "- Lưu: VT, CCHC.": the keep-on-file line last, added when missing."""
    items = [_strip_end(line.lstrip("-–+• ").strip()) for line in clean_lines(text)]
    items = [item for item in items if item]
    keep = [item for item in items if item.lower().startswith("lưu")]
    others = [item for item in items if not item.lower().startswith("lưu")]
    items = others + (keep[-1:] if keep else [KEEP_LINE])
    return [f"- {line}" for line in punctuated(items)]


def document_number_normalize(text: str) -> str:
    """ "5/tb-snv " -> "05/TB-SNV": number and symbol joined by "/", numbers below 10 written 01–09,
    the symbol upper-case (Decree 30, ô 3). Raises DocumentError on another shape."""
    text = clean_text(text)
    if not text:
        return ""
    match = _NUMBER.match(text)
    if not match:
        raise DocumentError([("number", _("Số, ký hiệu phải có dạng số/ký hiệu, ví dụ 12/TB-SNV (nhận được “%(v)s”).") % {"v": text})])
    number, symbol = match.groups()
    symbol = re.sub(r"\s*-\s*", "-", symbol).replace(" ", "").upper()
    return f"{int(number):02d}/{symbol}"


def number_slug(number: str) -> str:
    """ "12/TB-SNV" -> "12-TB-SNV", "05/BB-ĐKT" -> "05-BB-DKT": safe in a file name."""
    text = clean_text(number).replace("Đ", "D").replace("đ", "d")
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def province_place(province: str) -> str:
    """ "tỉnh Hòa Bình Xanh" -> "Hòa Bình Xanh": the place line names the province without "tỉnh"."""
    for prefix in ("tỉnh ", "thành phố ", "tp. "):
        if province.lower().startswith(prefix):
            return province[len(prefix):]
    return province


def _decision_kind(number: str) -> str:
    symbol = number.split("/", 1)[1] if "/" in number else ""
    code = symbol.split("-", 1)[0].upper()
    return {"KH": "Kế hoạch", "QĐ": "Quyết định", "QD": "Quyết định", "CV": "Công văn", "TB": "Thông báo"}.get(code, "Văn bản")


def _plan_subject(plan) -> str:
    title = clean_text(plan.title)
    for prefix in ("kế hoạch ", "quyết định "):
        if title.lower().startswith(prefix):
            return title[len(prefix):]
    return f"kiểm tra công tác cải cách hành chính năm {plan.year}"


def plan_reference(plan, *, short: bool = False) -> str:
    """ "Kế hoạch số 15/KH-SNV ngày 20/02/2026 của Sở Nội vụ về kiểm tra công tác CCHC năm 2026";
    `short`: without "về …" (in the body, after the legal bases have cited it in full)."""
    issuer = clean_text(plan.decision_issuer) or plan.organizer.name
    if not plan.decision_number:
        return f"{clean_text(plan.title)} của {issuer}"
    text = f"{_decision_kind(plan.decision_number)} số {plan.decision_number}"
    if plan.decision_date:
        text += f" ngày {vn_short_date(plan.decision_date)}"
    text += f" của {issuer}"
    return text if short else f"{text} về {_plan_subject(plan)}"
