"""The public site (no sign-in) and the desks that answer it. Thin: forms validate, selectors read,
services write; each HTML page with a ``.json`` twin renders the same selector's result."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, NoReturn

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tathmini.accounts.roles import Role
from tathmini.core.access import for_roles, public
from tathmini.core.safeinput import unstorable
from tathmini.feedback.models import Complaint, InformationRequest, Survey
from tathmini.portal import forms, guides, ratelimit, scoreboard, selectors, services
from tathmini.portal.models import SurveyInvitation, SurveyLink
from tathmini.records.exports import to_csv
from tathmini.registry.models import EService
from tathmini.strategy.selectors import current_plan

DEVICE_COOKIE = "tathmini_device"
# Who answers the public: focal persons (their institution's) and the Agency's complaints desk; the
# records framework decides who may change a complaint, so the desk offers no more than that.
DESK_ROLES = (Role.FOCAL_PERSON, Role.AGENCY_OFFICER)
SURVEY_ROLES = (Role.ME_OFFICER, Role.ADMINISTRATOR)


# --- The catalogue -----------------------------------------------------------------------------
def _catalogue(request: HttpRequest) -> selectors.Catalogue:
    query = request.GET.get("q", "")[:200]
    return selectors.catalogue(query, request.GET.dict(), request.GET.get("page", 1))


@public
def catalogue(request: HttpRequest) -> HttpResponse:
    result = _catalogue(request)
    params = {k: v for k, v in {"q": result.query, **result.filters}.items() if v}
    return render(
        request,
        "portal/catalogue.html",
        {"result": result, "params": params, "guides": guides.GUIDES, **selectors.facet_choices()},
    )


@public
def catalogue_json(request: HttpRequest) -> JsonResponse:
    result = _catalogue(request)
    return JsonResponse(
        {
            "query": result.query,
            "filters": result.filters,
            "total": result.total,
            "page": result.page.number,
            "pages": result.page.paginator.num_pages,
            "results": [selectors.eservice_json(es) for es in result.services],
        }
    )


@public
def eservice(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "portal/eservice.html", selectors.eservice_page(code))


def _percent(value: Any) -> float | None:
    return None if value is None or isinstance(value, str) else round(float(value), 2)


@public
def eservice_json(request: HttpRequest, code: str) -> JsonResponse:
    data = selectors.eservice_page(code)
    es, sat = data["eservice"], data["satisfaction"]
    return JsonResponse(
        {
            **selectors.eservice_json(es),
            "description": es.description,
            "how_to": es.how_to,
            "live": data["live"],
            "availability_30_days": {
                "monitored": data["availability"] != "unmonitored",
                "percent": _percent(data["availability"]),
            },
            "satisfaction": {"responses": sat.responses, "mean_1_5": _percent(sat.mean)},
        }
    )


@public
def institution(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "portal/institution.html", selectors.institution_page(code))


@public
def institution_json(request: HttpRequest, code: str) -> JsonResponse:
    data = selectors.institution_page(code)
    inst = data["institution"]
    return JsonResponse(
        {
            "code": inst.code,
            "name": inst.name,
            "category": inst.category,
            "eservices": [selectors.eservice_json(es) for es in data["services"]],
        }
    )


@public
def guide_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/guides.html", {"guides": guides.GUIDES})


@public
def guide(request: HttpRequest, slug: str) -> HttpResponse:
    found = guides.BY_SLUG.get(slug)
    if found is None:
        raise Http404
    link = reverse(found.link_name) + (f"?{found.link_query}" if found.link_query else "")
    return render(request, "portal/guide.html", {"guide": found, "link": link, "guides": guides.GUIDES})


# --- Public forms: shared guards ---------------------------------------------------------------
def _guarded(request: HttpRequest, form: forms.PublicForm, scope: str) -> str | None:
    """Why a post is refused before it is looked at (over the rate, or the honeypot filled), or None."""
    if not ratelimit.hit(request, scope):
        return "rate"
    if form.is_spam():
        return "spam"
    return None


def _refused(request: HttpRequest, template: str, context: dict[str, Any], why: str) -> HttpResponse:
    context["refused"] = why
    return render(request, template, context, status=429 if why == "rate" else 400)


# --- Complaints ----------------------------------------------------------------------------------
@public
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("eservice") or request.GET.get("eservice") or ""
    # Read before the form checks it: a code that cannot be stored names no e-service.
    known = code and not unstorable(code)
    es = EService.objects.select_related("institution").filter(code=code).first() if known else None
    form = forms.ComplaintForm(request.POST or None, eservice=es)
    context = {"form": form, "eservice": es, "working_days": settings.COMPLAINT_WORKING_DAYS}
    if request.method == "POST":
        why = _guarded(request, form, "complaint")
        if why:
            return _refused(request, "portal/complaint_form.html", context, why)
        if form.is_valid():
            complaint = services.complaint_submit(form.cleaned_data)
            request.session["filed"] = complaint.reference
            return redirect("portal:complaint", reference=complaint.reference)
    return render(request, "portal/complaint_form.html", context, status=400 if form.errors else 200)


def _lookup_refused(request: HttpRequest) -> HttpResponse | None:
    """Guessing reference numbers is slowed down like posting a form: each miss counts, and past
    the rate a client is refused before anything is looked up."""
    if ratelimit.over(request, "track"):
        return render(request, "portal/track.html", {"form": forms.TrackForm(), "refused": "rate"}, status=429)
    return None


def _missed(request: HttpRequest) -> NoReturn:
    ratelimit.hit(request, "track")
    raise Http404


@public
def complaint(request: HttpRequest, reference: str) -> HttpResponse:
    if refused := _lookup_refused(request):
        return refused
    tracked = selectors.complaint_public(selectors.normalise_reference(reference))
    if tracked is None:
        _missed(request)
    just_filed = request.session.pop("filed", None) == tracked.complaint.reference
    return render(request, "portal/complaint.html", {"tracked": tracked, "just_filed": just_filed})


# --- Information requests -------------------------------------------------------------------------
@public
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = forms.RequestForm(request.POST or None)
    context = {"form": form, "working_days": settings.INFORMATION_REQUEST_WORKING_DAYS}
    if request.method == "POST":
        why = _guarded(request, form, "request")
        if why:
            return _refused(request, "portal/request_form.html", context, why)
        if form.is_valid():
            filed = services.request_submit(form.cleaned_data)
            request.session["filed"] = filed.reference
            return redirect("portal:request", reference=filed.reference)
    return render(request, "portal/request_form.html", context, status=400 if form.errors else 200)


@public
def information_request(request: HttpRequest, reference: str) -> HttpResponse:
    if refused := _lookup_refused(request):
        return refused
    tracked = selectors.request_public(selectors.normalise_reference(reference))
    if tracked is None:
        _missed(request)
    just_filed = request.session.pop("filed", None) == tracked.request.reference
    return render(request, "portal/request.html", {"tracked": tracked, "just_filed": just_filed})


@public
def track(request: HttpRequest) -> HttpResponse:
    """Find a complaint or request by its reference number (a GET form, so it can be bookmarked)."""
    form = forms.TrackForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound:
        if ratelimit.over(request, "track"):
            context["refused"] = "rate"
            return render(request, "portal/track.html", context, status=429)
        if form.is_valid():
            reference = form.cleaned_data["reference"]
            if reference.startswith("MAL-") and Complaint.objects.filter(reference=reference).exists():
                return redirect("portal:complaint", reference=reference)
            if reference.startswith("OMB-") and InformationRequest.objects.filter(reference=reference).exists():
                return redirect("portal:request", reference=reference)
            ratelimit.hit(request, "track")
            context["not_found"] = reference
            return render(request, "portal/track.html", context, status=404)
        return render(request, "portal/track.html", context, status=400)
    return render(request, "portal/track.html", context)


# --- Surveys -------------------------------------------------------------------------------------
def _device(request: HttpRequest) -> tuple[str, str | None]:
    """The device's id (hashed for storage) and a new cookie value when it had none."""
    raw = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt="portal.device")
    fresh = None
    if not raw:
        raw = fresh = secrets.token_urlsafe(18)
    return hashlib.sha256(raw.encode()).hexdigest(), fresh


def _survey_page(
    request: HttpRequest,
    survey: Survey,
    *,
    invitation: SurveyInvitation | None = None,
    link: SurveyLink | None = None,
) -> HttpResponse:
    template = "portal/survey.html"
    context: dict[str, Any] = {"survey": survey}
    if invitation is not None and invitation.used_at is not None:
        return render(request, "portal/survey_closed.html", {"survey": survey, "why": "used"}, status=410)
    if not selectors.survey_is_open(survey, selectors.clock.today()):
        return render(request, "portal/survey_closed.html", {"survey": survey, "why": "closed"}, status=410)
    device, fresh = _device(request)
    eservice = None
    if link is not None and link.eservice is None and request.GET.get("eservice"):
        eservice = EService.objects.filter(code=request.GET["eservice"]).first()
    context["eservice"] = link.eservice if link is not None and link.eservice else eservice
    form = forms.SurveyForm(request.POST or None, questions=selectors.survey_questions(survey))
    context["form"] = form
    response: HttpResponse
    if request.method == "POST":
        why = _guarded(request, form, "survey")
        if why:
            return _refused(request, template, context, why)
        if form.is_valid():
            try:
                services.survey_answer(
                    survey,
                    form.answers(),
                    form.cleaned_data["comment"],
                    invitation=invitation,
                    link=link,
                    device=device,
                    eservice=eservice,
                )
            except services.AlreadyUsed:
                response = render(request, "portal/survey_closed.html", {"survey": survey, "why": "used"}, status=410)
            else:
                response = redirect("portal:survey_thanks")
        else:
            response = render(request, template, context, status=400)
    else:
        response = render(request, template, context)
    if fresh:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            fresh,
            salt="portal.device",
            max_age=3 * 365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@public
@require_http_methods(["GET", "POST"])
def survey_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise Http404
    return _survey_page(request, invitation.survey, invitation=invitation)


@public
@require_http_methods(["GET", "POST"])
def survey_link(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.link_by_token(token)
    if link is None or not link.active:
        raise Http404
    return _survey_page(request, link.survey, link=link)


@public
def survey_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/survey_thanks.html")


# --- The open scoreboard -------------------------------------------------------------------------
def _board() -> dict[str, Any]:
    plan = current_plan()
    if plan is None:
        raise Http404
    return scoreboard.scoreboard(plan)


@public
def scoreboard_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/scoreboard.html", {"board": _board()})


@public
def scoreboard_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(scoreboard.as_json(_board()))


@public
def scoreboard_csv(request: HttpRequest) -> HttpResponse:
    board = _board()
    response = HttpResponse(to_csv(scoreboard.as_rows(board)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="scoreboard-{board["plan"].code}.csv"'
    return response


# --- The desks that answer the public -------------------------------------------------------------
@for_roles(*DESK_ROLES)
def desk(request: HttpRequest) -> HttpResponse:
    today = selectors.clock.today()
    complaints = [(c, selectors.complaint_state(c, today)) for c in selectors.desk_complaints(request.user)[:200]]
    requests = [(r, selectors.request_state(r, today)) for r in selectors.desk_requests(request.user)[:200]]
    return render(
        request,
        "portal/desk.html",
        {
            "complaints": complaints,
            "requests": requests,
            "complaint_states": selectors.COMPLAINT_STATES,
            "request_states": selectors.REQUEST_STATES,
        },
    )


@for_roles(*DESK_ROLES)
@require_http_methods(["GET", "POST"])
def desk_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    # Outside the user's desk, a complaint answers 404: its existence does not leak.
    found = get_object_or_404(
        Complaint.objects.select_related("institution", "eservice").filter(
            selectors.desk_scope(request.user, "institution")
        ),
        pk=pk,
    )
    form = forms.ComplaintUpdateForm(request.POST or None, initial={"status": found.status})
    if request.method == "POST" and form.is_valid():
        services.complaint_update(found, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The complaint was updated; the complainant sees the note."))
        return redirect("portal:desk")
    tracked = selectors.complaint_public(found.reference)
    return render(request, "portal/desk_complaint.html", {"tracked": tracked, "form": form})


@for_roles(*DESK_ROLES)
@require_http_methods(["GET", "POST"])
def desk_request(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        InformationRequest.objects.select_related("institution").filter(
            selectors.desk_scope(request.user, "institution", agency_sees=False)
        ),
        pk=pk,
    )
    form = forms.RequestAnswerForm(request.POST or None)
    if request.method == "POST" and found.status == InformationRequest.Status.AWAITING and form.is_valid():
        services.request_answer(found, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The answer was recorded; the requester sees it."))
        return redirect("portal:desk")
    tracked = selectors.request_public(found.reference)
    return render(request, "portal/desk_request.html", {"tracked": tracked, "form": form})


@for_roles(*SURVEY_ROLES)
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/survey_list.html", {"surveys": Survey.objects.order_by("-opens_on", "code")})


@for_roles(*SURVEY_ROLES)
@require_http_methods(["GET", "POST"])
def survey_links(request: HttpRequest, code: str) -> HttpResponse:
    survey = get_object_or_404(Survey, code=code)
    invite_form = forms.InvitationForm(request.POST if request.POST.get("action") == "invite" else None)
    link_form = forms.OpenLinkForm(request.POST if request.POST.get("action") == "link" else None)
    issued: list[services.Issued] = []
    if invite_form.is_bound and invite_form.is_valid():
        issued = services.invitations_issue(
            survey, respondent=invite_form.cleaned_data["respondent"], labels=invite_form.cleaned_data["labels"]
        )
        invite_form = forms.InvitationForm()
    if link_form.is_bound and link_form.is_valid():
        services.open_link_create(survey, **link_form.cleaned_data)
        return redirect("portal:survey_links", code=survey.code)
    context = {
        **selectors.survey_admin(survey),
        "issued": [
            (i, request.build_absolute_uri(reverse("portal:survey_invitation", args=[i.token]))) for i in issued
        ],
        "invite_form": invite_form,
        "link_form": link_form,
    }
    return render(request, "portal/survey_links.html", context)
