"""The REST API (docs/api.md): every record type written and read through it, scoping, tokens,
idempotency, ETag/If-Match, cursor pages, the rate limit, problem documents and the schema."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from tathmini.accounts.models import User
from tathmini.api.models import ApiToken, IdempotencyRecord
from tathmini.api.services import token_create, token_revoke
from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Survey
from tathmini.records import types
from tathmini.registry.models import (
    ComplianceAssessment,
    EService,
    Institution,
    Region,
    SharedResource,
    Standard,
    UsageReturn,
    WorkforceReturn,
)
from tests.conftest import Persona

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "application/problem+json"


class Api:
    """A client that speaks for one token."""

    def __init__(self, raw: str | None, name: str = "") -> None:
        self.client = Client()
        self.name = name
        self.auth = {"Authorization": f"Bearer {raw}"} if raw else {}

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(path, headers={**self.auth, **(headers or {})})

    def send(self, method: str, path: str, data: Any, headers: dict[str, str] | None = None) -> Any:
        return getattr(self.client, method)(
            path, json.dumps(data), content_type="application/json", headers={**self.auth, **(headers or {})}
        )

    def post(self, path: str, data: Any, headers: dict[str, str] | None = None) -> Any:
        return self.send("post", path, data, headers)

    def patch(self, path: str, data: Any, headers: dict[str, str] | None = None) -> Any:
        return self.send("patch", path, data, headers)

    def put(self, path: str, data: Any, headers: dict[str, str] | None = None) -> Any:
        return self.send("put", path, data, headers)


def records_url(key: str) -> str:
    return reverse("api:records", kwargs={"key": key})


def record_url(key: str, pk: Any) -> str:
    return reverse("api:record", kwargs={"key": key, "pk": pk})


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Iterator[None]:
    cache.clear()  # the rate limit counts in the cache, which outlives a test's transaction
    yield
    cache.clear()


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Two institutions with a little of everything, and the reference data records point at."""
    region = Region.objects.get(code="dar-es-salaam")
    a = Institution.objects.create(code="api-a", name_sw="Taasisi A", name_en="Institution A", category="agency")
    b = Institution.objects.create(code="api-b", name_sw="Taasisi B", name_en="Institution B", category="ministry")
    eservice_a = EService.objects.create(
        institution=a,
        code="api-a-portal",
        name_sw="Lango A",
        name_en="Portal A",
        life_event="tax",
        channels="web",
        launched_on="2013-01-01",
    )
    eservice_b = EService.objects.create(
        institution=b,
        code="api-b-portal",
        name_sw="Lango B",
        name_en="Portal B",
        life_event="tax",
        channels="web",
        launched_on="2013-01-01",
    )
    resource = SharedResource.objects.create(
        code="api-govnet", name_sw="GovNet", name_en="GovNet", kind="network", offered_from="2012-07-01"
    )
    standard = Standard.objects.create(code="api-std", version="1.0", title_sw="Kiwango", title_en="Standard")
    survey = Survey.objects.create(
        code="api-survey", kind="institution_satisfaction", name_sw="Utafiti", name_en="Survey", opens_on="2013-07-01"
    )
    officer = User.objects.create_user(username="api-officer", password="officer-password-1")
    return {
        "region": region,
        "a": a,
        "b": b,
        "eservice_a": eservice_a,
        "eservice_b": eservice_b,
        "resource": resource,
        "standard": standard,
        "survey": survey,
        "officer": officer,
    }


def token_for(binding: str, world: dict[str, Any], name: str = "") -> Api:
    """``binding``: "institution" (institution A), "institution-b", or an Agency function."""
    name = name or f"{binding} system"
    if binding.startswith("institution"):
        institution = world["b"] if binding == "institution-b" else world["a"]
        _token, raw = token_create(name, institution=institution)
    else:
        _token, raw = token_create(name, agency_function=binding)
    return Api(raw, name)


# --- every record type, written and read through the API ---------------------------------------

# For each type: the token that writes it, a complete new record (every declared field), and a
# change. Values are written as the API writes them back (decimals with their places), so the
# read-back can be compared field by field.
Case = tuple[str, Callable[[dict[str, Any]], dict[str, Any]], dict[str, Any]]
CASES: dict[str, Case] = {
    "institutions": (
        "me",
        lambda w: {
            "code": "api-new",
            "name_sw": "Taasisi Mpya",
            "name_en": "New Institution",
            "category": "agency",
            "region": w["region"].code,
            "parent": "api-a",
            "established_on": "2013-07-01",
            "dissolved_on": None,
        },
        {"dissolved_on": "2016-06-30"},
    ),
    "focal-persons": (
        "institution",
        lambda w: {
            "institution": "api-a",
            "name": "Asha Juma",
            "position": "ICT officer",
            "email": "asha@a.go.tz",
            "phone": "+255 22 000 0000",
            "active": True,
        },
        {"active": False},
    ),
    "eservices": (
        "institution",
        lambda w: {
            "code": "api-a-licence",
            "institution": "api-a",
            "name_sw": "Leseni",
            "name_en": "Licence",
            "description_sw": "Maelezo",
            "description_en": "Description",
            "how_to_sw": "Ingia",
            "how_to_en": "Sign in",
            "life_event": "business",
            "channels": "web,ussd",
            "url": "https://leseni.example.go.tz/",
            "fee": "15000.00",
            "launched_on": "2014-02-01",
            "retired_on": None,
        },
        {"retired_on": "2016-12-31"},
    ),
    "shared-resources": (
        "me",
        lambda w: {
            "code": "api-mail",
            "name_sw": "Barua pepe",
            "name_en": "Government mail",
            "kind": "mail",
            "offered_from": "2013-01-01",
            "offered_to": None,
        },
        {"offered_to": "2017-06-30"},
    ),
    "resource-use": (
        "institution",
        lambda w: {"institution": "api-a", "resource": "api-govnet", "started_on": "2013-09-01", "ended_on": None},
        {"ended_on": "2015-09-01"},
    ),
    "workforce-returns": (
        "institution",
        lambda w: {"institution": "api-a", "as_of": "2014-06-30", "ict_staff": 12, "qualified_ict_staff": 9},
        {"qualified_ict_staff": 11},
    ),
    "initiatives": (
        "compliance",  # the review fields are the Agency's (an institution's token may not set them)
        lambda w: {
            "code": "api-a-erp",
            "institution": "api-a",
            "title": "ERP",
            "budget": "250000000.00",
            "status": "in_progress",
            "start_on": "2014-07-01",
            "end_on": "2016-06-30",
            "review_status": "approved",
            "reviewed_on": "2014-06-15",
            "review_notes": "Aligned with the standards.",
        },
        {"status": "completed"},
    ),
    "standards": (
        "compliance",
        lambda w: {
            "code": "api-web",
            "version": "2.0",
            "title_sw": "Tovuti",
            "title_en": "Websites",
            "issued_on": "2013-03-01",
        },
        {"title_en": "Government websites"},
    ),
    "assessments": (
        "compliance",
        lambda w: {
            "institution": "api-a",
            "assessed_on": "2014-05-20",
            "standards": ["api-std"],
            "score": "75.50",
            "pass_mark": "70.00",
            "findings": "Backups untested.",
        },
        {"score": "81.25"},
    ),
    "usage-returns": (
        "institution",
        lambda w: {
            "eservice": "api-a-portal",
            "period_start": "2014-07-01",
            "period_end": "2014-09-30",
            "transactions": 52000,
            "users": 18000,
        },
        {"users": 18500},
    ),
    "engagements": (
        "advisory",
        lambda w: {
            "reference": "ush-api-1",
            "institution": "api-a",
            "kind": "technical_support",
            "service": "security_assessment",
            "status": "completed",
            "requested_on": "2014-01-10",
            "started_on": "2014-01-20",
            "completed_on": "2014-02-28",
            "officer": "api-officer",
            "org_unit": "huduma-ushauri",
            "fee": "500000.00",
            "satisfaction": 4,
            "notes": "Report delivered.",
        },
        {"satisfaction": 5},
    ),
    "budget-lines": (
        "finance",
        lambda w: {
            "fiscal_year": "2013/14",
            "code": "API-01",
            "category": "shared_resources",
            "org_unit": "huduma",
            "description": "GovNet",
            "amount": "1200000000.00",
        },
        {"amount": "1250000000.00"},
    ),
    "revenue": (
        "finance",
        lambda w: {
            "reference": "rct-api-1",
            "received_on": "2014-03-31",
            "source": "advisory_services",
            "amount": "500000.00",
            "payer": "api-a",
            "description": "Security assessment",
        },
        {"amount": "550000.00"},
    ),
    "posts": (
        "hr",
        lambda w: {
            "org_unit": "huduma-ushauri",
            "position": "ICT officer",
            "as_of": "2014-06-30",
            "approved": 10,
            "filled": 7,
        },
        {"filled": 8},
    ),
    "complaints": (
        "complaints",
        lambda w: {
            "reference": "MAL-API1-0001",
            "channel": "email",
            "about": "agency",
            "institution": None,
            "eservice": None,
            "category": "delay",
            "subject": "Slow network",
            "description": "GovNet is slow.",
            "complainant_name": "Juma",
            "complainant_contact": "juma@example.tz",
            "received_at": "2014-03-01T08:00:00Z",
            "resolved_at": None,
            "status": "open",
            "resolution": "",
        },
        {"status": "resolved", "resolved_at": "2014-03-05T13:30:00+03:00", "resolution": "Link upgraded."},
    ),
    "information-requests": (
        "institution",
        lambda w: {
            "reference": "OMB-API1-0001",
            "institution": "api-a",
            "subject": "Budget",
            "question": "What was spent?",
            "requester_name": "Neema",
            "requester_contact": "neema@example.tz",
            "submitted_at": "2014-04-01T06:00:00Z",
            "deadline": "2014-05-01",
            "answered_at": None,
            "status": "awaiting",
            "answer": "",
        },
        {"status": "answered", "answered_at": "2014-04-10T09:00:00Z", "answer": "See the annual report."},
    ),
    "surveys": (
        "me",
        lambda w: {
            "code": "api-staff-2014",
            "kind": "staff_satisfaction",
            "name_sw": "Utafiti wa watumishi",
            "name_en": "Staff survey",
            "opens_on": "2014-05-01",
            "closes_on": None,
        },
        {"closes_on": "2014-05-31"},
    ),
    "survey-questions": (
        "me",
        lambda w: {"survey": "api-survey", "order": 1, "text_sw": "Huduma ni nzuri", "text_en": "Service is good"},
        {"text_en": "The service is good"},
    ),
    "survey-responses": (
        "me",
        lambda w: {
            "survey": "api-survey",
            "submitted_at": "2014-05-03T10:15:00Z",
            "respondent": "institution",
            "institution": "api-a",
            "score": "4.250",
            "comment": "Quick help.",
        },
        {"score": "3.750"},
    ),
}


def same_value(sent: Any, got: Any) -> bool:
    """Equal as values: times compare as instants (the API answers in local time)."""
    if isinstance(sent, str) and isinstance(got, str) and "T" in sent and sent[:4].isdigit():
        return datetime.fromisoformat(sent) == datetime.fromisoformat(got)
    return bool(sent == got)


def test_every_record_type_has_a_case() -> None:
    assert set(CASES) == {rt.key for rt in types.all_types()}


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_record_type_is_created_read_and_changed_through_the_api(key: str, world: dict[str, Any]) -> None:
    binding, build, change = CASES[key]
    rt = types.get(key)
    api = token_for(binding, world)
    sent = build(world)
    assert set(sent) == set(rt.fields), "every declared field (every field the indicators read) is written"

    created = api.post(records_url(key), sent)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created["Location"].endswith(record_url(key, pk))
    read = api.get(record_url(key, pk))
    assert read.status_code == 200
    body = read.json()
    assert {f for f in sent if not same_value(sent[f], body[f])} == set()
    assert read["ETag"] == created["ETag"]

    changed = api.patch(record_url(key, pk), change, headers={"If-Match": read["ETag"]})
    assert changed.status_code == 200, changed.content
    for name, value in change.items():
        assert same_value(value, changed.json()[name])
    assert changed["ETag"] != read["ETag"]
    assert api.get(record_url(key, pk))["ETag"] == changed["ETag"]
    assert all(not same_value(value, body[name]) for name, value in change.items())  # a change indeed

    events = list(AuditEvent.objects.filter(object_id=str(pk), content_type__model=rt.model._meta.model_name))
    assert [(e.action, e.channel, e.actor_label, e.actor_id) for e in reversed(events)] == [
        ("create", "api", f"API: {api.name}", None),
        ("update", "api", f"API: {api.name}", None),
    ]
    assert set(events[0].changes) == set(change)


def test_stored_values_are_the_values_sent(world: dict[str, Any]) -> None:
    """Spot check of the database itself, for types with decimals, times and many-to-many links."""
    compliance = token_for("compliance", world)
    pk = compliance.post(records_url("assessments"), CASES["assessments"][1](world)).json()["id"]
    assessment = ComplianceAssessment.objects.get(pk=pk)
    assert (assessment.institution, assessment.score, assessment.pass_mark) == (world["a"], Decimal("75.5"), 70)
    assert list(assessment.standards.all()) == [world["standard"]]

    desk = token_for("complaints", world)
    complaint = desk.post(records_url("complaints"), CASES["complaints"][1](world)).json()
    assert complaint["received_at"] == "2014-03-01T11:00:00+03:00"  # answered in Dar es Salaam time
    from tathmini.feedback.models import Complaint

    stored = Complaint.objects.get(pk=complaint["id"])
    assert stored.received_at == datetime(2014, 3, 1, 8, 0, tzinfo=UTC)


def test_a_put_with_unchanged_times_records_no_change(world: dict[str, Any]) -> None:
    """Times come back in local time; sending them again unchanged is no change in the audit trail."""
    desk = token_for("complaints", world)
    created = desk.post(records_url("complaints"), CASES["complaints"][1](world)).json()
    replaced = desk.put(record_url("complaints", created["id"]), {k: v for k, v in created.items() if k != "id"})
    assert replaced.status_code == 200
    assert AuditEvent.objects.filter(object_id=str(created["id"]), action="update").count() == 0


def test_a_complaint_sent_without_a_reference_gets_one_as_on_the_web_form(world: dict[str, Any]) -> None:
    from tathmini.feedback.models import Complaint

    desk = token_for("complaints", world)
    body = {k: v for k, v in CASES["complaints"][1](world).items() if k != "reference"}
    first = desk.post(records_url("complaints"), body)
    second = desk.post(records_url("complaints"), {**body, "reference": ""})
    assert (first.status_code, second.status_code) == (201, 201), (first.json(), second.json())
    references = [first.json()["reference"], second.json()["reference"]]
    assert all(re.fullmatch(r"MAL-[A-Z0-9]{4}-[A-Z0-9]{4}", r) for r in references), references
    assert references[0] != references[1]
    assert set(
        Complaint.objects.filter(pk__in=[first.json()["id"], second.json()["id"]]).values_list("reference", flat=True)
    ) == set(references)
    # A change must still name the record's reference: it is not given again.
    changed = desk.put(record_url("complaints", first.json()["id"]), {**body, "reference": ""})
    assert changed.status_code == 400 and "reference" in changed.json()["errors"]


# --- tokens ---------------------------------------------------------------------------------------


def test_tokens_act_as_the_role_they_stand_for(world: dict[str, Any]) -> None:
    advisory = token_for("advisory", world)
    response = advisory.post(records_url("surveys"), CASES["surveys"][1](world))
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert not Survey.objects.filter(code="api-staff-2014").exists()
    index = advisory.get(reverse("api:index")).json()
    writable = {t["key"] for t in index["record_types"] if t["writable"]}
    assert writable == {"engagements"}
    assert index["token"] == {
        "name": "advisory system",
        "prefix": index["token"]["prefix"],
        "institution": None,
        "agency_function": "advisory",
    }
    me = token_for("me", world).get(reverse("api:index")).json()
    assert [t["key"] for t in me["record_types"] if t["writable"]] == [rt.key for rt in types.all_types()]
    institution = token_for("institution", world).get(reverse("api:index")).json()
    readable = {t["key"] for t in institution["record_types"]}
    assert {"budget-lines", "revenue", "posts"}.isdisjoint(readable)
    assert {t["key"] for t in institution["record_types"] if t["writable"]} == {
        "focal-persons",
        "eservices",
        "resource-use",
        "workforce-returns",
        "initiatives",
        "usage-returns",
        "complaints",
        "information-requests",
    }


def test_the_m_and_e_records_are_written_only_by_an_me_token(world: dict[str, Any]) -> None:
    for binding in ("institution", "advisory", "compliance", "hr", "finance", "complaints"):
        response = token_for(binding, world).post(records_url("survey-responses"), CASES["survey-responses"][1](world))
        assert response.status_code == 403, binding
    assert (
        token_for("me", world).post(records_url("survey-responses"), CASES["survey-responses"][1](world)).status_code
        == 201
    )


def test_a_token_is_bound_to_exactly_one_institution_or_function(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        token_create("both", institution=world["a"], agency_function="hr")
    with pytest.raises(ValidationError):
        token_create("neither")
    token, raw = token_create("ok", agency_function="hr")
    assert token.prefix == raw[:8] and len(raw) == 40
    assert token.key_hash != raw and raw not in token.key_hash  # only the hash is kept


def test_requests_without_a_valid_token_get_401(world: dict[str, Any], personas: dict[str, Persona]) -> None:
    url = records_url("eservices")
    for api in (Api(None), Api("not-a-token"), Api("x" * 40)):
        response = api.get(url)
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    # A signed-in session is no token, not even an administrator's.
    assert personas["administrator"].client().get(url).status_code == 401
    token, raw = token_create("soon revoked", institution=world["a"])
    assert Api(raw).get(url).status_code == 200
    assert token_revoke(token) is True
    revoked = Api(raw).get(url)
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "authentication_failed"
    assert Api(raw).post(url, CASES["eservices"][1](world)).status_code == 401
    assert not EService.objects.filter(code="api-a-licence").exists()


def test_last_use_is_written_at_most_once_a_minute(world: dict[str, Any]) -> None:
    token, raw = token_create("counter", institution=world["a"])
    api = Api(raw)
    api.get(records_url("eservices"))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get(records_url("eservices"))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get(records_url("eservices"))
    later = ApiToken.objects.get(pk=token.pk).last_used_at
    assert later is not None and later > first - timedelta(minutes=2)


def test_the_management_command_makes_lists_and_revokes_tokens(world: dict[str, Any]) -> None:
    out = StringIO()
    call_command(
        "api_token", "create", "--name", "TRA e-filing", "--institution", "api-a", stdout=out, stderr=StringIO()
    )
    lines = out.getvalue().splitlines()
    raw = lines[1]
    token = ApiToken.objects.get(name="TRA e-filing")
    assert token.institution == world["a"] and token.prefix == raw[:8]
    assert Api(raw).get(records_url("eservices")).status_code == 200
    listed = StringIO()
    call_command("api_token", "list", stdout=listed)
    assert f"{token.prefix}\tactive\tinstitution api-a" in listed.getvalue()
    call_command("api_token", "revoke", token.prefix, stdout=StringIO())
    assert Api(raw).get(records_url("eservices")).status_code == 401
    with pytest.raises(CommandError):
        call_command("api_token", "revoke", token.prefix, stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("api_token", "create", "--name", "x", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("api_token", "create", "--name", "x", "--institution", "no-such", stdout=StringIO())
    call_command("api_token", "create", "--name", "M&E", "--function", "me", stdout=StringIO(), stderr=StringIO())
    assert ApiToken.objects.get(name="M&E").agency_function == "me"


def test_administrators_make_and_revoke_tokens_on_their_page(
    world: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = personas["administrator"].client()
    url = reverse("api:tokens")
    refused = client.post(url, {"action": "create", "name": "both", "institution": "api-a", "agency_function": "hr"})
    assert refused.status_code == 200 and not ApiToken.objects.filter(name="both").exists()
    made = client.post(url, {"action": "create", "name": "Payroll", "agency_function": "hr"})
    token = ApiToken.objects.get(name="Payroll")
    raw = made.context["created"][1]
    assert raw in made.content.decode() and raw[:8] == token.prefix
    assert "no-store" in made["Cache-Control"]
    assert token.created_by == personas["administrator"].user
    assert Api(raw).get(records_url("posts")).status_code == 200
    page = client.get(url).content.decode()
    assert token.prefix in page and raw not in page  # shown once only
    assert client.post(url, {"action": "revoke", "token": token.pk}).status_code == 302
    assert Api(raw).get(records_url("posts")).status_code == 401
    assert (
        personas["focal_person"]
        .client()
        .post(url, {"action": "create", "name": "x", "agency_function": "hr"})
        .status_code
        == 403
    )


# --- scope: one institution's token and another institution's records ----------------------------


def test_an_institution_token_never_reaches_another_institutions_records(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    a, b = world["eservice_a"], world["eservice_b"]

    listed = api.get(records_url("eservices")).json()["results"]
    assert {r["code"] for r in listed} == {"api-a-portal"}
    assert api.get(records_url("eservices") + "?institution=api-b").json()["results"] == []
    assert api.get(records_url("eservices") + "?q=api-b").json()["results"] == []

    for response in (
        api.get(record_url("eservices", b.pk)),
        api.patch(record_url("eservices", b.pk), {"name_en": "Taken"}),
        api.put(record_url("eservices", b.pk), {**CASES["eservices"][1](world), "institution": "api-b"}),
    ):
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    b.refresh_from_db()
    assert b.name_en == "Portal B"

    before = EService.objects.count()
    refused = api.post(records_url("eservices"), {**CASES["eservices"][1](world), "institution": "api-b"})
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert EService.objects.count() == before

    moved = api.patch(record_url("eservices", a.pk), {"institution": "api-b"})
    assert moved.status_code == 403
    a.refresh_from_db()
    assert a.institution == world["a"]

    usage = {
        "eservice": "api-b-portal",
        "period_start": "2014-07-01",
        "period_end": "2014-09-30",
        "transactions": 1,
        "users": 1,
    }
    assert api.post(records_url("usage-returns"), usage).status_code == 403
    assert not UsageReturn.objects.filter(eservice=b).exists()

    # A record about the Agency (no institution) is not an institution's to write either.
    complaint = {**CASES["complaints"][1](world)}
    assert api.post(records_url("complaints"), complaint).status_code == 403
    assert (
        api.post(records_url("complaints"), {**complaint, "about": "institution", "institution": "api-a"}).status_code
        == 201
    )

    assert api.get(records_url("budget-lines")).status_code == 403  # not for institutions at all
    assert api.post(records_url("engagements"), CASES["engagements"][1](world)).status_code == 403
    assert AuditEvent.objects.filter(object_id=str(b.pk), content_type__model="eservice").count() == 0


def test_relations_offer_only_what_the_token_can_see(world: dict[str, Any]) -> None:
    """A complaint of institution A cannot point at institution B's e-service."""
    api = token_for("institution", world)
    complaint = {
        **CASES["complaints"][1](world),
        "about": "eservice",
        "institution": "api-a",
        "eservice": "api-b-portal",
    }
    response = api.post(records_url("complaints"), complaint)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["eservice"]


def test_an_unknown_record_type_is_404(world: dict[str, Any]) -> None:
    response = token_for("me", world).get(records_url("no-such-records"))
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


# --- idempotency ----------------------------------------------------------------------------------


def test_a_retried_post_with_the_same_key_writes_once_and_replays(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    data = {"institution": "api-a", "as_of": "2015-06-30", "ict_staff": 20, "qualified_ict_staff": 15}
    first = api.post(records_url("workforce-returns"), data, headers={"Idempotency-Key": "wf-2015-06"})
    assert first.status_code == 201
    reordered = dict(reversed(list(data.items())))  # the same request, serialized differently
    second = api.post(records_url("workforce-returns"), reordered, headers={"Idempotency-Key": "wf-2015-06"})
    assert second.status_code == 201
    assert second.content == first.content
    assert (second["Location"], second["ETag"]) == (first["Location"], first["ETag"])
    assert second["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert WorkforceReturn.objects.filter(institution=world["a"], as_of="2015-06-30").count() == 1
    assert AuditEvent.objects.filter(content_type__model="workforcereturn", action="create").count() == 1

    other = api.post(
        records_url("workforce-returns"), {**data, "ict_staff": 21}, headers={"Idempotency-Key": "wf-2015-06"}
    )
    assert other.status_code == 422 and other["Content-Type"] == PROBLEM
    assert other.json()["code"] == "idempotency_key_reused"
    assert WorkforceReturn.objects.get(institution=world["a"], as_of="2015-06-30").ict_staff == 20


def test_a_retry_that_races_the_first_request_replays_it(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with one key at once: the second's look-up ran before the first committed,
    so it finds nothing, then loses on the unique key and replays the first's response."""
    from tathmini.api import idempotency

    api = token_for("institution", world)
    data = {"institution": "api-a", "as_of": "2015-06-30", "ict_staff": 20, "qualified_ict_staff": 15}
    first = api.post(records_url("workforce-returns"), data, headers={"Idempotency-Key": "race"})
    monkeypatch.setattr(idempotency, "_stored", lambda token, key: None)
    second = api.post(records_url("workforce-returns"), data, headers={"Idempotency-Key": "race"})
    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (201, first.content, "true")
    assert WorkforceReturn.objects.filter(institution=world["a"]).count() == 1
    loser = api.post(records_url("workforce-returns"), {**data, "ict_staff": 30}, headers={"Idempotency-Key": "race"})
    assert loser.status_code == 422


def test_idempotency_keys_belong_to_one_token_and_expire(world: dict[str, Any]) -> None:
    data = {"institution": "api-a", "as_of": "2015-06-30", "ict_staff": 20, "qualified_ict_staff": 15}
    one, two = token_for("institution", world, "one"), token_for("institution", world, "two")
    assert one.post(records_url("workforce-returns"), data, headers={"Idempotency-Key": "k1"}).status_code == 201
    later = {**data, "as_of": "2016-06-30"}
    assert two.post(records_url("workforce-returns"), later, headers={"Idempotency-Key": "k1"}).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = {**data, "as_of": "2017-06-30"}
    assert one.post(records_url("workforce-returns"), again, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert WorkforceReturn.objects.filter(institution=world["a"]).count() == 3
    assert IdempotencyRecord.objects.count() == 1  # the expired ones are gone


def test_a_failed_post_keeps_nothing_so_its_key_can_be_retried(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    bad = {"institution": "api-a", "as_of": "2015-06-30", "ict_staff": 5, "qualified_ict_staff": 9}
    assert api.post(records_url("workforce-returns"), bad, headers={"Idempotency-Key": "retry-me"}).status_code == 400
    good = {**bad, "ict_staff": 10}
    assert api.post(records_url("workforce-returns"), good, headers={"Idempotency-Key": "retry-me"}).status_code == 201
    assert api.post(records_url("workforce-returns"), good, headers={"Idempotency-Key": ""}).status_code == 400


# --- ETag and If-Match ----------------------------------------------------------------------------


def test_a_write_with_a_stale_if_match_is_refused_and_writes_nothing(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    url = record_url("eservices", world["eservice_a"].pk)
    etag = api.get(url)["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert api.patch(url, {"name_en": "Portal A, renamed"}, headers={"If-Match": etag}).status_code == 200
    events = AuditEvent.objects.count()

    stale = api.patch(url, {"name_en": "Lost update"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale["Content-Type"] == PROBLEM
    assert stale.json()["code"] == "precondition_failed"
    weak = api.patch(url, {"name_en": "Lost update"}, headers={"If-Match": "W/" + api.get(url)["ETag"]})
    assert weak.status_code == 412  # If-Match compares strongly
    world["eservice_a"].refresh_from_db()
    assert world["eservice_a"].name_en == "Portal A, renamed"
    assert AuditEvent.objects.count() == events

    assert api.patch(url, {"name_en": "Any version"}, headers={"If-Match": "*"}).status_code == 200
    assert api.patch(url, {"name_en": "No precondition"}).status_code == 200
    current = api.get(url)["ETag"]
    listed = api.patch(url, {"name_en": "One of several"}, headers={"If-Match": f'"00", {current}'})
    assert listed.status_code == 200


def test_the_etag_changes_with_a_many_to_many_link(world: dict[str, Any]) -> None:
    api = token_for("compliance", world)
    pk = api.post(records_url("assessments"), CASES["assessments"][1](world)).json()["id"]
    etag = api.get(record_url("assessments", pk))["ETag"]
    Standard.objects.create(code="api-std-2", version="1.0", title_sw="K2", title_en="S2")
    changed = api.patch(
        record_url("assessments", pk), {"standards": ["api-std", "api-std-2"]}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["standards"] == ["api-std", "api-std-2"]


# --- lists ---------------------------------------------------------------------------------------


def test_cursor_pages_walk_every_record_exactly_once(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    for n in range(6):
        EService.objects.create(
            institution=world["a"],
            code=f"api-a-s{n}",
            name_sw=f"H{n}",
            name_en=f"S{n}",
            life_event="tax",
            channels="web",
            launched_on="2014-01-01",
        )
    expected = list(EService.objects.filter(institution=world["a"]).order_by("pk").values_list("pk", flat=True))
    assert len(expected) == 7
    seen: list[int] = []
    url: str | None = records_url("eservices") + "?page_size=3"
    pages = 0
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
        pages += 1
    assert seen == expected
    assert pages == 3


def test_filters_and_search(world: dict[str, Any]) -> None:
    api = token_for("me", world)
    EService.objects.create(
        institution=world["a"],
        code="api-a-farm",
        name_sw="Kilimo",
        name_en="Farming",
        life_event="agriculture",
        channels="web",
        launched_on="2014-01-01",
    )
    mine = "&institution=api-a&institution=api-b"

    def codes(query: str) -> set[str]:
        response = api.get(records_url("eservices") + "?" + query)
        assert response.status_code == 200, response.content
        return {r["code"] for r in response.json()["results"]}

    assert codes("life_event=agriculture" + mine) == {"api-a-farm"}
    assert codes("life_event=tax" + mine) == {"api-a-portal", "api-b-portal"}
    assert codes("institution=api-b") == {"api-b-portal"}
    assert codes("q=farming" + mine) == {"api-a-farm"}
    bad = api.get(records_url("eservices") + "?life_event=partying&colour=red")
    assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
    assert set(bad.json()["errors"]) == {"life_event", "colour"}
    assert api.get(records_url("focal-persons") + "?active=maybe").status_code == 400
    assert api.get(records_url("focal-persons") + "?active=true").status_code == 200


def test_a_list_page_costs_the_same_queries_for_few_and_many_rows(world: dict[str, Any]) -> None:
    api = token_for("compliance", world)
    standards = [Standard.objects.create(code=f"api-q{n}", version="1", title_sw="K", title_en="S") for n in range(3)]

    def add(count: int, offset: int) -> None:
        for n in range(count):
            assessment = ComplianceAssessment.objects.create(
                institution=world["a"], assessed_on=date(2014, 1, 1) + timedelta(days=offset + n), score=80
            )
            assessment.standards.set(standards)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(records_url("assessments") + "?page_size=50")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    add(2, 0)
    api.get(records_url("assessments"))  # the first request of a token also notes its last use
    few = queries()
    add(20, 100)
    assert queries() == few
    assert few <= 4  # token, records, their standards (+ a savepoint at most)


# --- limits and errors ---------------------------------------------------------------------------


@override_settings(API_RATE_LIMIT="3/min")
def test_the_rate_limit_is_per_token_and_answers_429_with_retry_after(world: dict[str, Any]) -> None:
    busy, other = token_for("institution", world, "busy"), token_for("institution", world, "other")
    url = records_url("eservices")
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = busy.get(url)
    assert limited.status_code == 429 and limited["Content-Type"] == PROBLEM
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["code"] == "throttled"
    assert other.get(url).status_code == 200


def test_validation_errors_name_their_fields(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    response = api.post(
        records_url("workforce-returns"), {"institution": "api-a", "ict_staff": 5, "qualified_ict_staff": -1}
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert (problem["status"], problem["title"], problem["code"]) == (400, "Bad Request", "invalid")
    assert problem["instance"] == records_url("workforce-returns")
    assert set(problem["errors"]) == {"as_of", "qualified_ict_staff"}
    # The model's own checks: a check constraint across two fields, and a unique natural key.
    over = api.post(
        records_url("workforce-returns"),
        {"institution": "api-a", "as_of": "2015-06-30", "ict_staff": 5, "qualified_ict_staff": 9},
    )
    assert over.status_code == 400 and list(over.json()["errors"]) == ["non_field_errors"]
    good = {"institution": "api-a", "as_of": "2015-06-30", "ict_staff": 9, "qualified_ict_staff": 9}
    assert api.post(records_url("workforce-returns"), good).status_code == 201
    twice = api.post(records_url("workforce-returns"), good)
    assert twice.status_code == 400 and "non_field_errors" in twice.json()["errors"]
    assert WorkforceReturn.objects.filter(institution=world["a"]).count() == 1
    channels = api.patch(record_url("eservices", world["eservice_a"].pk), {"channels": "web,pigeon"})
    assert channels.status_code == 400 and list(channels.json()["errors"]) == ["channels"]


def test_every_error_is_a_problem_document(world: dict[str, Any]) -> None:
    api = token_for("institution", world)
    url = record_url("eservices", world["eservice_a"].pk)
    cases = {
        405: api.client.delete(url, headers=api.auth),
        415: api.client.post(records_url("eservices"), {"code": "x"}, headers=api.auth),
        406: api.get(url, headers={"Accept": "text/html"}),
        400: api.client.post(records_url("eservices"), "{not json", content_type="application/json", headers=api.auth),
        404: api.get(record_url("eservices", 10**9)),
    }
    for status, response in cases.items():
        assert response.status_code == status, (status, response.content)
        assert response["Content-Type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == status and problem["type"] == "about:blank" and problem["detail"]
    assert cases[405]["Allow"] == "GET, PUT, PATCH, HEAD"


def test_unknown_addresses_under_api_are_404_problems() -> None:
    client = Client()
    for response in (client.get("/api/nothing/here/"), client.post("/api/v2/eservices/", {}), client.get("/api/")):
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM
        assert response.json()["instance"] in ("/api/nothing/here/", "/api/v2/eservices/", "/api/")


@override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_an_unexpected_error_is_a_500_problem(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from tathmini.api import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "filtered", broken)
    response = token_for("institution", world).get(records_url("eservices"))
    assert response.status_code == 500 and response["Content-Type"] == PROBLEM
    assert "boom" not in response.content.decode()


def test_a_rate_limit_that_is_not_a_rate_fails_the_start_up_check() -> None:
    from tathmini.api.checks import check_rate_limit

    assert check_rate_limit(None) == []
    for bad in ("lots", "600", "600/fortnight", "0/min"):
        with override_settings(API_RATE_LIMIT=bad):
            assert [error.id for error in check_rate_limit(None)] == ["api.E001"], bad


# --- schema and docs -----------------------------------------------------------------------------


def test_the_schema_is_valid_openapi_3_with_every_record_type(db: Any) -> None:
    response = Client().get(reverse("api:schema") + "?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    components = schema["components"]["schemas"]
    for rt in types.all_types():
        assert {"get", "post"} <= set(schema["paths"][f"/api/v1/{rt.key}/"])
        assert {"get", "put", "patch"} <= set(schema["paths"][f"/api/v1/{rt.key}/{{id}}/"])
        component = components[rt.model.__name__]
        assert set(component["properties"]) == {"id", *rt.fields}
    assert schema["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
    assert "Problem" in components


def test_the_docs_page_uses_local_assets_only(db: Any) -> None:
    page = Client().get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html and "<noscript>" in html
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    bundle = Client().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200


def test_every_endpoint_is_documented() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [rt.key for rt in types.all_types() if f"/api/v1/{rt.key}/" not in doc]
    assert missing == []
    for topic in (
        "Idempotency-Key",
        "If-Match",
        "ETag",
        "cursor",
        "429",
        "application/problem+json",
        "manage.py api_token",
        "API_RATE_LIMIT",
    ):
        assert topic in doc, topic
