from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tathmini.monitor.availability import Seconds

register = template.Library()


@register.filter
def percent(value: Seconds | None) -> str:
    """Availability as a percentage with two decimals (truncated, so 99.999 % never shows as 100 %)."""
    if value is None or value.percent is None:
        return _("no data")
    hundredths = value.up * 10000 // value.monitored
    return f"{number_format(hundredths / 100, 2)} %"


@register.filter
def duration(value: timedelta | None) -> str:
    if value is None:
        return _("ongoing")
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s d") % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if minutes:
        parts.append(_("%(n)s min") % {"n": minutes})
    if seconds and not days:
        parts.append(_("%(n)s s") % {"n": seconds})
    return " ".join(parts) or _("%(n)s s") % {"n": 0}


@register.filter
def window(figures: dict[int, Seconds], days: int) -> Seconds | None:
    return figures.get(days)
