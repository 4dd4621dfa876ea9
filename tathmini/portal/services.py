"""Writes of the public site and of the desks that answer it. Every complaint, information request
and survey response is created through ``records.services.public_create`` (the public has no
account) and every desk's answer through ``records.services.save_record`` (scope-checked, audited)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from tathmini.accounts.models import User
from tathmini.core import audit
from tathmini.feedback.models import (
    Complaint,
    ComplaintUpdate,
    InformationRequest,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    new_reference,
)
from tathmini.portal import clock, workdays
from tathmini.portal.models import LinkUse, ResponseOrigin, SurveyInvitation, SurveyLink
from tathmini.records import types as record_types
from tathmini.records.services import public_create, save_record
from tathmini.registry.models import EService, FocalPerson, Institution

log = logging.getLogger(__name__)

COMPLAINT_PREFIX = "MAL"  # malalamiko
REQUEST_PREFIX = "OMB"  # ombi


# --- Complaints ---------------------------------------------------------------------------------
def desk_addresses(institution: Institution | None) -> list[str]:
    """Who hears of a new complaint or request: the institution's active focal persons, or for the
    Agency itself the officers of its complaints desk."""
    if institution is None:
        return list(
            User.objects.filter(agency_function=User.Function.COMPLAINTS, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    return list(FocalPerson.objects.filter(institution=institution, active=True).values_list("email", flat=True))


def _notify(addresses: list[str], subject: str, body: str) -> None:
    if not addresses:
        return

    def send() -> None:
        try:
            send_mail(subject, body, None, addresses)
        except OSError:  # a mail server down must not lose the citizen's submission
            log.exception("could not send %r", subject)

    transaction.on_commit(send)


@transaction.atomic
def complaint_submit(data: dict[str, Any]) -> Complaint:
    """File a complaint from the public form's cleaned data; returns it with its reference."""
    at = clock.now()
    eservice: EService | None = data.get("eservice")
    institution: Institution | None = eservice.institution if eservice else data.get("institution")
    about = Complaint.About.ESERVICE if eservice else data["about"]
    if about == Complaint.About.AGENCY:
        institution = None
    complaint = Complaint(
        reference=new_reference(COMPLAINT_PREFIX),
        channel=Complaint.Channel.WEB,
        about=about,
        institution=institution,
        eservice=eservice,
        category=data["category"],
        subject=data["subject"],
        description=data["description"],
        complainant_name=data.get("name", ""),
        complainant_contact=data.get("contact", ""),
        received_at=at,
        status=Complaint.Status.OPEN,
    )
    public_create(record_types.get("complaints"), complaint)
    ComplaintUpdate.objects.create(complaint=complaint, at=at, status=Complaint.Status.OPEN)
    _notify(
        desk_addresses(institution),
        _("New complaint %(reference)s") % {"reference": complaint.reference},
        _("A complaint was filed on the public site: %(reference)s. Answer it on the desk page.")
        % {"reference": complaint.reference},
    )
    return complaint


CLOSED = (Complaint.Status.RESOLVED, Complaint.Status.REJECTED)


def _locked_snapshot(record: Complaint | InformationRequest) -> dict[str, Any]:
    """The stored state of a record the desk is answering, its row locked until the answer
    commits: two desks answering at once write one after the other, and each audit event's old
    values are what its write replaced (on SQLite the write lock taken at BEGIN does this)."""
    stored = type(record)._default_manager.select_for_update().filter(pk=record.pk).order_by().first()
    return audit.snapshot(stored) if stored is not None else {}


@transaction.atomic
def complaint_update(complaint: Complaint, *, status: str, note: str, actor: Any) -> ComplaintUpdate:
    """A desk's step on a complaint: a new status and a note the complainant reads. Closing it
    (resolved, or closed without action) stamps the resolution time and keeps the note as the
    resolution. The author is kept for the staff, never shown to the public."""
    at = clock.now()
    before = _locked_snapshot(complaint)
    complaint.status = status
    if status in CLOSED:
        complaint.resolved_at = max(at, complaint.received_at)
        complaint.resolution = note
    else:
        complaint.resolved_at = None
    save_record(record_types.get("complaints"), complaint, actor=actor, channel="web", before=before)
    return ComplaintUpdate.objects.create(complaint=complaint, at=at, status=status, note=note, author=actor)


# --- Information requests -----------------------------------------------------------------------
def request_deadline(submitted_on: Any) -> Any:
    return workdays.add_working_days(submitted_on, settings.INFORMATION_REQUEST_WORKING_DAYS)


@transaction.atomic
def request_submit(data: dict[str, Any]) -> InformationRequest:
    at = clock.now()
    request = InformationRequest(
        reference=new_reference(REQUEST_PREFIX),
        institution=data["institution"],
        subject=data["subject"],
        question=data["question"],
        requester_name=data.get("name", ""),
        requester_contact=data.get("contact", ""),
        submitted_at=at,
        deadline=request_deadline(workdays.local_date(at)),
        status=InformationRequest.Status.AWAITING,
    )
    public_create(record_types.get("information-requests"), request)
    _notify(
        desk_addresses(request.institution),
        _("New information request %(reference)s") % {"reference": request.reference},
        _("An information request was filed on the public site: %(reference)s. Answer it by %(deadline)s.")
        % {"reference": request.reference, "deadline": request.deadline.isoformat()},
    )
    return request


@transaction.atomic
def request_answer(request: InformationRequest, *, status: str, answer: str, actor: Any) -> InformationRequest:
    """The institution's answer (or refusal, with its reason) to an information request."""
    if status not in (InformationRequest.Status.ANSWERED, InformationRequest.Status.REFUSED):
        raise ValueError(status)
    before = _locked_snapshot(request)
    request.status = status
    request.answer = answer
    request.answered_at = max(clock.now(), request.submitted_at)
    save_record(record_types.get("information-requests"), request, actor=actor, channel="web", before=before)
    return request


# --- Surveys ------------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    invitation: SurveyInvitation
    token: str  # shown once; only its hash is stored


@transaction.atomic
def invitations_issue(
    survey: Survey, *, respondent: str, labels: list[str], institution: Institution | None = None
) -> list[Issued]:
    """One one-time link per label (a person, an institution's desk …)."""
    at = clock.now()
    out = []
    for label in labels:
        token = secrets.token_urlsafe(18)
        invitation = SurveyInvitation.objects.create(
            survey=survey,
            token_hash=token_hash(token),
            respondent=respondent,
            institution=institution,
            label=label[:200],
            created_at=at,
        )
        out.append(Issued(invitation, token))
    return out


def open_link_create(
    survey: Survey, *, respondent: str, per_device: int = 1, eservice: EService | None = None
) -> SurveyLink:
    return SurveyLink.objects.create(
        survey=survey,
        token=secrets.token_urlsafe(12),
        respondent=respondent,
        per_device=per_device,
        eservice=eservice,
        created_at=clock.now(),
    )


class AlreadyUsed(Exception):
    """The invitation was answered already, or the device has used the open link up."""


def _score(values: list[int]) -> Decimal:
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


@transaction.atomic
def survey_answer(
    survey: Survey,
    answers: dict[SurveyQuestion, int],
    comment: str,
    *,
    invitation: SurveyInvitation | None = None,
    link: SurveyLink | None = None,
    device: str = "",
    eservice: EService | None = None,
) -> SurveyResponse:
    """Record one response. An invitation is claimed with a conditional update, so two tabs
    posting the same link at once give one response and one refusal."""
    at = clock.now()
    if invitation is not None:
        claimed = SurveyInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=at)
        if not claimed:
            raise AlreadyUsed
        respondent, institution = invitation.respondent, invitation.institution
    elif link is not None:
        # Lock the link's row while counting, so parallel posts from one device cannot both pass.
        SurveyLink.objects.select_for_update().filter(pk=link.pk).first()
        if LinkUse.objects.filter(link=link, device=device).count() >= link.per_device:
            raise AlreadyUsed
        LinkUse.objects.create(link=link, device=device, at=at)
        respondent, institution = link.respondent, None
        eservice = link.eservice or eservice
    else:
        raise PermissionDenied
    response = SurveyResponse(
        survey=survey,
        submitted_at=at,
        respondent=respondent,
        institution=institution,
        score=_score(list(answers.values())),
        comment=comment,
    )
    public_create(record_types.get("survey-responses"), response)
    SurveyAnswer.objects.bulk_create([SurveyAnswer(response=response, question=q, value=v) for q, v in answers.items()])
    ResponseOrigin.objects.create(response=response, invitation=invitation, link=link, eservice=eservice)
    return response
