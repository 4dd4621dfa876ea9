"""Reads of the public site. Each page and its ``.json`` twin share one function here
(STYLE.md habit 11), and each function runs a fixed number of queries, whatever the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from tathmini.core.i18n import current_language
from tathmini.feedback.models import Complaint, ComplaintUpdate, InformationRequest, Survey, SurveyResponse
from tathmini.portal import clock, search, text, workdays
from tathmini.portal.models import ResponseOrigin, SurveyInvitation, SurveyLink
from tathmini.registry.models import Channel, EService, Institution, LifeEvent

PAGE_SIZE = 20


# --- The catalogue ------------------------------------------------------------------------------
@dataclass
class Catalogue:
    query: str
    words: list[str]
    filters: dict[str, str]
    page: Page[Any]
    services: list[EService]
    total: int
    corrected: list[str] = field(default_factory=list)  # vocabulary words a misspelling matched


def clean_filters(raw: dict[str, str]) -> dict[str, str]:
    """The filters a query string asks for, dropping values that are not choices."""
    out = {}
    if raw.get("life_event") in LifeEvent.values:
        out["life_event"] = raw["life_event"]
    if raw.get("channel") in Channel.values:
        out["channel"] = raw["channel"]
    institution = (raw.get("institution") or "").strip()
    if institution and len(institution) <= 40:
        out["institution"] = institution
    return out


def services_q(filters: dict[str, str], day: date, prefix: str = "") -> Q:
    """Live e-services passing the filters, as a condition on EService (or, with ``prefix``
    "eservice__", on the rows joined to one)."""
    q = search.live_q(day, prefix)
    if "life_event" in filters:
        q &= Q(**{f"{prefix}life_event": filters["life_event"]})
    if "channel" in filters:
        channel = filters["channel"]
        q &= (
            Q(**{f"{prefix}channels": channel})
            | Q(**{f"{prefix}channels__startswith": f"{channel},"})
            | Q(**{f"{prefix}channels__endswith": f",{channel}"})
            | Q(**{f"{prefix}channels__contains": f",{channel},"})
        )
    if "institution" in filters:
        q &= Q(**{f"{prefix}institution__code": filters["institution"]})
    return q


def name_order() -> str:
    return "name_en" if current_language() == "en" else "name_sw"


def catalogue(query: str, raw_filters: dict[str, str], page_number: Any = 1) -> Catalogue:
    """Live e-services matching a query (ranked) and filters; without a query, by name."""
    day = clock.today()
    filters = clean_filters(raw_filters)
    words = text.query_words(query)
    corrected: list[str] = []
    if not words:
        services = EService.objects.filter(services_q(filters, day)).select_related("institution")
        paginator = Paginator(services.order_by(name_order(), "pk"), PAGE_SIZE)
        listed = paginator.get_page(page_number)
        return Catalogue(query, words, filters, listed, list(listed.object_list), paginator.count)
    search.refresh()
    found = search.matches(words)
    corrected = sorted({m.word for m in found if m.quality < search.PREFIX})
    ranked: list[int] = search.ranked(found, services_q(filters, day, "eservice__")) if found else []
    ranked_pages: Paginator[int] = Paginator(ranked, PAGE_SIZE)
    page = ranked_pages.get_page(page_number)
    ids = list(page.object_list)
    by_id = EService.objects.select_related("institution").in_bulk(ids)
    return Catalogue(query, words, filters, page, [by_id[i] for i in ids if i in by_id], ranked_pages.count, corrected)


def facet_choices() -> dict[str, Any]:
    return {"life_events": LifeEvent.choices, "channels": Channel.choices}


def eservice_json(es: EService) -> dict[str, Any]:
    return {
        "code": es.code,
        "name": es.name,
        "name_sw": es.name_sw,
        "name_en": es.name_en,
        "institution": {"code": es.institution.code, "name": es.institution.name},
        "life_event": es.life_event,
        "channels": es.channel_list,
        "url": es.url,
        "fee_tzs": None if es.fee is None else str(es.fee),
    }


# --- An e-service and an institution -------------------------------------------------------------
@dataclass
class Satisfaction:
    responses: int
    mean: Decimal | None  # 1–5

    @property
    def percent(self) -> Decimal | None:  # the KPI's 0–100 scale
        return None if self.mean is None else (self.mean - 1) / 4 * 100


def satisfaction(eservice: EService) -> Satisfaction:
    row = ResponseOrigin.objects.filter(eservice=eservice).aggregate(n=Count("pk"), mean=Avg("response__score"))
    mean = row["mean"]
    return Satisfaction(row["n"], None if mean is None else Decimal(str(mean)).quantize(Decimal("0.01")))


def availability_30_days(eservice: EService) -> Decimal | str | None:
    """Percent of the last 30 days the monitor found the service up; "unmonitored" when it is not
    monitored (or the monitor is not installed), None when monitored without figures yet."""
    try:
        from tathmini.monitor import selectors as monitor
    except ImportError:  # the monitor is optional
        return "unmonitored"
    try:
        status = monitor.service_status(eservice.code, clock.now(), details=False)
    except Http404:
        return "unmonitored"
    figure = status["row"].availability.get(30)
    return None if figure is None else figure.percent


def eservice_page(code: str) -> dict[str, Any]:
    eservice = EService.objects.select_related("institution").filter(code=code).first()
    if eservice is None:
        raise Http404
    link = (
        SurveyLink.objects.filter(
            Q(eservice=eservice) | Q(eservice__isnull=True, survey__kind=Survey.Kind.ESERVICE_SATISFACTION),
            active=True,
        )
        .filter(open_survey_q("survey__", clock.today()))
        .order_by("-eservice", "-created_at")
        .first()
    )
    return {
        "eservice": eservice,
        "live": EService.objects.live_on(clock.today()).filter(pk=eservice.pk).exists(),
        "satisfaction": satisfaction(eservice),
        "availability": availability_30_days(eservice),
        "rating_link": link,
    }


def institution_page(code: str) -> dict[str, Any]:
    institution = Institution.objects.select_related("region").filter(code=code).first()
    if institution is None:
        raise Http404
    services = list(search.live_eservices(clock.today()).filter(institution=institution).order_by(name_order(), "pk"))
    return {"institution": institution, "services": services}


def institution_choices() -> list[tuple[str, str]]:
    """Active institutions for a form's select, by name in the active language."""
    order = name_order()
    rows = Institution.objects.active_on(clock.today()).order_by(order).values_list("code", order)
    return [(code, name) for code, name in rows]


# --- Complaints and requests, as their filers see them -------------------------------------------
def normalise_reference(raw: str) -> str:
    """ "mal 23ab cd45" → "MAL-23AB-CD45": people type references with spaces or without dashes."""
    plain = "".join(c for c in (raw or "").upper() if c.isalnum())
    if len(plain) != 11:
        return plain
    return f"{plain[:3]}-{plain[3:7]}-{plain[7:]}"


COMPLAINT_STATES = {
    "open": _("Open"),
    "overdue": _("Overdue"),
    "resolved": _("Resolved"),
    "closed": _("Closed without action"),
}
REQUEST_STATES = {
    "awaiting": _("Awaiting response"),
    "overdue": _("Overdue"),
    "very_overdue": _("Very overdue"),
    "answered": _("Answered"),
    "refused": _("Refused"),
    "withdrawn": _("Withdrawn"),
}


def complaint_due(complaint: Complaint) -> date:
    return workdays.add_working_days(workdays.local_date(complaint.received_at), settings.COMPLAINT_WORKING_DAYS)


def complaint_state(complaint: Complaint, today: date) -> str:
    """Service level: resolved, closed, or open until its working days run out, then overdue."""
    if complaint.status == Complaint.Status.RESOLVED:
        return "resolved"
    if complaint.status == Complaint.Status.REJECTED:
        return "closed"
    return "overdue" if today > complaint_due(complaint) else "open"


def request_state(request: InformationRequest, today: date) -> str:
    """Awaiting until the deadline; overdue after it; very overdue once as many working days
    again have passed; or how it ended."""
    if request.status != InformationRequest.Status.AWAITING:
        return str(request.status)
    if today <= request.deadline:
        return "awaiting"
    late = workdays.working_days_between(request.deadline, today)
    return "very_overdue" if late > settings.INFORMATION_REQUEST_WORKING_DAYS else "overdue"


@dataclass
class Tracked:
    complaint: Complaint
    state: str
    due: date
    history: list[ComplaintUpdate]

    @property
    def state_label(self) -> Any:
        return COMPLAINT_STATES[self.state]


def complaint_public(reference: str) -> Tracked | None:
    complaint = Complaint.objects.select_related("institution", "eservice").filter(reference=reference).first()
    if complaint is None:
        return None
    # The public history: when and what, never who.
    history = list(ComplaintUpdate.objects.filter(complaint=complaint).only("at", "status", "note", "complaint_id"))
    return Tracked(complaint, complaint_state(complaint, clock.today()), complaint_due(complaint), history)


@dataclass
class TrackedRequest:
    request: InformationRequest
    state: str

    @property
    def state_label(self) -> Any:
        return REQUEST_STATES[self.state]


def request_public(reference: str) -> TrackedRequest | None:
    request = InformationRequest.objects.select_related("institution").filter(reference=reference).first()
    if request is None:
        return None
    return TrackedRequest(request, request_state(request, clock.today()))


# --- The desks ------------------------------------------------------------------------------------
def desk_complaints(user: Any) -> QuerySet[Complaint]:
    """Open complaints the user answers: their institution's for a focal person, the Agency's
    for its complaints desk; all for a superuser."""
    qs = Complaint.objects.select_related("institution", "eservice").exclude(
        status__in=(Complaint.Status.RESOLVED, Complaint.Status.REJECTED)
    )
    return qs.filter(desk_scope(user, "institution")).order_by("received_at")


def desk_requests(user: Any) -> QuerySet[InformationRequest]:
    qs = InformationRequest.objects.select_related("institution").filter(status=InformationRequest.Status.AWAITING)
    return qs.filter(desk_scope(user, "institution", agency_sees=False)).order_by("deadline", "submitted_at")


def desk_scope(user: Any, path: str, *, agency_sees: bool = True) -> Q:
    from tathmini.accounts.roles import Role

    if user.is_superuser:
        return Q()
    scope = Q(pk__in=[])
    if Role.FOCAL_PERSON in user.roles and user.institution_id:
        scope |= Q(**{f"{path}_id": user.institution_id})
    if agency_sees and Role.AGENCY_OFFICER in user.roles and user.agency_function == "complaints":
        scope |= Q(**{f"{path}__isnull": True})
    return scope


# --- Surveys --------------------------------------------------------------------------------------
def open_survey_q(prefix: str, day: date) -> Q:
    return Q(**{f"{prefix}opens_on__lte": day}) & (
        Q(**{f"{prefix}closes_on__isnull": True}) | Q(**{f"{prefix}closes_on__gte": day})
    )


def survey_is_open(survey: Survey, day: date) -> bool:
    return survey.opens_on <= day and (survey.closes_on is None or survey.closes_on >= day)


def invitation_by_token(token: str) -> SurveyInvitation | None:
    from tathmini.portal.services import token_hash

    return SurveyInvitation.objects.select_related("survey").filter(token_hash=token_hash(token)).first()


def link_by_token(token: str) -> SurveyLink | None:
    return SurveyLink.objects.select_related("survey", "eservice").filter(token=token).first()


def survey_questions(survey: Survey) -> list[Any]:
    return list(survey.questions.order_by("order"))


def survey_admin(survey: Survey) -> dict[str, Any]:
    """What the Agency sees of a survey's links: counts, not answers (those are in the records)."""
    invitations = SurveyInvitation.objects.filter(survey=survey).aggregate(
        issued=Count("pk"), answered=Count("pk", filter=Q(used_at__isnull=False))
    )
    return {
        "survey": survey,
        "invitations": invitations,
        "recent": list(SurveyInvitation.objects.filter(survey=survey).select_related("institution")[:50]),
        "links": list(
            SurveyLink.objects.filter(survey=survey).select_related("eservice").annotate(answers=Count("uses"))
        ),
        "responses": SurveyResponse.objects.filter(survey=survey).count(),
    }
