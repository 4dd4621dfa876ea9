"""Every public form: what a valid post files, invalid input shown again with the typed values,
the honeypot, the rate limit per client, and stored markup shown escaped everywhere."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Complaint, ComplaintUpdate, InformationRequest, Survey, SurveyResponse
from tathmini.portal import services, testing
from tathmini.portal.models import SurveyInvitation
from tathmini.records import types as record_types
from tathmini.records.services import public_create
from tathmini.registry.models import EService, FocalPerson, Institution
from tests.conftest import Persona

pytestmark = pytest.mark.django_db

MARKUP = "<script>alert('x')</script><b>bold</b>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"


@pytest.fixture
def place(db: Any) -> dict[str, Any]:
    owner = testing.institution("t-tra", "Mamlaka ya Mapato Tanzania", "Tanzania Revenue Authority")
    FocalPerson.objects.create(institution=owner, name="Mratibu", email="mratibu@tra.example")
    return {"institution": owner, "eservice": testing.eservice(owner, "t-kodi", "Kulipa kodi", "Paying tax")}


def _complaint(**changes: str) -> dict[str, str]:
    data = {
        "about": "institution",
        "institution": "t-tra",
        "category": "delay",
        "subject": "Malipo hayajaonekana",
        "description": "Nililipa wiki iliyopita.",
        "name": "",
        "contact": "",
        "website": "",
    }
    data.update(changes)
    return data


def _request(**changes: str) -> dict[str, str]:
    data = {"institution": "t-tra", "subject": "Takwimu za kodi", "question": "Mapato ya 2015?", "website": ""}
    data.update(changes)
    return data


# --- Complaints ----------------------------------------------------------------------------------
def test_an_anonymous_complaint_gets_a_reference_and_reaches_the_desk(
    place: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:complaint_new"), _complaint())
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:complaint", args=[complaint.reference]
    )
    assert complaint.reference.startswith("MAL-") and len(complaint.reference) == 13
    assert (complaint.about, complaint.institution, complaint.channel) == ("institution", place["institution"], "web")
    assert complaint.complainant_name == "" and complaint.status == "open"
    assert list(ComplaintUpdate.objects.values_list("status", flat=True)) == ["open"]
    event = AuditEvent.objects.get(content_type=ContentType.objects.get_for_model(Complaint))
    assert (event.channel, event.action, event.actor, event.actor_label) == ("public", "create", None, "")
    assert [m.to for m in mail.outbox] == [["mratibu@tra.example"]]
    page = client.get(response["Location"])
    assert complaint.reference in page.content.decode() and page.context["just_filed"]


def test_a_complaint_about_an_eservice_names_its_institution(place: dict[str, Any]) -> None:
    form = Client().get(reverse("portal:complaint_new"), {"eservice": "t-kodi"})
    assert "Kulipa kodi" in form.content.decode() and "id_institution" not in form.content.decode()
    data = _complaint(eservice="t-kodi")
    del data["about"], data["institution"]
    Client().post(reverse("portal:complaint_new"), data)
    complaint = Complaint.objects.get()
    assert (complaint.about, complaint.eservice, complaint.institution) == (
        "eservice",
        place["eservice"],
        place["institution"],
    )


def test_a_complaint_about_the_agency_has_no_institution(place: dict[str, Any]) -> None:
    Client().post(reverse("portal:complaint_new"), _complaint(about="agency", institution="t-tra"))
    complaint = Complaint.objects.get()
    assert complaint.about == "agency" and complaint.institution is None


def test_an_invalid_complaint_is_shown_again_with_errors_and_what_was_typed(place: dict[str, Any]) -> None:
    response = Client().post(
        reverse("portal:complaint_new"),
        _complaint(institution="", subject="", description="Maelezo yangu <b>yote</b>", contact="0712 345 678"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert set(response.context["form"].errors) == {"institution", "subject"}
    assert 'aria-invalid="true"' in body and 'id="id_subject_error"' in body
    assert "Maelezo yangu &lt;b&gt;yote&lt;/b&gt;</textarea>" in body
    assert 'value="0712 345 678"' in body
    assert Complaint.objects.count() == 0


def test_the_honeypot_refuses_a_complaint_and_keeps_nothing(place: dict[str, Any]) -> None:
    response = Client().post(reverse("portal:complaint_new"), _complaint(website="http://spam.example"))
    assert response.status_code == 400
    assert response.context["refused"] == "spam"
    assert Complaint.objects.count() == 0


def test_a_burst_of_complaints_is_refused_past_the_rate(place: dict[str, Any], settings: Any) -> None:
    settings.PORTAL_RATE_LIMIT = "3/hour"
    client = Client(REMOTE_ADDR="10.1.1.1")
    codes = [client.post(reverse("portal:complaint_new"), _complaint(subject=f"S{n}")).status_code for n in range(4)]
    assert codes == [302, 302, 302, 429]
    assert Complaint.objects.count() == 3
    refused = client.post(reverse("portal:complaint_new"), _complaint(subject="Bado nipo"))
    assert refused.status_code == 429
    assert 'value="Bado nipo"' in refused.content.decode()  # what was typed is kept
    assert refused.context["refused"] == "rate"
    # Another client is not held back by the first one's burst.
    assert Client(REMOTE_ADDR="10.1.1.2").post(reverse("portal:complaint_new"), _complaint()).status_code == 302


# --- Information requests ----------------------------------------------------------------------
def test_an_information_request_gets_a_deadline_in_working_days(place: dict[str, Any], monkeypatch: Any) -> None:
    # Monday 1 August 2016, 09:00 in Dar es Salaam; 8 August (Nane Nane) is a holiday.
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: datetime(2016, 8, 1, 6, 0, tzinfo=UTC))
    response = Client().post(reverse("portal:request_new"), _request())
    request = InformationRequest.objects.get()
    assert response["Location"] == reverse("portal:request", args=[request.reference])
    assert request.reference.startswith("OMB-")
    assert request.deadline == date(2016, 8, 30)  # 20 working days, Nane Nane skipped
    assert (request.status, request.institution) == ("awaiting", place["institution"])
    assert AuditEvent.objects.filter(channel="public", object_id=str(request.pk)).count() == 1


def test_an_invalid_request_is_shown_again_with_errors_and_what_was_typed(place: dict[str, Any]) -> None:
    response = Client().post(reverse("portal:request_new"), _request(institution="", subject="Takwimu <i>zote</i>"))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"institution"}
    assert 'value="Takwimu &lt;i&gt;zote&lt;/i&gt;"' in response.content.decode()
    assert InformationRequest.objects.count() == 0


def test_the_honeypot_and_the_rate_guard_the_request_form(place: dict[str, Any], settings: Any) -> None:
    assert Client().post(reverse("portal:request_new"), _request(website="x")).status_code == 400
    settings.PORTAL_RATE_LIMIT = "2/min"
    client = Client(REMOTE_ADDR="10.2.2.2")
    codes = [client.post(reverse("portal:request_new"), _request()).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert InformationRequest.objects.count() == 2


# --- Tracking ------------------------------------------------------------------------------------
def test_a_reference_is_found_however_it_is_typed(place: dict[str, Any]) -> None:
    Client().post(reverse("portal:complaint_new"), _complaint())
    reference = Complaint.objects.get().reference
    typed = reference.lower().replace("-", " ")
    response = Client().get(reverse("portal:track"), {"reference": typed})
    assert response.status_code == 302 and response["Location"] == reverse("portal:complaint", args=[reference])


def test_a_bad_or_unknown_reference_is_explained(place: dict[str, Any]) -> None:
    bad = Client().get(reverse("portal:track"), {"reference": "hello"})
    assert bad.status_code == 400 and "reference" in bad.context["form"].errors
    assert 'value="hello"' in bad.content.decode()
    unknown = Client().get(reverse("portal:track"), {"reference": "MAL-2222-2222"})
    assert unknown.status_code == 404 and unknown.context["not_found"] == "MAL-2222-2222"


def test_guessing_references_is_rate_limited(place: dict[str, Any], settings: Any) -> None:
    Client().post(reverse("portal:complaint_new"), _complaint())
    real = Complaint.objects.get().reference
    settings.PORTAL_RATE_LIMIT = "3/hour"
    client = Client(REMOTE_ADDR="10.3.3.3")
    # A number that exists does not count; each miss does, on the form and on the pages alike.
    assert client.get(reverse("portal:track"), {"reference": real}).status_code == 302
    assert client.get(reverse("portal:track"), {"reference": "MAL-2222-2222"}).status_code == 404
    assert client.get(reverse("portal:complaint", args=["MAL-2222-2223"])).status_code == 404
    assert client.get(reverse("portal:request", args=["OMB-2222-2224"])).status_code == 404
    refused = [
        client.get(reverse("portal:track"), {"reference": real}),
        client.get(reverse("portal:complaint", args=[real])),
        client.get(reverse("portal:request", args=["OMB-2222-2225"])),
    ]
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert Client(REMOTE_ADDR="10.3.3.4").get(reverse("portal:complaint", args=[real])).status_code == 200


# --- Surveys -------------------------------------------------------------------------------------
def _answers(survey: Survey, values: list[int], **extra: str) -> dict[str, str]:
    data = {f"q{q.pk}": str(v) for q, v in zip(survey.questions.order_by("order"), values, strict=True)}
    return {"comment": "", "website": "", **data, **extra}


def test_an_invitation_is_answered_once(db: Any) -> None:
    survey = testing.survey("t-ridhaa")
    owner = testing.institution("t-wizara", "Wizara")
    [issued] = services.invitations_issue(survey, respondent="institution", labels=["Wizara"], institution=owner)
    url = reverse("portal:survey_invitation", args=[issued.token])
    page = Client().get(url)
    assert page.status_code == 200 and "Swali la 1" in page.content.decode()
    response = Client().post(url, _answers(survey, [4, 5, 4], comment="Vizuri"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:survey_thanks")
    stored = SurveyResponse.objects.get()
    assert str(stored.score) == "4.333"  # (4 + 5 + 4) / 3
    assert (stored.respondent, stored.institution, stored.comment) == ("institution", owner, "Vizuri")
    assert sorted(stored.answers.values_list("value", flat=True)) == [4, 4, 5]
    assert SurveyInvitation.objects.get().used_at is not None
    again = Client().get(url)
    assert again.status_code == 410
    second = Client().post(url, _answers(survey, [1, 1, 1]))
    assert second.status_code == 410
    assert SurveyResponse.objects.count() == 1
    # Only a hash of the token is kept.
    assert issued.token not in SurveyInvitation.objects.values_list("token_hash", flat=True)[0]


def test_an_unanswered_question_is_shown_again_with_the_answers_given(db: Any) -> None:
    survey = testing.survey("t-ridhaa")
    [issued] = services.invitations_issue(survey, respondent="staff", labels=["a"])
    data = _answers(survey, [2, 3, 4], comment="Maoni <em>yangu</em>")
    first, _second, third = survey.questions.order_by("order")
    del data[f"q{third.pk}"]
    response = Client().post(reverse("portal:survey_invitation", args=[issued.token]), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [f"q{third.pk}"]
    body = response.content.decode()
    assert f'name="q{first.pk}" value="2" required id="id_q{first.pk}_1" checked' in body
    assert "Maoni &lt;em&gt;yangu&lt;/em&gt;</textarea>" in body
    assert SurveyResponse.objects.count() == 0 and SurveyInvitation.objects.get().used_at is None


def test_an_open_link_takes_one_answer_per_device(db: Any) -> None:
    survey = testing.survey("t-huduma", kind=Survey.Kind.ESERVICE_SATISFACTION, questions=2)
    owner = testing.institution("t-wakala", "Wakala")
    es = testing.eservice(owner, "t-es", "Huduma X")
    link = services.open_link_create(survey, respondent="citizen", per_device=1, eservice=es)
    url = reverse("portal:survey_link", args=[link.token])
    phone = Client()
    phone.get(url)  # the device gets its id
    assert phone.post(url, _answers(survey, [5, 4])).status_code == 302
    assert phone.post(url, _answers(survey, [1, 1])).status_code == 410
    assert Client().post(url, _answers(survey, [3, 2])).status_code == 302  # another device
    assert SurveyResponse.objects.count() == 2
    # The e-service's satisfaction: the mean of 4.5 and 2.5.
    page = Client().get(reverse("portal:eservice", args=["t-es"]))
    assert str(page.context["satisfaction"].mean) == "3.50" and page.context["satisfaction"].responses == 2
    assert f'href="{url}"' in page.content.decode()


def test_the_survey_forms_have_the_honeypot_and_the_rate(db: Any, settings: Any) -> None:
    survey = testing.survey("t-wazi", questions=1)
    link = services.open_link_create(survey, respondent="stakeholder", per_device=20)
    url = reverse("portal:survey_link", args=[link.token])
    assert Client().post(url, _answers(survey, [4], website="x")).status_code == 400
    settings.PORTAL_RATE_LIMIT = "2/hour"
    client = Client(REMOTE_ADDR="10.4.4.4")
    assert [client.post(url, _answers(survey, [4])).status_code for _ in range(3)] == [302, 302, 429]
    assert SurveyResponse.objects.count() == 2


def test_a_closed_survey_takes_no_answers(db: Any) -> None:
    survey = testing.survey("t-zamani", closes_on=date(2013, 1, 1))
    [issued] = services.invitations_issue(survey, respondent="staff", labels=["a"])
    url = reverse("portal:survey_invitation", args=[issued.token])
    assert Client().get(url).status_code == 410
    assert Client().post(url, _answers(survey, [4, 4, 4])).status_code == 410
    assert SurveyResponse.objects.count() == 0


def test_a_respondent_never_sees_anothers_answers(db: Any) -> None:
    survey = testing.survey("t-siri", questions=1)
    link = services.open_link_create(survey, respondent="citizen", per_device=5)
    url = reverse("portal:survey_link", args=[link.token])
    Client().post(url, _answers(survey, [2], comment="Maoni ya siri ya mtu mwingine"))
    for response in (Client().get(url), Client().post(url, _answers(survey, [5]), follow=True)):
        assert "Maoni ya siri" not in response.content.decode()


# --- The public write path -----------------------------------------------------------------------
def test_the_public_may_only_create_complaints_requests_and_responses(place: dict[str, Any]) -> None:
    es = EService(
        institution=place["institution"],
        code="t-no",
        name_sw="x",
        name_en="x",
        life_event="other",
        channels="web",
        launched_on=date(2015, 1, 1),
    )
    with pytest.raises(PermissionDenied):
        public_create(record_types.get("eservices"), es)
    Client().post(reverse("portal:complaint_new"), _complaint())
    existing = Complaint.objects.get()
    existing.subject = "Changed"
    with pytest.raises(PermissionDenied):
        public_create(record_types.get("complaints"), existing)
    assert Complaint.objects.get().subject == "Malipo hayajaonekana"
    assert not EService.objects.filter(code="t-no").exists()


# --- Markup is shown escaped everywhere -----------------------------------------------------------
def test_markup_in_a_complaint_is_escaped_on_public_staff_pages_and_exports(
    place: dict[str, Any], personas: dict[str, Persona]
) -> None:
    Client().post(
        reverse("portal:complaint_new"),
        _complaint(subject=MARKUP, description=MARKUP, name=MARKUP, contact='=HYPERLINK("http://x")'),
    )
    complaint = Complaint.objects.get()
    focal = personas["focal_person"].user
    assert focal is not None
    focal.institution = place["institution"]
    focal.save()
    staff = personas["administrator"].client()
    pages = {
        "tracking": Client().get(reverse("portal:complaint", args=[complaint.reference])),
        "desk": Persona("focal", focal).client().get(reverse("portal:desk")),
        "desk detail": Persona("focal", focal).client().get(reverse("portal:desk_complaint", args=[complaint.pk])),
        "records list": staff.get(reverse("records:list", args=["complaints"])),
        "records detail": staff.get(reverse("records:detail", args=["complaints", complaint.pk])),
    }
    for name, page in pages.items():
        body = page.content.decode()
        assert page.status_code == 200, name
        assert "<script>alert" not in body and "<b>bold</b>" not in body, name
        assert ESCAPED in body or ESCAPED.replace("&#x27;", "&#39;") in body, name
    export = staff.get(reverse("records:export_csv", args=["complaints"]))
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["subject"] == MARKUP  # a spreadsheet shows text as text
    assert rows[0]["complainant_contact"] == '\'=HYPERLINK("http://x")'  # a formula is defused


def test_markup_in_a_request_is_escaped_for_the_public_and_the_desk(
    place: dict[str, Any], personas: dict[str, Persona]
) -> None:
    Client().post(reverse("portal:request_new"), _request(subject=MARKUP, question=MARKUP))
    request = InformationRequest.objects.get()
    focal = personas["focal_person"].user
    assert focal is not None
    focal.institution = place["institution"]
    focal.save()
    for page in (
        Client().get(reverse("portal:request", args=[request.reference])),
        Persona("focal", focal).client().get(reverse("portal:desk_request", args=[request.pk])),
        personas["administrator"].client().get(reverse("records:list", args=["information-requests"])),
    ):
        body = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_institution_names_with_markup_are_escaped_in_the_forms(db: Any) -> None:
    testing.institution("t-alama", "Taasisi <i>ya</i> alama")
    body = Client().get(reverse("portal:complaint_new")).content.decode()
    assert "Taasisi &lt;i&gt;ya&lt;/i&gt; alama" in body and "<i>ya</i>" not in body
    assert Institution.objects.filter(code="t-alama").exists()
