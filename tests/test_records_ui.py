"""The staff pages for the operational records: every record type through its form, list,
detail, edit, delete and exports, with the per-type access rules and a focal person's scope.

Test data is written here by hand (direct ORM writes set up the world; everything the tests
exercise goes through the pages). Codes and texts carry "zq" so a search isolates them from
whatever demo data the database holds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Complaint, InformationRequest, Survey, SurveyQuestion, SurveyResponse
from tathmini.records import exports, types
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
from tathmini.strategy.models import OrgUnit
from tests.conftest import Persona

ALL_KEYS = [rt.key for rt in types.all_types()]


def english(persona: Persona) -> Client:
    client = persona.client()
    client.cookies["tathmini_language"] = "en"
    return client


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["tathmini_language"] = "en"
    return client


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@dataclass
class World:
    institution: Institution  # the focal person's
    other: Institution  # the other focal person's
    region: Region
    resource: SharedResource
    standard: Standard
    survey: Survey
    org_unit: OrgUnit
    officer: User


@pytest.fixture
def world(personas: dict[str, Persona]) -> World:
    focal, other = personas["focal_person"].user, personas["other_focal_person"].user
    assert focal is not None and other is not None and personas["agency_officer"].user is not None
    return World(
        institution=Institution.objects.get(users=focal),
        other=Institution.objects.get(users=other),
        region=Region.objects.get(code="dodoma"),
        resource=SharedResource.objects.create(
            code="zq-govnet", name_sw="Mtandao", name_en="Network", kind="network", offered_from=date(2012, 7, 1)
        ),
        standard=Standard.objects.create(code="zq-std", version="1", title_sw="Kiwango", title_en="Standard"),
        survey=Survey.objects.create(
            code="zq-survey", kind="other", name_sw="Utafiti", name_en="Survey", opens_on=date(2014, 1, 1)
        ),
        org_unit=OrgUnit.objects.get(code="huduma"),
        officer=personas["agency_officer"].user,
    )


def eservice_of(inst: Institution) -> EService:
    found, _ = EService.objects.get_or_create(
        code=f"{inst.code}-es",
        defaults={
            "institution": inst,
            "name_sw": "Huduma",
            "name_en": "Service",
            "life_event": "tax",
            "channels": "web",
            "launched_on": date(2013, 7, 1),
        },
    )
    return found


def _assessment(w: World, inst: Institution, i: int) -> ComplianceAssessment:
    found = ComplianceAssessment.objects.create(
        institution=inst, assessed_on=date(2014, 1, 1) + timedelta(days=i), score=80, findings=f"zq findings {i}"
    )
    found.standards.set([w.standard])
    return found


# One record of each type belonging to ``inst`` (where the type is scoped), numbered ``i``.
MAKE: dict[str, Callable[[World, Institution, int], models.Model]] = {
    "institutions": lambda w, inst, i: Institution.objects.create(
        code=f"zq-inst-{i}", name_sw=f"Taasisi zq {i}", name_en=f"Institution zq {i}", category="agency"
    ),
    "focal-persons": lambda w, inst, i: FocalPerson.objects.create(
        institution=inst, name=f"zq person {i}", email=f"p{i}@example.tz"
    ),
    "eservices": lambda w, inst, i: EService.objects.create(
        institution=inst,
        code=f"zq-{inst.code}-{i}",
        name_sw=f"Huduma zq {i}",
        name_en=f"Service zq {i}",
        life_event="tax",
        channels="web",
        launched_on=date(2014, 1, 1),
    ),
    "shared-resources": lambda w, inst, i: SharedResource.objects.create(
        code=f"zq-res-{i}",
        name_sw=f"Rasilimali {i}",
        name_en=f"Resource {i}",
        kind="mail",
        offered_from=date(2013, 1, 1),
    ),
    "resource-use": lambda w, inst, i: ResourceSubscription.objects.create(
        institution=inst, resource=w.resource, started_on=date(2013, 1, 1) + timedelta(days=i)
    ),
    "workforce-returns": lambda w, inst, i: WorkforceReturn.objects.create(
        institution=inst, as_of=date(2013, 6, 30) + timedelta(days=i), ict_staff=10, qualified_ict_staff=5
    ),
    "initiatives": lambda w, inst, i: Initiative.objects.create(
        institution=inst, code=f"zq-ini-{inst.code}-{i}", title=f"zq initiative {i}"
    ),
    "standards": lambda w, inst, i: Standard.objects.create(
        code=f"zq-std-{i}", version="1", title_sw=f"Kiwango {i}", title_en=f"Standard {i}"
    ),
    "assessments": _assessment,
    "usage-returns": lambda w, inst, i: UsageReturn.objects.create(
        eservice=eservice_of(inst),
        period_start=date(2013, 7, 1) + timedelta(days=i),
        period_end=date(2013, 7, 1) + timedelta(days=i + 30),
        transactions=100,
        users=10,
    ),
    "engagements": lambda w, inst, i: Engagement.objects.create(
        reference=f"zq-eng-{inst.code}-{i}",
        institution=inst,
        kind="advisory",
        requested_on=date(2014, 1, 1),
        officer=w.officer,
        org_unit=w.org_unit,
    ),
    "budget-lines": lambda w, inst, i: BudgetLine.objects.create(
        fiscal_year="2013/14", code=f"zq-bl-{i}", category="operations", org_unit=w.org_unit, amount=1000
    ),
    "revenue": lambda w, inst, i: Revenue.objects.create(
        reference=f"zq-rc-{i}", received_on=date(2014, 1, 1), source="other", amount=100, payer=inst
    ),
    "posts": lambda w, inst, i: PostRecord.objects.create(
        org_unit=w.org_unit, position=f"zq post {i}", as_of=date(2014, 7, 1), approved=3, filled=2
    ),
    "complaints": lambda w, inst, i: Complaint.objects.create(
        reference=f"MAL-ZQ-{i}-{inst.pk}",
        about="institution",
        institution=inst,
        category="delay",
        subject=f"zq complaint {i}",
        received_at=at(date(2014, 5, 6)),
    ),
    "information-requests": lambda w, inst, i: InformationRequest.objects.create(
        reference=f"OMB-ZQ-{i}-{inst.pk}",
        institution=inst,
        subject=f"zq request {i}",
        question="How many?",
        submitted_at=at(date(2014, 5, 6)),
        deadline=date(2014, 6, 5),
    ),
    "surveys": lambda w, inst, i: Survey.objects.create(
        code=f"zq-svy-{i}", kind="other", name_sw=f"Utafiti {i}", name_en=f"Survey {i}", opens_on=date(2014, 1, 1)
    ),
    "survey-questions": lambda w, inst, i: SurveyQuestion.objects.create(
        survey=w.survey, order=i + 1, text_sw=f"zq swali {i}", text_en=f"zq question {i}"
    ),
    "survey-responses": lambda w, inst, i: SurveyResponse.objects.create(
        survey=w.survey,
        submitted_at=at(date(2014, 2, 2)),
        respondent="institution",
        institution=inst,
        score=Decimal(4),
        comment=f"zq comment {i}",
    ),
}


def sample(key: str, w: World, inst: Institution) -> models.Model:
    """A record of the type that belongs to ``inst``: for institutions, the institution itself."""
    return inst if key == "institutions" else MAKE[key](w, inst, 0)


# What the add form is given, per type, for a record of ``inst``: all fields, as a browser posts them.
VALID: dict[str, Callable[[World, Institution], dict[str, Any]]] = {
    "institutions": lambda w, inst: {
        "code": "zq-new",
        "name_sw": "Taasisi Mpya",
        "name_en": "New Institution",
        "category": "agency",
        "region": w.region.pk,
        "parent": "",
        "established_on": "2013-07-01",
        "dissolved_on": "",
    },
    "focal-persons": lambda w, inst: {
        "institution": inst.pk,
        "name": "Asha Juma",
        "position": "ICT officer",
        "email": "asha@example.tz",
        "phone": "",
        "active": "on",
    },
    "eservices": lambda w, inst: {
        "code": "zq-new-es",
        "institution": inst.pk,
        "name_sw": "Kodi mtandaoni",
        "name_en": "Tax online",
        "description_sw": "",
        "description_en": "",
        "how_to_sw": "",
        "how_to_en": "",
        "life_event": "tax",
        "channels": "web,ussd",
        "url": "https://example.tz/",
        "fee": "1500",
        "launched_on": "2014-01-15",
        "retired_on": "",
    },
    "shared-resources": lambda w, inst: {
        "code": "zq-mail",
        "name_sw": "Barua pepe",
        "name_en": "Mail",
        "kind": "mail",
        "offered_from": "2013-01-01",
        "offered_to": "",
    },
    "resource-use": lambda w, inst: {
        "institution": inst.pk,
        "resource": w.resource.pk,
        "started_on": "2014-02-01",
        "ended_on": "",
    },
    "workforce-returns": lambda w, inst: {
        "institution": inst.pk,
        "as_of": "2014-06-30",
        "ict_staff": "12",
        "qualified_ict_staff": "9",
    },
    "initiatives": lambda w, inst: {
        "code": "zq-new-ini",
        "institution": inst.pk,
        "title": "e-Office",
        "budget": "250000000",
        "status": "planned",
        "start_on": "2014-07-01",
        "end_on": "",
        "review_status": "pending",
        "reviewed_on": "",
        "review_notes": "",
    },
    "standards": lambda w, inst: {
        "code": "zq-new-std",
        "version": "1.0",
        "title_sw": "Kiwango cha tovuti",
        "title_en": "Website standard",
        "issued_on": "2013-05-01",
    },
    "assessments": lambda w, inst: {
        "institution": inst.pk,
        "assessed_on": "2014-03-10",
        "standards": [w.standard.pk],
        "score": "82.5",
        "pass_mark": "70",
        "findings": "Good",
    },
    "usage-returns": lambda w, inst: {
        "eservice": eservice_of(inst).pk,
        "period_start": "2014-01-01",
        "period_end": "2014-03-31",
        "transactions": "1200",
        "users": "300",
    },
    "engagements": lambda w, inst: {
        "reference": "zq-eng-new",
        "institution": inst.pk,
        "kind": "advisory",
        "service": "security_assessment",
        "status": "requested",
        "requested_on": "2014-02-03",
        "started_on": "",
        "completed_on": "",
        "officer": w.officer.pk,
        "org_unit": w.org_unit.pk,
        "fee": "",
        "satisfaction": "",
        "notes": "",
    },
    "budget-lines": lambda w, inst: {
        "fiscal_year": "2013/14",
        "code": "zq-bl-new",
        "category": "operations",
        "org_unit": w.org_unit.pk,
        "description": "Office",
        "amount": "1000000",
    },
    "revenue": lambda w, inst: {
        "reference": "zq-rcpt-new",
        "received_on": "2014-04-01",
        "source": "advisory_services",
        "amount": "5000000",
        "payer": inst.pk,
        "description": "",
    },
    "posts": lambda w, inst: {
        "org_unit": w.org_unit.pk,
        "position": "zq ICT officer",
        "as_of": "2014-07-01",
        "approved": "10",
        "filled": "7",
    },
    "complaints": lambda w, inst: {
        "reference": "",
        "channel": "web",
        "about": "institution",
        "institution": inst.pk,
        "eservice": "",
        "category": "delay",
        "subject": "zq Slow service",
        "description": "It took a month.",
        "complainant_name": "",
        "complainant_contact": "",
        "received_at": "2014-05-06T09:30",
        "resolved_at": "",
        "status": "open",
        "resolution": "",
    },
    "information-requests": lambda w, inst: {
        "reference": "",
        "institution": inst.pk,
        "subject": "zq Budget",
        "question": "What was spent?",
        "requester_name": "",
        "requester_contact": "",
        "submitted_at": "2014-05-06T09:30",
        "deadline": "2014-06-05",
        "answered_at": "",
        "status": "awaiting",
        "answer": "",
    },
    "surveys": lambda w, inst: {
        "code": "zq-svy-new",
        "kind": "other",
        "name_sw": "Utafiti mpya",
        "name_en": "New survey",
        "opens_on": "2014-01-01",
        "closes_on": "",
    },
    "survey-questions": lambda w, inst: {
        "survey": w.survey.pk,
        "order": "1",
        "text_sw": "Je, umeridhika?",
        "text_en": "Are you satisfied?",
    },
    "survey-responses": lambda w, inst: {
        "survey": w.survey.pk,
        "submitted_at": "2014-02-02T10:00",
        "respondent": "institution",
        "institution": inst.pk,
        "score": "4.25",
        "comment": "",
    },
}

# One change per type: field, value posted, then the audit trail's old and new value (a decimal
# compares by value: the trail writes it as text).
EDIT: dict[str, tuple[str, str, Any, Any]] = {
    "institutions": ("category", "ministry", "agency", "ministry"),
    "focal-persons": ("name", "Asha J. Mohamed", "Asha Juma", "Asha J. Mohamed"),
    "eservices": ("fee", "2000", Decimal("1500"), Decimal("2000")),
    "shared-resources": ("kind", "hosting", "mail", "hosting"),
    "resource-use": ("ended_on", "2015-06-30", None, "2015-06-30"),
    "workforce-returns": ("qualified_ict_staff", "10", 9, 10),
    "initiatives": ("status", "in_progress", "planned", "in_progress"),
    "standards": ("title_en", "Web standard", "Website standard", "Web standard"),
    "assessments": ("score", "65", Decimal("82.5"), Decimal("65")),
    "usage-returns": ("transactions", "1500", 1200, 1500),
    "engagements": ("status", "in_progress", "requested", "in_progress"),
    "budget-lines": ("amount", "1200000.50", Decimal("1000000"), Decimal("1200000.50")),
    "revenue": ("source", "other", "advisory_services", "other"),
    "posts": ("filled", "8", 7, 8),
    "complaints": ("status", "in_progress", "open", "in_progress"),
    "information-requests": ("status", "answered", "awaiting", "answered"),
    "surveys": ("closes_on", "2014-03-31", None, "2014-03-31"),
    "survey-questions": ("text_en", "Satisfied?", "Are you satisfied?", "Satisfied?"),
    "survey-responses": ("score", "3.5", Decimal("4.25"), Decimal("3.5")),
}


def test_every_record_type_has_test_data() -> None:
    assert set(MAKE) == set(VALID) == set(EDIT) == set(ALL_KEYS)


def _url(name: str, key: str, record: models.Model | None = None) -> str:
    return reverse(f"records:{name}", args=[key] if record is None else [key, record.pk])


def _audit(record_model: type[models.Model], pk: Any) -> list[AuditEvent]:
    ct = ContentType.objects.get_for_model(record_model)
    return list(AuditEvent.objects.filter(content_type=ct, object_id=str(pk)).order_by("at", "pk"))


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, Decimal):
        return got is not None and Decimal(got) == want
    return bool(got == want)


def _created_pk(response: Any) -> int:
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    match = resolve(urlparse(response["Location"]).path)
    assert match.url_name == "detail"
    return int(match.kwargs["pk"])


# --- every type through its pages -------------------------------------------------------------


@pytest.mark.parametrize("key", ALL_KEYS)
def test_create_list_edit_audit_delete_each_type(key: str, personas: dict[str, Persona], world: World) -> None:
    rt = types.get(key)
    officer = personas["me_officer"]
    client = english(officer)
    data = VALID[key](world, world.institution)

    assert client.get(_url("create", key)).status_code == 200
    pk = _created_pk(client.post(_url("create", key), data))
    record = rt.model._default_manager.get(pk=pk)

    listing = client.get(_url("list", key)).content.decode()
    assert f'href="{_url("detail", key, record)}"' in listing
    detail = client.get(_url("detail", key, record))
    assert detail.status_code == 200

    field, posted, old, new = EDIT[key]
    data_now = {**data, field: posted}
    if key in ("complaints", "information-requests"):
        data_now["reference"] = record.reference  # type: ignore[attr-defined]
    assert client.get(_url("edit", key, record)).status_code == 200
    assert _created_pk(client.post(_url("edit", key, record), data_now)) == pk

    created, updated = _audit(rt.model, pk)
    assert created.action == "create" and updated.action == "update"
    assert _same(created.changes.get(field), None if old is None else [None, old])
    assert set(updated.changes) == {field} and _same(updated.changes[field], [old, new])
    for event in (created, updated):
        assert event.actor == officer.user and event.actor_label == "persona-me_officer" and event.channel == "web"
    history = client.get(_url("detail", key, record)).content.decode()
    assert "persona-me_officer" in history and "Changed" in history and "Created" in history

    assert client.get(_url("delete", key, record)).status_code == 200
    response = client.post(_url("delete", key, record))
    assert response.status_code == 302 and response["Location"] == _url("list", key)
    assert not rt.model._default_manager.filter(pk=pk).exists()
    assert [e.action for e in _audit(rt.model, pk)] == ["create", "update", "delete"]


def test_complaints_and_requests_get_a_reference_when_left_empty(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["me_officer"])
    pk = _created_pk(client.post(_url("create", "complaints"), VALID["complaints"](world, world.institution)))
    reference = Complaint.objects.get(pk=pk).reference
    assert reference.startswith("MAL-") and len(reference) == len("MAL-ABCD-EFGH")
    pk = _created_pk(
        client.post(_url("create", "information-requests"), VALID["information-requests"](world, world.institution))
    )
    assert InformationRequest.objects.get(pk=pk).reference.startswith("OMB-")
    given = {**VALID["complaints"](world, world.institution), "reference": "MAL-GIVEN-1"}
    pk = _created_pk(client.post(_url("create", "complaints"), given))
    assert Complaint.objects.get(pk=pk).reference == "MAL-GIVEN-1"


def test_invalid_input_shows_the_errors_and_keeps_what_was_typed(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["me_officer"])
    data = {**VALID["eservices"](world, world.institution), "channels": "web,fax", "launched_on": ""}
    before = EService.objects.count()
    response = client.post(_url("create", "eservices"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown channel(s): fax" in html and "This field is required." in html
    assert 'value="Kodi mtandaoni"' in html and 'value="web,fax"' in html and 'value="1500"' in html
    assert 'aria-invalid="true"' in html
    assert EService.objects.count() == before
    # The models' own checks come back as form errors too, not as a failed save.
    data = {**VALID["complaints"](world, world.institution), "institution": ""}
    response = client.post(_url("create", "complaints"), data)
    assert response.status_code == 200 and response.context["form"].errors
    data = {**VALID["eservices"](world, world.institution), "retired_on": "2013-01-01"}
    response = client.post(_url("create", "eservices"), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert EService.objects.count() == before and not Complaint.objects.filter(subject="zq Slow service").exists()


def test_the_history_shows_old_and_new_values_as_people_read_them(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["me_officer"])
    pk = _created_pk(client.post(_url("create", "initiatives"), VALID["initiatives"](world, world.institution)))
    data = {
        **VALID["initiatives"](world, world.institution),
        "status": "in_progress",
        "institution": world.other.pk,
        "start_on": "2014-08-01",
    }
    client.post(reverse("records:edit", args=["initiatives", pk]), data)
    html = client.get(reverse("records:detail", args=["initiatives", pk])).content.decode()
    assert 'Planned <span aria-hidden="true">→</span>' in html and "</span> In progress</li>" in html
    assert f"</span> {world.other.name_en}</li>" in html  # the institution by name, not by id
    assert 'July 1, 2014 <span aria-hidden="true">→</span>' in html and "</span> Aug. 1, 2014</li>" in html


def test_a_record_others_refer_to_is_not_deleted(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["me_officer"])
    eservice_of(world.other)
    response = client.post(_url("delete", "institutions", world.other), follow=True)
    assert "was not deleted: other records refer to it" in response.content.decode()
    assert Institution.objects.filter(pk=world.other.pk).exists()
    assert not _audit(Institution, world.other.pk)


# --- who may do what, per type ----------------------------------------------------------------

# Expected answers by hand from each declaration (registry/services/feedback records.py):
# R reads (list, detail, export: 200; add, edit, delete: 403), W reads and writes (all 200),
# - is refused everything (403). Personas in this order: administrator, M&E officer, advisory
# officer, compliance officer, focal person (the record is of their institution), manager.
MATRIX: dict[str, str] = {
    "institutions": "W W R R R R",
    "focal-persons": "W W R R W R",
    "eservices": "R W R R W R",
    "shared-resources": "W W R R R R",
    "resource-use": "R W R R W R",
    "workforce-returns": "R W R R W R",
    "initiatives": "R W R W W R",
    "standards": "R W R W R R",
    "assessments": "R W R W R R",
    "usage-returns": "R W R R W R",
    "engagements": "R W W R R R",
    "budget-lines": "R W R R - R",
    "revenue": "R W R R - R",
    "posts": "R W R R - R",
    "complaints": "R W R R W R",
    "information-requests": "R W R R W R",
    "surveys": "R W R R R R",
    "survey-questions": "R W R R R R",
    "survey-responses": "R W R R R R",
}
MATRIX_PERSONAS = ("administrator", "me_officer", "agency_officer", "compliance_officer", "focal_person", "manager")


def _compliance_officer() -> User:
    user = User.objects.create_user(
        username="persona-compliance", password="persona-password-1", agency_function="compliance"
    )
    user_set_roles(user, [Role.AGENCY_OFFICER])
    return user


@pytest.mark.parametrize("key", ALL_KEYS)
def test_who_may_read_and_change_each_type(key: str, personas: dict[str, Persona], world: World) -> None:
    assert set(MATRIX) == set(ALL_KEYS)
    record = sample(key, world, world.institution)
    reads = [_url("list", key), _url("detail", key, record), _url("export_csv", key)]
    writes = [_url("create", key), _url("edit", key, record), _url("delete", key, record)]
    users = {name: personas[name].user for name in MATRIX_PERSONAS if name in personas}
    users["compliance_officer"] = _compliance_officer()
    for name, expected in zip(MATRIX_PERSONAS, MATRIX[key].split(), strict=True):
        client = signed_in(users[name])  # type: ignore[arg-type]
        got_reads = [client.get(url).status_code for url in reads]
        got_writes = [client.get(url).status_code for url in writes]
        want_reads = [403] * 3 if expected == "-" else [200] * 3
        want_writes = [200] * 3 if expected == "W" else [403] * 3
        assert (got_reads, got_writes) == (want_reads, want_writes), f"{name} on {key}"
    login = reverse("accounts:login")
    for url in reads + writes:
        anonymous = personas["anonymous"].client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith(login), url
        assert personas["outsider"].client().get(url).status_code == 403, url
    assert personas["outsider"].client().post(writes[2]).status_code == 403
    assert types.get(key).model._default_manager.filter(pk=record.pk).exists()


def test_posting_to_a_type_one_may_not_change_is_refused(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["agency_officer"])  # advisory: engagements only
    before = Standard.objects.count()
    assert client.post(_url("create", "standards"), VALID["standards"](world, world.institution)).status_code == 403
    assert Standard.objects.count() == before
    assert client.post(_url("delete", "standards", world.standard)).status_code == 403
    assert Standard.objects.filter(pk=world.standard.pk).exists()
    pk = _created_pk(client.post(_url("create", "engagements"), VALID["engagements"](world, world.institution)))
    assert Engagement.objects.get(pk=pk).reference == "zq-eng-new"


# --- a focal person's scope -------------------------------------------------------------------

SCOPED = [
    "institutions",
    "focal-persons",
    "eservices",
    "resource-use",
    "workforce-returns",
    "initiatives",
    "assessments",
    "usage-returns",
    "engagements",
    "complaints",
    "information-requests",
    "survey-responses",
]
FOCAL_EDITS = {
    "focal-persons",
    "eservices",
    "resource-use",
    "workforce-returns",
    "initiatives",
    "usage-returns",
    "complaints",
    "information-requests",
}


def test_the_scoped_lists_here_match_the_declarations() -> None:
    assert set(SCOPED) == {rt.key for rt in types.all_types() if rt.scope is not None and rt.focal_reads}
    assert {rt.key for rt in types.all_types() if rt.focal_edits} == FOCAL_EDITS


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _state(record: models.Model) -> dict[str, Any]:
    fresh = type(record)._default_manager.get(pk=record.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


@pytest.mark.parametrize("key", SCOPED)
def test_a_focal_person_never_reaches_another_institutions_records(
    key: str, personas: dict[str, Persona], world: World
) -> None:
    rt = types.get(key)
    client = english(personas["focal_person"])
    own, theirs = sample(key, world, world.institution), sample(key, world, world.other)
    theirs_before = _state(theirs)
    audit_before = AuditEvent.objects.count()

    listing = client.get(_url("list", key)).content.decode()
    assert f'href="{_url("detail", key, own)}"' in listing
    assert f'href="{_url("detail", key, theirs)}"' not in listing
    assert client.get(_url("detail", key, own)).status_code == 200
    for name in ("detail", "edit", "delete"):
        assert client.get(_url(name, key, theirs)).status_code == 404, name
    assert client.post(_url("edit", key, theirs), VALID[key](world, world.institution)).status_code == 404
    assert client.post(_url("delete", key, theirs)).status_code == 404

    expected_csv = exports.to_csv(exports.rows(rt, exports.prefetched(rt, rt.model._default_manager.filter(pk=own.pk))))
    assert client.get(_url("export_csv", key)).content == expected_csv
    xlsx = _xlsx_rows(client.get(_url("export_xlsx", key)).content)
    assert len(xlsx) == 2 and xlsx[0] == list(rt.fields)

    if key in FOCAL_EDITS:
        # A create or edit that names the other institution is an invalid choice: nothing is written.
        count = rt.model._default_manager.count()
        response = client.post(_url("create", key), VALID[key](world, world.other))
        assert response.status_code == 200 and response.context["form"].errors
        assert rt.model._default_manager.count() == count
        own_before = _state(own)
        scope_field = rt.scope.split("__")[0]  # type: ignore[union-attr]
        changed = {**VALID[key](world, world.institution), scope_field: VALID[key](world, world.other)[scope_field]}
        if key in ("complaints", "information-requests"):
            changed["reference"] = own.reference  # type: ignore[attr-defined]
        response = client.post(_url("edit", key, own), changed)
        assert response.status_code == 200 and scope_field in response.context["form"].errors
        assert _state(own) == own_before
    else:
        assert client.post(_url("create", key), VALID[key](world, world.other)).status_code == 403
    assert _state(theirs) == theirs_before
    assert AuditEvent.objects.count() == audit_before


def test_a_focal_persons_records_are_their_institutions_whatever_the_form_says(
    personas: dict[str, Persona], world: World
) -> None:
    client = english(personas["focal_person"])
    form = client.get(_url("create", "eservices")).context["form"]
    assert list(form.fields["institution"].queryset) == [world.institution]
    assert form.initial["institution"] == world.institution.pk
    assert list(client.get(_url("create", "usage-returns")).context["form"].fields["eservice"].queryset) == []
    own_eservice = eservice_of(world.institution)
    eservice_of(world.other)
    choices = client.get(_url("create", "usage-returns")).context["form"].fields["eservice"].queryset
    assert list(choices) == [own_eservice]
    # Left empty, the institution is the focal person's own.
    data = {**VALID["eservices"](world, world.institution), "institution": ""}
    pk = _created_pk(client.post(_url("create", "eservices"), data))
    assert EService.objects.get(pk=pk).institution == world.institution
    # Writing within their own institution works, and the trail names them.
    usage = _created_pk(client.post(_url("create", "usage-returns"), VALID["usage-returns"](world, world.institution)))
    (event,) = _audit(UsageReturn, usage)
    assert event.actor == personas["focal_person"].user and event.action == "create"
    # The list's institution filter offers their own only, and naming another shows nothing of it.
    filters = client.get(_url("list", "eservices")).context["form"]
    assert list(filters.fields["institution"].queryset) == [world.institution]
    MAKE["eservices"](world, world.other, 1)
    response = client.get(_url("list", "eservices"), {"institution": world.other.pk})
    assert {row.pk for row in response.context["rows"]} == {pk, own_eservice.pk}


def test_focal_persons_are_refused_the_agencys_internal_records(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["focal_person"])
    for key in ("budget-lines", "revenue", "posts"):
        record = MAKE[key](world, world.institution, 0)
        for url in (
            _url("list", key),
            _url("export_csv", key),
            _url("export_xlsx", key),
            _url("detail", key, record),
            _url("create", key),
        ):
            assert client.get(url).status_code == 403, url


# --- markup and formulas ----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_markup_in_stored_text_is_shown_as_text(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["me_officer"])
    eservice = EService.objects.create(
        institution=world.institution,
        code="zq-markup",
        name_sw=f"Huduma {SCRIPT}",
        name_en="Service",
        description_sw=f"Maelezo {SCRIPT}\nmstari wa pili",
        life_event="tax",
        channels="web",
        launched_on=date(2014, 1, 1),
    )
    complaint = MAKE["complaints"](world, world.institution, 0)
    Complaint.objects.filter(pk=complaint.pk).update(subject=f"Bad {SCRIPT}")
    for key, record in (("eservices", eservice), ("complaints", complaint)):
        for url in (_url("list", key) + "?q=zq", _url("list", key) + "?q=script", _url("detail", key, record)):
            html = client.get(url).content.decode()
            assert ESCAPED in html and SCRIPT not in html, url
        export = client.get(_url("export_csv", key) + "?q=script")
        assert export["Content-Type"] == "text/csv; charset=utf-8"
        assert export["Content-Disposition"].startswith("attachment; filename=")
        cells = [cell for row in _csv_rows(export.content)[1:] for cell in row]
        assert any(SCRIPT in cell for cell in cells)  # kept as the text it is, not as markup
        xlsx = client.get(_url("export_xlsx", key) + "?q=script")
        assert xlsx["Content-Disposition"].startswith("attachment; filename=")
        assert any(isinstance(v, str) and SCRIPT in v for row in _xlsx_rows(xlsx.content) for v in row)
    detail = client.get(_url("detail", "eservices", eservice)).content.decode()
    assert f"Maelezo {ESCAPED}<br>mstari wa pili" in detail


def test_formula_like_text_exports_as_text(personas: dict[str, Persona], world: World) -> None:
    formula = '=HYPERLINK("http://x","y")'
    client = english(personas["me_officer"])
    EService.objects.create(
        institution=world.institution,
        code="zq-formula",
        name_sw=formula,
        name_en="Service",
        life_event="tax",
        channels="web",
        launched_on=date(2014, 1, 1),
    )
    rows = _csv_rows(client.get(_url("export_csv", "eservices") + "?q=zq-formula").content)
    column = rows[0].index("name_sw")
    assert [row[column] for row in rows[1:]] == ["'" + formula]
    content = client.get(_url("export_xlsx", "eservices") + "?q=zq-formula").content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.data_type == "s" and cell.value == formula


def test_export_file_names_are_safe(personas: dict[str, Persona]) -> None:
    response = english(personas["me_officer"]).get(_url("export_xlsx", "information-requests"))
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="information-requests-{today}.xlsx"'
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- list queries -----------------------------------------------------------------------------


def _list_queries(client: Client, key: str, params: dict[str, str] | None = None) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url("list", key), {"q": "zq"} if params is None else params)
    assert response.status_code == 200
    return len(queries), response.context["page"].paginator.count, len(response.context["rows"])


def _export_queries(client: Client, key: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url("export_csv", key), {"q": "zq"})
    return len(queries), len(_csv_rows(response.content)) - 1


@pytest.mark.parametrize("key", ALL_KEYS)
def test_list_queries_do_not_grow_with_rows(key: str, personas: dict[str, Persona], world: World) -> None:
    inst = Institution.objects.create(code="zq-count", name_sw="Hesabu", name_en="Count", category="agency")
    client = english(personas["me_officer"])
    for i in range(5):
        MAKE[key](world, inst, i)
    queries_5, count_5, rows_5 = _list_queries(client, key)
    export_queries_5, exported_5 = _export_queries(client, key)
    for i in range(5, 50):
        MAKE[key](world, inst, i)
    queries_50, count_50, rows_50 = _list_queries(client, key)
    export_queries_50, exported_50 = _export_queries(client, key)
    assert count_50 - count_5 == 45 and rows_5 == count_5 and rows_50 == 50
    assert queries_50 == queries_5
    assert (exported_5, exported_50) == (count_5, count_50) and export_queries_50 == export_queries_5


def test_a_focal_persons_list_queries_do_not_grow_with_rows(personas: dict[str, Persona], world: World) -> None:
    client = english(personas["focal_person"])
    for i in range(5):
        MAKE["usage-returns"](world, world.institution, i)
    queries_5, _count, rows_5 = _list_queries(client, "usage-returns", {})
    for i in range(5, 50):
        MAKE["usage-returns"](world, world.institution, i)
    queries_50, _count, rows_50 = _list_queries(client, "usage-returns", {})
    assert (rows_5, rows_50) == (5, 50) and queries_50 == queries_5


# --- search, filters, date range, sort, pages -------------------------------------------------


def _codes(client: Client, key: str, params: dict[str, Any]) -> list[str]:
    response = client.get(_url("list", key), params)
    assert response.status_code == 200
    return [row.cells[0] for row in response.context["rows"]]


def _eservice(inst: Institution, code: str, name_sw: str, life_event: str, launched_on: date) -> EService:
    return EService.objects.create(
        institution=inst,
        code=code,
        name_sw=name_sw,
        name_en=code,
        life_event=life_event,
        channels="web",
        launched_on=launched_on,
    )


def test_search_filters_date_range_and_sort(personas: dict[str, Persona], world: World) -> None:
    a, b = world.institution, world.other
    _eservice(a, "zq-alpha", "Malipo ya kodi", "tax", date(2013, 8, 1))
    _eservice(b, "zq-beta", "Kodi ya ardhi", "land", date(2014, 2, 15))
    _eservice(a, "zq-gamma", "Hati ya ardhi", "land", date(2015, 1, 10))
    client = english(personas["me_officer"])
    found = _codes(client, "eservices", {"q": "KODI"})
    assert [code for code in found if code.startswith("zq-")] == ["zq-alpha", "zq-beta"]
    assert _codes(client, "eservices", {"q": "zq", "life_event": "land"}) == ["zq-beta", "zq-gamma"]
    assert _codes(client, "eservices", {"q": "zq", "institution": a.pk}) == ["zq-alpha", "zq-gamma"]
    assert _codes(client, "eservices", {"q": "zq", "from": "2014-01-01"}) == ["zq-beta", "zq-gamma"]
    assert _codes(client, "eservices", {"q": "zq", "from": "2014-01-01", "to": "2014-12-31"}) == ["zq-beta"]
    assert _codes(client, "eservices", {"q": "zq", "from": "2014-02-15", "to": "2014-02-15"}) == ["zq-beta"]
    assert _codes(client, "eservices", {"q": "zq", "sort": "-code"}) == ["zq-gamma", "zq-beta", "zq-alpha"]
    assert _codes(client, "eservices", {"q": "zq", "sort": "-launched_on"}) == ["zq-gamma", "zq-beta", "zq-alpha"]
    assert _codes(client, "eservices", {"q": "zq", "sort": "launched_on"}) == ["zq-alpha", "zq-beta", "zq-gamma"]
    # Values that do not validate are reported and left out, not turned into an empty list.
    response = client.get(_url("list", "eservices"), {"q": "zq", "from": "not-a-date", "sort": "password"})
    assert [row.cells[0] for row in response.context["rows"]] == ["zq-alpha", "zq-beta", "zq-gamma"]
    assert "from" in response.context["form"].errors and "Enter a valid date." in response.content.decode()
    # The exports hold exactly the filtered list.
    rows = _csv_rows(client.get(_url("export_csv", "eservices"), {"q": "zq", "life_event": "land"}).content)
    assert [row[0] for row in rows[1:]] == ["zq-beta", "zq-gamma"]
    xlsx = _xlsx_rows(client.get(_url("export_xlsx", "eservices"), {"q": "zq", "sort": "-code"}).content)
    assert [row[0] for row in xlsx[1:]] == ["zq-gamma", "zq-beta", "zq-alpha"]


def test_a_date_range_on_times_means_whole_local_days(personas: dict[str, Persona], world: World) -> None:
    late = MAKE["complaints"](world, world.institution, 1)
    early = MAKE["complaints"](world, world.institution, 2)
    # 23:30 and 00:30 in Dar es Salaam are 20:30 and 21:30 of the same UTC day.
    Complaint.objects.filter(pk=late.pk).update(received_at=at(date(2014, 5, 6), 23, 30))
    Complaint.objects.filter(pk=early.pk).update(received_at=at(date(2014, 5, 7), 0, 30))
    client = english(personas["me_officer"])
    # A reference never contains a space, so the search finds these two subjects only.
    assert _codes(client, "complaints", {"q": "zq complaint", "to": "2014-05-06"}) == [late.reference]  # type: ignore[attr-defined]
    assert _codes(client, "complaints", {"q": "zq complaint", "from": "2014-05-07"}) == [early.reference]  # type: ignore[attr-defined]


def test_lists_come_in_pages_of_fifty(personas: dict[str, Persona], world: World) -> None:
    for i in range(52):
        _eservice(world.institution, f"zq-p-{i:02d}", f"Huduma {i}", "tax", date(2014, 1, 1))
    client = english(personas["me_officer"])
    first = _codes(client, "eservices", {"q": "zq-p-"})
    second = _codes(client, "eservices", {"q": "zq-p-", "page": 2})
    assert first == [f"zq-p-{i:02d}" for i in range(50)]
    assert second == ["zq-p-50", "zq-p-51"]
    html = client.get(_url("list", "eservices"), {"q": "zq-p-", "page": "2"}).content.decode()
    assert "Page 2 of 2" in html and "52 records" in html
    assert 'href="?q=zq-p-&amp;page=1"' in html  # the page links keep the search


def test_sort_links_and_exports_keep_the_filters(personas: dict[str, Persona], world: World) -> None:
    MAKE["eservices"](world, world.institution, 0)
    html = english(personas["me_officer"]).get(_url("list", "eservices"), {"q": "zq", "sort": "code"}).content.decode()
    assert 'href="?q=zq&amp;sort=-code"' in html and 'aria-sort="ascending"' in html
    assert f'href="{_url("export_csv", "eservices")}?q=zq&amp;sort=code"' in html
    assert f'href="{_url("export_xlsx", "eservices")}?q=zq&amp;sort=code"' in html


def test_list_shows_labels_and_names_not_codes(personas: dict[str, Persona], world: World) -> None:
    _eservice(world.institution, "zq-labels", "Huduma", "land", date(2014, 1, 1))
    MAKE["focal-persons"](world, world.institution, 0)
    client = english(personas["me_officer"])
    response = client.get(_url("list", "eservices"), {"q": "zq-labels"})
    (row,) = response.context["rows"]
    assert row.cells[2] == world.institution.name_en and row.cells[3] == "Land and housing" and row.cells[4] == "Web"
    (person,) = client.get(_url("list", "focal-persons"), {"q": "zq person"}).context["rows"]
    assert person.cells[-1] == "Yes"


# --- the index and the navigation --------------------------------------------------------------


def _counts(client: Client) -> dict[str, int]:
    groups = client.get(reverse("records:index")).context["groups"]
    return {item.rt.key: item.count for group in groups for item in group.types}


def test_the_index_lists_readable_types_with_the_counts_one_can_see(personas: dict[str, Persona], world: World) -> None:
    MAKE["eservices"](world, world.institution, 0)
    MAKE["eservices"](world, world.institution, 1)
    MAKE["eservices"](world, world.other, 0)
    focal = _counts(english(personas["focal_person"]))
    assert focal["eservices"] == 2 and focal["institutions"] == 1
    assert not {"budget-lines", "revenue", "posts"} & set(focal)
    assert set(focal) == set(ALL_KEYS) - {"budget-lines", "revenue", "posts"}
    staff = _counts(english(personas["manager"]))
    assert set(staff) == set(ALL_KEYS) and staff["eservices"] == EService.objects.count()
    groups = english(personas["me_officer"]).get(reverse("records:index")).context["groups"]
    with translation.override("en"):
        assert [str(g.title) for g in groups] == ["Registry", "The Agency's work", "Feedback"]


def test_the_navigation_offers_records_to_readers_only(personas: dict[str, Persona]) -> None:
    link = f'href="{reverse("records:index")}"'
    for name, shown in (("anonymous", False), ("outsider", False), ("focal_person", True), ("manager", True)):
        assert (link in english(personas[name]).get("/").content.decode()) is shown, name
