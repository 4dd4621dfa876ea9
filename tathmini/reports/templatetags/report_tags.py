from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def isotime(value: str | None) -> datetime | None:
    """A stored ISO time (UTC) as an aware datetime, shown in the site's time zone by |date."""
    if not value:
        return None
    return timezone.localtime(datetime.fromisoformat(value))


@register.filter
def lookup(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)


@register.simple_tag
def can_see_reports(user: Any) -> bool:
    """Whether the main navigation shows the scorecard: the staff roles that read reports."""
    from tathmini.reports.views import STAFF

    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or set(STAFF) & user.roles)


@register.filter
def svg_data_uri(svg: str | None) -> str:
    """A chart's SVG as a data: URI for an <img> in the PDF. WeasyPrint draws it the same as inline
    SVG, but its elements then stay out of the page's CSS cascade and box tree (a quarter of the
    report's elements), which is time the PDF does not spend. Its text is set in the one font the
    PDF embeds (fonts-dejavu-core), not in whatever the server's fontconfig makes of "sans-serif"."""
    svg = (svg or "").replace('font-family="sans-serif"', 'font-family="DejaVu Sans, sans-serif"')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@register.filter
def pairs(items: list[Any] | None) -> list[list[Any]]:
    """[a, b, c] → [[a, b], [c]]: the PDF lays charts out two to a row."""
    items = list(items or [])
    return [items[i : i + 2] for i in range(0, len(items), 2)]
