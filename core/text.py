"""Text helpers shared by imports, search and exports."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str:
    """NFC-normalise and collapse whitespace: some keyboards and files produce decomposed Vietnamese."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    return _SPACES.sub(" ", text).strip()


def search_key(value: object) -> str:
    """Lower-case, accent-free form so that "so tu phap" finds "Sở Tư pháp" on SQLite and PostgreSQL."""
    text = clean_text(value).lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
