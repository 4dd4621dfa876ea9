"""Security headers on every response, in development as in production.

Django's ``SecurityMiddleware`` already sends ``X-Content-Type-Options: nosniff``,
``Referrer-Policy`` and ``Cross-Origin-Opener-Policy`` (settings ``SECURE_*``), HSTS in production,
and ``XFrameOptionsMiddleware`` ``X-Frame-Options: DENY``. This adds what Django 5.2 lacks: the
Content Security Policy and the Permissions Policy. The policy allows nothing inline (no
``<script>`` or ``<style>`` blocks, no ``style=`` or ``on…=`` attributes, no ``javascript:``
addresses) and nothing from another origin: every page's scripts and styles are files under
``/static/``. Sent in development too, so a page that breaks the policy fails in the browser tests
and on the developer's screen, not first in production.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # the report's charts are SVG data: images
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Powerful browser features no page uses, refused to the page and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Django's debug pages (DEBUG only) style and script themselves inline; the policy would
        # leave a developer an unreadable traceback. Production never serves them.
        if not (settings.DEBUG and response.status_code in (404, 500)):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
