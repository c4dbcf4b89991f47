"""PDF documents of the product, laid out under Decree 30/2020/NĐ-CP.

Every PDF extends templates/documents/base.html and is rendered here with WeasyPrint. The fonts
(Liberation Serif, metric-compatible with Times New Roman, every Vietnamese letter) are loaded from
static/fonts/ in the repository, so a document reads the same on every machine and embeds them.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string

from .memory import cycle_collector_paused

STATIC_DIR = Path(settings.BASE_DIR) / "static"
# WeasyPrint logs every layout step at INFO ("Step 5 - Creating layout - Page 12"); the root logger
# of the project is at INFO, so a 30-page report would write 40 lines. Its warnings still show.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _fetcher():
    """A fetcher that reads only the repository's static files and data: URIs (the charts).

    Documents contain names and notes typed by users; even escaped, nothing in a PDF may make the
    server open a network address or a file outside static/.
    """
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not path.is_relative_to(STATIC_DIR.resolve()):
                    raise ValueError(f"Tệp ngoài thư mục static/: {url}")
            elif scheme != "data":
                raise ValueError(f"Không tải địa chỉ ngoài khi in PDF: {url}")
            return super().fetch(url, headers)

    return StaticOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def render_pdf(template_name: str, context: dict | None = None, *, request=None) -> bytes:
    """Render a template extending documents/base.html to PDF bytes (A4, fonts embedded).

    Relative URLs in the template resolve against the project directory, so
    `static/fonts/LiberationSerif-Regular.ttf` is the bundled font.
    """
    from weasyprint import HTML

    html = render_to_string(template_name, context or {}, request=request)
    base_url = Path(settings.BASE_DIR).resolve().as_uri() + "/"
    with cycle_collector_paused():
        return HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf()


def vn_long_date(date: datetime.date) -> str:
    """ "ngày 05 tháng 3 năm 2026", "ngày 09 tháng 02 năm 2026", "ngày 15 tháng 11 năm 2026".

    Decree 30/2020/NĐ-CP, Phụ lục I: days below 10 and the months 1 and 2 take a leading zero;
    the other months do not (March is "tháng 3", never "tháng 03").
    """
    month = f"{date.month:02d}" if date.month <= 2 else str(date.month)
    return f"ngày {date.day:02d} tháng {month} năm {date.year}"
