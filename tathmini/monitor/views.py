"""The public status page (HTML and its ``.json`` twin from the same selector) and the staff
actions of pausing or resuming a check and editing its expectations. Thin: reads in selectors,
writes in services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tathmini.core.access import for_roles, public
from tathmini.monitor import selectors, services
from tathmini.monitor.forms import CheckSettingsForm
from tathmini.monitor.models import Check
from tathmini.monitor.worker import utc_now


def _overview_json(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "generated_at": selectors.iso(data["now"]),
        "counts": data["counts"],
        "availability": selectors.availability_json(data["overall"]),
        "down": [selectors.service_json(r) for r in data["down"]],
        "institutions": [
            {
                "code": g.institution.code,
                "name": g.institution.name,
                "services": g.services,
                "up": g.up,
                "down": g.down,
                "availability": selectors.availability_json(g.availability),
            }
            for g in data["institutions"]
        ],
        "incidents": [selectors.incident_json(i) for i in data["incidents"]],
    }


@public
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "monitor/overview.html", selectors.overview(utc_now()))


@public
def overview_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_overview_json(selectors.overview(utc_now())))


@public
def institution(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "monitor/institution.html", selectors.institution_status(code, utc_now()))


@public
def institution_json(request: HttpRequest, code: str) -> JsonResponse:
    data = selectors.institution_status(code, utc_now())
    return JsonResponse(
        {
            "generated_at": selectors.iso(data["now"]),
            "institution": {"code": data["institution"].code, "name": data["institution"].name},
            "availability": selectors.availability_json(data["overall"]),
            "services": [selectors.service_json(r) for r in data["services"]],
            "incidents": [selectors.incident_json(i) for i in data["incidents"]],
        }
    )


@public
def service(request: HttpRequest, code: str) -> HttpResponse:
    details = selectors.sees_probe_details(request.user)
    data = selectors.service_status(code, utc_now(), details=details)
    data["may_edit"] = details and selectors.may_edit_checks(request.user)
    return render(request, "monitor/service.html", data)


@public
def service_json(request: HttpRequest, code: str) -> JsonResponse:
    details = selectors.sees_probe_details(request.user)
    data = selectors.service_status(code, utc_now(), details=details)
    out = selectors.service_json(data["row"], details=details)
    out["generated_at"] = selectors.iso(data["now"])
    out["incidents"] = [selectors.incident_json(i) for i in data["incidents"]]
    if details:
        out["rollups"] = [
            {
                "hour": selectors.iso(r.hour),
                "probes": r.probes,
                "failures": r.failures,
                "answered": r.answered,
                "p50_ms": r.p50_ms,
                "p95_ms": r.p95_ms,
                "max_ms": r.max_ms,
            }
            for r in data["rollups"]
        ]
    return JsonResponse(out)


@for_roles(*selectors.STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def pause(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the confirmation form (works without JavaScript); POST: pause or resume."""
    check = get_object_or_404(Check.objects.select_related("eservice"), eservice__code=code)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pause":
            done = services.check_pause(check, actor=request.user, now=utc_now())
            messages.success(request, _("Probing paused.") if done else _("It was already paused."))
        elif action == "resume":
            done = services.check_resume(check, actor=request.user, now=utc_now())
            messages.success(request, _("Probing resumed.") if done else _("It was not paused."))
        else:
            messages.error(request, _("Choose pause or resume."))
        return redirect("monitor:service", code=code)
    return render(request, "monitor/pause.html", {"check": check})


@for_roles(*selectors.STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, code: str) -> HttpResponse:
    """A check's interval and expectations. Among the staff who see probe details, only those
    whose role holds the permission to change checks (``selectors.may_edit_checks``) may edit."""
    if not selectors.may_edit_checks(request.user):
        raise PermissionDenied
    check = get_object_or_404(Check.objects.select_related("eservice__institution"), eservice__code=code)
    form = CheckSettingsForm(request.POST or None, instance=Check.objects.get(pk=check.pk))
    if request.method == "POST" and form.is_valid():
        changes = services.check_update(check, form.cleaned_data, actor=request.user, now=utc_now())
        messages.success(request, _("Check settings saved.") if changes else _("Nothing was changed."))
        return redirect("monitor:service", code=code)
    return render(request, "monitor/edit.html", {"check": check, "form": form}, status=400 if form.errors else 200)
