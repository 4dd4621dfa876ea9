"""Every URL in the URL configuration has an access rule, and each rule holds for every persona.

The URL list is computed from the URL conf, so a new view without a rule (or without sample
arguments here) fails this test instead of shipping unguarded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tathmini.accounts.roles import PERMISSIONS
from tathmini.core.access import rule_of
from tests.conftest import PERSONA_ROLES, PLAN_CODE, Persona

# Sample arguments for every URL that takes some; a new parametrised URL must be added here.
SAMPLE_KWARGS: dict[str, dict[str, str]] = {
    "strategy:map": {"plan": PLAN_CODE},
    "strategy:export": {"plan": PLAN_CODE},
    "strategy:objective": {"plan": PLAN_CODE, "code": "O2"},
    "strategy:strategy": {"plan": PLAN_CODE, "code": "S2.1"},
    "strategy:indicators": {"plan": PLAN_CODE},
    "strategy:indicator": {"plan": PLAN_CODE, "code": "K04"},
    "strategy:result": {"plan": PLAN_CODE, "code": "R01"},
    "strategy:challenges": {"plan": PLAN_CODE},
    "strategy:challenge": {"plan": PLAN_CODE, "code": "C01"},
}

# Views whose allowed answer is not a page: a redirect elsewhere or "use POST".
NOT_A_PAGE = {"strategy:current", "set_language", "accounts:logout", "accounts:login"}


def walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


ALL_VIEWS = [(name, view) for name, view in walk(get_resolver()) if not name.startswith("admin:")]


def test_every_url_is_named_and_has_an_access_rule() -> None:
    missing = [name for name, view in ALL_VIEWS if rule_of(view) is None]
    assert not missing, f"views without an access rule (use tathmini.core.access): {missing}"
    assert all(not name.endswith(":None") and name != "None" for name, _ in ALL_VIEWS), "every URL needs a name"
    assert len(ALL_VIEWS) >= 15


def _url(name: str) -> str:
    pattern_has_args = "<" in str(next(p for n, p in _patterns() if n == name))
    if pattern_has_args:
        assert name in SAMPLE_KWARGS, f"{name} takes arguments: add sample arguments to SAMPLE_KWARGS"
        return reverse(name, kwargs=SAMPLE_KWARGS[name])
    return reverse(name)


def _patterns() -> Iterator[tuple[str, Any]]:
    def inner(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, Any]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from inner(entry, ns)
            else:
                yield f"{namespace}{entry.name}", entry.pattern

    return inner(get_resolver())


@pytest.mark.parametrize(("name", "view"), ALL_VIEWS, ids=[name for name, _ in ALL_VIEWS])
def test_each_persona_gets_what_the_rule_says(name: str, view: Any, personas: dict[str, Persona]) -> None:
    rule = rule_of(view)
    assert rule is not None
    url = _url(name)
    login_url = reverse(settings.LOGIN_URL)
    for persona in personas.values():
        response = persona.client().get(url)
        allowed = rule.allows(persona.user) if persona.user else rule.public
        if allowed:
            assert response.status_code != 403, f"{persona.name} refused {url}"
            redirected_to_login = response.status_code == 302 and response["Location"].startswith(login_url)
            assert not redirected_to_login or name == "accounts:login", f"{persona.name} sent to sign in from {url}"
            if name not in NOT_A_PAGE:
                assert response.status_code == 200, f"{persona.name} got {response.status_code} from {url}"
        elif persona.user is None:
            assert response.status_code == 302 and response["Location"].startswith(login_url), url
        else:
            assert response.status_code == 403, f"{persona.name} was not refused {url}"


def test_role_rules_mean_what_they_say(personas: dict[str, Persona]) -> None:
    """Spot checks written by hand, so a rule loosened by mistake is caught here too."""
    profile = reverse("accounts:profile")
    assert personas["anonymous"].client().get(profile).status_code == 302
    assert personas["outsider"].client().get(profile).status_code == 200
    strategy_map = reverse("strategy:map", args=[PLAN_CODE])
    assert personas["anonymous"].client().get(strategy_map).status_code == 200


def _admin_expected(persona_name: str, model_label: str) -> int:
    roles = PERSONA_ROLES[persona_name]
    if persona_name == "anonymous" or not any(r in ("administrator", "me_officer") for r in roles):
        return 302  # not staff: the admin sends them to its sign-in page
    can_view = any("view" in PERMISSIONS[role].get(model_label, ()) for role in roles)
    return 200 if can_view else 403


def test_admin_site_is_for_staff_roles_and_their_models_only(personas: dict[str, Persona]) -> None:
    for persona in personas.values():
        index = persona.client().get(reverse("admin:index"))
        staff = persona.name in ("administrator", "me_officer")
        assert index.status_code == (200 if staff else 302), persona.name
    for model in admin.site._registry:
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for persona in personas.values():
            expected = _admin_expected(persona.name, label)
            got = persona.client().get(url).status_code
            assert got == expected, f"{persona.name} on {label}: {got}, expected {expected}"
