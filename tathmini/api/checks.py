"""Start-up check of the API's settings (STYLE.md: validate configuration at start-up)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

RATE = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


@register()
def check_rate_limit(app_configs: Any, **kwargs: Any) -> list[Error]:
    value = getattr(settings, "API_RATE_LIMIT", "")
    if RATE.match(str(value)):
        return []
    return [
        Error(
            f"API_RATE_LIMIT={value!r} is not a rate.",
            hint="Use requests per period: 600/min, 10/s, 5000/hour or 20000/day.",
            id="api.E001",
        )
    ]
