"""Hand-built data sets for the indicator-engine tests: a clean slate, small record builders with
sensible defaults, and readers of the stored values.

The builders write straight through the ORM (no audit trail, no automatic refresh): these tests
check what the engine computes from rows, not how rows are written.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tathmini.feedback.models import Complaint, InformationRequest, Survey, SurveyResponse
from tathmini.measure import engine
from tathmini.measure.models import RefreshRun, Value
from tathmini.monitor.models import MonitorDay
from tathmini.registry.models import (
    ComplianceAssessment,
    EService,
    Initiative,
    Institution,
    Region,
    ResourceSubscription,
    SharedResource,
    UsageReturn,
    WorkforceReturn,
)
from tathmini.services.models import BudgetLine, Engagement, PostRecord, Revenue
from tathmini.strategy.models import Indicator, OrgUnit, Plan

PLAN_CODE = "ega-2012-2017"
_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


def dt(year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """A UTC timestamp (times are UTC throughout the plan's periods)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def clear_records() -> None:
    """Remove every operational record, and take the institutions already in the database out of
    every period, so a test's data set is the only one the engine sees (the test rolls back)."""
    for model in (
        MonitorDay,
        Complaint,
        InformationRequest,
        SurveyResponse,
        Survey,
        Engagement,
        BudgetLine,
        Revenue,
        PostRecord,
        UsageReturn,
        ComplianceAssessment,
        Initiative,
        WorkforceReturn,
        ResourceSubscription,
        SharedResource,
        EService,
    ):
        model.objects.all().delete()
    # Other apps keep protected links to the demo institution (users, API tokens): instead of
    # deleting it, it is made to have existed only long before the plan.
    Institution.objects.update(established_on=date(1990, 1, 1), dissolved_on=date(1990, 1, 2))
    Value.objects.all().delete()
    RefreshRun.objects.all().delete()


# --- Builders ---------------------------------------------------------------------------------
def institution(
    code: str,
    category: str = "ministry",
    region_code: str | None = "dodoma",
    established: date | None = None,
    dissolved: date | None = None,
) -> Institution:
    return Institution.objects.create(
        code=code,
        name_sw=f"Taasisi {code}",
        name_en=f"Institution {code}",
        category=category,
        region=Region.objects.get(code=region_code) if region_code else None,
        established_on=established,
        dissolved_on=dissolved,
    )


def eservice(inst: Institution, launched: date, retired: date | None = None) -> EService:
    n = serial()
    return EService.objects.create(
        institution=inst,
        code=f"es-{n}",
        name_sw=f"Huduma {n}",
        name_en=f"Service {n}",
        life_event="tax",
        channels="web",
        launched_on=launched,
        retired_on=retired,
    )


def shared_resource(kind: str, offered_from: date, offered_to: date | None = None) -> SharedResource:
    n = serial()
    return SharedResource.objects.create(
        code=f"sr-{n}",
        name_sw=f"Rasilimali {n}",
        name_en=f"Resource {n}",
        kind=kind,
        offered_from=offered_from,
        offered_to=offered_to,
    )


def subscription(
    inst: Institution, resource: SharedResource, started: date, ended: date | None = None
) -> ResourceSubscription:
    return ResourceSubscription.objects.create(institution=inst, resource=resource, started_on=started, ended_on=ended)


def workforce(inst: Institution, as_of: date, ict: int, qualified: int) -> WorkforceReturn:
    return WorkforceReturn.objects.create(institution=inst, as_of=as_of, ict_staff=ict, qualified_ict_staff=qualified)


def initiative(
    inst: Institution,
    status: str = "in_progress",
    start: date | None = None,
    end: date | None = None,
    review: str = "not_submitted",
    reviewed: date | None = None,
) -> Initiative:
    n = serial()
    return Initiative.objects.create(
        institution=inst,
        code=f"in-{n}",
        title=f"Initiative {n}",
        status=status,
        start_on=start,
        end_on=end,
        review_status=review,
        reviewed_on=reviewed,
    )


def assessment(
    inst: Institution, on: date, score: str | int | Decimal, pass_mark: str | int | Decimal = 70
) -> ComplianceAssessment:
    return ComplianceAssessment.objects.create(
        institution=inst, assessed_on=on, score=Decimal(str(score)), pass_mark=Decimal(str(pass_mark))
    )


def usage(service: EService, start: date, end: date, users: int, transactions: int = 0) -> UsageReturn:
    return UsageReturn.objects.create(
        eservice=service, period_start=start, period_end=end, users=users, transactions=transactions
    )


def monitor_day(service: EService, day: date, monitored: int, up: int) -> MonitorDay:
    return MonitorDay.objects.create(eservice=service, day=day, seconds_monitored=monitored, seconds_up=up)


def engagement(
    inst: Institution,
    kind: str = "advisory",
    requested: date = date(2013, 1, 1),
    completed: date | None = None,
    satisfaction: int | None = None,
    org_unit: OrgUnit | None = None,
    status: str = "completed",
) -> Engagement:
    return Engagement.objects.create(
        reference=f"eng-{serial()}",
        institution=inst,
        kind=kind,
        status=status,
        requested_on=requested,
        completed_on=completed,
        satisfaction=satisfaction,
        org_unit=org_unit,
    )


def budget_line(
    fiscal_year: str, category: str, amount: str | int | Decimal, org_unit: OrgUnit | None = None
) -> BudgetLine:
    return BudgetLine.objects.create(
        fiscal_year=fiscal_year,
        code=f"b-{serial()}",
        category=category,
        amount=Decimal(str(amount)),
        org_unit=org_unit,
    )


def revenue(on: date, source: str, amount: str | int | Decimal) -> Revenue:
    return Revenue.objects.create(
        reference=f"rv-{serial()}", received_on=on, source=source, amount=Decimal(str(amount))
    )


def post(unit: OrgUnit, position: str, as_of: date, approved: int, filled: int) -> PostRecord:
    return PostRecord.objects.create(org_unit=unit, position=position, as_of=as_of, approved=approved, filled=filled)


def complaint(
    received: datetime,
    category: str = "delay",
    subject: str = "slow reply",
    about: str = "agency",
    inst: Institution | None = None,
    resolved: datetime | None = None,
) -> Complaint:
    return Complaint.objects.create(
        reference=f"LAL-{serial()}",
        about=about,
        institution=inst,
        category=category,
        subject=subject,
        received_at=received,
        resolved_at=resolved,
        status="resolved" if resolved else "open",
    )


def information_request(inst: Institution, submitted: datetime, answered: datetime | None = None) -> InformationRequest:
    return InformationRequest.objects.create(
        reference=f"OMB-{serial()}",
        institution=inst,
        subject="budget",
        question="How much?",
        submitted_at=submitted,
        deadline=submitted.date(),
        answered_at=answered,
        status="answered" if answered else "awaiting",
    )


def survey(kind: str) -> Survey:
    n = serial()
    return Survey.objects.create(
        code=f"sv-{n}", kind=kind, name_sw=f"Utafiti {n}", name_en=f"Survey {n}", opens_on=date(2012, 7, 1)
    )


def response(
    sv: Survey,
    at: datetime,
    score: str | int | Decimal,
    inst: Institution | None = None,
    respondent: str = "institution",
) -> SurveyResponse:
    return SurveyResponse.objects.create(
        survey=sv, submitted_at=at, respondent=respondent, institution=inst, score=Decimal(str(score))
    )


# --- Running the engine and reading what it stored -------------------------------------------
def indicator(code: str) -> Indicator:
    return Indicator.objects.select_related("plan", "responsible_unit").get(plan__code=PLAN_CODE, code=code)


def refresh(code: str, periods: list[str]) -> None:
    """Recompute one indicator for the periods named (the org-unit tree's links first, as the
    refresh command does)."""
    engine.rebuild_org_unit_links()
    engine.refresh_indicator(indicator(code), periods)


def plan() -> Plan:
    return Plan.objects.get(code=PLAN_CODE)


@dataclass(frozen=True)
class Stored:
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    extras: dict[str, Any]


def stored(code: str, period: str, dimension: str = "") -> dict[str, Stored]:
    """group → the stored value of one indicator, period and disaggregation."""
    rows = Value.objects.filter(
        indicator__plan__code=PLAN_CODE, indicator__code=code, period=period, dimension=dimension
    )
    return {r.group: Stored(r.numerator, r.denominator, r.value, r.extras) for r in rows}


def total(code: str, period: str) -> Stored:
    found = stored(code, period)
    assert list(found) == [""], f"{code} {period}: expected one total row, found {sorted(found)}"
    return found[""]


def d(x: str | int) -> Decimal:
    return Decimal(str(x))


def triple(s: Stored) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    return s.numerator, s.denominator, s.value


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def unit_pk(code: str) -> str:
    return str(OrgUnit.objects.get(code=code).pk)
