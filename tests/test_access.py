"""Every URL in the URL configuration has an access rule, and each rule holds for every persona.

The URL list is computed from the URL conf, so a new view without a rule (or without sample
arguments here) fails this test instead of shipping unguarded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tathmini.accounts.roles import PERMISSIONS
from tathmini.api.services import token_create
from tathmini.core.access import rule_of
from tathmini.measure import manual
from tathmini.measure.models import ManualValue
from tathmini.records import types as record_types
from tathmini.registry.models import Standard
from tathmini.strategy.models import Indicator
from tests.conftest import PERSONA_ROLES, PLAN_CODE, Persona


def _sample_standard() -> dict[str, Any]:
    # Standards are reference data every role may read, so one record serves every persona.
    standard, _ = Standard.objects.get_or_create(
        code="access-sample", version="1", defaults={"title_sw": "Kiwango", "title_en": "Standard"}
    )
    return {"key": "standards", "pk": standard.pk}


def _manual_sample() -> ManualValue:
    # A draft with no evidence file: every staff persona may read it; who may edit it depends on
    # the indicator's responsible unit (tests/test_manual_values.py checks the rules by hand).
    found, _ = ManualValue.objects.get_or_create(
        indicator=Indicator.objects.get(plan__code=PLAN_CODE, code="R01"),
        period="2013/14",
        defaults={
            "period_kind": "year",
            "period_start": date(2013, 7, 1),
            "period_end": date(2014, 6, 30),
            "narrative": "access sample",
        },
    )
    return found


# Sample arguments for every URL that takes some; a new parametrised URL must be added here.
# A callable is evaluated inside the test, for arguments that need a database row.
SAMPLE_KWARGS: dict[str, dict[str, Any] | Callable[[], dict[str, Any]]] = {
    "strategy:map": {"plan": PLAN_CODE},
    "strategy:export": {"plan": PLAN_CODE},
    "strategy:objective": {"plan": PLAN_CODE, "code": "O2"},
    "strategy:strategy": {"plan": PLAN_CODE, "code": "S2.1"},
    "strategy:indicators": {"plan": PLAN_CODE},
    "strategy:indicator": {"plan": PLAN_CODE, "code": "K04"},
    "strategy:result": {"plan": PLAN_CODE, "code": "R01"},
    "strategy:challenges": {"plan": PLAN_CODE},
    "strategy:challenge": {"plan": PLAN_CODE, "code": "C01"},
    "records:list": {"key": "standards"},
    "records:create": {"key": "standards"},
    "records:export_csv": {"key": "standards"},
    "records:export_xlsx": {"key": "standards"},
    "records:detail": _sample_standard,
    "records:edit": _sample_standard,
    "records:delete": _sample_standard,
    "imports:upload": {"key": "focal-persons"},
    "imports:template_xlsx": {"key": "focal-persons"},
    "imports:template_csv": {"key": "focal-persons"},
    "imports:job": {"job": "00000000-0000-4000-8000-000000000000"},
    "api:records": {"key": "standards"},
    "api:record": _sample_standard,
    "api:not_found": {"rest": "no-such-endpoint/"},
}


# The status page: any monitored e-service and its institution (tathmini/monitor/testing.py).
def _monitor_sample(kind: str) -> Callable[[], dict[str, Any]]:
    def sample() -> dict[str, Any]:
        from tathmini.monitor.testing import sample_check

        eservice = sample_check().eservice
        return {"code": eservice.code if kind == "service" else eservice.institution.code}

    return sample


SAMPLE_KWARGS.update(
    {
        "monitor:institution": _monitor_sample("institution"),
        "monitor:institution_json": _monitor_sample("institution"),
        "monitor:service": _monitor_sample("service"),
        "monitor:service_json": _monitor_sample("service"),
        "monitor:pause": _monitor_sample("service"),
        "monitor:edit": _monitor_sample("service"),
    }
)

# Rules a view checks itself after its decorator (a 403 for whom it returns False); the records
# pages ask the record type who edits it. tests/test_records_ui.py checks every type by hand.
RULES_INSIDE: dict[str, Callable[[Any], bool]] = {
    name: record_types.get("standards").editable_by for name in ("records:create", "records:edit", "records:delete")
}

# A check's settings: among the staff who see probe details, those whose role may change checks.
RULES_INSIDE["monitor:edit"] = lambda user: user.has_perm("monitor.change_check")

# The import pages ask the record type who may import it (tests/test_imports.py checks by hand).
RULES_INSIDE.update(
    {
        name: record_types.get("focal-persons").editable_by
        for name in ("imports:upload", "imports:template_xlsx", "imports:template_csv")
    }
)

# Views whose allowed answer is not a page: a redirect elsewhere or "use POST".
NOT_A_PAGE = {"strategy:current", "set_language", "accounts:logout", "accounts:login", "api:not_found"}
# An import job is its owner's only: the sample job is nobody's, so every persona let in gets a 404.
NOT_A_PAGE.add("imports:job")

# Manual values: entering one and editing one depend on the indicator's responsible unit; submit,
# return and approve answer only to POST, and the sample has no evidence file to download (404).
SAMPLE_KWARGS.update(
    {
        f"manual:{name}": lambda: {"pk": _manual_sample().pk}
        for name in ("detail", "edit", "delete", "submit", "return", "approve", "evidence")
    }
)
RULES_INSIDE["manual:create"] = manual.may_create_any
RULES_INSIDE.update(
    {name: lambda user: manual.may_edit(user, _manual_sample()) for name in ("manual:edit", "manual:delete")}
)
NOT_A_PAGE |= {"manual:submit", "manual:return", "manual:approve", "manual:evidence"}


def _sample_value() -> dict[str, Any]:
    # A stored K04 value under the shipped definition: its drill-down runs the real term queries.
    from datetime import UTC, datetime

    from tathmini.measure import engine
    from tathmini.measure.models import Value

    k04 = Indicator.objects.get(plan__code=PLAN_CODE, code="K04")
    value, _ = Value.objects.get_or_create(
        indicator=k04,
        period="2013/14",
        dimension="",
        group="",
        defaults={
            "definition": engine.current_definition(k04),
            "period_kind": "year",
            "period_start": date(2013, 7, 1),
            "period_end": date(2014, 6, 30),
            "numerator": 0,
            "value": 0,
            "computed_at": datetime(2014, 7, 1, tzinfo=UTC),
        },
    )
    return {"pk": value.pk}


def _sample_indicator() -> dict[str, Any]:
    return {"pk": Indicator.objects.get(plan__code=PLAN_CODE, code="K04").pk}


SAMPLE_KWARGS.update(
    {
        "measure:value": _sample_value,
        "measure:value_export_csv": lambda: {**_sample_value(), "term": "numerator"},
        "measure:value_export_xlsx": lambda: {**_sample_value(), "term": "numerator"},
        "measure:definition_edit": _sample_indicator,
        "measure:definitions": _sample_indicator,
        "measure:definition_version": lambda: {**_sample_indicator(), "version": 1},
        "measure:targets": _sample_indicator,
    }
)


# The public portal: one e-service, complaint, request, survey invitation and open link.
def _portal_sample(kind: str) -> Callable[[], dict[str, Any]]:
    def sample() -> dict[str, Any]:
        from tathmini.portal import services as portal_services
        from tathmini.portal import testing as portal_testing
        from tathmini.registry.models import EService

        es = EService.objects.filter(code="access-es").select_related("institution").first()
        if es is None:
            es = portal_testing.eservice(portal_testing.institution("access-inst", "Taasisi"), "access-es", "Huduma")
        if kind == "eservice":
            return {"code": es.code}
        if kind == "institution":
            return {"code": es.institution.code}
        if kind == "complaint":
            filed = portal_services.complaint_submit(
                {"about": "agency", "category": "other", "subject": "s", "description": "d"}
            )
            return {"reference": filed.reference}
        if kind == "request":
            asked = portal_services.request_submit({"institution": es.institution, "subject": "s", "question": "q"})
            return {"reference": asked.reference}
        survey = portal_testing.survey("access-survey")
        if kind == "invitation":
            [issued] = portal_services.invitations_issue(survey, respondent="staff", labels=["a"])
            return {"token": issued.token}
        if kind == "link":
            return {"token": portal_services.open_link_create(survey, respondent="citizen").token}
        return {"code": survey.code}

    return sample


SAMPLE_KWARGS.update(
    {
        "portal:eservice": _portal_sample("eservice"),
        "portal:eservice_json": _portal_sample("eservice"),
        "portal:institution": _portal_sample("institution"),
        "portal:institution_json": _portal_sample("institution"),
        "portal:guide": {"slug": "kulalamika"},
        "portal:complaint": _portal_sample("complaint"),
        "portal:request": _portal_sample("request"),
        "portal:survey_invitation": _portal_sample("invitation"),
        "portal:survey_link": _portal_sample("link"),
        "portal:survey_links": _portal_sample("survey"),
        # A desk page answers only for the desk's own records: any other persona let in gets a 404.
        "portal:desk_complaint": {"pk": 0},
        "portal:desk_request": {"pk": 0},
    }
)
NOT_A_PAGE |= {"portal:desk_complaint", "portal:desk_request"}


def _sample_report() -> dict[str, Any]:
    # A draft annual report: every staff persona reads it; the M&E officer edits it.
    from tathmini.reports.models import Report
    from tathmini.strategy.models import Plan

    report, _ = Report.objects.get_or_create(
        plan=Plan.objects.get(code=PLAN_CODE), kind="annual", period="2013/14", defaults={"language": "en"}
    )
    return {"pk": report.pk}


SAMPLE_KWARGS.update(
    {
        "reports:indicator": {"code": "K04"},
        **{
            f"reports:{name}": _sample_report
            for name in ("detail", "edit", "publish", "delete", "pdf", "xlsx", "public", "public_pdf")
        },
    }
)
# Publish and delete answer only to POST; the sample report is a draft, so its public pages are 404.
NOT_A_PAGE |= {"reports:publish", "reports:delete", "reports:public", "reports:public_pdf"}


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
        kwargs = SAMPLE_KWARGS[name]
        return reverse(name, kwargs=kwargs() if callable(kwargs) else kwargs)
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
    if rule.api:  # a token or nothing: every persona's session gets 401, a valid token 200
        _token, raw = token_create("access test", agency_function="advisory")
        for persona in personas.values():
            assert persona.client().get(url).status_code == 401, f"{persona.name} was not refused {url}"
        assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200, url
        return
    for persona in personas.values():
        response = persona.client().get(url)
        allowed = rule.allows(persona.user) if persona.user else rule.public
        if persona.user is not None and name in RULES_INSIDE:
            allowed = allowed and RULES_INSIDE[name](persona.user)
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
