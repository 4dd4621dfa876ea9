"""What the logs may say about a request, and the security log's lines.

Two named loggers (configured in settings.LOGGING): ``tathmini.security`` for failed sign-ins,
lockouts, refused pages and API calls, and CSRF failures; ``tathmini.errors`` for unhandled
exceptions, each with the reference the visitor sees on the error page. A line names the user by
id, the client by address and the page by its path; it never holds a password, an API token, a
session id or a CSRF token. A token that is part of an address (a survey invitation's) shows as
``{token}``, in these lines and in Django's own request log.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.http import HttpRequest

security_log = logging.getLogger("tathmini.security")
error_log = logging.getLogger("tathmini.errors")

# Letters and digits that cannot be mistaken for one another when read out over the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    """A reference for one error, to quote to the Agency and find in the log: ``K7QM-4XDP``."""
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def loggable(text: str, limit: int = 64) -> str:
    """Text a visitor typed, safe for one log line: control characters (a forged second line)
    escaped and the length bounded."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in shown)


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the server sees it (behind a reverse proxy, the proxy must pass
    the client's own address as REMOTE_ADDR, as for the portal's rate limit)."""
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR") or "-"


def user_label(user: Any) -> str:
    """A user by id only: names and e-mail addresses stay out of the log."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    token = getattr(user, "token", None)
    if getattr(user, "is_api_token", False) and token is not None:
        return f"api-token {token.pk}"
    return f"user {user.pk}"


def path_for_log(request: HttpRequest) -> str:
    """The request's path, with any secret that is part of the address (a URL argument whose
    name says token) replaced by ``{token}``. The query string is left out."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None:
        return path
    for name, value in match.kwargs.items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "{" + name + "}")
    return path


class RedactTokensInPaths(logging.Filter):
    """Attached to Django's ``django.request`` logger: its "Bad Request: /path" lines carry the
    path, which for a survey invitation holds the one-time token."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest) and isinstance(record.args, tuple):
            redacted = path_for_log(request)
            if redacted != request.path:
                escaped = request.path.encode("unicode_escape").decode("ascii")
                record.args = tuple(
                    redacted if isinstance(arg, str) and arg in (request.path, escaped) else arg for arg in record.args
                )
        return True
