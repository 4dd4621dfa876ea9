from __future__ import annotations

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
