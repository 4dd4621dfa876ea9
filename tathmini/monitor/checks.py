"""Start-up checks of the monitor's settings (STYLE.md: validate configuration at start-up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from tathmini.monitor.guard import parse_allowlist


@register()
def check_allowlist(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        parse_allowlist(settings.MONITOR_ALLOWLIST)
    except ValueError as exc:
        return [
            Error(
                f"MONITOR_ALLOWLIST: {exc}",
                hint="List IP addresses or networks separated by commas, e.g. 10.20.0.0/16,192.0.2.7",
                id="monitor.E001",
            )
        ]
    return []
