"""A report as a PDF: the print template laid out by WeasyPrint, charts as SVG images.

The PDF is rendered from the same content as the HTML page (``services.content``): for a
published report its frozen snapshot. A published report's PDF is rendered once and then served
from storage (``files.py``).

Where the time goes (annual report, docs/benchmarks.md): WeasyPrint's layout of the tables and of
the two-up charts, then drawing (the charts' SVG text is drawn letter by letter), then the CSS
cascade. The print template keeps each of them small: fixed table layout, charts as <img> (their
elements stay out of the cascade), two charts to a row in blocks of their own, a page per
objective's charts, and no whitespace between block and table tags (``compact``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

# WeasyPrint logs every layout step at INFO; a report's problems are warnings and above.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Tags around which whitespace never shows: table parts and block containers (not inline tags,
# nor <li>, which the print stylesheet lays out inline).
_BLOCK = r"(?:table|caption|thead|tbody|tr|th|td|div|section|figure|figcaption|p|h[1-6]|ul|dl|dt|dd)"
_SPACE_BEFORE = re.compile(rf"\s+(</?{_BLOCK}\b)")
_SPACE_AFTER = re.compile(r"(</?(?:table|thead|tbody|tr|div|section|figure|figcaption|ul|dl)\b[^>]*>)\s+")


def compact(html: str) -> str:
    """Drop the whitespace next to block and table tags: text nodes the parser, the cascade and the
    box builder would otherwise each handle, for nothing on the page."""
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", html))


def render_html(content: dict[str, Any]) -> str:
    with translation.override(content["language"]):
        return compact(render_to_string("reports/report_print.html", {"c": content, "for_pdf": True}))


def render_pdf(content: dict[str, Any]) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only the PDF download needs.
    import weasyprint

    html = render_html(content)
    # No base URL: the template holds everything inline (charts as data: URIs), so nothing is
    # fetched while rendering.
    return weasyprint.HTML(string=html).write_pdf()
