"""manage.py generate: a deterministic synthetic data set for benchmarks, at any scale."""

from __future__ import annotations

import hashlib
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Model, QuerySet

from tathmini.core import generate
from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Complaint, InformationRequest, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from tathmini.registry.models import (
    ComplianceAssessment,
    EService,
    FocalPerson,
    Initiative,
    Institution,
    ResourceSubscription,
    SharedResource,
    Standard,
    UsageReturn,
    WorkforceReturn,
)
from tathmini.services.models import BudgetLine, Engagement, PostRecord, Revenue
from tathmini.strategy.models import OrgUnit

SCALE = "0.001"
# Rows at scale 0.001, by hand: max(1, round(base × 0.001)) for the scaled tables; the reference
# tables are fixed (6 shared resources, 12 standards, 3 surveys × 5 years with 5 questions each);
# each assessment names 2 standards and each survey response has 5 answers.
EXPECTED_AT_0_001 = {
    "org_units": 1,  # 50 × 0.001 = 0.05, at least one
    "institutions": 1,
    "focal_persons": 1,
    "eservices": 50,
    "usage_returns": 2_000,
    "subscriptions": 4,
    "workforce_returns": 5,
    "initiatives": 20,
    "assessments": 10,
    "engagements": 100,
    "budget_lines": 1,
    "revenue": 50,
    "posts": 5,
    "complaints": 1_000,
    "information_requests": 500,
    "survey_responses": 200,
    "shared_resources": 6,
    "standards": 12,
    "assessment_standards": 20,
    "surveys": 15,
    "survey_questions": 75,
    "survey_answers": 1_000,
}


def generated(key: str) -> QuerySet[Any]:
    """The generated rows of one table, found by their markers (not by the generator's own code)."""
    gen, ref = "gen-", "GEN-"
    through = ComplianceAssessment.standards.through
    return {
        "org_units": OrgUnit.objects.filter(code__startswith=gen),
        "institutions": Institution.objects.filter(code__startswith=gen),
        "focal_persons": FocalPerson.objects.filter(institution__code__startswith=gen),
        "eservices": EService.objects.filter(code__startswith=gen),
        "usage_returns": UsageReturn.objects.filter(eservice__code__startswith=gen),
        "subscriptions": ResourceSubscription.objects.filter(institution__code__startswith=gen),
        "workforce_returns": WorkforceReturn.objects.filter(institution__code__startswith=gen),
        "initiatives": Initiative.objects.filter(code__startswith=gen),
        "assessments": ComplianceAssessment.objects.filter(institution__code__startswith=gen),
        "assessment_standards": through._default_manager.filter(standard__code__startswith=gen),
        "engagements": Engagement.objects.filter(reference__startswith=gen),
        "budget_lines": BudgetLine.objects.filter(code__startswith=gen),
        "revenue": Revenue.objects.filter(reference__startswith=gen),
        "posts": PostRecord.objects.filter(org_unit__code__startswith=gen),
        "complaints": Complaint.objects.filter(reference__startswith=ref),
        "information_requests": InformationRequest.objects.filter(reference__startswith=ref),
        "survey_responses": SurveyResponse.objects.filter(survey__code__startswith=gen),
        "survey_answers": SurveyAnswer.objects.filter(response__survey__code__startswith=gen),
        "shared_resources": SharedResource.objects.filter(code__startswith=gen),
        "standards": Standard.objects.filter(code__startswith=gen),
        "surveys": Survey.objects.filter(code__startswith=gen),
        "survey_questions": SurveyQuestion.objects.filter(survey__code__startswith=gen),
    }[key]


# Columns compared between runs: values and the codes of what rows point at, never ids.
DIGEST_COLUMNS = {
    "org_units": ("code", "kind", "parent__code", "name_sw"),
    "institutions": ("code", "name_sw", "category", "region__name", "parent__code", "established_on", "dissolved_on"),
    "focal_persons": ("institution__code", "name", "email", "position"),
    "eservices": (
        "code",
        "institution__code",
        "name_sw",
        "life_event",
        "channels",
        "url",
        "fee",
        "launched_on",
        "retired_on",
    ),
    "usage_returns": ("eservice__code", "period_start", "period_end", "transactions", "users"),
    "subscriptions": ("institution__code", "resource__code", "started_on", "ended_on"),
    "workforce_returns": ("institution__code", "as_of", "ict_staff", "qualified_ict_staff"),
    "initiatives": (
        "code",
        "institution__code",
        "title",
        "budget",
        "status",
        "start_on",
        "end_on",
        "review_status",
        "reviewed_on",
    ),
    "assessments": ("institution__code", "assessed_on", "score", "pass_mark"),
    "assessment_standards": (
        "complianceassessment__institution__code",
        "complianceassessment__assessed_on",
        "standard__code",
        "standard__version",
    ),
    "engagements": (
        "reference",
        "institution__code",
        "kind",
        "service",
        "status",
        "requested_on",
        "started_on",
        "completed_on",
        "org_unit__code",
        "fee",
        "satisfaction",
    ),
    "budget_lines": ("fiscal_year", "code", "category", "org_unit__code", "amount"),
    "revenue": ("reference", "received_on", "source", "amount", "payer__code"),
    "posts": ("org_unit__code", "position", "as_of", "approved", "filled"),
    "complaints": (
        "reference",
        "channel",
        "about",
        "institution__code",
        "eservice__code",
        "category",
        "subject",
        "received_at",
        "resolved_at",
        "status",
    ),
    "information_requests": (
        "reference",
        "institution__code",
        "subject",
        "submitted_at",
        "deadline",
        "answered_at",
        "status",
    ),
    "survey_responses": ("survey__code", "submitted_at", "respondent", "institution__code", "score"),
    "survey_answers": ("response__survey__code", "response__submitted_at", "question__order", "value"),
    "shared_resources": ("code", "kind", "offered_from"),
    "standards": ("code", "version", "issued_on"),
    "surveys": ("code", "kind", "opens_on", "closes_on"),
    "survey_questions": ("survey__code", "order", "text_sw"),
}


def digest() -> str:
    h = hashlib.sha256()
    for key, columns in DIGEST_COLUMNS.items():
        rows = sorted(repr(row) for row in generated(key).values_list(*columns))
        h.update(f"{key}:{len(rows)}\n".encode())
        h.update("\n".join(rows).encode())
    return h.hexdigest()


def run(*args: str) -> str:
    out = StringIO()
    call_command("generate", "--scale", SCALE, *args, stdout=out)
    return out.getvalue()


def test_the_tables_cover_every_column_of_their_models() -> None:
    # A column added to a model without a value from the generator would fail a raw INSERT.
    generate.check_tables()


def test_national_scale_meets_the_sizes_promised() -> None:
    counts = generate.planned_counts(1.0)
    assert counts["institutions"] == 1_000
    assert counts["eservices"] == 50_000
    assert counts["complaints"] == 1_000_000
    assert counts["information_requests"] == 500_000
    assert counts["usage_returns"] == 2_000_000
    assert generate.planned_counts(0.001) == EXPECTED_AT_0_001
    assert generate.planned_counts(0.01)["complaints"] == 10_000


@pytest.mark.parametrize("scale", [0.0001, 0.0007, 0.0015, 0.003, 0.05])
def test_any_scale_builds_exactly_the_planned_rows_with_unique_keys(scale: float) -> None:
    # Built in memory only: odd scales give odd splits (2 org units, 3 institutions …).
    g = generate.Generator(scale, seed=11)
    g.base = dict.fromkeys(generate.TABLES, 1)
    g.region_ids = [1, 2, 3]
    natural_keys = {  # column positions that the database holds unique
        "usage_returns": (1, 2),
        "subscriptions": (1, 2, 3),
        "workforce_returns": (1, 2),
        "assessments": (1, 2),
        "posts": (1, 2, 3),
        "complaints": (1,),
        "information_requests": (1,),
        "eservices": (2,),
    }
    for key, (_model, fields) in generate.TABLES.items():
        rows = list(getattr(g, f"rows_{key}")())
        assert len(rows) == g.counts[key], key
        assert all(len(row) == len(fields) for row in rows), key
        if key in natural_keys:
            keys = [tuple(row[i] for i in natural_keys[key]) for row in rows]
            assert len(set(keys)) == len(keys), key


@pytest.mark.django_db
def test_generate_writes_the_planned_rows_and_no_audit_events() -> None:
    audit_before = AuditEvent.objects.count()
    output = run("--seed", "3")
    counts = {key: generated(key).count() for key in EXPECTED_AT_0_001}
    assert counts == EXPECTED_AT_0_001
    assert AuditEvent.objects.count() == audit_before
    assert "total" in output and f"{sum(EXPECTED_AT_0_001.values()):,} rows" in output


@pytest.mark.django_db
def test_generated_rows_pass_the_models_own_validation() -> None:
    # Raw INSERTs skip Django's validation: a sample of every table must still be valid records.
    run("--seed", "3")
    for key in DIGEST_COLUMNS:
        rows: list[Model] = list(generated(key).order_by("pk")[:5])
        assert rows, key
        for row in rows:
            if key != "assessment_standards":
                row.full_clean()
    for complaint in generated("complaints").filter(resolved_at__isnull=False)[:50]:
        assert complaint.resolved_at is not None and complaint.resolved_at >= complaint.received_at
    for es in generated("eservices"):
        assert es.url.startswith(f"https://{es.institution.code}.example.go.tz/")
        first = es.usage_returns.order_by("period_start").first()
        assert first is not None and es.launched_on <= first.period_start
    for response in generated("survey_responses").prefetch_related("answers")[:50]:
        values = [a.value for a in response.answers.all()]
        assert len(values) == 5 and float(response.score) == pytest.approx(sum(values) / 5, abs=0.0005)


@pytest.mark.django_db
def test_same_seed_same_rows_other_seed_other_rows_and_replace() -> None:
    run("--seed", "7")
    first = digest()
    with pytest.raises(CommandError, match="--replace"):
        run("--seed", "7")
    assert digest() == first  # the refused run wrote nothing

    highest = max(generated("eservices").values_list("pk", flat=True))
    output = run("--seed", "8", "--replace")
    assert "deleted" in output
    # Ids are never reused, so what follows a table by its highest id sees the new rows.
    assert min(generated("eservices").values_list("pk", flat=True)) > highest
    assert {key: generated(key).count() for key in EXPECTED_AT_0_001} == EXPECTED_AT_0_001
    assert digest() != first

    run("--seed", "7", "--replace")
    assert digest() == first


@pytest.mark.django_db
def test_the_orm_path_stores_the_same_values_as_the_fast_path() -> None:
    # COPY / executemany write values themselves (naive UTC text on SQLite, for one); the ORM's
    # bulk_create is the reference they must agree with.
    run("--seed", "5")
    fast = digest()
    run("--seed", "5", "--replace", "--method", "orm")
    assert digest() == fast


@pytest.mark.django_db
def test_replace_leaves_other_records_alone() -> None:
    # The demo's records and anything users entered carry no generated marker.
    mine = Institution.objects.create(code="taasisi-halisi", name_sw="Taasisi Halisi", category="agency")
    EService.objects.create(
        institution=mine,
        code="huduma-halisi",
        name_sw="Huduma",
        life_event="other",
        channels="web",
        launched_on="2014-01-01",
    )
    run("--seed", "1")
    run("--seed", "1", "--replace")
    assert Institution.objects.filter(code="taasisi-halisi").exists()
    assert EService.objects.filter(code="huduma-halisi").exists()


def test_scale_must_be_positive() -> None:
    with pytest.raises(CommandError, match="positive"):
        call_command("generate", "--scale", "0", stdout=StringIO())
