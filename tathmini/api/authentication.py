"""Bearer-token authentication: ``Authorization: Bearer <token>``.

The token's SHA-256 is looked up by an indexed equality, so no comparison of secret text runs
in Python (nothing to time). The authenticated principal is a ``TokenActor``: it has the shape
the records framework reads from a user (roles, institution, Agency function), so every scope
rule and the audit trail treat an API call exactly like the person the token stands in for.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tathmini.accounts.roles import Role
from tathmini.api.models import ApiToken
from tathmini.api.services import hash_token

# last_used_at is a hint for administrators, not a log: at most one write a minute per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenActor:
    """What a request made with a token acts as: a focal person of the token's institution, an
    Agency officer of its function, or an M&E officer (``ApiToken.Function.ME``)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    is_api_token = True
    pk = None
    id = None

    def __init__(self, token: ApiToken) -> None:
        self.token = token
        self.institution_id = token.institution_id
        if token.institution_id is not None:
            self.roles: frozenset[str] = frozenset({Role.FOCAL_PERSON})
            self.agency_function = ""
        elif token.agency_function == ApiToken.Function.ME:
            self.roles = frozenset({Role.ME_OFFICER})
            self.agency_function = ""
        else:
            self.roles = frozenset({Role.AGENCY_OFFICER})
            self.agency_function = token.agency_function
        self.audit_label = f"API: {token.name}"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def get_username(self) -> str:
        return self.audit_label

    def __str__(self) -> str:
        return self.audit_label


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenActor, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, raw = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None  # another scheme: not ours to judge, and without a token the request gets 401
        raw = raw.strip()
        if not raw or " " in raw:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be: Bearer <token>."))
        token = ApiToken.objects.filter(key_hash=hash_token(raw), revoked_at__isnull=True).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is unknown or has been revoked."))
        self._touch(token)
        return TokenActor(token), token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
            return
        # Conditional, so concurrent requests of one token write at most once a minute.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
