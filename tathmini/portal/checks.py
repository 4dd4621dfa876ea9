"""Start-up checks of the portal's settings (README: PORTAL_RATE_LIMIT, PORTAL_EXTRA_HOLIDAYS)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from tathmini.portal.ratelimit import parse_rate


@register()
def portal_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    try:
        parse_rate(settings.PORTAL_RATE_LIMIT)
    except ValueError as exc:
        errors.append(Error(f"PORTAL_RATE_LIMIT: {exc}", hint="e.g. PORTAL_RATE_LIMIT=10/hour", id="portal.E001"))
    for raw in settings.PORTAL_EXTRA_HOLIDAYS:
        try:
            date.fromisoformat(raw)
        except ValueError:
            errors.append(
                Error(
                    f"PORTAL_EXTRA_HOLIDAYS: {raw!r} is not a date",
                    hint="comma-separated dates such as 2016-07-06,2016-09-12",
                    id="portal.E002",
                )
            )
    return errors
