"""Period arithmetic, in one place: Tanzanian fiscal years, their quarters, calendar months.

A fiscal year runs 1 July – 30 June and is named by its two calendar years, ``2012/13``.
Its quarters are Q1 = Jul–Sep … Q4 = Apr–Jun, named ``2012/13-Q1``. Months are ``2013-01``.
Periods are closed date ranges [start, end]; times never enter into it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["year", "quarter", "month"]

_FY = re.compile(r"^(\d{4})/(\d{2})$")
_FQ = re.compile(r"^(\d{4})/(\d{2})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: PeriodKind
    code: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def fiscal_year(self) -> Period:
        return fiscal_year_of(self.start)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def fiscal_year(first_calendar_year: int) -> Period:
    """The fiscal year that starts on 1 July of ``first_calendar_year``."""
    y = first_calendar_year
    return Period(date(y, 7, 1), date(y + 1, 6, 30), "year", f"{y}/{(y + 1) % 100:02d}")


def fiscal_year_of(day: date) -> Period:
    return fiscal_year(day.year if day.month >= 7 else day.year - 1)


def quarter(first_calendar_year: int, number: int) -> Period:
    if not 1 <= number <= 4:
        raise PeriodError(f"quarter {number} is not 1–4")
    start_month = (7 + 3 * (number - 1) - 1) % 12 + 1
    start_year = first_calendar_year + (start_month < 7)
    end_month = start_month + 2
    fy = fiscal_year(first_calendar_year)
    return Period(
        date(start_year, start_month, 1), _month_end(start_year, end_month), "quarter", f"{fy.code}-Q{number}"
    )


def month(year: int, number: int) -> Period:
    if not 1 <= number <= 12:
        raise PeriodError(f"month {number} is not 1–12")
    return Period(date(year, number, 1), _month_end(year, number), "month", f"{year}-{number:02d}")


def parse(code: str) -> Period:
    """``2012/13`` → fiscal year, ``2012/13-Q2`` → quarter, ``2013-01`` → month."""
    try:
        return _parse(code)
    except PeriodError:
        raise
    except ValueError:  # a year the calendar cannot hold, such as 0000/01 or 9999/00
        raise PeriodError(f"{code!r} is not a period: its year is out of range") from None


def _parse(code: str) -> Period:
    if m := _FY.match(code):
        y = int(m.group(1))
        if (y + 1) % 100 != int(m.group(2)):
            raise PeriodError(f"{code!r} is not a fiscal year: {y}/{(y + 1) % 100:02d} follows {y}")
        return fiscal_year(y)
    if m := _FQ.match(code):
        fy = parse(f"{m.group(1)}/{m.group(2)}")
        return quarter(fy.start.year, int(m.group(3)))
    if m := _MONTH.match(code):
        return month(int(m.group(1)), int(m.group(2)))
    raise PeriodError(f"{code!r} is not a period (use 2012/13, 2012/13-Q1 or 2013-01)")


def quarters_of(fy: Period) -> list[Period]:
    return [quarter(fy.start.year, n) for n in range(1, 5)]


def months_of(period: Period) -> list[Period]:
    out = []
    y, m = period.start.year, period.start.month
    while date(y, m, 1) <= period.end:
        out.append(month(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def fiscal_years_between(first: str, last: str) -> Iterator[Period]:
    start, end = parse(first), parse(last)
    for y in range(start.start.year, end.start.year + 1):
        yield fiscal_year(y)


def _validate_fiscal_year(value: str) -> None:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    try:
        if parse(value).kind == "year":
            return
    except PeriodError:
        pass
    raise ValidationError(_("“%(value)s” is not a fiscal year such as 2013/14."), params={"value": value})


FISCAL_YEAR_PATTERN = _validate_fiscal_year
