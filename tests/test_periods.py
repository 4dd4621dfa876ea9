"""Fiscal years, quarters and months: the period arithmetic every target and report rests on.

The Tanzanian fiscal year runs 1 July – 30 June; Q1 = Jul–Sep, Q2 = Oct–Dec, Q3 = Jan–Mar,
Q4 = Apr–Jun. Every expected date below is written out by hand from that calendar.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from tathmini.core import periods
from tathmini.core.periods import PeriodError


# --- Fiscal years ---------------------------------------------------------------------------
def test_fiscal_year_runs_from_1_july_to_30_june() -> None:
    fy = periods.fiscal_year(2012)
    assert fy.code == "2012/13"
    assert fy.kind == "year"
    assert fy.start == date(2012, 7, 1)
    assert fy.end == date(2013, 6, 30)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2012, 6, 30), "2011/12"),  # last day of the previous fiscal year
        (date(2012, 7, 1), "2012/13"),  # first day of the new one
        (date(2012, 12, 31), "2012/13"),
        (date(2013, 1, 1), "2012/13"),  # a new calendar year is not a new fiscal year
        (date(2013, 6, 30), "2012/13"),
        (date(2013, 7, 1), "2013/14"),
        (date(2016, 2, 29), "2015/16"),
    ],
)
def test_fiscal_year_of_a_day(day: date, expected: str) -> None:
    assert periods.fiscal_year_of(day).code == expected


def test_the_boundary_days_belong_to_exactly_one_fiscal_year() -> None:
    fy = periods.parse("2012/13")
    assert date(2012, 7, 1) in fy
    assert date(2013, 6, 30) in fy
    assert date(2012, 6, 30) not in fy
    assert date(2013, 7, 1) not in fy


def test_a_fiscal_year_with_29_february_has_366_days() -> None:
    assert periods.parse("2012/13").days == 365
    assert periods.parse("2015/16").days == 366  # holds 29 February 2016


def test_fiscal_year_across_the_century_is_named_with_two_digits() -> None:
    fy = periods.parse("1999/00")
    assert fy.start == date(1999, 7, 1)
    assert fy.end == date(2000, 6, 30)
    assert periods.fiscal_year(1999).code == "1999/00"


# --- Quarters -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "start", "end"),
    [
        (1, date(2012, 7, 1), date(2012, 9, 30)),
        (2, date(2012, 10, 1), date(2012, 12, 31)),
        (3, date(2013, 1, 1), date(2013, 3, 31)),
        (4, date(2013, 4, 1), date(2013, 6, 30)),
    ],
)
def test_quarters_of_2012_13(number: int, start: date, end: date) -> None:
    q = periods.quarter(2012, number)
    assert (q.start, q.end) == (start, end)
    assert q.code == f"2012/13-Q{number}"
    assert q.kind == "quarter"


def test_quarters_of_a_year_cover_it_without_gap_or_overlap() -> None:
    quarters = periods.quarters_of(periods.parse("2015/16"))
    assert [q.code for q in quarters] == ["2015/16-Q1", "2015/16-Q2", "2015/16-Q3", "2015/16-Q4"]
    assert quarters[0].start == date(2015, 7, 1)
    assert quarters[-1].end == date(2016, 6, 30)
    assert sum(q.days for q in quarters) == 366
    for before, after in pairwise(quarters):
        assert (after.start - before.end).days == 1


def test_q3_of_a_leap_fiscal_year_holds_29_february() -> None:
    q3 = periods.parse("2015/16-Q3")
    assert (q3.start, q3.end) == (date(2016, 1, 1), date(2016, 3, 31))
    assert q3.days == 31 + 29 + 31
    assert date(2016, 2, 29) in q3


def test_quarter_number_outside_1_to_4_is_refused() -> None:
    with pytest.raises(PeriodError):
        periods.quarter(2012, 0)
    with pytest.raises(PeriodError):
        periods.quarter(2012, 5)


# --- Months ---------------------------------------------------------------------------------
def test_months_of_q3_in_a_leap_year_end_on_the_right_days() -> None:
    months = periods.months_of(periods.parse("2015/16-Q3"))
    assert [(mo.code, mo.start, mo.end) for mo in months] == [
        ("2016-01", date(2016, 1, 1), date(2016, 1, 31)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2016-03", date(2016, 3, 1), date(2016, 3, 31)),
    ]


def test_months_of_q3_in_a_common_year_end_february_on_the_28th() -> None:
    months = periods.months_of(periods.parse("2012/13-Q3"))
    assert [mo.code for mo in months] == ["2013-01", "2013-02", "2013-03"]
    assert months[1].end == date(2013, 2, 28)


def test_months_of_q2_cross_no_year_and_end_in_december() -> None:
    months = periods.months_of(periods.parse("2012/13-Q2"))
    assert [(mo.code, mo.end) for mo in months] == [
        ("2012-10", date(2012, 10, 31)),
        ("2012-11", date(2012, 11, 30)),
        ("2012-12", date(2012, 12, 31)),
    ]


def test_months_of_a_fiscal_year_run_july_to_june_across_new_year() -> None:
    months = periods.months_of(periods.parse("2012/13"))
    assert len(months) == 12
    assert months[0].code == "2012-07"
    assert months[5].code == "2012-12"
    assert months[6].code == "2013-01"
    assert months[-1].code == "2013-06"


def test_a_month_knows_its_fiscal_year() -> None:
    assert periods.parse("2013-02").fiscal_year.code == "2012/13"
    assert periods.parse("2013-07").fiscal_year.code == "2013/14"


# --- parse() --------------------------------------------------------------------------------
def test_parse_fiscal_year() -> None:
    p = periods.parse("2012/13")
    assert (p.kind, p.code, p.start, p.end) == ("year", "2012/13", date(2012, 7, 1), date(2013, 6, 30))


def test_parse_quarter() -> None:
    p = periods.parse("2012/13-Q4")
    assert (p.kind, p.code, p.start, p.end) == ("quarter", "2012/13-Q4", date(2013, 4, 1), date(2013, 6, 30))
    assert p.fiscal_year.code == "2012/13"


def test_parse_month() -> None:
    p = periods.parse("2013-02")
    assert (p.kind, p.code, p.start, p.end) == ("month", "2013-02", date(2013, 2, 1), date(2013, 2, 28))


@pytest.mark.parametrize(
    "code",
    [
        "2012/14",  # not consecutive calendar years
        "2012/12",
        "2012-13",  # a fiscal year written with a hyphen reads as month 13
        "2013-13",  # no month 13
        "2013-00",
        "2012/13-Q5",
        "2012/13-Q0",
        "2012/2013",
        "FY2012",
        "",
        "0000/01",  # years the calendar cannot hold: a refusal, not a crash
        "9999/00",
        "0000/01-Q1",
        "0000-01",
        "9999-12",
    ],
)
def test_parse_refuses_what_is_not_a_period(code: str) -> None:
    with pytest.raises(PeriodError):
        periods.parse(code)


def test_parse_error_is_a_value_error_naming_the_input() -> None:
    with pytest.raises(ValueError, match="2012/14"):
        periods.parse("2012/14")


def test_quarter_of_a_bad_fiscal_year_is_refused() -> None:
    with pytest.raises(PeriodError):
        periods.parse("2012/14-Q1")


# --- Ranges ---------------------------------------------------------------------------------
def test_fiscal_years_between_lists_the_plan_years_inclusive() -> None:
    years = [fy.code for fy in periods.fiscal_years_between("2012/13", "2016/17")]
    assert years == ["2012/13", "2013/14", "2014/15", "2015/16", "2016/17"]


def test_fiscal_years_between_a_year_and_itself_is_that_year() -> None:
    years = list(periods.fiscal_years_between("2014/15", "2014/15"))
    assert [(fy.code, fy.start, fy.end) for fy in years] == [("2014/15", date(2014, 7, 1), date(2015, 6, 30))]


def test_fiscal_years_between_refuses_a_bad_code() -> None:
    with pytest.raises(PeriodError):
        list(periods.fiscal_years_between("2012/13", "2016/18"))


def test_periods_sort_by_start_date() -> None:
    shuffled = [periods.parse(c) for c in ("2013/14", "2012/13-Q2", "2012/13")]
    assert [p.code for p in sorted(shuffled)] == ["2012/13", "2012/13-Q2", "2013/14"]
