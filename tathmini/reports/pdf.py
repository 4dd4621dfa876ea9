"""A report as a PDF: the print template laid out by WeasyPrint, charts as inline SVG.

The PDF is rendered from the same content as the HTML page (``services.content``): for a
published report its frozen snapshot, so the PDF of a published report never changes.
"""

from __future__ import annotations

import logging
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

# WeasyPrint logs every layout step at INFO; a report's problems are warnings and above.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def render_html(content: dict[str, Any]) -> str:
    with translation.override(content["language"]):
        return render_to_string("reports/report_print.html", {"c": content, "for_pdf": True})


def render_pdf(content: dict[str, Any]) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only the PDF download needs.
    import weasyprint

    html = render_html(content)
    # No base URL: the template holds everything inline, so nothing is fetched while rendering.
    return weasyprint.HTML(string=html).write_pdf()
