from __future__ import annotations

from decimal import Decimal

from django import template

from tathmini.portal.scoreboard import grouped
from tathmini.portal.scoreboard import shown as shown_value

register = template.Library()


@register.simple_tag
def shown(value: Decimal | None, unit: str) -> str:
    return shown_value(value, unit) or "–"


@register.filter
def thousands(value: Decimal | None) -> str:
    return "" if value is None else grouped(value)
