"""Demonstration data for the embedded install: everything here is illustrative.

Idempotent: each record is found by its natural key and created only when missing, so running
``manage.py bootstrap`` again keeps whatever users changed. Later record types add a loader here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.registry.models import Institution, Region
from tathmini.strategy.models import Indicator, OrgUnit, Plan

DEMO_PASSWORD = "Tathmini-demo-2026"  # noqa: S105  (printed on purpose: illustrative accounts)

# Regions: the 31 of the 2022 census (DEMO-FACTS.md); Songwe was created in 2016.
REGIONS = [
    *(
        (name, "mainland")
        for name in (
            "Arusha",
            "Dar es Salaam",
            "Dodoma",
            "Geita",
            "Iringa",
            "Kagera",
            "Katavi",
            "Kigoma",
            "Kilimanjaro",
            "Lindi",
            "Manyara",
            "Mara",
            "Mbeya",
            "Morogoro",
            "Mtwara",
            "Mwanza",
            "Njombe",
            "Pwani",
            "Rukwa",
            "Ruvuma",
            "Shinyanga",
            "Simiyu",
            "Singida",
            "Songwe",
            "Tabora",
            "Tanga",
        )
    ),
    *(
        (name, "zanzibar")
        for name in ("Kaskazini Pemba", "Kusini Pemba", "Kaskazini Unguja", "Kusini Unguja", "Mjini Magharibi")
    ),
]

# An illustrative structure (department → unit → section). The 2015/16 reorganisation shows how
# history is kept: the old help-desk section closes on 30 June 2015 and a new one opens.
ORG_UNITS: list[tuple[str, str, str | None, str, str, date | None, date | None]] = [
    (
        "huduma",
        "department",
        None,
        "Idara ya Huduma za Serikali Mtandao",
        "e-Government Services Department",
        None,
        None,
    ),
    (
        "huduma-ushauri",
        "unit",
        "huduma",
        "Kitengo cha Ushauri wa Kitaalamu na Msaada wa Kiufundi",
        "Advisory and Technical Support Unit",
        None,
        None,
    ),
    (
        "huduma-ushauri-usalama",
        "section",
        "huduma-ushauri",
        "Sehemu ya Usalama wa TEHAMA",
        "ICT Security Section",
        None,
        None,
    ),
    (
        "huduma-ushauri-dawati",
        "section",
        "huduma-ushauri",
        "Sehemu ya Dawati la Msaada",
        "Help Desk Section",
        None,
        date(2015, 6, 30),
    ),
    (
        "huduma-ushauri-dawati247",
        "section",
        "huduma-ushauri",
        "Sehemu ya Dawati la Msaada saa 24",
        "24/7 Help Desk Section",
        date(2015, 7, 1),
        None,
    ),
    ("huduma-mtandao", "unit", "huduma", "Kitengo cha Huduma Mtandao", "e-Services Unit", None, None),
    (
        "huduma-mtandao-tovuti",
        "section",
        "huduma-mtandao",
        "Sehemu ya Tovuti Kuu ya Serikali",
        "Government Portal Section",
        None,
        None,
    ),
    (
        "huduma-mtandao-simu",
        "section",
        "huduma-mtandao",
        "Sehemu ya Huduma kwa Simu za Mkononi",
        "Mobile Services Section",
        None,
        None,
    ),
    (
        "miundombinu",
        "department",
        None,
        "Idara ya Miundombinu na Rasilimali za Pamoja",
        "Infrastructure and Shared Resources Department",
        None,
        None,
    ),
    (
        "miundombinu-govnet",
        "unit",
        "miundombinu",
        "Kitengo cha Mtandao wa Serikali",
        "Government Network Unit",
        None,
        None,
    ),
    ("miundombinu-kituo", "unit", "miundombinu", "Kitengo cha Kituo cha Data", "Data Centre Unit", None, None),
    (
        "viwango",
        "department",
        None,
        "Idara ya Viwango na Uzingatiaji",
        "Standards and Compliance Department",
        None,
        None,
    ),
    (
        "viwango-miongozo",
        "unit",
        "viwango",
        "Kitengo cha Viwango na Miongozo",
        "Standards and Guidelines Unit",
        None,
        None,
    ),
    (
        "viwango-tathmini",
        "unit",
        "viwango",
        "Kitengo cha Ufuatiliaji na Tathmini",
        "Monitoring and Evaluation Unit",
        None,
        None,
    ),
    (
        "utawala",
        "department",
        None,
        "Idara ya Utawala na Rasilimali Watu",
        "Administration and Human Resources Department",
        None,
        None,
    ),
    ("utawala-rasilimali", "unit", "utawala", "Kitengo cha Rasilimali Watu", "Human Resources Unit", None, None),
    ("utawala-fedha", "unit", "utawala", "Kitengo cha Fedha na Uhasibu", "Finance and Accounts Unit", None, None),
    ("utawala-malalamiko", "unit", "utawala", "Kitengo cha Huduma kwa Wateja", "Customer Service Unit", None, None),
]

# Which demo unit answers for which indicator (illustrative, so scorecards have owners).
RESPONSIBLE = {
    "K01": "huduma-ushauri",
    "K02": "viwango-tathmini",
    "K03": "viwango-tathmini",
    "K04": "huduma-mtandao",
    "K05": "huduma-mtandao",
    "K06": "huduma-mtandao-tovuti",
    "K07": "utawala-fedha",
    "K08": "miundombinu",
    "K09": "viwango-tathmini",
    "K10": "viwango-tathmini",
    "K11": "viwango-miongozo",
    "K12": "viwango",
    "K13": "huduma-ushauri",
    "K14": "huduma-ushauri",
    "K15": "utawala-fedha",
    "K16": "utawala-rasilimali",
    "K17": "utawala-rasilimali",
    "K18": "utawala-malalamiko",
    "R01": "miundombinu-kituo",
    "R02": "utawala-malalamiko",
    "R04": "viwango-miongozo",
    "R08": "miundombinu-govnet",
    "R12": "huduma-ushauri",
    "R14": "utawala-fedha",
}

DEMO_INSTITUTION = (
    "demo-wizara-fedha",
    "Wizara ya Fedha (mfano)",
    "Ministry of Finance (example)",
    "ministry",
    "Dodoma",
)

# user name, role, first name, scope
DEMO_USERS = [
    ("msimamizi", Role.ADMINISTRATOR, "Asha", {}),
    ("afisa.mne", Role.ME_OFFICER, "Baraka", {"org_unit": "viwango-tathmini"}),
    ("afisa.ushauri", Role.AGENCY_OFFICER, "Chausiku", {"org_unit": "huduma-ushauri", "agency_function": "advisory"}),
    ("mratibu.taasisi", Role.FOCAL_PERSON, "Daudi", {"institution": DEMO_INSTITUTION[0]}),
    ("mkuu.idara", Role.MANAGER, "Eliya", {"org_unit": "huduma"}),
]


@transaction.atomic
def load_org_units() -> int:
    created = 0
    for code, kind, parent, sw, en, valid_from, valid_to in ORG_UNITS:
        _unit, made = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "parent": OrgUnit.objects.get(code=parent) if parent else None,
                "name_sw": sw,
                "name_en": en,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "illustrative": True,
            },
        )
        created += made
    plan = Plan.objects.filter(is_current=True).first()
    if plan is not None:
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=set(RESPONSIBLE.values()))}
        for indicator in Indicator.objects.filter(plan=plan, code__in=RESPONSIBLE, responsible_unit__isnull=True):
            indicator.responsible_unit = units[RESPONSIBLE[indicator.code]]
            indicator.save(update_fields=["responsible_unit"])
    return created


@transaction.atomic
def load_regions() -> int:
    created = 0
    for name, zone in REGIONS:
        _region, made = Region.objects.get_or_create(
            name=name,
            defaults={
                "code": name.lower().replace(" ", "-"),
                "zone": zone,
                "established_on": date(2016, 1, 29) if name == "Songwe" else None,
            },
        )
        created += made
    return created


@transaction.atomic
def load_demo_users() -> list[tuple[str, str]]:
    """One demo user per role; returns (user name, role label) of each."""
    code, sw, en, category, region = DEMO_INSTITUTION
    institution, _made = Institution.objects.get_or_create(
        code=code,
        defaults={
            "name_sw": sw,
            "name_en": en,
            "category": category,
            "region": Region.objects.filter(name=region).first(),
            "illustrative": True,
        },
    )
    out = []
    for username, role, first_name, scope in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            fields: dict[str, Any] = {"first_name": first_name}
            if "org_unit" in scope:
                fields["org_unit"] = OrgUnit.objects.get(code=scope["org_unit"])
            if "institution" in scope:
                fields["institution"] = institution
            if "agency_function" in scope:
                fields["agency_function"] = scope["agency_function"]
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD, **fields)
            user_set_roles(user, [role])
        out.append((username, str(Role(role).label)))
    return out
