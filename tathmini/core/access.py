"""Who may open which page, declared on each view.

Every view carries an ``access_rule``: ``@public`` pages are open to everyone (the plan is a
published document); ``@signed_in`` pages need any account; ``@for_roles(...)`` pages need one
of the named roles (``tathmini.accounts.roles.Role``); ``@api_token`` endpoints answer only to a
valid API token (``tathmini.api``), never to a browser session. Superusers pass every rule except
the API's. A test walks the URL configuration and fails for any view without a rule, then checks
each rule against every persona, so a new page cannot ship unguarded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

View = Callable[..., HttpResponseBase]


@dataclass(frozen=True)
class AccessRule:
    public: bool = False
    roles: frozenset[str] = frozenset()  # empty and not public: any signed-in user
    api: bool = False  # a valid API token only (see ``api_token``)

    def allows(self, user: Any) -> bool:
        if self.api:
            return bool(getattr(user, "is_api_token", False))
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        if user.is_superuser or not self.roles:
            return True
        return bool(self.roles.intersection(user.roles))


def _guard(rule: AccessRule) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not rule.allows(request.user):
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                # The reason goes to the security log (core/errors.py), not to the page.
                raise PermissionDenied("needs one of the roles " + ", ".join(sorted(rule.roles)))
            return view(request, *args, **kwargs)

        wrapped.access_rule = rule  # type: ignore[attr-defined]
        return wrapped

    return decorate


public = _guard(AccessRule(public=True))
signed_in = _guard(AccessRule())


def for_roles(*roles: str) -> Callable[[View], View]:
    return _guard(AccessRule(roles=frozenset(roles)))


def api_token(view: View) -> View:
    """Marks a token-authenticated API view. The view authenticates the bearer token itself and
    checks this rule (``tathmini.api.permissions.HasApiToken``), so a request without a valid
    token gets a 401 problem document, not a sign-in page; a signed-in session does not count."""
    view.access_rule = AccessRule(api=True)  # type: ignore[attr-defined]
    return view


def rule_of(view: Any) -> AccessRule | None:
    return getattr(view, "access_rule", None)
