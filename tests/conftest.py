"""Shared test base: the shipped plan and the demo structure loaded once per run, and one
persona per role (STYLE.md: tests with named personas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.registry.models import Institution
from tathmini.strategy.models import OrgUnit, Plan

PLAN_CODE = "ega-2012-2017"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    # Every test starts from the shipped plan plus the illustrative demo structure and users, rolled
    # back after. The demo records are left out so each worker starts fast; tests that need them
    # call tathmini.core.demo_records.load_demo_records().
    with django_db_blocker.unblock():
        call_command("bootstrap", "--no-records", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def plan(db: Any) -> Plan:
    return Plan.objects.get(code=PLAN_CODE)


@dataclass
class Persona:
    name: str
    user: User | None

    def client(self) -> Client:
        c = Client()
        if self.user is not None:
            c.force_login(self.user)
        return c


PERSONA_ROLES: dict[str, list[str]] = {
    "anonymous": [],
    "outsider": [],  # signed in, no role
    "administrator": [Role.ADMINISTRATOR],
    "me_officer": [Role.ME_OFFICER],
    "agency_officer": [Role.AGENCY_OFFICER],
    "focal_person": [Role.FOCAL_PERSON],
    "other_focal_person": [Role.FOCAL_PERSON],
    "manager": [Role.MANAGER],
}


def make_persona(name: str) -> Persona:
    if name == "anonymous":
        return Persona(name, None)
    fields: dict[str, Any] = {}
    if name in ("focal_person", "other_focal_person"):
        fields["institution"], _ = Institution.objects.get_or_create(
            code=f"test-{name}",
            defaults={"name_sw": f"Taasisi {name}", "name_en": f"Institution {name}", "category": "agency"},
        )
    if name in ("manager", "agency_officer", "me_officer"):
        fields["org_unit"] = OrgUnit.objects.get(code="huduma" if name == "manager" else "huduma-ushauri")
    if name == "agency_officer":
        fields["agency_function"] = "advisory"
    user = User.objects.create_user(username=f"persona-{name}", password="persona-password-1", **fields)
    user_set_roles(user, PERSONA_ROLES[name])
    return Persona(name, user)


@pytest.fixture
def personas(db: Any) -> dict[str, Persona]:
    return {name: make_persona(name) for name in PERSONA_ROLES}
