"""The error pages (400, 403, 404, 500 and the failed CSRF check): generic, in both languages.

They never show a traceback, an exception's text or a setting. A refusal (403) and a server error
(500) get a reference the visitor can quote, written in the same log line as the user id, the path
and the reason (the traceback for a 500), and that line replaces Django's own for the response.
The pages are rendered without the request's context processors, so a failing database cannot
break the page that reports it; the 500 page falls back to plain text if even that fails.
"""

from __future__ import annotations

import sys
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _

from tathmini.core.logs import client_address, error_log, new_reference, path_for_log, security_log, user_label

PAGES: dict[str, dict[str, Any]] = {
    "400": {
        "status": 400,
        "title": _("Bad request"),
        "text": _("The request could not be understood. Check the address, or go back and try again."),
    },
    "403": {
        "status": 403,
        "title": _("Access denied"),
        "text": _(
            "You may not open this page. If you need it for your work, ask an administrator and quote the reference."
        ),
    },
    "403_csrf": {
        "status": 403,
        "title": _("The form has expired"),
        "text": _(
            "The form was open too long or the browser refused the site's cookie. "
            "Go back, reload the page and send the form again."
        ),
    },
    "404": {
        "status": 404,
        "title": _("Page not found"),
        "text": _("There is no page at this address. It may have moved, or the address may be mistyped."),
    },
    "500": {
        "status": 500,
        "title": _("Something went wrong"),
        "text": _(
            "An error on our side stopped this page; it has been recorded. Please try again later. "
            "If it keeps happening, contact the Agency and quote the reference."
        ),
    },
}


def _page(kind: str, reference: str = "") -> HttpResponse:
    page = PAGES[kind]
    html = loader.get_template("errors/page.html").render({**page, "reference": reference})
    response = HttpResponse(html, status=page["status"])
    if reference:
        # This module wrote the response's log line; Django's would repeat it without the reference.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _reason(exception: BaseException | None) -> str:
    text = str(exception) if exception is not None else ""
    return text or "refused by the view"


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    # Django logs these itself, under django.security.<name> for a suspicious request.
    return _page("400")


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    reference = new_reference()
    match = getattr(request, "resolver_match", None)
    security_log.warning(
        "Permission denied [%s]: %s from %s, %s %s (view %s): %s",
        reference,
        user_label(getattr(request, "user", None)),
        client_address(request),
        request.method,
        path_for_log(request),
        match.view_name if match is not None else "-",
        _reason(exception),
    )
    return _page("403", reference)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    reference = new_reference()
    # Django's reason names the check that failed ("CSRF token missing."), never the token.
    security_log.warning(
        "CSRF check failed [%s]: %s from %s, %s %s: %s",
        reference,
        user_label(getattr(request, "user", None)),
        client_address(request),
        request.method,
        path_for_log(request),
        reason,
    )
    return _page("403_csrf", reference)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page("404")


def server_error(request: HttpRequest) -> HttpResponse:
    reference = new_reference()
    try:
        who = user_label(getattr(request, "user", None))
    except Exception:  # reading the session's user needs the database, which may be what failed
        who = "user unknown"
    error_log.error(
        "Server error [%s]: %s from %s, %s %s",
        reference,
        who,
        client_address(request),
        request.method,
        path_for_log(request),
        exc_info=sys.exc_info(),
    )
    match = getattr(request, "resolver_match", None)
    if match is not None and match.app_name == "api" and match.url_name not in ("docs", "tokens"):
        # The API's endpoints answer problem documents (tathmini.api.problems), even for an error
        # outside their views' own handler.
        response: HttpResponse = JsonResponse(
            {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": str(_("Something went wrong on our side; it has been logged.")),
                "instance": request.path,
                "code": "error",
                "reference": reference,
            },
            status=500,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    try:
        return _page("500", reference)
    except Exception:  # the page itself failed (templates, static files): still no traceback
        error_log.exception("The error page failed [%s]", reference)
        response = HttpResponse(
            f"Hitilafu ya seva / Server error. Kumbukumbu / Reference: {reference}\n",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
