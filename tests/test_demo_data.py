"""The demo records loaded by ``make run``: realistic in shape, illustrative, deterministic."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Avg, Count, F, Model, Q, QuerySet

from tathmini.core import demo_records
from tathmini.core.demo_records import EAT, add_working_days, load_demo_records
from tathmini.feedback.models import (
    Complaint,
    ComplaintUpdate,
    InformationRequest,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from tathmini.registry.models import (
    ComplianceAssessment,
    EService,
    FocalPerson,
    Initiative,
    Institution,
    Region,
    ResourceSubscription,
    SharedResource,
    Standard,
    UsageReturn,
    WorkforceReturn,
)
from tathmini.services.models import BudgetLine, Engagement, PostRecord, Revenue

FISCAL_YEARS = [(date(y, 7, 1), date(y + 1, 6, 30)) for y in range(2012, 2017)]


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    # Loaded once for the module inside a transaction that is rolled back at the end: each test
    # runs in a savepoint within it, so other modules never see these rows.
    with django_db_blocker.unblock(), transaction.atomic():
        counts = load_demo_records()
        yield counts
        transaction.set_rollback(True)


def test_working_days_skip_weekends() -> None:
    # Worked by hand on a 2013 calendar: 1 March was a Friday.
    assert add_working_days(date(2013, 3, 1), 20) == date(2013, 3, 29)
    assert add_working_days(date(2013, 3, 2), 20) == date(2013, 3, 29)  # from a Saturday, as from Friday
    assert add_working_days(date(2013, 3, 6), 3) == date(2013, 3, 11)  # Wednesday → Monday
    assert add_working_days(date(2013, 3, 8), 1) == date(2013, 3, 11)  # Friday → Monday


def test_references_look_random_and_never_repeat() -> None:
    make = demo_records.ReferenceMaker("MAL", 12345)
    refs = [make(n) for n in range(20_000)]
    assert len(set(refs)) == len(refs)
    assert all(len(r) == 13 and r.startswith("MAL-") and r[8] == "-" for r in refs)
    assert not set("01ILO").intersection("".join(r[4:] for r in refs))
    assert refs[:100] != sorted(refs[:100])  # one number does not lead to the next


@pytest.mark.django_db
def test_institutions_follow_the_public_proportions(demo_loaded: dict[str, int]) -> None:
    by_category = dict(
        Institution.objects.filter(code__startswith="demo-").values_list("category").annotate(n=Count("pk"))
    )
    mdas = sum(by_category[c] for c in ("ministry", "independent_department", "agency", "public_corporation"))
    assert 190 <= mdas <= 210
    assert 20 <= by_category["ministry"] <= 30
    assert 80 <= by_category["agency"] <= 100
    assert by_category["regional_secretariat"] == 26
    assert 180 <= by_category["lga"] <= 195
    assert Region.objects.count() == 31
    demo_insts = Institution.objects.filter(code__startswith="demo-")
    assert not demo_insts.filter(illustrative=False).exists()
    # Every regional secretariat and council has its region; every mainland region has councils.
    local = demo_insts.filter(category__in=["regional_secretariat", "lga"])
    assert not local.filter(region__isnull=True).exists()
    assert local.values("region").distinct().count() == 26
    assert not local.filter(region__zone="zanzibar").exists()
    # Established during the plan (Songwe's secretariat in 2016) and dissolved mid-plan.
    songwe = Institution.objects.get(code="demo-rs-songwe")
    assert songwe.established_on == date(2016, 1, 29)
    dissolved = demo_insts.filter(dissolved_on__range=(date(2012, 7, 1), date(2017, 6, 30)))
    assert 1 <= dissolved.count() <= 2
    assert demo_insts.filter(established_on__range=(date(2012, 7, 1), date(2017, 6, 30))).count() >= 5
    # Agencies sit under a ministry (or, for the judiciary's college, a department); councils under
    # their region's secretariat.
    agencies = demo_insts.filter(category="agency")
    assert not agencies.exclude(parent__category__in=["ministry", "independent_department"]).exists()
    assert not demo_insts.filter(category="lga").exclude(parent__region=F("region")).exists()
    with_focal = demo_insts.filter(focal_persons__active=True).distinct().count()
    assert with_focal >= 0.85 * demo_insts.count()
    assert not FocalPerson.objects.exclude(email__endswith=".example.go.tz").exists()


@pytest.mark.django_db
def test_every_record_type_has_rows_in_each_fiscal_year(demo_loaded: dict[str, int]) -> None:
    dated: list[tuple[QuerySet[Any], str]] = [
        (EService.objects.all(), "launched_on"),
        (UsageReturn.objects.all(), "period_start"),
        (ResourceSubscription.objects.all(), "started_on"),
        (WorkforceReturn.objects.all(), "as_of"),
        (Initiative.objects.all(), "start_on"),
        (Standard.objects.all(), "issued_on"),
        (ComplianceAssessment.objects.all(), "assessed_on"),
        (Engagement.objects.all(), "requested_on"),
        (Engagement.objects.filter(status="completed"), "completed_on"),
        (Revenue.objects.filter(source="advisory_services"), "received_on"),
        (Revenue.objects.filter(source="egov_services"), "received_on"),
        (Revenue.objects.filter(source="subvention"), "received_on"),
        (PostRecord.objects.all(), "as_of"),
        (Complaint.objects.filter(about="agency"), "received_at__date"),
        (Complaint.objects.filter(about="eservice"), "received_at__date"),
        (InformationRequest.objects.all(), "submitted_at__date"),
        (Survey.objects.filter(kind="institution_satisfaction"), "opens_on"),
        (SurveyResponse.objects.filter(survey__kind="stakeholder_awareness"), "submitted_at__date"),
        (SurveyResponse.objects.filter(survey__kind="staff_satisfaction"), "submitted_at__date"),
        (SurveyResponse.objects.filter(survey__kind="institution_satisfaction"), "submitted_at__date"),
    ]
    for qs, field in dated:
        for start, end in FISCAL_YEARS:
            assert qs.filter(**{f"{field}__range": (start, end)}).exists(), (qs.model.__name__, field, start)
    for start, _end in FISCAL_YEARS:
        fy = f"{start.year}/{(start.year + 1) % 100:02d}"
        assert BudgetLine.objects.filter(fiscal_year=fy, category="shared_resources").exists()


@pytest.mark.django_db
def test_sizes_and_trends_are_plausible(demo_loaded: dict[str, int]) -> None:
    assert 200 <= EService.objects.filter(code__startswith="demo-es-").count() <= 500
    assert not EService.objects.filter(illustrative=False).exists()
    assert not EService.objects.exclude(url__regex=r"^https://[a-z0-9-]+\.example\.go\.tz/").exists()
    assert 2_700 <= Engagement.objects.count() <= 3_300
    assert Engagement.objects.exclude(officer__username="afisa.ushauri").count() == 0
    assert 250 <= Engagement.objects.values("institution").distinct().count() <= 300  # ~299 served
    # Subscribers as the Agency reported them (DEMO-FACTS.md): mail ~210 and GovNet ~72 in 2015,
    # mGov 117 by the end of the plan.
    end_2015, end_plan = date(2015, 12, 31), date(2017, 6, 30)

    def active(code: str, day: date) -> int:
        return (
            ResourceSubscription.objects.filter(resource__code=code, started_on__lte=day)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
            .count()
        )

    assert 185 <= active("demo-barua-pepe", end_2015) <= 230
    assert 60 <= active("demo-govnet", end_2015) <= 85
    assert 100 <= active("demo-mgov", end_plan) <= 120
    assert SharedResource.objects.filter(code__startswith="demo-").count() == 6
    # Rated engagements are mostly satisfied (4–5); compliance scores rise year on year.
    rated = Engagement.objects.filter(satisfaction__isnull=False)
    assert rated.filter(satisfaction__gte=4).count() > 0.7 * rated.count()
    means = [
        float(ComplianceAssessment.objects.filter(assessed_on__range=fy).aggregate(m=Avg("score"))["m"])
        for fy in FISCAL_YEARS
    ]
    assert means == sorted(means) and means[0] < 70 < means[-1]
    shares = []
    for start, _end in FISCAL_YEARS:
        lines = BudgetLine.objects.filter(fiscal_year=f"{start.year}/{(start.year + 1) % 100:02d}")
        total = sum(line.amount for line in lines)
        shares.append(sum(line.amount for line in lines if line.category == "shared_resources") / total)
    assert shares == sorted(shares)
    # Some initiatives started before the Agency approved them (R04 has something to count).
    assert Initiative.objects.filter(review_status="approved", reviewed_on__gt=F("start_on")).exists()
    assert Initiative.objects.filter(review_status="approved", reviewed_on__lte=F("start_on")).exists()
    # Some complaints about the Agency repeat a subject within 90 days (K18 has something to count).
    agency = list(Complaint.objects.filter(about="agency").values_list("category", "subject", "received_at"))
    seen: dict[tuple[str, str], list[datetime]] = {}
    recurring = 0
    for category, subject, at in sorted(agency, key=lambda row: row[2]):
        earlier = seen.setdefault((category, subject), [])
        recurring += any(at - e <= timedelta(days=90) for e in earlier)
        earlier.append(at)
    assert 0.05 * len(agency) < recurring < 0.6 * len(agency)


@pytest.mark.django_db
def test_records_keep_their_rules(demo_loaded: dict[str, int]) -> None:
    assert not WorkforceReturn.objects.filter(qualified_ict_staff__gt=F("ict_staff")).exists()
    assert not Complaint.objects.filter(resolved_at__lt=F("received_at")).exists()
    assert not Complaint.objects.filter(status="resolved", resolved_at__isnull=True).exists()
    assert not InformationRequest.objects.filter(answered_at__lt=F("submitted_at")).exists()
    assert InformationRequest.objects.filter(status="refused").exists()
    assert InformationRequest.objects.filter(status="awaiting").exists()
    assert not EService.objects.filter(retired_on__lt=F("launched_on")).exists()
    assert EService.objects.filter(retired_on__isnull=False).exists()
    assert not UsageReturn.objects.filter(users__gt=F("transactions")).exists()
    assert not UsageReturn.objects.filter(period_start__lt=F("eservice__launched_on")).exists()
    assert not Engagement.objects.filter(completed_on__lt=F("requested_on")).exists()
    assert not PostRecord.objects.filter(filled__gt=F("approved")).exists()
    assert not ResourceSubscription.objects.filter(started_on__lt=F("resource__offered_from")).exists()
    # Institutions only act while they exist.
    assert not ResourceSubscription.objects.filter(institution__established_on__gt=F("started_on")).exists()
    assert not EService.objects.filter(institution__dissolved_on__lte=F("launched_on")).exists()
    assert not ComplianceAssessment.objects.filter(standards__issued_on__gt=F("assessed_on")).exists()
    # Deadlines are 20 working days from the day of submission (in Tanzania).
    for submitted, deadline in InformationRequest.objects.values_list("submitted_at", "deadline"):
        assert deadline == add_working_days(submitted.astimezone(EAT).date(), 20)
    # A response's score is the mean of its answers; each survey asks 4–6 questions in both languages.
    off = SurveyResponse.objects.annotate(mean=Avg("answers__value")).filter(
        Q(mean__gt=F("score") + Decimal("0.0006")) | Q(mean__lt=F("score") - Decimal("0.0006"))
    )
    assert not off.exists()
    per_survey = Survey.objects.annotate(n=Count("questions")).values_list("n", flat=True)
    assert per_survey and all(4 <= n <= 6 for n in per_survey)
    assert not SurveyQuestion.objects.filter(Q(text_sw="") | Q(text_en="")).exists()
    # Help-desk engagements follow the 2015 reorganisation of the help desk.
    assert not Engagement.objects.filter(
        org_unit__code="huduma-ushauri-dawati", requested_on__gt=date(2015, 6, 30)
    ).exists()
    assert ComplaintUpdate.objects.filter(status="open").count() == Complaint.objects.count()


def _delete_demo_records() -> None:
    models: list[type[Model]] = [
        SurveyAnswer,
        SurveyResponse,
        SurveyQuestion,
        Survey,
        ComplaintUpdate,
        Complaint,
        InformationRequest,
        PostRecord,
        Revenue,
        BudgetLine,
        Engagement,
        ComplianceAssessment.standards.through,
        ComplianceAssessment,
        Standard,
        Initiative,
        UsageReturn,
        EService,
        WorkforceReturn,
        ResourceSubscription,
        SharedResource,
        FocalPerson,
    ]
    for model in models:
        model._default_manager.all().delete()
    # The demo focal person's institution belongs to the demo users and stays, as in a fresh
    # database after bootstrap.
    Institution.objects.filter(code__startswith="demo-").exclude(users__isnull=False).update(parent=None)
    Institution.objects.filter(code__startswith="demo-").exclude(users__isnull=False).delete()


def _digest() -> str:
    columns: list[tuple[QuerySet[Any], tuple[str, ...]]] = [
        (
            Institution.objects.filter(code__startswith="demo-"),
            ("code", "name_sw", "category", "region__name", "parent__code", "established_on", "dissolved_on"),
        ),
        (FocalPerson.objects.all(), ("institution__code", "name", "email", "active")),
        (
            EService.objects.all(),
            ("code", "institution__code", "name_sw", "channels", "url", "fee", "launched_on", "retired_on"),
        ),
        (UsageReturn.objects.all(), ("eservice__code", "period_start", "transactions", "users")),
        (ResourceSubscription.objects.all(), ("institution__code", "resource__code", "started_on", "ended_on")),
        (WorkforceReturn.objects.all(), ("institution__code", "as_of", "ict_staff", "qualified_ict_staff")),
        (Initiative.objects.all(), ("code", "institution__code", "status", "start_on", "reviewed_on", "budget")),
        (ComplianceAssessment.objects.all(), ("institution__code", "assessed_on", "score", "standards__code")),
        (
            Engagement.objects.all(),
            (
                "reference",
                "institution__code",
                "service",
                "status",
                "completed_on",
                "satisfaction",
                "org_unit__code",
                "officer__username",
                "fee",
            ),
        ),
        (BudgetLine.objects.all(), ("fiscal_year", "code", "amount")),
        (Revenue.objects.all(), ("reference", "received_on", "source", "amount", "payer__code")),
        (PostRecord.objects.all(), ("org_unit__code", "position", "as_of", "approved", "filled")),
        (
            Complaint.objects.all(),
            (
                "reference",
                "about",
                "institution__code",
                "eservice__code",
                "subject",
                "received_at",
                "resolved_at",
                "status",
            ),
        ),
        (ComplaintUpdate.objects.all(), ("complaint__reference", "at", "status")),
        (
            InformationRequest.objects.all(),
            ("reference", "institution__code", "submitted_at", "deadline", "answered_at", "status"),
        ),
        (SurveyResponse.objects.all(), ("survey__code", "submitted_at", "respondent", "institution__code", "score")),
        (SurveyAnswer.objects.all(), ("response__survey__code", "response__submitted_at", "question__order", "value")),
    ]
    h = hashlib.sha256()
    for qs, fields in columns:
        rows = sorted(repr(row) for row in qs.values_list(*fields))
        h.update(f"{qs.model.__name__}:{len(rows)}\n".encode())
        h.update("\n".join(rows).encode())
    return h.hexdigest()


@pytest.mark.django_db
def test_loading_is_idempotent_and_deterministic(demo_loaded: dict[str, int]) -> None:
    assert sum(demo_loaded.values()) > 30_000
    first = _digest()
    assert load_demo_records() == {}  # already there: nothing added
    assert _digest() == first
    # Into a database as bootstrap leaves it, the same records again, value for value.
    _delete_demo_records()
    assert not EService.objects.exists()
    again = load_demo_records()
    assert again == demo_loaded
    assert _digest() == first
