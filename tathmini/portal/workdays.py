"""Working days in Tanzania, for the deadlines of information requests and complaints.

A working day is Monday to Friday and not a public holiday. The fixed-date holidays and Easter are
computed here; the Islamic holidays (Eid al-Fitr, Eid al-Adha, Maulid) follow the moon and are
announced each year, so they are listed in ``PORTAL_EXTRA_HOLIDAYS``. Days are counted in the
Agency's time zone: a request filed on Friday evening in Dar es Salaam starts counting on Monday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

# (month, day): New Year, Zanzibar Revolution, Karume Day, Union Day, Workers' Day, Saba Saba,
# Nane Nane, Nyerere Day, Independence Day, Christmas, Boxing Day.
FIXED_HOLIDAYS = ((1, 1), (1, 12), (4, 7), (4, 26), (5, 1), (7, 7), (8, 8), (10, 14), (12, 9), (12, 25), (12, 26))


def easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def holidays(year: int) -> frozenset[date]:
    return _holidays(year, extra_holidays())


@lru_cache(maxsize=64)
def _holidays(year: int, extra: tuple[date, ...]) -> frozenset[date]:
    days = {date(year, month, day) for month, day in FIXED_HOLIDAYS}
    sunday = easter(year)
    days |= {sunday - timedelta(days=2), sunday + timedelta(days=1)}  # Good Friday, Easter Monday
    days |= {d for d in extra if d.year == year}
    return frozenset(days)


@lru_cache(maxsize=4)
def _parse(raw: tuple[str, ...]) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in raw)


def extra_holidays() -> tuple[date, ...]:
    return _parse(tuple(settings.PORTAL_EXTRA_HOLIDAYS))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself is not counted)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(first: date, last: date) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when ``last`` ≤ ``first``)."""
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()
