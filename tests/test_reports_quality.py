"""Data-quality checks and reminders, on a small data set worked out by hand.

Quarter 2014/15-Q1 is 1 July – 30 September 2014; its returns fall due 30 days later, on
30 October 2014. Fiscal year 2013/14's workforce returns fell due on 30 July 2014.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.core import periods as P
from tathmini.measure.models import ManualValue, Value
from tathmini.registry.models import EService, FocalPerson, Institution, UsageReturn, WorkforceReturn
from tathmini.reports import quality, reminders
from tathmini.reports.models import ReminderLog
from tathmini.strategy.models import Indicator, OrgUnit, Plan
from tests.conftest import Persona

Q1 = P.parse("2014/15-Q1")


def institution(code: str, dissolved: date | None = None) -> Institution:
    return Institution.objects.create(
        code=code, name_sw=f"Taasisi {code}", name_en=f"Institution {code}", category="ministry", dissolved_on=dissolved
    )


def eservice(inst: Institution, code: str, launched: date, retired: date | None = None) -> EService:
    return EService.objects.create(
        institution=inst,
        code=code,
        name_sw=code,
        name_en=code,
        life_event="business",
        channels="web",
        launched_on=launched,
        retired_on=retired,
    )


def usage(service: EService, start: date, end: date) -> None:
    UsageReturn.objects.create(eservice=service, period_start=start, period_end=end, transactions=1, users=1)


@pytest.fixture
def returns(db: Any) -> dict[str, Institution]:
    a, b, c = institution("qa-a"), institution("qa-b"), institution("qa-c")
    d = institution("qa-d", dissolved=date(2014, 9, 1))
    a1 = eservice(a, "qa-a1", date(2013, 1, 1))
    eservice(a, "qa-a2", date(2013, 1, 1))  # no return at all
    usage(a1, date(2014, 7, 1), date(2014, 9, 30))
    eservice(b, "qa-b1", date(2014, 10, 1))  # launched after the quarter
    eservice(b, "qa-b2", date(2014, 7, 15), retired=date(2014, 8, 1))  # retired within it
    c1 = eservice(c, "qa-c1", date(2013, 1, 1))
    usage(c1, date(2014, 9, 1), date(2014, 9, 30))  # a monthly return inside the quarter counts
    eservice(d, "qa-d1", date(2013, 1, 1))  # dissolved before the quarter ended
    WorkforceReturn.objects.create(institution=a, as_of=date(2014, 6, 30), ict_staff=5, qualified_ict_staff=3)
    FocalPerson.objects.create(institution=a, name="A", email="a@example.tz")
    FocalPerson.objects.create(institution=c, name="C", email="c@example.tz")
    return {"a": a, "b": b, "c": c, "d": d}


def test_late_usage_returns_count_live_eservices_of_active_institutions(returns: dict[str, Institution]) -> None:
    assert quality.late_usage(Q1, today=date(2014, 10, 30)) == []  # due that day: not late yet
    late = quality.late_usage(Q1, today=date(2014, 10, 31))
    assert [(row.institution.code, row.missing, row.due) for row in late] == [("qa-a", 1, date(2014, 10, 30))]


def test_late_workforce_returns(returns: dict[str, Institution]) -> None:
    late = quality.late_workforce(P.parse("2013/14"), today=date(2014, 8, 1))
    codes = {row.institution.code for row in late}
    assert {"qa-b", "qa-c", "qa-d"} <= codes and "qa-a" not in codes
    assert quality.late_workforce(P.parse("2013/14"), today=date(2014, 7, 30)) == []


def put(indicator: Indicator, code: str, value: str | None, denominator: str | None = "1") -> None:
    p = P.parse(code)
    Value.objects.create(
        indicator=indicator,
        period=code,
        period_kind=p.kind,
        period_start=p.start,
        period_end=p.end,
        numerator=None if value is None else Decimal(value),
        denominator=None if denominator is None else Decimal(denominator),
        value=None if value is None else Decimal(value),
        computed_at=datetime(2015, 8, 1, tzinfo=UTC),
    )


def test_outliers_against_each_indicators_own_history(plan: Plan) -> None:
    k04, k05 = plan.indicators.get(code="K04"), plan.indicators.get(code="K05")
    quarters = [q.code for y in ("2012/13", "2013/14") for q in P.quarters_of(P.parse(y))]
    # K04: 10, 11, 9, 10 | 12 (median 10, MAD 0.5: score 0.6745 × 2 / 0.5 = 2.70, usual)
    #      30 (median 10, MAD 1: score 0.6745 × 20 = 13.49, unusual) | 11 (median 10.5, MAD 1: 0.34)
    for code, value in zip(quarters, ["10", "11", "9", "10", "12", "30", "11"], strict=False):
        put(k04, code, value)
    # K05: a flat 50 four times, then 80 (more than half away from 50: unusual), then 60 (not).
    for code, value in zip(quarters, ["50", "50", "50", "50", "80"], strict=False):
        put(k05, code, value)
    found = quality.outliers(plan)
    assert [(o.indicator.code, o.period, o.value, o.median) for o in found] == [
        ("K04", "2013/14-Q2", Decimal("30"), Decimal("10")),
        ("K05", "2013/14-Q1", Decimal("80"), Decimal("50")),
    ]
    assert found[0].score == Decimal("13.490") and found[1].score is None


def manual_indicator(plan: Plan) -> Indicator:
    """An indicator reported by hand: it has no definition. Its unit: the data centre section."""
    return Indicator.objects.create(
        plan=plan,
        code="M01",
        name_sw="Kiashiria cha mkono",
        name_en="A hand-reported indicator",
        unit="percent",
        objective=plan.objectives.get(code="O1"),
        responsible_unit=OrgUnit.objects.get(code="miundombinu-kituo"),
    )


def test_indicators_without_a_value_say_why(plan: Plan) -> None:
    manual_indicator(plan)
    put(plan.indicators.get(code="K04"), "2014/15", "150")
    put(plan.indicators.get(code="K05"), "2014/15", None, denominator="0")
    missing = {m.indicator.code: m.reason for m in quality.missing_values(plan, P.parse("2014/15"))}
    assert len(missing) == 24 and "K04" not in missing
    assert (missing["K05"], missing["K01"], missing["M01"]) == ("no_denominator", "no_value", "no_definition")


def test_quality_page_is_for_the_me_officer_and_administrator(
    plan: Plan, returns: dict[str, Institution], personas: dict[str, Persona]
) -> None:
    url = reverse("reports:quality") + "?year=2014/15&quarter=1"
    page = personas["me_officer"].client().get(url)
    html = page.content.decode()
    # qa-a lacks a usage return; qa-b and qa-c a workforce return for the year; qa-d was dissolved.
    assert page.status_code == 200 and "qa-a" in html and "qa-b" in html and "qa-d" not in html
    assert personas["administrator"].client().get(url).status_code == 200
    for who in ("manager", "agency_officer", "focal_person"):
        assert personas[who].client().get(url).status_code == 403, who


# --- reminders ------------------------------------------------------------------------------------
@pytest.fixture
def staff(plan: Plan) -> None:
    manual_indicator(plan)

    def user(name: str, role: str, email: str, unit: str | None) -> None:
        u = User.objects.create_user(
            username=name, email=email, org_unit=OrgUnit.objects.get(code=unit) if unit else None
        )
        user_set_roles(u, [role])

    user("qa-me", Role.ME_OFFICER, "me@example.tz", "viwango-tathmini")
    user("qa-officer", Role.AGENCY_OFFICER, "o@example.tz", "miundombinu-kituo")  # answers for M01
    user("qa-head", Role.MANAGER, "head@example.tz", "huduma")  # does not


EXPECTED = {
    ("usage:qa-a:2014/15-Q1:due", "a@example.tz"),
    ("usage:qa-a:2013/14-Q4:late", "a@example.tz"),
    ("usage:qa-c:2013/14-Q4:late", "c@example.tz"),
    ("workforce:qa-c:2013/14:late", "c@example.tz"),
    ("manual:M01:2014/15-Q1:due", "me@example.tz"),
    ("manual:M01:2014/15-Q1:due", "o@example.tz"),
}


def test_reminders_go_once_to_whoever_owes_the_return_or_value(
    plan: Plan, returns: dict[str, Institution], staff: None
) -> None:
    # 25 October 2014: Q1's returns fall due in 5 days; 2013/14-Q4's and the year's are overdue.
    # M01 (reported by hand) already has an approved value for 2013/14-Q4, so only Q1 is asked for.
    q4 = P.parse("2013/14-Q4")
    ManualValue.objects.create(
        indicator=plan.indicators.get(code="M01"),
        period=q4.code,
        period_kind="quarter",
        period_start=q4.start,
        period_end=q4.end,
        value=Decimal("99"),
        status="approved",
    )
    sent = reminders.run(date(2014, 10, 25))
    assert {(r.key, to) for r, to in sent} == EXPECTED
    assert len(mail.outbox) == 6
    message = next(m for m in mail.outbox if m.to == ["a@example.tz"] and "Q1" in m.subject)
    assert "E-service usage returns of qa-a for 2014/15-Q1" in message.subject
    assert "due on 2014-10-30" in message.body
    overdue = next(m for m in mail.outbox if m.to == ["c@example.tz"] and "workforce" in m.body.lower())
    assert "Overdue" in overdue.subject
    # Again the same day, or the next: nothing more.
    assert reminders.run(date(2014, 10, 25)) == [] and reminders.run(date(2014, 10, 26)) == []
    assert len(mail.outbox) == 6


def test_reminders_command_dry_run_sends_and_records_nothing(
    plan: Plan, returns: dict[str, Institution], staff: None
) -> None:
    out = io.StringIO()
    call_command("reminders", "--dry-run", "--today", "2014-10-25", stdout=out)
    text = out.getvalue()
    assert "would send usage:qa-a:2014/15-Q1:due (due 2014-10-30) to a@example.tz" in text
    # Without an approved value M01's overdue 2013/14-Q4 is asked for too: 6 + 2.
    assert "8 reminder(s) would send" in text
    assert mail.outbox == [] and ReminderLog.objects.count() == 0
    out = io.StringIO()
    call_command("reminders", "--today", "2014-10-25", stdout=out)
    assert "8 reminder(s) sent" in out.getvalue() and len(mail.outbox) == 8


def test_reminders_command_refuses_a_bad_date(db: Any) -> None:
    with pytest.raises(Exception, match="not a date"):
        call_command("reminders", "--today", "2014-13-45")
