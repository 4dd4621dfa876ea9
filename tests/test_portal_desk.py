"""Working days, the service-level states people see, and the desks that answer the public."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Complaint, InformationRequest
from tathmini.portal import selectors, services, testing, workdays
from tests.conftest import Persona

pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, hour: int = 7) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=UTC)  # 10:00 in Dar es Salaam


def test_working_days_skip_weekends_and_public_holidays() -> None:
    assert workdays.easter(2016) == date(2016, 3, 27)
    assert workdays.easter(2017) == date(2017, 4, 16)
    # Friday 23 December 2016: the 25th is a Sunday, the 26th (Boxing Day) a Monday holiday.
    assert workdays.add_working_days(date(2016, 12, 23), 1) == date(2016, 12, 27)
    # Thursday before Easter 2016: Good Friday 25 March and Easter Monday 28 March are holidays.
    assert workdays.add_working_days(date(2016, 3, 24), 1) == date(2016, 3, 29)
    # Monday 1 August 2016 + 20: four weeks less Nane Nane (Monday 8 August).
    assert workdays.add_working_days(date(2016, 8, 1), 20) == date(2016, 8, 30)
    assert workdays.working_days_between(date(2016, 8, 1), date(2016, 8, 30)) == 20
    assert workdays.working_days_between(date(2016, 8, 30), date(2016, 8, 1)) == 0


def test_moon_dated_holidays_come_from_the_settings(settings: Any) -> None:
    assert workdays.add_working_days(date(2016, 7, 5), 1) == date(2016, 7, 6)
    settings.PORTAL_EXTRA_HOLIDAYS = ["2016-07-06"]  # Eid al-Fitr; the 7th is Saba Saba
    assert workdays.add_working_days(date(2016, 7, 5), 1) == date(2016, 7, 8)


def test_a_request_turns_overdue_then_very_overdue(db: Any, monkeypatch: Any) -> None:
    owner = testing.institution("t-inst", "Taasisi")
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 1))
    filed = services.request_submit({"institution": owner, "subject": "s", "question": "q"})
    assert filed.deadline == date(2016, 8, 30)
    states = {
        day: selectors.request_state(filed, day)
        for day in (date(2016, 8, 30), date(2016, 8, 31), date(2016, 9, 27), date(2016, 9, 28))
    }
    # After the deadline: 20 more working days are still "overdue" (27 September is the 20th).
    assert states == {
        date(2016, 8, 30): "awaiting",
        date(2016, 8, 31): "overdue",
        date(2016, 9, 27): "overdue",
        date(2016, 9, 28): "very_overdue",
    }


def test_a_complaint_is_open_then_overdue_then_resolved(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 1))
    complaint = services.complaint_submit({"about": "agency", "category": "other", "subject": "s", "description": "d"})
    assert selectors.complaint_due(complaint) == date(2016, 8, 16)  # 10 working days, Nane Nane skipped
    assert selectors.complaint_state(complaint, date(2016, 8, 16)) == "open"
    assert selectors.complaint_state(complaint, date(2016, 8, 17)) == "overdue"
    services.complaint_update(complaint, status="resolved", note="Imeshughulikiwa", actor=_desk_officer())
    assert selectors.complaint_state(complaint, date(2016, 8, 17)) == "resolved"


def _desk_officer() -> User:
    user = User.objects.create_user(username="dawati", password="dawati-password-1", agency_function="complaints")
    user_set_roles(user, [Role.AGENCY_OFFICER])
    return user


def test_each_desk_sees_and_answers_only_its_own(db: Any, personas: dict[str, Persona], monkeypatch: Any) -> None:
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 1))
    focal = personas["focal_person"].user
    other = personas["other_focal_person"].user
    assert focal is not None and other is not None
    own = services.complaint_submit(
        {
            "about": "institution",
            "institution": focal.institution,
            "category": "delay",
            "subject": "own",
            "description": "d",
        }
    )
    theirs = services.complaint_submit(
        {
            "about": "institution",
            "institution": other.institution,
            "category": "delay",
            "subject": "theirs",
            "description": "d",
        }
    )
    agency = services.complaint_submit(
        {"about": "agency", "category": "conduct", "subject": "agency", "description": "d"}
    )
    focal_client = personas["focal_person"].client()
    desk = focal_client.get(reverse("portal:desk"))
    assert [c.subject for c, _state in desk.context["complaints"]] == ["own"]
    assert focal_client.get(reverse("portal:desk_complaint", args=[theirs.pk])).status_code == 404
    assert focal_client.get(reverse("portal:desk_complaint", args=[agency.pk])).status_code == 404
    officer = Client()
    officer.force_login(_desk_officer())
    assert [c.subject for c, _state in officer.get(reverse("portal:desk")).context["complaints"]] == ["agency"]
    assert officer.get(reverse("portal:desk_complaint", args=[own.pk])).status_code == 404
    # An advisory officer is let onto the desk page but answers nothing.
    advisory = personas["agency_officer"].client().get(reverse("portal:desk"))
    assert advisory.context["complaints"] == [] and advisory.context["requests"] == []
    assert personas["anonymous"].client().get(reverse("portal:desk")).status_code == 302


def test_a_resolution_reaches_the_tracking_page_without_the_staff_name(
    db: Any, personas: dict[str, Persona], monkeypatch: Any
) -> None:
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 1))
    focal = personas["focal_person"].user
    assert focal is not None
    complaint = services.complaint_submit(
        {
            "about": "institution",
            "institution": focal.institution,
            "category": "delay",
            "subject": "s",
            "description": "d",
        }
    )
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 3))
    client = personas["focal_person"].client()
    url = reverse("portal:desk_complaint", args=[complaint.pk])
    assert client.post(url, {"status": "in_progress", "note": "Tunafuatilia"}).status_code == 302
    assert client.post(url, {"status": "resolved", "note": "Malipo yameonekana sasa"}).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolved_at, complaint.resolution) == (
        "resolved",
        at(2016, 8, 3),
        "Malipo yameonekana sasa",
    )
    events = AuditEvent.objects.filter(object_id=str(complaint.pk), channel="web")
    assert [e.actor for e in events] == [focal, focal]
    page = Client().get(reverse("portal:complaint", args=[complaint.reference]))
    body = page.content.decode()
    assert page.context["tracked"].state == "resolved"
    assert [s.status for s in page.context["tracked"].history] == ["open", "in_progress", "resolved"]
    assert "Tunafuatilia" in body and "Malipo yameonekana sasa" in body
    assert focal.username not in body


def test_an_invalid_desk_update_changes_nothing(db: Any) -> None:
    complaint = services.complaint_submit({"about": "agency", "category": "other", "subject": "s", "description": "d"})
    officer = Client()
    officer.force_login(_desk_officer())
    response = officer.post(reverse("portal:desk_complaint", args=[complaint.pk]), {"status": "resolved", "note": ""})
    assert response.status_code == 200 and "note" in response.context["form"].errors
    complaint.refresh_from_db()
    assert complaint.status == "open"


def test_an_institution_answers_a_request_and_the_requester_sees_it(
    db: Any, personas: dict[str, Persona], monkeypatch: Any
) -> None:
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 1))
    focal = personas["focal_person"].user
    assert focal is not None
    request = services.request_submit({"institution": focal.institution, "subject": "Bajeti", "question": "Bajeti ni?"})
    other_request = services.request_submit(
        {"institution": personas["other_focal_person"].user.institution, "subject": "x", "question": "y"}  # type: ignore[union-attr]
    )
    client = personas["focal_person"].client()
    assert [r.subject for r, _ in client.get(reverse("portal:desk")).context["requests"]] == ["Bajeti"]
    assert client.get(reverse("portal:desk_request", args=[other_request.pk])).status_code == 404
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 10))
    response = client.post(
        reverse("portal:desk_request", args=[request.pk]), {"status": "answered", "answer": "Shilingi bilioni 2."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.answered_at, request.answer) == ("answered", at(2016, 8, 10), "Shilingi bilioni 2.")
    page = Client().get(reverse("portal:request", args=[request.reference]))
    assert page.context["tracked"].state == "answered" and "Shilingi bilioni 2." in page.content.decode()
    assert InformationRequest.objects.filter(status="awaiting").count() == 1


def test_a_refusal_is_shown_with_its_reason(db: Any, personas: dict[str, Persona]) -> None:
    focal = personas["focal_person"].user
    assert focal is not None
    request = services.request_submit({"institution": focal.institution, "subject": "Siri", "question": "?"})
    personas["focal_person"].client().post(
        reverse("portal:desk_request", args=[request.pk]), {"status": "refused", "answer": "Ni taarifa ya siri."}
    )
    page = Client().get(reverse("portal:request", args=[request.reference]))
    assert page.context["tracked"].state == "refused" and "Ni taarifa ya siri." in page.content.decode()


def test_the_agency_issues_invitations_and_open_links(db: Any, personas: dict[str, Persona]) -> None:
    survey = testing.survey("t-wadau")
    client = personas["me_officer"].client()
    url = reverse("portal:survey_links", args=[survey.code])
    page = client.post(url, {"action": "invite", "respondent": "stakeholder", "labels": "Wizara A\n\nWizara B\n"})
    assert page.status_code == 200
    issued = page.context["issued"]
    assert [item.invitation.label for item, _url in issued] == ["Wizara A", "Wizara B"]
    link = issued[0][1]
    assert link.startswith("http://testserver/huduma/utafiti/mwaliko/") and link in page.content.decode()
    assert Client().get(link).status_code == 200
    assert (
        client.post(url, {"action": "link", "respondent": "citizen", "per_device": "2", "eservice": ""}).status_code
        == 302
    )
    assert survey.open_links.get().per_device == 2
    assert personas["focal_person"].client().get(url).status_code == 403


def test_complaints_from_the_public_are_routed_to_the_agency_desk(
    db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    officer = _desk_officer()
    officer.email = "dawati@ega.example"
    officer.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_submit({"about": "agency", "category": "other", "subject": "s", "description": "d"})
    assert [m.to for m in mail.outbox] == [["dawati@ega.example"]]
    assert Complaint.objects.get().institution is None
