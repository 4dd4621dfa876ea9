"""Who may call what: a valid token (the ``api_token`` access rule), then the record type's own
rules for the actor the token stands for; and how often (a rate per token)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from tathmini.api.models import ApiToken
from tathmini.core.access import AccessRule

API_RULE = AccessRule(api=True)


class HasApiToken(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return API_RULE.allows(request.user)


class RecordTypePermission(BasePermission):
    """Reading needs ``readable_by``, writing ``editable_by``; which records is decided later
    (``visible`` for reads, ``check_can_write`` for writes)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        rt = view.record_type  # an unknown type raises NotFound here
        if request.method in SAFE_METHODS:
            self.message = _("This token may not read %(records)s.") % {"records": rt.label_plural}
            return rt.readable_by(request.user)
        self.message = _("This token may not change %(records)s.") % {"records": rt.label_plural}
        return rt.editable_by(request.user)


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per token, counted in the cache (per process unless the cache is shared)."""

    scope = "api_token"

    def get_rate(self) -> str:
        return str(settings.API_RATE_LIMIT)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return f"api-throttle-{token.pk}"
