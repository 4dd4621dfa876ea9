"""The portal's one reading of the time, so tests can move it (an information request turning
overdue) without touching the system clock."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localtime(now()).date()
