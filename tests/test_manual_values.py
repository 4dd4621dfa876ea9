"""Manual indicator values: the workflow draft → submitted → returned → approved, who may do each
step, the lock on approved values and corrections, the audit trail, the evidence files, and how an
approved value becomes the indicator's stored value.

The world is written by hand: an indicator "ZQ1" with no definition (no data source yet) for which
huduma-ushauri answers, the unit of the M&E officer and Agency officer personas.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.core import audit
from tathmini.core.models import AuditEvent
from tathmini.measure import engine, manual, selectors
from tathmini.measure.manual import Entry
from tathmini.measure.models import Definition, ManualValue, Value
from tathmini.strategy.models import Indicator, OrgUnit, Plan
from tests.conftest import Persona

Status = ManualValue.Status
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def indicator(plan: Plan) -> Indicator:
    return Indicator.objects.create(
        plan=plan,
        code="ZQ1",
        name_sw="Kiashiria kinachoripotiwa kwa mkono",
        name_en="Hand-reported indicator",
        unit=Indicator.Unit.PERCENT,
        responsible_unit=OrgUnit.objects.get(code="huduma-ushauri"),
    )


def user_with(name: str, role: str, unit: str | None = "huduma-ushauri") -> User:
    user = User.objects.create_user(
        username=name, password="zq-password-1", org_unit=OrgUnit.objects.get(code=unit) if unit else None
    )
    user_set_roles(user, [role])
    return user


def english(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies["tathmini_language"] = "en"
    return client


def pdf(name: str = "survey-report.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def draft(indicator: Indicator, actor: User, period: str = "2013/14", **fields: Any) -> ManualValue:
    values: dict[str, Any] = {
        "value": Decimal("72.5"),
        "narrative": "Surveyed 40 institutions",
        "evidence_link": "https://evidence.example.go.tz/zq1",
    }
    values.update(fields)
    return manual.manual_value_create(Entry(indicator=indicator, period=period, **values), actor=actor)


def approved(indicator: Indicator, author: User, reviewer: User, **fields: Any) -> ManualValue:
    mv = manual.manual_value_submit(draft(indicator, author, **fields), actor=author)
    return manual.manual_value_approve(mv, actor=reviewer)


def events_of(mv: ManualValue) -> list[AuditEvent]:
    """The value's audit events, oldest first."""
    return list(reversed(audit.history(mv)))


def stored_name(mv: ManualValue) -> str:
    return mv.evidence_file.name or ""


def form_data(indicator: Indicator, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "indicator": indicator.pk,
        "period": "2013/14",
        "org_unit": "",
        "value": "72.5",
        "narrative": "Surveyed 40 institutions",
        "evidence_link": "",
    }
    data.update(overrides)
    return data


def users(personas: dict[str, Persona]) -> tuple[User, User]:
    officer, me = personas["agency_officer"].user, personas["me_officer"].user
    assert officer is not None and me is not None
    return officer, me


# --- The workflow through the pages -----------------------------------------------------------------
def test_the_whole_workflow_through_the_pages(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, me = users(personas)
    enterer, reviewer = english(officer), english(me)

    response = enterer.post(reverse("manual:create"), form_data(indicator, evidence_file=pdf()))
    mv = ManualValue.objects.get(indicator=indicator)
    assert response.status_code == 302 and response["Location"] == reverse("manual:detail", args=[mv.pk])
    assert (mv.status, mv.value, mv.created_by) == (Status.DRAFT, Decimal("72.5"), officer)
    # Stored under a random name in evidence/, the uploaded name kept for the download.
    assert mv.evidence_name == "survey-report.pdf"
    assert stored_name(mv).startswith("evidence/") and "survey" not in stored_name(mv)
    assert default_storage.open(stored_name(mv)).read() == PDF

    assert enterer.post(reverse("manual:submit", args=[mv.pk])).status_code == 302
    mv.refresh_from_db()
    assert (mv.status, mv.submitted_by) == (Status.SUBMITTED, officer)

    refused = reviewer.post(reverse("manual:return", args=[mv.pk]), {"reason": "   "})
    assert refused.status_code == 200
    assert "Say why it is returned" in refused.content.decode()
    mv.refresh_from_db()
    assert mv.status == Status.SUBMITTED

    reviewer.post(reverse("manual:return", args=[mv.pk]), {"reason": "Attach the survey's list of institutions."})
    mv.refresh_from_db()
    assert (mv.status, mv.return_reason, mv.reviewed_by) == (
        Status.RETURNED,
        "Attach the survey's list of institutions.",
        me,
    )
    assert (
        "Attach the survey&#x27;s list of institutions."
        in enterer.get(reverse("manual:detail", args=[mv.pk])).content.decode()
    )

    edited = enterer.post(
        reverse("manual:edit", args=[mv.pk]),
        form_data(indicator, value="74", evidence_link="https://evidence.example.go.tz/zq1-list.xlsx"),
    )
    assert edited.status_code == 302
    enterer.post(reverse("manual:submit", args=[mv.pk]))
    mv.refresh_from_db()
    assert (mv.status, mv.value, mv.return_reason) == (Status.SUBMITTED, Decimal("74"), "")

    reviewer.post(reverse("manual:approve", args=[mv.pk]))
    mv.refresh_from_db()
    assert (mv.status, mv.reviewed_by) == (Status.APPROVED, me)

    trail = [(e.actor, e.action, e.changes.get("status")) for e in events_of(mv)]
    assert trail == [
        (officer, "create", [None, "draft"]),
        (officer, "update", ["draft", "submitted"]),
        (me, "update", ["submitted", "returned"]),
        (officer, "update", None),  # the edit: value and link, no transition
        (officer, "update", ["returned", "submitted"]),
        (me, "update", ["submitted", "approved"]),
    ]
    page = reviewer.get(reverse("manual:detail", args=[mv.pk])).content.decode()
    assert "Approved values are locked." in page
    assert page.count("<tr>") - 1 == 6  # the history table: a header row and one row per event


def test_every_transition_is_an_audit_event_with_the_status_old_and_new_and_the_actor(
    personas: dict[str, Persona], indicator: Indicator
) -> None:
    officer, me = users(personas)
    mv = draft(indicator, officer)
    manual.manual_value_submit(mv, actor=officer)
    manual.manual_value_return(mv, actor=me, reason="  Numbers do not add up.  ")
    manual.manual_value_submit(mv, actor=officer)
    manual.manual_value_approve(mv, actor=me)

    events = events_of(mv)
    assert all(e.channel == AuditEvent.Channel.WEB for e in events)
    assert [(e.actor_label, e.changes) for e in events[1:]] == [
        (officer.username, {"status": ["draft", "submitted"]}),
        (me.username, {"status": ["submitted", "returned"], "return_reason": ["", "Numbers do not add up."]}),
        (
            officer.username,
            {"status": ["returned", "submitted"], "return_reason": ["Numbers do not add up.", ""]},
        ),
        (me.username, {"status": ["submitted", "approved"]}),
    ]
    created = events[0].changes
    assert created["status"] == [None, "draft"] and created["value"] == [None, "72.5"]
    assert created["indicator"] == [None, indicator.pk]


def test_a_return_needs_a_reason(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, me = users(personas)
    mv = manual.manual_value_submit(draft(indicator, officer), actor=officer)
    for reason in ("", "  \n "):
        with pytest.raises(ValidationError) as refused:
            manual.manual_value_return(mv, actor=me, reason=reason)
        assert list(refused.value.error_dict) == ["reason"]
    mv.refresh_from_db()
    assert mv.status == Status.SUBMITTED
    assert len(events_of(mv)) == 2  # created, submitted: the refusals left no trace

    page = english(me).post(reverse("manual:return", args=[mv.pk]), {"reason": ""})
    assert page.status_code == 200
    assert 'aria-invalid="true"' in page.content.decode() and "Say why it is returned" in page.content.decode()


def test_submitting_needs_evidence(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, _me = users(personas)
    mv = draft(indicator, officer, evidence_link="")
    with pytest.raises(ValidationError):
        manual.manual_value_submit(mv, actor=officer)
    response = english(officer).post(reverse("manual:submit", args=[mv.pk]), follow=True)
    assert "Attach evidence, a file or a link, before submitting." in response.content.decode()
    mv.refresh_from_db()
    assert mv.status == Status.DRAFT


def test_a_value_or_a_narrative_is_required(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, _me = users(personas)
    with pytest.raises(ValidationError):
        draft(indicator, officer, value=None, narrative="  ")
    narrative_only = draft(indicator, officer, value=None, narrative="A qualitative account.")
    assert narrative_only.value is None
    page = english(officer).post(reverse("manual:create"), form_data(indicator, value="", narrative=""))
    assert page.status_code == 200 and "Give a value, a narrative, or both." in page.content.decode()
    assert ManualValue.objects.filter(indicator=indicator).count() == 1


def test_a_period_outside_the_plan_is_refused(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, _me = users(personas)
    for period in ("2030/31", "2013/14-Q5", "last year"):
        with pytest.raises(ValidationError) as refused:
            draft(indicator, officer, period=period)
        assert list(refused.value.error_dict) == ["period"]
    assert draft(indicator, officer, period="2014-02").period_start.isoformat() == "2014-02-01"


# --- Locks and who may do what ----------------------------------------------------------------------
def test_an_approved_value_is_locked_in_the_services(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, me = users(personas)
    mv = approved(indicator, officer, me)
    before = len(events_of(mv))
    with pytest.raises(ValidationError):
        manual.manual_value_update(mv, Entry(indicator=indicator, period="2013/14", value=Decimal(1)), actor=officer)
    with pytest.raises(ValidationError):
        manual.manual_value_delete(mv, actor=officer)
    with pytest.raises(ValidationError):
        manual.manual_value_submit(mv, actor=officer)
    with pytest.raises(ValidationError):
        manual.manual_value_return(mv, actor=me, reason="late doubts")
    mv.refresh_from_db()
    assert (mv.status, mv.value) == (Status.APPROVED, Decimal("72.5"))
    assert len(events_of(mv)) == before


def test_an_approved_value_is_locked_in_the_pages(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, me = users(personas)
    mv = approved(indicator, officer, me)
    client = english(officer)
    detail = reverse("manual:detail", args=[mv.pk])

    page = client.get(detail).content.decode()
    assert reverse("manual:edit", args=[mv.pk]) not in page and reverse("manual:submit", args=[mv.pk]) not in page
    assert "Enter a correction" in page

    edit = client.get(reverse("manual:edit", args=[mv.pk]), follow=True)
    assert edit.redirect_chain == [(detail, 302)] and "An approved value is locked." in edit.content.decode()
    for refused in (
        client.post(reverse("manual:edit", args=[mv.pk]), form_data(indicator, value="1")),
        client.post(reverse("manual:delete", args=[mv.pk])),
    ):
        assert (refused.status_code, refused["Location"]) == (302, detail)
    submitted = client.post(reverse("manual:submit", args=[mv.pk]), follow=True)
    assert "An approved value is locked." in submitted.content.decode()
    mv.refresh_from_db()
    assert (mv.status, mv.value) == (Status.APPROVED, Decimal("72.5"))


def test_nobody_approves_their_own_submission(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, me = users(personas)
    other_me = user_with("zq-mne-2", Role.ME_OFFICER)

    own = manual.manual_value_submit(draft(indicator, me), actor=me)
    with pytest.raises(PermissionDenied):
        manual.manual_value_approve(own, actor=me)
    with pytest.raises(PermissionDenied):
        manual.manual_value_return(own, actor=me, reason="second thoughts")
    assert english(me).post(reverse("manual:approve", args=[own.pk])).status_code == 403
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED
    assert own not in manual.awaiting_review(me)
    assert manual.manual_value_approve(own, actor=other_me).status == Status.APPROVED

    # The creator never approves, even when someone else submitted.
    created = draft(indicator, me, period="2014/15")
    manual.manual_value_submit(created, actor=officer)
    with pytest.raises(PermissionDenied):
        manual.manual_value_approve(created, actor=me)

    # Nor does anyone who changed the content on the way.
    changed = draft(indicator, officer, period="2015/16")
    manual.manual_value_update(
        changed,
        Entry(indicator=indicator, period="2015/16", value=Decimal(90), evidence_link="https://e.example/x"),
        actor=other_me,
    )
    manual.manual_value_submit(changed, actor=officer)
    with pytest.raises(PermissionDenied):
        manual.manual_value_approve(changed, actor=other_me)
    assert manual.manual_value_approve(changed, actor=me).status == Status.APPROVED


def test_only_an_me_officer_returns_or_approves(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, _me = users(personas)
    other_officer = user_with("zq-officer-2", Role.AGENCY_OFFICER)
    mv = manual.manual_value_submit(draft(indicator, officer), actor=officer)
    with pytest.raises(PermissionDenied):
        manual.manual_value_approve(mv, actor=other_officer)
    with pytest.raises(PermissionDenied):
        manual.manual_value_return(mv, actor=other_officer, reason="not convinced")
    for user in (other_officer, personas["manager"].user):
        client = english(user)
        assert client.post(reverse("manual:approve", args=[mv.pk])).status_code == 403
        assert client.post(reverse("manual:return", args=[mv.pk]), {"reason": "no"}).status_code == 403
        assert (
            reverse("manual:approve", args=[mv.pk])
            not in client.get(reverse("manual:detail", args=[mv.pk])).content.decode()
        )
    mv.refresh_from_db()
    assert mv.status == Status.SUBMITTED


def test_who_may_enter_values_for_an_indicator(personas: dict[str, Persona], indicator: Indicator) -> None:
    head = personas["manager"].user  # head of the department above huduma-ushauri
    section = user_with("zq-section-head", Role.MANAGER, unit="huduma-ushauri-dawati")  # below it
    elsewhere = user_with("zq-other-head", Role.MANAGER, unit="huduma-mtandao")
    assert head is not None

    assert manual.may_enter(section, indicator)
    assert not manual.may_enter(head, indicator) and not manual.may_enter(elsewhere, indicator)
    with pytest.raises(PermissionDenied):
        draft(indicator, head)
    assert english(head).get(reverse("manual:create")).status_code == 403

    offered = set(manual.enterable_indicators(section, indicator.plan).values_list("code", flat=True))
    assert "ZQ1" in offered and "K01" in offered  # both huduma-ushauri's
    assert "K04" not in offered  # huduma-mtandao's
    page = english(section).get(reverse("manual:create")).content.decode()
    assert "ZQ1 Hand-reported indicator" in page and "K04 " not in page

    mv = draft(indicator, section)
    assert english(elsewhere).get(reverse("manual:edit", args=[mv.pk])).status_code == 403
    assert english(elsewhere).get(reverse("manual:detail", args=[mv.pk])).status_code == 200  # staff may read


def test_a_focal_person_reaches_no_manual_value_page(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, _me = users(personas)
    mv = manual.manual_value_submit(draft(indicator, officer, evidence_file=pdf()), actor=officer)
    focal = english(personas["focal_person"].user)
    for name in ("list", "create"):
        assert focal.get(reverse(f"manual:{name}")).status_code == 403
    for name in ("detail", "edit", "delete", "evidence"):
        assert focal.get(reverse(f"manual:{name}", args=[mv.pk])).status_code == 403, name
    for name in ("submit", "return", "approve", "delete"):
        assert focal.post(reverse(f"manual:{name}", args=[mv.pk]), {"reason": "x"}).status_code == 403, name
    mv.refresh_from_db()
    assert mv.status == Status.SUBMITTED


# --- Corrections and the one-approved rule ----------------------------------------------------------
def test_a_correction_supersedes_the_approved_value_once_approved(
    personas: dict[str, Persona], indicator: Indicator
) -> None:
    officer, me = users(personas)
    first = approved(indicator, officer, me, value=Decimal(70))
    unit = OrgUnit.objects.get(code="huduma-ushauri")
    for_unit = approved(indicator, officer, me, value=Decimal(40), org_unit=unit)

    correction = manual.manual_value_submit(draft(indicator, officer, value=Decimal(75)), actor=officer)
    first.refresh_from_db()
    assert first.status == Status.APPROVED  # a correction waiting for review changes nothing yet
    manual.manual_value_approve(correction, actor=me)

    first.refresh_from_db()
    for_unit.refresh_from_db()
    correction.refresh_from_db()
    assert (first.status, correction.status, correction.supersedes) == (Status.SUPERSEDED, Status.APPROVED, first)
    assert for_unit.status == Status.APPROVED  # another unit's value is another key
    assert events_of(first)[-1].changes == {"status": ["approved", "superseded"]}
    assert events_of(first)[-1].actor == me
    with pytest.raises(ValidationError):
        manual.manual_value_update(first, Entry(indicator=indicator, period="2013/14", value=Decimal(1)), actor=officer)

    stored = Value.objects.get(indicator=indicator, period="2013/14", dimension="", group="")
    assert (stored.value, stored.extras["manual_value"]) == (Decimal(75), correction.pk)
    page = english(me).get(reverse("manual:detail", args=[first.pk])).content.decode()
    assert reverse("manual:detail", args=[correction.pk]) in page


@pytest.mark.parametrize("unit_code", [None, "huduma-ushauri"])
def test_the_database_holds_one_approved_value_per_indicator_period_and_unit(
    personas: dict[str, Persona], indicator: Indicator, unit_code: str | None
) -> None:
    officer, me = users(personas)
    unit = OrgUnit.objects.get(code=unit_code) if unit_code else None
    first = approved(indicator, officer, me, org_unit=unit)
    twin = ManualValue(
        indicator=indicator,
        period=first.period,
        period_kind=first.period_kind,
        period_start=first.period_start,
        period_end=first.period_end,
        org_unit=unit,
        value=Decimal(1),
        status=Status.APPROVED,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


# --- Feeding the engine -----------------------------------------------------------------------------
def test_an_approved_value_is_the_indicators_value_when_it_has_no_definition(
    personas: dict[str, Persona], indicator: Indicator, plan: Plan
) -> None:
    officer, me = users(personas)
    unit = OrgUnit.objects.get(code="huduma-ushauri")
    approved(indicator, officer, me, value=Decimal("72.5"))
    approved(indicator, officer, me, period="2013/14-Q2", value=Decimal(61), org_unit=unit, narrative="Q2 visits")
    waiting = manual.manual_value_submit(draft(indicator, officer, period="2014/15"), actor=officer)

    agency = Value.objects.get(indicator=indicator, period="2013/14", dimension="", group="")
    assert (agency.numerator, agency.denominator, agency.value, agency.definition) == (
        Decimal("72.5"),
        None,
        Decimal("72.5"),
        None,
    )
    assert (agency.period_kind, agency.period_start.isoformat(), agency.period_end.isoformat()) == (
        "year",
        "2013-07-01",
        "2014-06-30",
    )
    assert agency.extras["manual"] is True and agency.extras["narrative"] == "Surveyed 40 institutions"
    by_unit = Value.objects.get(indicator=indicator, period="2013/14-Q2", dimension="org_unit", group=str(unit.pk))
    assert (by_unit.value, by_unit.extras["narrative"]) == (Decimal(61), "Q2 visits")
    assert not Value.objects.filter(indicator=indicator, period="2014/15").exists()  # not approved yet
    assert waiting.status == Status.SUBMITTED
    # Nothing rolls up: the unit's quarter is not the Agency's quarter.
    assert not Value.objects.filter(indicator=indicator, period="2013/14-Q2", dimension="").exists()

    yearly = {p.period.code: p.actual for p in selectors.series(indicator, kind="year")}
    assert yearly["2013/14"] == Decimal("72.5") and yearly["2012/13"] is None

    # A refresh recomputes indicators with definitions and leaves this one's values alone.
    assert Definition.objects.filter(indicator=indicator).count() == 0
    assert engine.refresh_indicator(indicator) == 0
    assert engine.refresh_indicator(indicator, ["2013/14"]) == 0
    run = engine.refresh(plan, codes=["ZQ1", "K01"])
    assert run.done == ["K01"]
    assert Value.objects.filter(indicator=indicator).count() == 2
    assert Value.objects.get(pk=agency.pk).value == Decimal("72.5")


def test_an_indicator_with_a_definition_keeps_its_computed_value(personas: dict[str, Persona], plan: Plan) -> None:
    officer, me = users(personas)
    k01 = Indicator.objects.get(plan=plan, code="K01")
    definition = engine.current_definition(k01)
    assert definition is not None
    computed = Value.objects.create(
        indicator=k01,
        definition=definition,
        period="2013/14",
        period_kind="year",
        period_start=date(2013, 7, 1),
        period_end=date(2014, 6, 30),
        numerator=Decimal(12),
        denominator=Decimal(24),
        value=Decimal(50),
        computed_at=timezone.now(),
    )
    mv = approved(k01, officer, me, value=Decimal(90), narrative="Survey says more")

    assert manual.publish(mv) is None
    computed.refresh_from_db()
    assert (computed.value, computed.extras) == (Decimal(50), {})
    assert Value.objects.filter(indicator=k01, period="2013/14", dimension="").count() == 1
    assert manual.computed_beside(mv) == computed
    assert list(manual.approved_values(k01)) == [mv]
    page = english(me).get(reverse("manual:detail", args=[mv.pk])).content.decode()
    assert "The computed value stands" in page and "<strong>50</strong>" in page


def test_approving_refreshes_the_composites_that_read_the_indicator(
    personas: dict[str, Persona], indicator: Indicator, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    officer, me = users(personas)
    composite = Indicator.objects.create(
        plan=plan, code="ZQC", name_sw="Faharasa", name_en="Index", unit=Indicator.Unit.INDEX
    )
    Definition.objects.create(indicator=composite, version=1, spec={"composite": [{"indicator": "ZQ1", "weight": 1}]})
    with django_capture_on_commit_callbacks(execute=True):
        approved(indicator, officer, me, value=Decimal(60))
    index = Value.objects.get(indicator=composite, period="2013/14", dimension="")
    assert index.value == Decimal(60)
    assert not Value.objects.filter(indicator=composite, period="2014/15").exists()  # only the period approved


# --- Evidence -------------------------------------------------------------------------------------------
def test_a_disallowed_type_of_evidence_is_refused_and_the_typed_values_kept(
    personas: dict[str, Persona], indicator: Indicator, media: Any
) -> None:
    officer, _me = users(personas)
    client = english(officer)
    for upload, message in (
        (SimpleUploadedFile("tool.exe", b"MZ\x90\x00"), "“tool.exe” is not accepted as evidence"),
        (SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script>"), "“photo.png” is not a PNG file inside"),
        (SimpleUploadedFile("sheet.xlsx", b"PK\x03\x04 not a real workbook"), "“sheet.xlsx” is not a XLSX file inside"),
    ):
        page = client.post(
            reverse("manual:create"), form_data(indicator, narrative="Typed with care", evidence_file=upload)
        )
        assert page.status_code == 200
        content = page.content.decode()
        assert message in content
        assert "Typed with care</textarea>" in content and 'value="72.5"' in content
        assert "choose the evidence file again" in content
    assert not ManualValue.objects.filter(indicator=indicator).exists()
    assert not (media / "evidence").exists() or not any((media / "evidence").iterdir())


def test_an_oversized_evidence_file_is_refused(
    personas: dict[str, Persona], indicator: Indicator, settings: Any
) -> None:
    officer, _me = users(personas)
    settings.MANUAL_EVIDENCE_MAX_BYTES = 1000
    big = pdf("big.pdf", PDF + b"0" * (1001 - len(PDF)))
    page = english(officer).post(reverse("manual:create"), form_data(indicator, evidence_file=big))
    content = page.content.decode()
    assert (
        page.status_code == 200
        and "“big.pdf” is 1001\xa0bytes; an evidence file may be at most 1000\xa0bytes." in content
    )
    assert 'value="72.5"' in content
    assert not ManualValue.objects.filter(indicator=indicator).exists()
    exactly = pdf("fits.pdf", PDF + b"0" * (1000 - len(PDF)))
    assert (
        english(officer).post(reverse("manual:create"), form_data(indicator, evidence_file=exactly)).status_code == 302
    )


def test_office_files_and_images_of_the_right_kind_are_accepted(
    personas: dict[str, Persona], indicator: Indicator
) -> None:
    officer, _me = users(personas)
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    for upload in (
        SimpleUploadedFile("list.xlsx", workbook.getvalue()),
        SimpleUploadedFile("PHOTO.JPEG", b"\xff\xd8\xff\xe0rest"),
        SimpleUploadedFile("counts.csv", b"institution,visits\nTaasisi A,3\n"),
    ):
        mv = draft(indicator, officer, evidence_file=upload)
        assert mv.evidence_name == upload.name
    assert ManualValue.objects.filter(evidence_file__endswith=".jpg").count() == 1


def test_evidence_is_served_to_staff_only(personas: dict[str, Persona], indicator: Indicator) -> None:
    officer, me = users(personas)
    mv = draft(indicator, officer, evidence_file=pdf())
    url = reverse("manual:evidence", args=[mv.pk])

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    assert Client().get(f"/media/{mv.evidence_file.name}").status_code == 404  # no public path to the file
    assert english(personas["focal_person"].user).get(url).status_code == 403
    assert english(personas["outsider"].user).get(url).status_code == 403

    download = english(personas["manager"].user).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="survey-report.pdf"'
    assert download["Cache-Control"] == "private, no-store"
    assert english(me).get(reverse("manual:evidence", args=[draft(indicator, officer).pk])).status_code == 404


def test_replacing_or_removing_evidence_and_deleting_a_draft_remove_the_stored_file(
    personas: dict[str, Persona], indicator: Indicator, django_capture_on_commit_callbacks: Any
) -> None:
    officer, _me = users(personas)
    mv = draft(indicator, officer, evidence_file=pdf("one.pdf"))
    first = stored_name(mv)
    client = english(officer)
    kept = {"evidence_link": mv.evidence_link}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("manual:edit", args=[mv.pk]), form_data(indicator, evidence_file=pdf("two.pdf"), **kept))
    mv.refresh_from_db()
    second = stored_name(mv)
    assert mv.evidence_name == "two.pdf" and second != first
    assert not default_storage.exists(first) and default_storage.exists(second)
    assert events_of(mv)[-1].changes == {"evidence_name": ["one.pdf", "two.pdf"]}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("manual:edit", args=[mv.pk]), form_data(indicator, remove_evidence="on", **kept))
    mv.refresh_from_db()
    assert (mv.evidence_file.name, mv.evidence_name) == ("", "")
    assert not default_storage.exists(second)

    other = draft(indicator, officer, period="2014/15", evidence_file=pdf("three.pdf"))
    stored = stored_name(other)
    assert client.get(reverse("manual:delete", args=[other.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("manual:delete", args=[other.pk])).status_code == 302
    assert not ManualValue.objects.filter(pk=other.pk).exists()
    assert not default_storage.exists(stored)
    deleted = AuditEvent.objects.get(object_id=str(other.pk), action=AuditEvent.Action.DELETE)
    assert deleted.actor == officer and deleted.changes["status"] == ["draft", None]


# --- The list ---------------------------------------------------------------------------------------
def test_the_list_filters_and_shows_what_awaits_my_review(
    personas: dict[str, Persona], indicator: Indicator, django_assert_max_num_queries: Any
) -> None:
    officer, me = users(personas)
    theirs = manual.manual_value_submit(draft(indicator, officer, period="2013/14"), actor=officer)
    mine = manual.manual_value_submit(draft(indicator, me, period="2014/15"), actor=me)
    still_draft = draft(indicator, officer, period="2015/16")

    def shown(client: Client, query: str) -> set[int]:
        page = client.get(reverse("manual:list") + query)
        assert page.status_code == 200
        return {mv.pk for mv in page.context["values"]}

    reviewer = english(me)
    assert shown(reviewer, "?review=on") == {theirs.pk}
    assert "1 value awaiting my review" in reviewer.get(reverse("manual:list")).content.decode()
    assert shown(reviewer, "?status=draft") == {still_draft.pk}
    assert shown(reviewer, "?period=2014/15") == {mine.pk}
    assert shown(reviewer, f"?indicator={indicator.pk}&status=submitted") == {theirs.pk, mine.pk}
    officer_page = english(officer).get(reverse("manual:list")).content.decode()
    assert "awaiting my review" not in officer_page

    # No query per row: thirty more values cost no more queries than three.
    client = english(me)
    client.get(reverse("manual:list"))  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("manual:list"))
    for i in range(30):
        draft(indicator, officer, period=f"{2013 + i % 3}-0{1 + i % 9}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("manual:list"))
    assert len(page.context["values"]) == 33
