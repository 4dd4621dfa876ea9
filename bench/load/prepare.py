"""What the load scenario needs beyond ``manage.py bootstrap``, then the facts it reads (a JSON file).

    python bench/load/prepare.py OUT.json      # with the server's environment (run.py sets it)

Idempotent, so it can run again on a database it prepared before:

- an open e-service satisfaction survey with an open link, for citizens to answer;
- a published annual report, its PDF and XLSX rendered and kept, for managers to download;
- sign-in accounts for the load's staff: the demo focal person and manager first, then one focal
  person for each of further institutions with live e-services (so that returns and imports
  spread over institutions, as they do in use) and one manager per department;
- on a database without the demo records (run.py --data minimal): a few e-services for the
  demo institution, so the catalogue has something to find.

The JSON file names the accounts, the e-services, words to search for, reference numbers to
track, the survey link, the report, the indicators and the departments.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

SURVEY_CODE = "mzigo-ridhaa-huduma"  # the load scenario's survey ("mzigo": load)
FOCAL_PREFIX = "mzigo.mratibu."
MANAGER_PREFIX = "mzigo.mkuu."
EXTRA_FOCAL = 60  # more than the focal persons of a 100-user run (weight 2 of 10)

MINIMAL_ESERVICES = [
    ("kodi-mtandao", "Malipo ya Kodi Mtandaoni", "Online tax payment"),
    ("leseni-biashara", "Leseni ya Biashara", "Business licence"),
    ("ajira-serikali", "Maombi ya Ajira Serikalini", "Government job applications"),
    ("hati-ardhi", "Hati ya Umiliki wa Ardhi", "Land title deed"),
]
QUESTIONS = [
    ("Huduma ilikuwa rahisi kupata.", "The service was easy to find."),
    ("Nilimaliza nilichotaka bila msaada.", "I finished what I wanted without help."),
    ("Huduma ilikuwa ya haraka.", "The service was quick."),
    ("Ningependekeza huduma hii kwa wengine.", "I would recommend this service to others."),
]


def main(out: Path) -> None:
    import django

    django.setup()

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from tathmini.accounts.models import User
    from tathmini.accounts.roles import Role
    from tathmini.accounts.services import user_set_roles
    from tathmini.core import demo
    from tathmini.feedback.models import Complaint, InformationRequest, Survey, SurveyQuestion
    from tathmini.portal import services as portal_services
    from tathmini.portal import testing
    from tathmini.portal.models import Respondent, SurveyLink
    from tathmini.registry.models import EService, Institution
    from tathmini.reports import files as report_files
    from tathmini.reports import services as report_services
    from tathmini.reports.models import Report
    from tathmini.strategy.models import OrgUnit, Plan

    today = date.today()
    plan = Plan.objects.get(is_current=True)
    demo_inst = Institution.objects.get(code=demo.DEMO_INSTITUTION[0])

    with transaction.atomic():
        if not EService.objects.exists():
            for code, sw, en in MINIMAL_ESERVICES:
                testing.eservice(demo_inst, f"mzigo-{code}", sw, en, url=f"https://{code}.example.go.tz/")

        survey, made = Survey.objects.get_or_create(
            code=SURVEY_CODE,
            defaults={
                "kind": Survey.Kind.ESERVICE_SATISFACTION,
                "name_sw": "Ridhaa ya watumiaji wa huduma mtandao",
                "name_en": "e-Service user satisfaction",
                "opens_on": today - timedelta(days=30),
                "closes_on": today + timedelta(days=365),
            },
        )
        if made:
            for order, (sw, en) in enumerate(QUESTIONS, start=1):
                SurveyQuestion.objects.create(survey=survey, order=order, text_sw=sw, text_en=en)
        else:
            Survey.objects.filter(pk=survey.pk).update(closes_on=today + timedelta(days=365))
        link = SurveyLink.objects.filter(survey=survey, active=True, eservice__isnull=True).first()
        if link is None:
            link = portal_services.open_link_create(survey, respondent=Respondent.CITIZEN, per_device=1)

        # Every load account shares one password hash: hashing is deliberately slow.
        password = make_password(demo.DEMO_PASSWORD)
        focal = ["mratibu.taasisi"]
        with_services = (
            Institution.objects.filter(eservices__isnull=False, eservices__retired_on__isnull=True)
            .exclude(pk=demo_inst.pk)
            .distinct()
            .order_by("code")
        )
        for n, inst in enumerate(with_services[:EXTRA_FOCAL], start=1):
            username = f"{FOCAL_PREFIX}{n:02d}"
            focal.append(_account(User, user_set_roles, username, password, Role.FOCAL_PERSON, institution=inst))
        managers = ["mkuu.idara"]
        departments = list(OrgUnit.objects.filter(kind="department", valid_to__isnull=True).order_by("code"))
        for unit in departments:
            username = f"{MANAGER_PREFIX}{unit.code}"
            managers.append(_account(User, user_set_roles, username, password, Role.MANAGER, org_unit=unit))

    report = Report.objects.filter(plan=plan, status=Report.Status.PUBLISHED).order_by("pk").first()
    if report is None:
        officer = User.objects.get(username="afisa.mne")
        year = plan.fiscal_years.order_by("-starts_on").first()
        assert year is not None, "the plan has no fiscal years"
        draft = report_services.report_create(
            plan,
            Report.Kind.ANNUAL,
            year.code,
            "sw",
            officer,
            {"achievements": "Ripoti ya mfano kwa jaribio la mzigo.", "challenges": "", "way_forward": ""},
        )
        report = report_services.report_publish(draft, officer)
    # Its files as the M&E officer's check after publishing leaves them: rendered once and kept.
    # The run then measures downloads as managers meet them (the first render is in
    # docs/benchmarks.md, "Reports"), not every manager of the run rendering at the same moment.
    for file_format in ("pdf", "xlsx"):
        report_files.report_file(report, file_format)

    live = list(
        EService.objects.filter(retired_on__isnull=True).order_by("code").values_list("code", "name_sw", "name_en")
    )
    rng = random.Random(7)
    sample = rng.sample(live, min(len(live), 300))
    words = sorted(
        {w.lower() for _c, sw, en in sample for w in re.findall(r"[^\W\d_]{4,}", f"{sw} {en}")}
        - {"huduma", "mtandao", "online", "service", "services"}
    )
    references = list(Complaint.objects.order_by("?").values_list("reference", flat=True)[:100])
    references += list(InformationRequest.objects.order_by("?").values_list("reference", flat=True)[:50])
    facts: dict[str, Any] = {
        "password": demo.DEMO_PASSWORD,
        "focal_persons": focal,
        "managers": managers,
        "eservices": [code for code, _sw, _en in sample],
        "search_words": words[:400],
        "references": references,
        "survey_link": link.token,
        "report": report.pk,
        "plan": plan.code,
        "indicators": list(plan.indicators.order_by("code").values_list("code", flat=True)),
        "departments": [unit.code for unit in departments],
        # The span the plan's returns fall in: new workforce returns are dated inside it.
        "first_day": min(plan.fiscal_years.values_list("starts_on", flat=True)).isoformat(),
        "last_day": max(plan.fiscal_years.values_list("ends_on", flat=True)).isoformat(),
    }
    out.write_text(json.dumps(facts, indent=1), encoding="utf-8")
    print(
        f"scenario: {len(live)} live e-services, {len(focal)} focal persons, {len(managers)} managers, "
        f"report {report.pk}, survey link {link.token[:6]}…"
    )


def _account(user_model: Any, set_roles: Any, username: str, password: str, role: str, **scope: Any) -> str:
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create(username=username, password=password, first_name="Mzigo", **scope)
        set_roles(user, [role])
    return str(username)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    main(Path(sys.argv[1]))
