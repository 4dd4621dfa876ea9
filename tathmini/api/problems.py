"""Every API error as an RFC 9457 problem document (``application/problem+json``).

``{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "…", "instance": "/api/…",
"code": "not_found"}``; a validation error adds ``errors``: ``{field: [messages]}``. ``title`` is
the HTTP status phrase (``type`` is ``about:blank``: the status says what kind of problem it is),
``code`` a stable machine-readable name, ``detail`` a sentence in the request's language. A
server error (500) adds ``reference``, the same as in its log line (``tathmini.errors``); refused
requests (401, 403) are logged in ``tathmini.security`` (``tathmini.core.logs``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from tathmini.core.logs import client_address, error_log, new_reference, security_log, user_label

PROBLEM_JSON = "application/problem+json"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record has changed since you read it (If-Match does not match its ETag); nothing was written."
    )
    default_code = "precondition_failed"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("This Idempotency-Key was already used for a different request.")
    default_code = "idempotency_key_reused"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large: send fewer or shorter values.")
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Another request changed the same records at the same time; try again.")
    default_code = "conflict"


def problem(
    status_code: int, detail: str, *, instance: str = "", code: str = "", errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(request: HttpRequest, status_code: int, detail: str, *, code: str = "") -> JsonResponse:
    """A problem document from a plain Django view (the API's catch-all for unknown paths)."""
    return JsonResponse(
        problem(status_code, detail, instance=request.path, code=code),
        status=status_code,
        content_type=PROBLEM_JSON,
        json_dumps_params={"ensure_ascii": False},
    )


def field_errors(detail: Any) -> dict[str, list[str]]:
    """A serializer's (possibly nested) error detail as ``{field: [messages]}``."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else str(name)
            out[key] = _messages(value)
        return out
    return {api_settings.NON_FIELD_ERRORS_KEY: _messages(detail)}


def _messages(value: Any, where: str = "") -> list[str]:
    if isinstance(value, dict):  # errors of a list's items, by position
        return [m for index, item in value.items() for m in _messages(item, f"{where}[{index}] ")]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item, where)]
    return [f"{where}{value}"]


def _caller(request: Any) -> str:
    # After a failed authentication DRF has already set an anonymous user; never authenticate again.
    return user_label(getattr(request, "_user", None)) if request is not None else "-"


def _logged(response: Response) -> Response:
    # Logged here already; Django's own "Forbidden: /api/…" line would repeat it.
    response._has_been_logged = True
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: the problem document for any exception a view raises."""
    request = context.get("request")
    path = request.path if request is not None else ""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("There is no such record."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, IntegrityError):
        # The checks before a write passed, and a concurrent write broke a constraint after them.
        exc = Conflict()
    elif isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, as DRF reads the body
        exc = BodyTooLarge()
    if not isinstance(exc, exceptions.APIException):
        reference = new_reference()
        error_log.error(
            "API server error [%s]: %s from %s, %s %s",
            reference,
            _caller(request),
            client_address(request),
            request.method if request is not None else "-",
            path,
            exc_info=exc,
        )
        set_rollback()
        body = problem(500, _("Something went wrong on our side; it has been logged."), instance=path, code="error")
        body["reference"] = reference  # to quote to the Agency; the same as in the log line
        return _logged(Response(body, status=500, content_type=PROBLEM_JSON))
    refused = isinstance(
        exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed | exceptions.PermissionDenied
    )
    if refused:
        # The reason is the error's code and fixed message; the Authorization header is never logged.
        security_log.warning(
            "API request refused (%s): %s from %s, %s %s: %s (%s)",
            exc.status_code,
            _caller(request),
            client_address(request),
            request.method if request is not None else "-",
            path,
            exc.default_code,
            exc.detail,
        )
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            exc.status_code,
            _("The request has invalid values; see errors."),
            instance=path,
            code="invalid",
            errors=field_errors(exc.detail),
        )
    else:
        codes = exc.get_codes()
        body = problem(
            exc.status_code, str(exc.detail), instance=path, code=codes if isinstance(codes, str) else exc.default_code
        )
    response = Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_JSON)
    return _logged(response) if refused else response
