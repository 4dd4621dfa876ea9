"""Each default definition of the plan (K01–K18, R01, R02, R04, R08, R12, R14) computed from a small
data set built by hand, against values worked out by hand in the comments.

Periods used throughout: the fiscal year 2013/14 (1 July 2013 – 30 June 2014), its first quarter
2013/14-Q1 (July–September 2013), and neighbours where a boundary is at stake. Timestamps are UTC.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests import engine_data as E
from tests.engine_data import d, dt, stored, total, triple

FY = "2013/14"
Q1 = "2013/14-Q1"


@pytest.fixture(autouse=True)
def _only_this_tests_records(db: Any) -> None:
    E.clear_records()


def close(actual: Decimal | None, expected: str | int | float) -> bool:
    """Durations in days come from timestamp arithmetic: equal to the stored six decimals."""
    return actual is not None and abs(actual - Decimal(str(expected))) <= Decimal("0.000002")


def groups(code: str, period: str, dimension: str) -> dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]]:
    return {group: triple(s) for group, s in stored(code, period, dimension).items()}


# --- K01 --------------------------------------------------------------------------------------
def test_k01_institutions_satisfied_among_those_that_answered() -> None:
    satisfaction = E.survey("institution_satisfaction")
    staff = E.survey("staff_satisfaction")
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "ministry", "arusha")
    c = E.institution("c", "lga", "dodoma")
    dd = E.institution("dd", "ministry", "dodoma")
    e = E.institution("e", "agency", "mwanza")
    E.response(satisfaction, dt(2013, 8, 10), 4, a)
    E.response(satisfaction, dt(2013, 9, 20), 5, a)  # a: mean 4.5 → satisfied
    E.response(satisfaction, dt(2013, 8, 1), 3, b)
    E.response(satisfaction, dt(2014, 2, 1), "4.5", b)  # b: mean 3.75 over the year; 3 in Q1
    E.response(satisfaction, dt(2013, 6, 30, 23, 59, 59), 4, c)  # the last second of 2012/13
    E.response(satisfaction, dt(2013, 7, 1, 0, 0, 0), "3.5", c)  # the first second of 2013/14
    E.response(satisfaction, dt(2014, 1, 15), "4.2", dd)
    E.response(satisfaction, dt(2014, 3, 1), "3.8", dd)  # dd: mean exactly 4.0 → satisfied (≥ 4)
    E.response(staff, dt(2013, 8, 1), 5, e)  # another survey: not counted
    E.response(satisfaction, dt(2013, 8, 1), 5, None, respondent="citizen")  # no institution: not counted
    E.refresh("K01", [FY, Q1, "2012/13-Q4", "2015/16"])

    # 2013/14: answered a, b, c, dd = 4; satisfied a (4.5), dd (4.0) → 2/4 × 100 = 50
    assert triple(total("K01", FY)) == (2, 4, 50)
    # By category: ministry a ✓, b ✗, dd ✓ → 2/3; lga c (3.5) ✗ → 0/1
    assert groups("K01", FY, "category") == {
        "ministry": (2, 3, d("66.666667")),
        "lga": (0, 1, 0),
    }
    # By region: dodoma a ✓, c ✗, dd ✓ → 2/3; arusha b ✗ → 0/1
    assert groups("K01", FY, "region") == {"dodoma": (2, 3, d("66.666667")), "arusha": (0, 1, 0)}
    # Q1: a (4.5 ✓), b (3 ✗), c (3.5 at 1 July 00:00:00 ✗) → 1/3 = 33.333333
    assert triple(total("K01", Q1)) == (1, 3, d("33.333333"))
    # 2012/13-Q4: only c's 4.0 at 30 June 23:59:59 → 1/1 = 100
    assert triple(total("K01", "2012/13-Q4")) == (1, 1, 100)
    # Nobody answered in 2015/16: 0/0 is no value, not 0
    assert triple(total("K01", "2015/16")) == (0, 0, None)


def test_k01_a_mean_of_exactly_four_is_satisfied_whatever_the_scores() -> None:
    # Three scores whose exact mean is 4: (4.547 + 4.228 + 3.225) / 3 = 12 / 3 = 4.000 → satisfied.
    satisfaction = E.survey("institution_satisfaction")
    a = E.institution("a")
    for day, score in ((1, "4.547"), (2, "4.228"), (3, "3.225")):
        E.response(satisfaction, dt(2013, 8, day), score, a)
    E.refresh("K01", [FY])
    assert triple(total("K01", FY)) == (1, 1, 100)


# --- K02 --------------------------------------------------------------------------------------
def test_k02_qualified_ict_staff_over_latest_returns_in_the_period() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    c = E.institution("c", "ministry", "dodoma")
    E.workforce(a, date(2013, 8, 1), ict=10, qualified=5)
    E.workforce(a, date(2014, 3, 31), ict=12, qualified=9)  # a's latest in 2013/14
    E.workforce(a, date(2014, 7, 1), ict=20, qualified=20)  # 2014/15: outside the period
    E.workforce(b, date(2013, 6, 30), ict=8, qualified=8)  # 30 June: 2012/13
    E.workforce(b, date(2013, 10, 15), ict=8, qualified=2)
    E.workforce(c, date(2013, 9, 30), ict=4, qualified=3)
    E.refresh("K02", [FY, Q1, "2012/13", "2016/17"])

    # 2013/14 latest returns: a 9/12, b 2/8, c 3/4 → 14/24 × 100 = 58.333333
    assert triple(total("K02", FY)) == (14, 24, d("58.333333"))
    # ministry: a 9/12 + c 3/4 = 12/16 = 75; lga: b 2/8 = 25
    assert groups("K02", FY, "category") == {"ministry": (12, 16, 75), "lga": (2, 8, 25)}
    assert groups("K02", FY, "region") == {"dodoma": (12, 16, 75), "arusha": (2, 8, 25)}
    # Q1: a's 1 August return 5/10, c 3/4; b has none in Q1 → 8/14 = 57.142857
    assert triple(total("K02", Q1)) == (8, 14, d("57.142857"))
    # 2012/13: b's 30 June return alone → 8/8 = 100
    assert triple(total("K02", "2012/13")) == (8, 8, 100)
    # No return in 2016/17: no value
    assert triple(total("K02", "2016/17")) == (0, 0, None)


# --- K03 --------------------------------------------------------------------------------------
def test_k03_active_institutions_with_an_initiative_under_way() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "ministry", "arusha")
    c = E.institution("c", "lga", "dodoma", dissolved=date(2014, 3, 1))  # dissolved mid-year
    E.institution("dd", "lga", "arusha", established=date(2013, 1, 1))
    e = E.institution("e", "agency", "mwanza", established=date(2014, 7, 1))  # not yet at 30 June 2014
    f = E.institution("f", "agency", "mwanza")
    E.initiative(a, "in_progress", date(2013, 3, 1), None)
    E.initiative(b, "completed", date(2012, 9, 1), date(2013, 6, 30))  # ended the day before 2013/14
    E.initiative(b, "planned", date(2013, 8, 1), None)  # planned does not count
    E.initiative(c, "completed", date(2013, 7, 1), date(2013, 7, 1))  # one day, the first of 2013/14
    E.initiative(e, "in_progress", date(2014, 7, 1), None)
    E.initiative(f, "cancelled", date(2013, 9, 1), None)
    E.refresh("K03", [FY, Q1, "2012/13"])

    # At 30 June 2014 active: a, b, dd, f (c dissolved, e not established) = 4.
    # Under way during 2013/14: a only (b's ended 30 June 2013, c is dissolved) → 1/4 = 25
    assert triple(total("K03", FY)) == (1, 4, 25)
    # ministry: a ✓, b ✗ → 1/2; lga: dd → 0/1 (c dissolved); agency: f → 0/1 (e not yet)
    assert groups("K03", FY, "category") == {"ministry": (1, 2, 50), "lga": (0, 1, 0), "agency": (0, 1, 0)}
    # Q1 (ends 30 Sep 2013): active a, b, c, dd, f = 5; under way a and c → 2/5 = 40
    assert triple(total("K03", Q1)) == (2, 5, 40)
    # 2012/13: active a, b, c, dd, f = 5; under way a (from March 2013) and b → 2/5 = 40
    assert triple(total("K03", "2012/13")) == (2, 5, 40)


# --- K04 --------------------------------------------------------------------------------------
def test_k04_e_services_live_at_the_end_of_the_period() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.eservice(a, date(2012, 8, 1))
    E.eservice(a, date(2013, 1, 10), retired=date(2014, 6, 30))  # retired on the last day of 2013/14
    E.eservice(b, date(2014, 6, 30))  # launched on the last day: live
    E.eservice(a, date(2014, 7, 1))  # launched after
    E.eservice(a, date(2012, 9, 1), retired=date(2013, 5, 1))
    E.eservice(b, date(2013, 9, 15), retired=date(2014, 1, 31))
    E.refresh("K04", [FY, Q1, "2012/13", "2012-07"])

    # 30 June 2014: the Aug 2012 one and the one launched that day (the other retired that day) → 2
    assert triple(total("K04", FY)) == (2, None, 2)
    assert groups("K04", FY, "category") == {"ministry": (1, None, 1), "lga": (1, None, 1)}
    # 30 Sep 2013: Aug 2012, Jan 2013 (retires later), Sep 2013 → 3; ministry 2, lga 1
    assert triple(total("K04", Q1)) == (3, None, 3)
    assert groups("K04", Q1, "region") == {"dodoma": (2, None, 2), "arusha": (1, None, 1)}
    # 30 June 2013: Aug 2012 and Jan 2013 (the Sep 2012 one retired in May) → 2
    assert triple(total("K04", "2012/13")) == (2, None, 2)
    # July 2012, before any launch: a count of nothing is 0, not "no value"
    assert triple(total("K04", "2012-07")) == (0, None, 0)
    # No org unit on e-services: the value is the responsible unit's (e-Services Unit) and its department's
    org = groups("K04", FY, "org_unit")
    assert org == {E.unit_pk("huduma-mtandao"): (2, None, 2), E.unit_pk("huduma"): (2, None, 2)}


# --- K05 --------------------------------------------------------------------------------------
def test_k05_active_institutions_offering_a_live_e_service() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "ministry", "arusha")
    c = E.institution("c", "lga", "dodoma", dissolved=date(2014, 1, 31))
    dd = E.institution("dd", "lga", "arusha")
    E.institution("e", "lga", "dodoma")
    E.institution("f", "lga", "mwanza")
    E.eservice(a, date(2012, 8, 1))
    E.eservice(a, date(2013, 2, 1))  # a second live service: a still counts once
    E.eservice(b, date(2013, 1, 1), retired=date(2014, 6, 30))  # retired on the last day
    E.eservice(c, date(2013, 1, 1))  # live, but c is dissolved by 30 June 2014
    E.eservice(dd, date(2014, 6, 30))
    E.refresh("K05", [FY, Q1])

    # 30 June 2014 active: a, b, dd, e, f = 5; with a live service: a, dd → 2/5 = 40
    assert triple(total("K05", FY)) == (2, 5, 40)
    # ministry: a ✓, b ✗ → 1/2; lga: dd ✓, e, f → 1/3 (c dissolved: in neither)
    assert groups("K05", FY, "category") == {"ministry": (1, 2, 50), "lga": (1, 3, d("33.333333"))}
    # 30 Sep 2013 active: all 6; live: a, b, c → 3/6 = 50
    assert triple(total("K05", Q1)) == (3, 6, 50)


# --- K06 --------------------------------------------------------------------------------------
def test_k06_users_index_against_the_same_part_of_2012_13() -> None:
    s1 = E.eservice(E.institution("a", "ministry", "dodoma"), date(2012, 7, 1))
    s2 = E.eservice(E.institution("b", "lga", "arusha"), date(2012, 7, 1))
    # Base year 2012/13
    E.usage(s1, date(2012, 7, 1), date(2012, 9, 30), users=100)  # Q1
    E.usage(s1, date(2012, 10, 1), date(2012, 12, 31), users=200)  # Q2
    E.usage(s2, date(2012, 7, 1), date(2012, 9, 30), users=100)  # Q1
    # 2013/14
    E.usage(s1, date(2013, 7, 1), date(2013, 9, 30), users=150)  # Q1
    E.usage(s2, date(2013, 7, 1), date(2013, 9, 30), users=250)  # Q1
    E.usage(s1, date(2014, 1, 1), date(2014, 3, 31), users=100)  # Q3
    E.refresh("K06", [FY, Q1, "2013/14-Q2", "2013/14-Q3", "2012/13", "2013-07"])

    # Year: 100 × (150 + 250 + 100) ÷ (100 + 200 + 100) = 100 × 500 ÷ 400 = 125
    assert triple(total("K06", FY)) == (500, 400, 125)
    # Q1 2013/14 against Q1 2012/13 (not the whole base year): 100 × 400 ÷ 200 = 200
    assert triple(total("K06", Q1)) == (400, 200, 200)
    # ministry: 100 × 150 ÷ 100 = 150; lga: 100 × 250 ÷ 100 = 250
    assert groups("K06", Q1, "category") == {"ministry": (150, 100, 150), "lga": (250, 100, 250)}
    # Q2: no users against 200 in Q2 2012/13 → 0
    assert triple(total("K06", "2013/14-Q2")) == (0, 200, 0)
    # Q3: 100 users against nothing in Q3 2012/13 → no value
    assert triple(total("K06", "2013/14-Q3")) == (100, 0, None)
    # The base year against itself: 100
    assert triple(total("K06", "2012/13")) == (400, 400, 100)
    # July 2013 against July 2012: 100 × 400 ÷ 200 = 200
    assert triple(total("K06", "2013-07")) == (400, 200, 200)


# --- K07 --------------------------------------------------------------------------------------
def test_k07_shared_resources_share_of_the_years_budget() -> None:
    govnet, kituo, hr = E.unit("miundombinu-govnet"), E.unit("miundombinu-kituo"), E.unit("utawala-rasilimali")
    E.budget_line("2013/14", "shared_resources", 300, govnet)
    E.budget_line("2013/14", "personnel", 500, hr)
    E.budget_line("2013/14", "operations", 200, kituo)
    E.budget_line("2012/13", "shared_resources", 100)
    E.budget_line("2012/13", "other", 300)
    E.refresh("K07", [FY, "2013/14-Q2", "2014-03", "2012/13", "2014/15"])

    # 2013/14: 300 ÷ (300 + 500 + 200) × 100 = 30
    assert triple(total("K07", FY)) == (300, 1000, 30)
    # A quarter or a month reads its fiscal year's budget
    assert triple(total("K07", "2013/14-Q2")) == (300, 1000, 30)
    assert triple(total("K07", "2014-03")) == (300, 1000, 30)
    # 2012/13: 100 ÷ 400 × 100 = 25
    assert triple(total("K07", "2012/13")) == (100, 400, 25)
    # No budget for 2014/15: no value
    assert triple(total("K07", "2014/15")) == (0, 0, None)
    # By org unit: the infrastructure department 300 ÷ (300 + 200) = 60; its network unit 300 ÷ 300;
    # administration 0 ÷ 500
    org = groups("K07", FY, "org_unit")
    assert org[E.unit_pk("miundombinu")] == (300, 500, 60)
    assert org[E.unit_pk("miundombinu-govnet")] == (300, 300, 100)
    assert org[E.unit_pk("utawala")] == (0, 500, 0)


# --- K08 --------------------------------------------------------------------------------------
def test_k08_subscriptions_over_institutions_times_resources() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    c = E.institution("c", "lga", "dodoma", dissolved=date(2014, 3, 31))
    r1 = E.shared_resource("network", date(2012, 7, 1))
    r2 = E.shared_resource("mail", date(2013, 1, 1), offered_to=date(2014, 6, 30))  # withdrawn on the last day
    r3 = E.shared_resource("hosting", date(2014, 1, 1))
    E.subscription(a, r1, date(2012, 9, 1))
    E.subscription(a, r3, date(2014, 2, 1))
    E.subscription(b, r1, date(2013, 2, 1), ended=date(2014, 6, 30))  # ended on the last day
    E.subscription(b, r2, date(2013, 2, 1))
    E.subscription(c, r1, date(2013, 1, 1))
    E.subscription(b, r3, date(2014, 7, 1))
    E.refresh("K08", [FY, Q1])

    # 30 June 2014: institutions a, b (c dissolved) × resources r1, r3 (r2 withdrawn) = 2 × 2 = 4;
    # active subscriptions: a→r1, a→r3 → 100 × 2 ÷ 4 = 50
    assert triple(total("K08", FY)) == (2, 4, 50)
    # ministry: a→r1, a→r3 over 1 × 2 → 100; lga: none over b × 2 resources → 0
    assert groups("K08", FY, "category") == {"ministry": (2, 2, 100), "lga": (0, 2, 0)}
    # 30 Sep 2013: a, b, c × r1, r2 = 6; a→r1, b→r1, b→r2, c→r1 → 100 × 4 ÷ 6 = 66.666667
    assert triple(total("K08", Q1)) == (4, 6, d("66.666667"))
    # lga: b→r1, b→r2, c→r1 over (b, c) × (r1, r2) = 4 → 75
    assert groups("K08", Q1, "category") == {"ministry": (1, 2, 50), "lga": (3, 4, 75)}


# --- K09 --------------------------------------------------------------------------------------
def test_k09_mean_days_to_answer_with_the_median_beside_it() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.information_request(a, dt(2013, 7, 1, 0), dt(2013, 7, 11, 0))  # 10 days
    E.information_request(a, dt(2013, 8, 1, 12), dt(2013, 8, 3, 0))  # 1.5 days
    E.information_request(b, dt(2013, 9, 1, 12), dt(2013, 9, 21, 12))  # 20 days
    E.information_request(a, dt(2014, 1, 1, 12), dt(2014, 1, 5, 12))  # 4 days
    E.information_request(b, dt(2013, 6, 20, 12), dt(2013, 6, 30, 23, 59, 59))  # answered in 2012/13
    E.information_request(b, dt(2013, 9, 10))  # not answered: not counted
    E.refresh("K09", [FY, Q1, "2012/13", "2015/16"])

    # 2013/14: (10 + 1.5 + 20 + 4) ÷ 4 = 35.5 ÷ 4 = 8.875 days; median of 1.5, 4, 10, 20 = (4 + 10) ÷ 2 = 7
    k09 = total("K09", FY)
    assert close(k09.numerator, "35.5") and k09.denominator == 4 and close(k09.value, "8.875")
    assert close(Decimal(k09.extras["median"]), 7)
    # Q1: (10 + 1.5 + 20) ÷ 3 = 10.5; median of 1.5, 10, 20 = 10
    q1 = total("K09", Q1)
    assert q1.denominator == 3 and close(q1.value, "10.5") and close(Decimal(q1.extras["median"]), 10)
    # By category in 2013/14: ministry (10 + 1.5 + 4) ÷ 3 = 5.166667, median 4; lga 20 ÷ 1, median 20
    cats = stored("K09", FY, "category")
    assert close(cats["ministry"].value, "5.166667") and close(Decimal(cats["ministry"].extras["median"]), 4)
    assert close(cats["lga"].value, 20) and close(Decimal(cats["lga"].extras["median"]), 20)
    # 2012/13: 20 June 12:00 → 30 June 23:59:59 = 10 days + 43 199 s = 10.499988 days
    assert close(total("K09", "2012/13").value, "10.499988")
    # Nothing answered in 2015/16: no mean, no median
    empty = total("K09", "2015/16")
    assert triple(empty) == (0, 0, None) and empty.extras["median"] is None


# --- K10 --------------------------------------------------------------------------------------
def test_k10_stakeholder_awareness_on_a_0_to_100_scale() -> None:
    awareness = E.survey("stakeholder_awareness")
    staff = E.survey("staff_satisfaction")
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.response(awareness, dt(2013, 7, 10), 4, a)
    E.response(awareness, dt(2013, 8, 10), 3, b)
    E.response(awareness, dt(2013, 9, 10), 5, a)
    E.response(awareness, dt(2014, 2, 10), 2, None, respondent="stakeholder")
    E.response(staff, dt(2013, 8, 1), 1, None, respondent="staff")  # another survey
    E.response(awareness, dt(2013, 6, 30, 23, 59, 59), 1, None, respondent="stakeholder")  # 2012/13
    E.refresh("K10", [FY, Q1, "2012/13", "2015/16"])

    # 2013/14: mean (4 + 3 + 5 + 2) ÷ 4 = 3.5 → (3.5 − 1) ÷ 4 × 100 = 62.5
    assert triple(total("K10", FY)) == (14, 4, d("62.5"))
    # Q1: mean (4 + 3 + 5) ÷ 3 = 4 → (4 − 1) ÷ 4 × 100 = 75
    assert triple(total("K10", Q1)) == (12, 3, 75)
    # ministry: (4 + 5) ÷ 2 = 4.5 → 87.5; lga: 3 → 50; no institution: 2 → 25
    assert groups("K10", FY, "category") == {"ministry": (9, 2, d("87.5")), "lga": (3, 1, 50), "": (2, 1, 25)}
    # 2012/13: a single 1 → (1 − 1) ÷ 4 × 100 = 0 (a value of 0, the bottom of the scale)
    assert triple(total("K10", "2012/13")) == (1, 1, 0)
    assert triple(total("K10", "2015/16")) == (0, 0, None)


# --- K11 --------------------------------------------------------------------------------------
def test_k11_latest_assessment_against_its_own_pass_mark() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "ministry", "arusha")
    c = E.institution("c", "lga", "dodoma")
    dd = E.institution("dd", "lga", "arusha")
    E.assessment(a, date(2013, 8, 1), 80)  # passes …
    E.assessment(a, date(2014, 2, 1), 60)  # … but a's latest in 2013/14 fails
    E.assessment(b, date(2013, 9, 1), 65, pass_mark=60)  # passes against its own pass mark
    E.assessment(c, date(2013, 10, 1), 75, pass_mark=80)  # fails …
    E.assessment(c, date(2014, 5, 1), 70, pass_mark=70)  # … the latest reaches the mark exactly: passes
    E.assessment(dd, date(2013, 6, 30), 90)  # 2012/13
    E.refresh("K11", [FY, Q1, "2012/13", "2015/16"])

    # 2013/14: assessed a, b, c; latest passes: b, c → 2/3 × 100 = 66.666667
    assert triple(total("K11", FY)) == (2, 3, d("66.666667"))
    # ministry: a ✗, b ✓ → 1/2; lga: c ✓ → 1/1 (dd was assessed in 2012/13)
    assert groups("K11", FY, "category") == {"ministry": (1, 2, 50), "lga": (1, 1, 100)}
    # Q1: a's August 80 ✓, b ✓ → 2/2
    assert triple(total("K11", Q1)) == (2, 2, 100)
    assert triple(total("K11", "2012/13")) == (1, 1, 100)
    assert triple(total("K11", "2015/16")) == (0, 0, None)


# --- K12 --------------------------------------------------------------------------------------
def test_k12_composite_skips_a_part_without_value_and_reweights() -> None:
    a = E.institution("a", "ministry", "dodoma", established=date(2012, 9, 1))
    b = E.institution("b", "lga", "arusha", established=date(2012, 9, 1))
    E.initiative(a, "in_progress", date(2013, 3, 1), None)
    E.eservice(a, date(2013, 1, 1))
    E.eservice(b, date(2013, 1, 1))
    E.subscription(a, E.shared_resource("network", date(2013, 1, 1)), date(2013, 1, 1))
    E.assessment(a, date(2014, 8, 1), 90)  # only in 2014/15
    periods = [FY, "2014/15", "2012-07"]
    for part in ("K03", "K05", "K08", "K11"):
        E.refresh(part, periods)
    E.refresh("K12", periods)

    # 2013/14 parts: K03 = 1/2 → 50; K05 = 2/2 → 100; K08 = 1/(2 × 1) → 50; K11 none (no assessment).
    assert total("K11", FY).value is None
    # Composite: (50 + 100 + 50) ÷ 3 = 66.666667 — K11 skipped, the other three re-weighted
    assert triple(total("K12", FY)) == (200, 3, d("66.666667"))
    # 2014/15: all four parts, K11 = 100 → (50 + 100 + 50 + 100) ÷ 4 = 75
    assert triple(total("K12", "2014/15")) == (300, 4, 75)
    # ministry (a): K03 100, K05 100, K08 1/(1 × 1) 100 → 100; lga (b): 0, 100, 0 → 33.333333
    assert groups("K12", FY, "category") == {"ministry": (300, 3, 100), "lga": (100, 3, d("33.333333"))}
    # July 2012: no institution yet, so no part has a value → no value
    assert total("K12", "2012-07").value is None


# --- K13 --------------------------------------------------------------------------------------
def test_k13_active_institutions_served_by_advisory_or_technical_support() -> None:
    advisory, security = E.unit("huduma-ushauri"), E.unit("huduma-ushauri-usalama")
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "ministry", "arusha")
    c = E.institution("c", "lga", "dodoma")
    dd = E.institution("dd", "lga", "arusha", dissolved=date(2014, 2, 1))
    e = E.institution("e", "lga", "dodoma")
    E.institution("f", "lga", "mwanza")
    E.engagement(a, "advisory", completed=date(2013, 8, 1), org_unit=advisory)
    E.engagement(a, "technical_support", completed=date(2013, 9, 1), org_unit=advisory)  # a counted once
    E.engagement(b, "training", completed=date(2013, 10, 1))  # training is not advisory or support
    E.engagement(c, "technical_support", completed=date(2014, 6, 30), org_unit=security)  # last day
    E.engagement(c, "advisory", completed=date(2014, 7, 1))  # 2014/15
    E.engagement(dd, "advisory", completed=date(2013, 9, 15))  # dd dissolved before 30 June 2014
    E.engagement(e, "advisory", requested=date(2013, 9, 1), completed=None, status="in_progress")
    E.refresh("K13", [FY, Q1])

    # 30 June 2014 active: a, b, c, e, f = 5; served in 2013/14: a, c → 2/5 = 40
    assert triple(total("K13", FY)) == (2, 5, 40)
    # ministry: a ✓, b ✗ → 1/2; lga: c ✓, e, f → 1/3
    assert groups("K13", FY, "category") == {"ministry": (1, 2, 50), "lga": (1, 3, d("33.333333"))}
    # Q1 (30 Sep 2013): all 6 active; served a and dd → 2/6
    assert triple(total("K13", Q1)) == (2, 6, d("33.333333"))
    # By the Agency's unit that served them, over all active institutions: the advisory unit served
    # a and (through its security section) c → 2/5; the section alone c → 1/5
    org = groups("K13", FY, "org_unit")
    assert org[E.unit_pk("huduma-ushauri")] == (2, 5, 40)
    assert org[E.unit_pk("huduma-ushauri-usalama")] == (1, 5, 20)


# --- K14 --------------------------------------------------------------------------------------
def test_k14_institutions_whose_mean_rating_is_at_least_four() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "ministry", "arusha")
    c = E.institution("c", "lga", "dodoma")
    dd = E.institution("dd", "ministry", "arusha")
    E.engagement(a, completed=date(2013, 8, 1), satisfaction=5)
    E.engagement(a, completed=date(2013, 9, 1), satisfaction=3)  # a: (5 + 3) ÷ 2 = 4 → satisfied
    E.engagement(b, completed=date(2013, 7, 15), satisfaction=4)
    E.engagement(b, completed=date(2013, 11, 1), satisfaction=3)  # b: 3.5 over the year, 4 in Q1
    E.engagement(c, completed=date(2014, 1, 10), satisfaction=4)
    E.engagement(c, completed=date(2014, 1, 20), satisfaction=None)  # not rated: not counted
    E.engagement(dd, completed=date(2014, 6, 30), satisfaction=2)
    E.engagement(dd, completed=date(2014, 7, 1), satisfaction=5)  # 2014/15
    E.refresh("K14", [FY, Q1, "2014/15"])

    # 2013/14 rated: a, b, c, dd; mean ≥ 4: a (4), c (4) → 2/4 = 50
    assert triple(total("K14", FY)) == (2, 4, 50)
    # ministry: a ✓, b ✗, dd ✗ → 1/3; lga: c ✓ → 1/1
    assert groups("K14", FY, "category") == {"ministry": (1, 3, d("33.333333")), "lga": (1, 1, 100)}
    # Q1: a (4) ✓, b (4) ✓ → 2/2
    assert triple(total("K14", Q1)) == (2, 2, 100)
    assert triple(total("K14", "2014/15")) == (1, 1, 100)


# --- K15 and R14 ------------------------------------------------------------------------------
def test_k15_advisory_share_of_revenue_and_r14_e_government_revenue() -> None:
    E.revenue(date(2013, 6, 30), "advisory_services", 100)  # 2012/13
    E.revenue(date(2013, 7, 1), "advisory_services", 200)
    E.revenue(date(2013, 8, 15), "egov_services", 500)
    E.revenue(date(2014, 2, 1), "egov_services", 250)
    E.revenue(date(2014, 6, 30), "subvention", 300)
    E.revenue(date(2014, 7, 1), "advisory_services", 50)  # 2014/15
    periods = [FY, Q1, "2012/13", "2015/16"]
    E.refresh("K15", periods)
    E.refresh("R14", periods)

    # K15 2013/14: 200 ÷ (200 + 500 + 250 + 300) × 100 = 200 ÷ 1250 × 100 = 16
    assert triple(total("K15", FY)) == (200, 1250, 16)
    # Q1: 200 ÷ (200 + 500) × 100 = 28.571429
    assert triple(total("K15", Q1)) == (200, 700, d("28.571429"))
    assert triple(total("K15", "2012/13")) == (100, 100, 100)
    assert triple(total("K15", "2015/16")) == (0, 0, None)
    # Revenue has no org unit: the Finance unit (responsible) and its department carry the total
    assert groups("K15", FY, "org_unit") == {
        E.unit_pk("utawala-fedha"): (200, 1250, 16),
        E.unit_pk("utawala"): (200, 1250, 16),
    }
    # R14 2013/14: 500 + 250 = 750 TZS; Q1 500; nothing received in 2015/16 → 0
    assert triple(total("R14", FY)) == (750, None, 750)
    assert triple(total("R14", Q1)) == (500, None, 500)
    assert triple(total("R14", "2015/16")) == (0, None, 0)


# --- K16 --------------------------------------------------------------------------------------
def test_k16_filled_posts_from_the_latest_record_per_unit_and_position() -> None:
    hr, finance, admin = E.unit("utawala-rasilimali"), E.unit("utawala-fedha"), E.unit("utawala")
    E.post(hr, "Officer", date(2013, 1, 1), approved=10, filled=5)
    E.post(hr, "Officer", date(2014, 3, 1), approved=10, filled=8)  # supersedes the 2013 record
    E.post(hr, "Officer", date(2014, 7, 1), approved=12, filled=12)  # after 30 June 2014
    E.post(hr, "Clerk", date(2012, 8, 1), approved=4, filled=4)  # still in force years later
    E.post(finance, "Accountant", date(2013, 9, 30), approved=6, filled=3)
    E.post(admin, "Director", date(2012, 7, 1), approved=1, filled=0)
    E.refresh("K16", [FY, Q1, "2012/13", "2012-07"])

    # 30 June 2014: Officer 8/10, Clerk 4/4, Accountant 3/6, Director 0/1 → 15/21 × 100 = 71.428571
    assert triple(total("K16", FY)) == (15, 21, d("71.428571"))
    # 30 Sep 2013: Officer 5/10 (2013 record), Clerk 4/4, Accountant 3/6 (dated 30 Sep), Director 0/1 → 12/21
    assert triple(total("K16", Q1)) == (12, 21, d("57.142857"))
    # 30 June 2013: Officer 5/10, Clerk 4/4, Director 0/1 → 9/15 = 60
    assert triple(total("K16", "2012/13")) == (9, 15, 60)
    # By org unit, 2013/14: HR 12/14; Finance 3/6; the department itself and both units → 15/21
    # (the ratio of the sums, not the mean of 85.7, 50 and 0)
    org = groups("K16", FY, "org_unit")
    assert org == {
        E.unit_pk("utawala-rasilimali"): (12, 14, d("85.714286")),
        E.unit_pk("utawala-fedha"): (3, 6, 50),
        E.unit_pk("utawala"): (15, 21, d("71.428571")),
    }
    # July 2012: only the Director post (1 July 2012) → 0/1 = 0
    assert triple(total("K16", "2012-07")) == (0, 1, 0)


# --- K17 --------------------------------------------------------------------------------------
def test_k17_staff_responses_scoring_four_or_more() -> None:
    staff = E.survey("staff_satisfaction")
    other = E.survey("institution_satisfaction")
    for at, score in (
        (dt(2013, 6, 30, 23, 59, 59), 5),  # 2012/13
        (dt(2013, 7, 1, 0, 0, 0), 1),
        (dt(2013, 8, 15), "4.000"),  # exactly 4: satisfied
        (dt(2013, 9, 1), "3.999"),
        (dt(2014, 1, 10), 5),
        (dt(2014, 4, 1), "4.5"),
        (dt(2014, 6, 30, 23, 59, 59), 2),
    ):
        E.response(staff, at, score, None, respondent="staff")
    E.response(other, dt(2013, 8, 1), 5, E.institution("a"))
    E.refresh("K17", [FY, Q1, "2012/13", "2015/16"])

    # 2013/14: six responses (1 July 00:00 … 30 June 23:59:59), ≥ 4: 4.000, 5, 4.5 → 3/6 = 50
    assert triple(total("K17", FY)) == (3, 6, 50)
    # Q1: 1, 4.000, 3.999 → 1/3
    assert triple(total("K17", Q1)) == (1, 3, d("33.333333"))
    assert triple(total("K17", "2012/13")) == (1, 1, 100)
    assert triple(total("K17", "2015/16")) == (0, 0, None)


# --- K18 --------------------------------------------------------------------------------------
def test_k18_a_complaint_recurs_within_ninety_days_of_an_earlier_one() -> None:
    first = dt(2013, 5, 1, 9)  # 2012/13, before the period
    for subject in ("s89", "s90", "s90+1s", "s91"):
        E.complaint(first, "delay", subject)
    E.complaint(first + timedelta(days=89), "delay", "s89")  # 29 July 2013: recurs
    E.complaint(first + timedelta(days=90), "delay", "s90")  # 30 July 2013, exactly 90 days: recurs
    E.complaint(first + timedelta(days=90, seconds=1), "delay", "s90+1s")  # a second more: does not
    E.complaint(first + timedelta(days=91), "delay", "s91")  # 31 July 2013: does not
    inst = E.institution("a")
    # About an institution: not in K18, and not an earlier complaint "about the Agency" for s91
    E.complaint(dt(2013, 7, 1, 9), "delay", "s91", about="institution", inst=inst)
    E.complaint(dt(2013, 8, 1, 10), "delay", "same")  # two at the same instant: neither is
    E.complaint(dt(2013, 8, 1, 10), "delay", "same")  # strictly before the other
    E.complaint(dt(2013, 7, 20), "quality", "s89")  # same subject, other category: does not recur
    E.complaint(dt(2013, 7, 25), "delay", "another subject")  # same category, other subject
    E.complaint(dt(2014, 2, 1), "delay", "late")  # Q3
    E.refresh("K18", [FY, Q1, "2012/13"])

    # 2013/14 about the Agency: s89, s90, s90+1s, s91, same × 2, quality s89, another subject, late
    # = 9; recurring: s89 (89 days) and s90 (90 days) → 2/9 × 100 = 22.222222
    assert triple(total("K18", FY)) == (2, 9, d("22.222222"))
    # Q1: the same less "late" → 2/8 = 25
    assert triple(total("K18", Q1)) == (2, 8, 25)
    # 2012/13: the four first complaints, none with an earlier one → 0/4
    assert triple(total("K18", "2012/13")) == (0, 4, 0)


# --- R01 --------------------------------------------------------------------------------------
def test_r01_seconds_up_over_seconds_monitored_while_live() -> None:
    s1 = E.eservice(E.institution("a", "ministry", "dodoma"), date(2012, 7, 1))
    s2 = E.eservice(E.institution("b", "lga", "arusha"), date(2013, 8, 1), retired=date(2014, 6, 30))
    day = 86400
    E.monitor_day(s1, date(2013, 6, 30), day, 0)  # 2012/13
    E.monitor_day(s1, date(2013, 7, 1), day, day)
    E.monitor_day(s1, date(2013, 7, 2), day, day // 2)
    E.monitor_day(s2, date(2013, 7, 15), day, 0)  # before s2's launch: not live, not counted
    E.monitor_day(s2, date(2013, 8, 1), day, day)  # its launch day: live
    E.monitor_day(s2, date(2014, 6, 30), day, 0)  # its retirement day: not live
    E.monitor_day(s1, date(2014, 1, 1), 3600, 3600)
    E.refresh("R01", [FY, Q1, "2012/13"])

    # 2013/14: up 86 400 + 43 200 + 86 400 + 3 600 = 219 600 of 3 × 86 400 + 3 600 = 262 800 → 83.561644
    assert triple(total("R01", FY)) == (219600, 262800, d("83.561644"))
    # Q1: 216 000 of 259 200 → 83.333333; ministry (s1) 129 600 / 172 800 = 75; lga (s2) 86 400 / 86 400
    assert triple(total("R01", Q1)) == (216000, 259200, d("83.333333"))
    assert groups("R01", Q1, "category") == {"ministry": (129600, 172800, 75), "lga": (86400, 86400, 100)}
    assert triple(total("R01", "2012/13")) == (0, 86400, 0)


# --- R02 --------------------------------------------------------------------------------------
def test_r02_median_days_to_resolve_complaints_resolved_in_the_period() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.complaint(dt(2013, 7, 1, 8), about="institution", inst=a, resolved=dt(2013, 7, 3, 8))  # 2 days
    E.complaint(dt(2013, 8, 1, 8), about="institution", inst=b, resolved=dt(2013, 8, 6, 8))  # 5 days
    E.complaint(dt(2013, 6, 20, 12), resolved=dt(2013, 7, 1, 0, 0, 0))  # 10.5 days, resolved in 2013/14
    E.complaint(dt(2013, 12, 1, 8), resolved=dt(2013, 12, 31, 8))  # 30 days
    E.complaint(dt(2013, 6, 1, 12), resolved=dt(2013, 6, 30, 23, 59, 59))  # resolved in 2012/13
    E.complaint(dt(2013, 9, 1))  # unresolved
    E.refresh("R02", [FY, Q1, "2013/14-Q2", "2015/16"])

    # 2013/14, an even count: 2, 5, 10.5, 30 → (5 + 10.5) ÷ 2 = 7.75
    r02 = total("R02", FY)
    assert close(r02.value, "7.75") and r02.numerator == r02.value and r02.denominator is None
    # Q1, an odd count: 2, 5, 10.5 → 5
    assert close(total("R02", Q1).value, 5)
    # Q2: 30 alone
    assert close(total("R02", "2013/14-Q2").value, 30)
    # By category: ministry 2; lga 5; about the Agency (no institution) 10.5 and 30 → 20.25
    cats = stored("R02", FY, "category")
    assert close(cats["ministry"].value, 2) and close(cats["lga"].value, 5) and close(cats[""].value, "20.25")
    # Nothing resolved in 2015/16: no median
    assert triple(total("R02", "2015/16")) == (None, None, None)


# --- R04 --------------------------------------------------------------------------------------
def test_r04_initiatives_approved_on_or_before_their_start() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.initiative(a, start=date(2013, 8, 1), review="approved", reviewed=date(2013, 7, 15))  # before ✓
    E.initiative(b, start=date(2013, 9, 1), review="approved", reviewed=date(2013, 9, 1))  # on the day ✓
    E.initiative(a, start=date(2013, 10, 1), review="approved", reviewed=date(2013, 10, 2))  # after ✗
    E.initiative(b, start=date(2014, 1, 1), review="rejected", reviewed=date(2013, 12, 1))  # rejected ✗
    E.initiative(b, start=date(2014, 2, 1), review="pending")  # not reviewed ✗
    E.initiative(a, start=date(2013, 6, 30), review="approved", reviewed=date(2013, 6, 1))  # 2012/13
    E.initiative(a, start=None, review="approved", reviewed=date(2013, 6, 1))  # not started
    E.refresh("R04", [FY, Q1, "2012/13"])

    # 2013/14 started: 5; approved on or before start: 2 → 40
    assert triple(total("R04", FY)) == (2, 5, 40)
    # ministry (a): Aug ✓, Oct ✗ → 1/2; lga (b): Sep ✓, Jan ✗, Feb ✗ → 1/3
    assert groups("R04", FY, "category") == {"ministry": (1, 2, 50), "lga": (1, 3, d("33.333333"))}
    assert triple(total("R04", Q1)) == (2, 2, 100)
    assert triple(total("R04", "2012/13")) == (1, 1, 100)


# --- R08 --------------------------------------------------------------------------------------
def test_r08_interoperability_connections_active_at_the_end() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    c = E.institution("c", "lga", "mwanza")
    bus = E.shared_resource("interoperability", date(2012, 7, 1))
    net = E.shared_resource("network", date(2012, 7, 1))
    E.subscription(a, bus, date(2013, 1, 1))
    E.subscription(b, bus, date(2013, 8, 1), ended=date(2014, 6, 30))  # ended on the last day
    E.subscription(c, bus, date(2014, 6, 30))  # connected on the last day
    E.subscription(a, net, date(2013, 1, 1))  # not interoperability
    E.refresh("R08", [FY, Q1, "2012/13", "2012-07"])

    # 30 June 2014: a and c → 2 (b ended that day)
    assert triple(total("R08", FY)) == (2, None, 2)
    assert groups("R08", FY, "region") == {"dodoma": (1, None, 1), "mwanza": (1, None, 1)}
    # 30 Sep 2013: a and b → 2; dodoma 1, arusha 1
    assert groups("R08", Q1, "region") == {"dodoma": (1, None, 1), "arusha": (1, None, 1)}
    assert triple(total("R08", "2012/13")) == (1, None, 1)
    assert triple(total("R08", "2012-07")) == (0, None, 0)


# --- R12 --------------------------------------------------------------------------------------
def test_r12_median_days_from_request_to_completed_technical_support() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.engagement(a, "technical_support", requested=date(2013, 7, 1), completed=date(2013, 7, 4))  # 3
    E.engagement(b, "technical_support", requested=date(2013, 8, 1), completed=date(2013, 8, 11))  # 10
    E.engagement(b, "technical_support", requested=date(2013, 9, 1), completed=date(2013, 9, 8))  # 7
    E.engagement(a, "technical_support", requested=date(2013, 10, 1), completed=date(2013, 11, 30))  # 60
    E.engagement(a, "advisory", requested=date(2013, 7, 1), completed=date(2013, 7, 2))  # not support
    E.engagement(a, "technical_support", requested=date(2013, 6, 1), completed=date(2013, 6, 30))  # 2012/13
    E.refresh("R12", [FY, Q1, "2012/13", "2015/16"])

    # Q1, odd: 3, 7, 10 → 7; 2013/14, even: 3, 7, 10, 60 → (7 + 10) ÷ 2 = 8.5
    assert close(total("R12", Q1).value, 7)
    assert close(total("R12", FY).value, "8.5")
    # ministry (a): 3, 60 → 31.5; lga (b): 7, 10 → 8.5
    cats = stored("R12", FY, "category")
    assert close(cats["ministry"].value, "31.5") and close(cats["lga"].value, "8.5")
    assert close(total("R12", "2012/13").value, 29)
    assert total("R12", "2015/16").value is None
