"""The plan file (docs/plan-format.md): the shipped plan is complete, round-trips byte for byte,
bad files are refused with their line and field and write nothing, several plans live side by
side, and the plan's pages show it in both languages.

Expected values are written by hand from /work/shared/PLAN-REFERENCE.md (the published plan laid
out as structure) and from the small plan files below; line numbers are counted by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils.html import escape

from tathmini.strategy import models as m
from tathmini.strategy import plan_io
from tathmini.strategy.plan_io import PlanExists, PlanFileError

PLAN_FILE = Path(__file__).resolve().parent.parent / "plans" / "ega-2012-2017.yaml"
PLAN_CODE = "ega-2012-2017"

# --- What the published plan holds (PLAN-REFERENCE.md) --------------------------------------
OBJECTIVES = {
    "O1": (
        "Kuboresha uwezo wa Taasisi za Serikali kutekeleza jitihada za Serikali Mtandao",
        "Improve public institutions' capacity to implement e-Government initiatives",
    ),
    "O2": ("Kuboresha upataji wa huduma mtandao kwa umma", "Improve public access to e-services"),
    "O3": (
        "Kuboresha rasilimali za TEHAMA za kushirikiana katika huduma kwa umma",
        "Improve shared ICT resources in public service",
    ),
    "O4": (
        "Kuimarisha Uratibu, Usimamizi na ufuasi wa jitihada za Serikali Mtandao katika utoaji wa huduma kwa umma",
        "Strengthen coordination, oversight and compliance of e-Government initiatives in public service delivery",
    ),
    "O5": (
        "Kuboresha huduma za Ushauri wa Kitaalamu, Msaada wa Kiufundi na Maelekezo katika Serikali Mtandao",
        "Improve e-Government advisory, technical support and guidance services",
    ),
    "O6": (
        "Kuboresha uwezo wa Wakala kutekeleza jitihada za Serikali Mtandao",
        "Improve the Agency's capacity to implement e-Government initiatives",
    ),
}
STRATEGIES = {
    "S1.1": ("Kuboresha uwezo wa rasilimali watu wa TEHAMA", "Improve ICT human-resource capacity"),
    "S1.2": (
        "Kuboresha miundo na michakato ya utendaji kazi kwa Taasisi za Serikali",
        "Improve structures and business processes in public institutions",
    ),
    "S1.3": (
        "Kuimarisha mawasiliano ya wadau wa Serikali Mtandao",
        "Strengthen communication among e-Government stakeholders",
    ),
    "S2.1": ("Kuanzisha muundo wa Tovuti ya Serikali Mtandao", "Establish the e-Government portal framework"),
    # The seed writes "taasisi za serikali" on its strategy map and "taasisi za Serikali" in its
    # list of strategies (2.2); the plan file follows the list.
    "S2.2": (
        "Kuweka huduma mtandao na utatuzi wa dosari kwa kutembelea taasisi za Serikali",
        "Provide e-services and fault resolution through visits to public institutions",
    ),
    "S2.3": ("Kuweka vituo vya huduma mtandao vinavyotoa huduma zote", "Establish one-stop e-service centres"),
    "S3.1": (
        "Kuwianisha rasilimali za pamoja za Serikali Mtandao zilizopo",
        "Harmonise existing shared e-Government resources",
    ),
    "S3.2": (
        "Kuendeleza na kutumia rasilimali za pamoja za Serikali Mtandao",
        "Develop and use shared e-Government resources",
    ),
    "S3.3": (
        "Kuwezesha uboreshaji wa upatikanaji wa rasilimali za pamoja za Serikali Mtandao",
        "Improve availability of shared e-Government resources",
    ),
    "S4.1": ("Kuimarisha muundo wa sheria na kanuni", "Strengthen the legal and regulatory framework"),
    "S4.2": ("Kuanzisha jukwaa la Serikali Mtandao", "Establish an e-Government forum"),
    "S4.3": (
        "Kuimarisha ufuatiliaji na tathimini za jitihada za Serikali Mtandao",
        "Strengthen monitoring and evaluation of e-Government initiatives",
    ),
    "S4.4": (
        "Kutekeleza viwango na miongozo katika Taasisi za Serikali",
        "Enforce standards and guidelines in public institutions",
    ),
    "S5.1": (
        "Kuanzisha/Kuandaa mwongozo wa utoaji wa huduma za ushauri wa kitaalamu, msaada wa kiufundi na maelekezo ya "
        "Serikali Mtandao",
        "Prepare a guideline for delivering advisory, technical support and guidance services",
    ),
    "S5.2": (
        "Kutoa msaada wa ushauri wa kitaalamu, msaada wa kiufundi na maelekezo yahusuyo Serikali Mtandao kwa Taasisi "
        "za Serikali",
        "Deliver advisory, technical support and guidance to public institutions",
    ),
    "S6.1": ("Kuimarisha uwezo wa rasilimali watu kwa Wakala", "Strengthen the Agency's human-resource capacity"),
    "S6.2": ("Kuboresha mazingira ya kazi", "Improve the working environment"),
    "S6.3": ("Kuboresha usimamizi wa rasilimali", "Improve resource management"),
    "S6.4": ("Kutoa msaada kwa Taasisi za Serikali", "Provide support to public institutions"),
}
# Swahili from PLAN-REFERENCE.md; English as the plan file renders it (the reference abbreviates "%").
CORE_INDICATORS = {
    "K01": (
        "Asilimia ya Taasisi za Serikali zilizoridhishwa na huduma zinazotolewa na watumishi wa Serikali Mtandao",
        "Percentage of public institutions satisfied with services provided by e-Government staff",
    ),
    "K02": (
        "Asilimia ya watumishi waliofuzu taaluma ya TEHAMA katika Taasisi za Serikali",
        "Percentage of staff qualified in the ICT profession in public institutions",
    ),
    "K03": (
        "Asilimia ya Taasisi za Serikali zinazotekeleza jitihada za Serikali Mtandao",
        "Percentage of public institutions implementing e-Government initiatives",
    ),
    "K04": (
        "Idadi ya huduma-mtandao zinazotolewa kwa umma na Taasisi za Serikali",
        "Number of e-services offered to the public by public institutions",
    ),
    "K05": (
        "Asilimia ya Taasisi za Serikali zinazotoa huduma-mtandao",
        "Percentage of public institutions offering e-services",
    ),
    "K06": ("Faharasa ya watumiaji wa huduma mtandao", "e-service users index"),
    "K07": (
        "Asilimia ya bajeti iliyotengwa katika rasilimali za pamoja",
        "Percentage of budget allocated to shared resources",
    ),
    "K08": (
        "Faharasa ya Taasisi za Serikali zinazotumia rasilimali za pamoja",
        "Index of public institutions using shared resources",
    ),
    "K09": (
        "Wastani wa muda uliotumika kupata taarifa kutoka kwa Taasisi za Serikali",
        "Average time taken to obtain information from public institutions",
    ),
    "K10": (
        "Uelewa wa wadau kuhusu mazingira ya utendaji wa Serikali Mtandao",
        "Stakeholders' awareness of the e-Government operating environment",
    ),
    "K11": (
        "Asilimia ya Taasisi za Serikali zinazofuata viwango na miongozo iliyowekwa",
        "Percentage of public institutions complying with set standards and guidelines",
    ),
    "K12": ("Faharasa ya ufanisi wa muundo wa Serikali Mtandao", "e-Government framework effectiveness index"),
    "K13": (
        "Asilimia ya Taasisi za Serikali zinazotoa huduma za ushauri wa kitaalamu",
        "Percentage of public institutions served by the Agency's advisory services",
    ),
    "K14": (
        "Asilimia ya Taasisi za Serikali zilizoridhishwa na huduma ya ushauri wa kitaalamu",
        "Percentage of public institutions satisfied with the advisory service",
    ),
    "K15": (
        "Uwiano wa mapato yaliyopatikana kutokana na huduma ya ushauri wa kitaalamu ikilinganishwa na jumla ya mapato "
        "yaliyopatikana",
        "Ratio of advisory-service revenue to total revenue",
    ),
    "K16": ("Asilimia ya nafasi za kazi zilizojazwa", "Percentage of job positions filled"),
    "K17": (
        "Asilimia ya watumishi walioridhishwa na huduma za Wakala",
        "Percentage of staff satisfied with the Agency's services",
    ),
    "K18": (
        "Faharasa ya malalamiko yanayotokea mara kwa mara kuhusu huduma za Wakala",
        "Index of recurring complaints about the Agency's services",
    ),
}
RESULT_INDICATORS = ["R01", "R02", "R04", "R08", "R12", "R14"]
EXPECTED_RESULTS = ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10", "R11", "R12", "R13", "R14"]
CHALLENGES = ["C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "C09", "C10"]
VISION_SW = (
    "Kuwa taasisi yenye ubunifu na yenye kuwezesha matumizi ya TEHAMA kwa ajili ya kuboresha utoaji wa huduma kwa umma."
)
MISSION_SW = (
    "Kujenga mazingira bora kwa ajili ya uratibu, usimamiaji na uendelezaji wa matumizi ya TEHAMA kwa ajili ya "
    "kuboresha utoaji wa huduma za Serikali kwa umma."
)

# The plan's shape, the same whether read from the database or from the file.
EXPECTED_SHAPE: dict[str, Any] = {
    "mandates": ["M1", "M2", "M3", "M4", "M5"],
    "values": ["Uadilifu", "Ubunifu", "Kuthamini wateja", "Ushirikiano", "Mwenendo Bora"],
    "objectives": {
        "O1": ["S1.1", "S1.2", "S1.3"],
        "O2": ["S2.1", "S2.2", "S2.3"],
        "O3": ["S3.1", "S3.2", "S3.3"],
        "O4": ["S4.1", "S4.2", "S4.3", "S4.4"],
        "O5": ["S5.1", "S5.2"],
        "O6": ["S6.1", "S6.2", "S6.3", "S6.4"],
    },
    "expected_results": EXPECTED_RESULTS,
    "challenges": 10,
    "core_indicators": [
        "K01",
        "K02",
        "K03",
        "K04",
        "K05",
        "K06",
        "K07",
        "K08",
        "K09",
        "K10",
        "K11",
        "K12",
        "K13",
        "K14",
        "K15",
        "K16",
        "K17",
        "K18",
    ],
    "result_indicators": RESULT_INDICATORS,
    "approach_rules": 6,
    "fiscal_years": ["2012/13", "2013/14", "2014/15", "2015/16", "2016/17"],
    "alignment": {
        "national_vision": ["Tanzania Development Vision 2025"],
        "national_policy": ["National ICT Policy"],
        "development_plan": ["National socio-economic development plans"],
        "sector_strategy": ["e-Government Strategy"],
        "sector_priority": [
            "Tourism, trade and financial services",
            "Agriculture",
            "Industrial development",
            "Human-resource development",
            "Infrastructure",
        ],
        "map_challenge": [
            "Lack of coordination of ICT activities",
            "Inadequate infrastructure",
            "Inadequate use of resources",
            "Low human-resource capacity",
        ],
    },
    "strategic_results": {
        "long_term": ["Wananchi walioridhika", "Wafanyabiashara walioridhika"],
        "medium_term": [
            "Rasilimali watu yenye uwezo na iliyohamasika",
            "Matumizi bora zaidi ya rasilimali",
            "Mifumo na maendeleo ya Taasisi za Umma yenye tija na ufanisi",
        ],
    },
}


def by_kind(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, name in pairs:
        out.setdefault(kind, []).append(name)
    return out


def shape_of_db(plan: m.Plan) -> dict[str, Any]:
    return {
        "mandates": [x.code for x in plan.mandates.all()],
        "values": [x.name_sw for x in plan.values.all()],
        "objectives": {o.code: [s.code for s in o.strategies.order_by("order")] for o in plan.objectives.all()},
        "expected_results": [x.code for x in plan.expected_results.all()],
        "challenges": plan.challenges.count(),
        "core_indicators": [x.code for x in plan.indicators.filter(kind="core")],
        "result_indicators": [x.code for x in plan.indicators.filter(kind="result")],
        "approach_rules": plan.approach_rules.count(),
        "fiscal_years": [x.code for x in plan.fiscal_years.all()],
        "alignment": by_kind([(a.kind, a.name_en) for a in plan.alignment.all()]),
        "strategic_results": by_kind([(r.level, r.name_sw) for r in plan.strategic_results.all()]),
    }


def shape_of_file(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "mandates": [x["code"] for x in p["mandates"]],
        "values": [x["name"]["sw"] for x in p["values"]],
        "objectives": {o["code"]: [s["code"] for s in o["strategies"]] for o in p["objectives"]},
        "expected_results": [x["code"] for x in p["expected_results"]],
        "challenges": len(p["challenges"]),
        "core_indicators": [x["code"] for x in p["indicators"] if x["kind"] == "core"],
        "result_indicators": [x["code"] for x in p["indicators"] if x["kind"] == "result"],
        "approach_rules": len(p["me_approach"]["rules"]),
        "fiscal_years": list(p["fiscal_years"]),
        "alignment": by_kind([(a["kind"], a["name"]["en"]) for a in p["alignment"]]),
        "strategic_results": by_kind([(r["level"], r["name"]["sw"]) for r in p["strategic_results"]]),
    }


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (m.Plan, m.Objective, m.Strategy, m.Indicator, m.Baseline, m.Target, m.FiscalYear)
    }


# --- The shipped file holds the whole plan ---------------------------------------------------
def test_shipped_plan_in_the_database_has_every_element(plan: m.Plan) -> None:
    assert shape_of_db(plan) == EXPECTED_SHAPE
    assert plan.is_current
    assert plan.organisation_abbreviation == "eGA"
    assert plan.operational_from == date(2012, 4, 1)
    first, last = plan.first_year, plan.last_year
    assert first is not None and last is not None
    assert (first.starts_on, last.ends_on) == (date(2012, 7, 1), date(2017, 6, 30))


def test_shipped_file_parsed_on_its_own_has_every_element() -> None:
    doc = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    assert doc["format"] == "tathmini-plan/1"
    p = doc["plan"]
    assert p["code"] == PLAN_CODE
    assert p["current"] is True
    assert shape_of_file(p) == EXPECTED_SHAPE
    for value in p["values"]:
        assert value["meaning"]["sw"].strip() and value["meaning"]["en"].strip()
    # The published plan gives no baselines and no targets: the M&E officer enters them.
    assert all(i["baselines"] == [] and i["targets"] == [] for i in p["indicators"])


def test_each_result_indicator_measures_the_expected_result_of_its_code(plan: m.Plan) -> None:
    pairs = [
        (i.code, i.expected_result.code if i.expected_result else None)
        for i in plan.indicators.filter(kind="result").select_related("expected_result")
    ]
    assert pairs == [(code, code) for code in RESULT_INDICATORS]


def test_core_indicators_sit_three_to_an_objective(plan: m.Plan) -> None:
    objectives = [
        i.objective.code if i.objective else None
        for i in plan.indicators.filter(kind="core").select_related("objective")
    ]
    assert objectives == ["O1"] * 3 + ["O2"] * 3 + ["O3"] * 3 + ["O4"] * 3 + ["O5"] * 3 + ["O6"] * 3


def test_every_plan_text_has_swahili_and_english(plan: m.Plan) -> None:
    checked: dict[str, int] = {}
    for model in apps.get_app_config("strategy").get_models():
        names = {f.name for f in model._meta.get_fields()}
        pairs = [
            f.name[:-3]
            for f in model._meta.get_fields()
            if f.name.endswith("_sw")
            and f"{f.name[:-3]}_en" in names
            # Blank-allowed texts (a challenge's mitigation) are the Agency's later entries, not the plan's.
            and not getattr(f, "blank", False)
        ]
        if not pairs:
            continue
        rows: list[Any]
        if model is m.Plan:
            rows = list(m.Plan.objects.filter(pk=plan.pk))
        elif "plan" in names:
            rows = list(model._default_manager.filter(plan=plan))
        else:
            continue  # not part of a plan (the org units)
        assert rows, f"{model.__name__}: the plan has none"
        for row in rows:
            for base in pairs:
                for lang in ("sw", "en"):
                    value = getattr(row, f"{base}_{lang}")
                    assert isinstance(value, str) and value.strip(), f"{model.__name__} {row.pk} {base}_{lang} is empty"
        checked[model.__name__] = len(rows)
    assert checked == {
        "Plan": 1,
        "Client": 3,
        "Mandate": 5,
        "CoreValue": 5,
        "Objective": 6,
        "Strategy": 19,
        "ExpectedResult": 14,
        "Challenge": 10,
        "AlignmentItem": 13,
        "StrategicResult": 5,
        "ApproachRule": 6,
        "Indicator": 24,
    }


def test_swahili_texts_are_the_published_ones(plan: m.Plan) -> None:
    assert plan.vision_sw == VISION_SW
    assert plan.mission_sw == MISSION_SW
    assert plan.name_sw == "Mpango Mkakati wa Wakala ya Serikali Mtandao 2012/13–2016/17"
    assert plan.organisation_sw == "Wakala ya Serikali Mtandao"
    assert plan.objectives.get(code="O2").name_sw == "Kuboresha upataji wa huduma mtandao kwa umma"
    assert plan.indicators.get(code="K09").name_sw == (
        "Wastani wa muda uliotumika kupata taarifa kutoka kwa Taasisi za Serikali"
    )
    assert plan.mandates.get(code="M1").text_sw == "Kuratibu na kusimamia utekelezaji wa serikali mtandao"
    assert plan.alignment.get(code="AL01").name_sw == "Dira 2025"
    assert plan.values.get(name_en="Integrity").name_sw == "Uadilifu"
    names = {o.code: (o.name_sw, o.name_en) for o in plan.objectives.all()}
    assert names == OBJECTIVES
    names = {s.code: (s.name_sw, s.name_en) for s in plan.strategies.all()}
    assert names == STRATEGIES
    names = {i.code: (i.name_sw, i.name_en) for i in plan.indicators.filter(kind="core")}
    assert names == CORE_INDICATORS


# --- Round trip ------------------------------------------------------------------------------
def test_shipped_file_round_trips_byte_for_byte(plan: m.Plan) -> None:
    plan.delete()
    assert not m.Plan.objects.filter(code=PLAN_CODE).exists()
    text = PLAN_FILE.read_text(encoding="utf-8")
    imported = plan_io.import_plan(text, str(PLAN_FILE))
    assert plan_io.export_plan(imported).encode("utf-8") == PLAN_FILE.read_bytes()


# A second institution's plan in canonical form, with baselines and targets of every kind:
# whole institution and per org unit, whole year and per quarter. The org units are the demo ones.
SECOND_CODE = "tume-2015-2017"
SECOND = """\
# Tathmini plan file: see docs/plan-format.md
format: tathmini-plan/1
plan:
  code: tume-2015-2017
  current: false
  name:
    sw: Mpango Mkakati wa Tume ya TEHAMA 2015/16–2016/17
    en: ICT Commission Strategic Plan 2015/16–2016/17
  organisation:
    sw: Tume ya TEHAMA
    en: ICT Commission
  organisation_abbreviation: TUME
  operational_from: 2015-07-01
  fiscal_years:
    - 2015/16
    - 2016/17
  concept:
    sw: TEHAMA kwa maendeleo
    en: ICT for development
  vision:
    sw: Tanzania iliyounganishwa
    en: A connected Tanzania
  mission:
    sw: Kuendeleza sekta ya TEHAMA
    en: To develop the ICT sector
  development_objective:
    sw: Kukuza uchumi wa kidijitali
    en: Grow the digital economy
  main_goal:
    sw: Kuimarisha wataalamu wa TEHAMA
    en: Strengthen ICT professionals
  general_results:
    sw: Wataalamu zaidi wa TEHAMA
    en: More ICT professionals
  clients:
    - code: CL1
      name:
        sw: Wataalamu wa TEHAMA
        en: ICT professionals
  mandates:
    - code: M1
      text:
        sw: Kusajili wataalamu wa TEHAMA
        en: Register ICT professionals
  values:
    - code: V1
      name:
        sw: Uadilifu
        en: Integrity
      meaning:
        sw: Tunatenda kwa haki
        en: We act fairly
  objectives:
    - code: O1
      name:
        sw: Kuimarisha usajili wa wataalamu
        en: Strengthen the registration of professionals
      strategies:
        - code: S1.1
          name:
            sw: Kuanzisha daftari la wataalamu
            en: Establish a register of professionals
        - code: S1.2
          name:
            sw: Kutoa vyeti
            en: Issue certificates
    - code: O2
      name:
        sw: Kukuza ubunifu
        en: Promote innovation
      strategies:
        - code: S2.1
          name:
            sw: Kusaidia vituo vya ubunifu
            en: Support innovation hubs
  expected_results:
    - code: R01
      name:
        sw: Wataalamu wote wamesajiliwa
        en: All professionals registered
  challenges:
    - code: C01
      text:
        sw: Uhaba wa wataalamu
        en: A shortage of professionals
      strategies:
        - S1.1
        - S2.1
  alignment:
    - code: AL01
      kind: national_vision
      name:
        sw: Dira 2025
        en: Tanzania Development Vision 2025
  strategic_results:
    - code: SR1
      level: long_term
      name:
        sw: Uchumi wa kidijitali
        en: A digital economy
      objectives:
        - O1
        - O2
  me_approach:
    text:
      sw: Tunapima kila robo mwaka
      en: We measure every quarter
    rules:
      - code: A1
        text:
          sw: Kutumia data zilizopo
          en: Use existing data
  indicators:
    - code: K01
      kind: core
      name:
        sw: Idadi ya wataalamu waliosajiliwa
        en: Number of registered professionals
      unit: count
      direction: up
      objective: O1
      strategies:
        - S1.1
        - S1.2
      expected_result: R01
      responsible_unit: huduma
      description:
        sw: Wataalamu waliosajiliwa mwishoni mwa kipindi
        en: Professionals registered at the end of the period
      baselines:
        - year: 2015/16
          unit: null
          value: 120
        - year: 2015/16
          unit: huduma-ushauri
          value: 12.5
      targets:
        - year: 2015/16
          quarter: null
          unit: null
          value: 400
        - year: 2015/16
          quarter: 1
          unit: null
          value: 150
        - year: 2015/16
          quarter: 1
          unit: huduma-ushauri
          value: 0.25
        - year: 2016/17
          quarter: null
          unit: huduma-ushauri
          value: 40
        - year: 2016/17
          quarter: 4
          unit: null
          value: 1000
    - code: K02
      kind: core
      name:
        sw: Asilimia ya vituo vya ubunifu vinavyofanya kazi
        en: Percentage of innovation hubs at work
      unit: percent
      direction: up
      objective: O2
      strategies:
        - S2.1
      expected_result: null
      responsible_unit: null
      description:
        sw: Vituo vinavyofanya kazi kama asilimia ya vituo vyote
        en: Working hubs as a percentage of all hubs
      baselines: []
      targets: []
"""


def edited(text: str, line: int, old: str, new: str | None) -> str:
    """``text`` with line ``line`` (1-based) changed from ``old`` (checked, so a miscounted line
    fails loudly) to ``new``, keeping its indentation; ``new=None`` deletes the line."""
    lines = text.split("\n")
    assert lines[line - 1].strip() == old, f"line {line} is {lines[line - 1]!r}, not {old!r}"
    if new is None:
        del lines[line - 1]
    else:
        indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
        lines[line - 1] = indent + new
    return "\n".join(lines)


def test_second_plan_with_baselines_and_targets_round_trips(db: None) -> None:
    plan = plan_io.import_plan(SECOND, "tume.yaml")
    assert plan_io.export_plan(plan) == SECOND
    k01 = plan.indicators.get(code="K01")
    baselines = [(b.fiscal_year.code, b.org_unit.code if b.org_unit else None, b.value) for b in k01.baselines.all()]
    assert baselines == [("2015/16", None, Decimal("120")), ("2015/16", "huduma-ushauri", Decimal("12.5"))]
    targets = [
        (t.fiscal_year.code, t.quarter, t.org_unit.code if t.org_unit else None, t.value) for t in k01.targets.all()
    ]
    assert targets == [
        ("2015/16", None, None, Decimal("400")),
        ("2015/16", 1, None, Decimal("150")),
        ("2015/16", 1, "huduma-ushauri", Decimal("0.25")),
        ("2016/17", None, "huduma-ushauri", Decimal("40")),
        ("2016/17", 4, None, Decimal("1000")),
    ]
    assert k01.responsible_unit is not None and k01.responsible_unit.code == "huduma"
    assert k01.expected_result is not None and k01.expected_result.code == "R01"


def test_plan_commands_import_and_export_the_same_bytes(plan: m.Plan, tmp_path: Path) -> None:
    plan.delete()
    out = StringIO()
    call_command("plan", "import", str(PLAN_FILE), stdout=out)
    assert "6 objectives, 19 strategies, 24 indicators" in out.getvalue()
    exported = tmp_path / "exported.yaml"
    call_command("plan", "export", PLAN_CODE, "-o", str(exported))
    assert exported.read_bytes() == PLAN_FILE.read_bytes()

    second = tmp_path / "tume.yaml"
    second.write_text(SECOND, encoding="utf-8")
    call_command("plan", "import", str(second), stdout=StringIO())
    call_command("plan", "export", SECOND_CODE, "-o", str(tmp_path / "tume-out.yaml"))
    assert (tmp_path / "tume-out.yaml").read_bytes() == SECOND.encode("utf-8")


# --- A malformed file is refused, naming the line and the field, and writes nothing ----------
BAD_FILES = {
    # id: (line, old text, new text or None to delete, expected line, expected path)
    "invalid YAML": (21, "sw: Tanzania iliyounganishwa", "sw: Tanzania: iliyounganishwa", 21, "(file)"),
    # With `sw:` gone, O2's name mapping starts on its `en:` line, which moves up to line 69.
    "missing Swahili": (69, "sw: Kukuza ubunifu", None, 69, "plan.objectives[1].name.sw"),
    "empty English": (70, "en: Promote innovation", "en: ''", 70, "plan.objectives[1].name.en"),
    "blank English": (70, "en: Promote innovation", "en:", 70, "plan.objectives[1].name.en"),
    "unknown key": (
        126,
        "responsible_unit: huduma",
        "responsible_unti: huduma",
        126,
        "plan.indicators[0].responsible_unti",
    ),
    "challenge names an unknown strategy": (88, "- S2.1", "- S9.9", 88, "plan.challenges[0].strategies[1]"),
    "duplicate objective code": (67, "- code: O2", "- code: O1", 67, "plan.objectives[1].code"),
    "not a fiscal year": (15, "- 2015/16", "- 2015/17", 15, "plan.fiscal_years[0]"),
    "fiscal years not consecutive": (16, "- 2016/17", "- 2017/18", 16, "plan.fiscal_years[1]"),
    "target outside the plan's years": (
        154,
        "- year: 2016/17",
        "- year: 2017/18",
        154,
        "plan.indicators[0].targets[4].year",
    ),
    "wrong format": (2, "format: tathmini-plan/1", "format: tathmini-plan/2", 2, "format"),
    "unit not among the choices": (163, "unit: percent", "unit: percentage", 163, "plan.indicators[1].unit"),
    "unknown org unit": (135, "unit: huduma-ushauri", "unit: idara-hewa", 135, "plan.indicators[0].baselines[1].unit"),
    "quarter 5": (155, "quarter: 4", "quarter: 5", 155, "plan.indicators[0].targets[4].quarter"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_malformed_file_is_refused_with_line_and_field(db: None, case: str) -> None:
    line, old, new, expected_line, expected_path = BAD_FILES[case]
    bad = edited(SECOND, line, old, new)
    before = row_counts()
    with pytest.raises(PlanFileError) as exc:
        plan_io.import_plan(bad, "tume.yaml")
    assert (expected_line, expected_path) in [(p.line, p.path) for p in exc.value.problems]
    assert f"tume.yaml:{expected_line}: {expected_path}" in str(exc.value)
    assert row_counts() == before
    assert not m.Plan.objects.filter(code=SECOND_CODE).exists()


def test_unknown_key_is_reported_beside_the_key_it_hides(db: None) -> None:
    bad = edited(SECOND, 126, "responsible_unit: huduma", "responsible_unti: huduma")
    with pytest.raises(PlanFileError) as exc:
        plan_io.import_plan(bad, "tume.yaml")
    # The typo, and the key it should have been (reported where K01's mapping starts).
    assert (114, "plan.indicators[0].responsible_unit") in [(p.line, p.path) for p in exc.value.problems]


def test_every_problem_is_reported_at_once_in_line_order(db: None) -> None:
    bad = edited(SECOND, 163, "unit: percent", "unit: percentage")
    bad = edited(bad, 70, "en: Promote innovation", "en: ''")
    bad = edited(bad, 2, "format: tathmini-plan/1", "format: tathmini-plan/2")
    with pytest.raises(PlanFileError) as exc:
        plan_io.import_plan(bad, "tume.yaml")
    assert [(p.line, p.path) for p in exc.value.problems] == [
        (2, "format"),
        (70, "plan.objectives[1].name.en"),
        (163, "plan.indicators[1].unit"),
    ]


def test_plan_import_command_refuses_a_bad_file_naming_file_and_line(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "tume.yaml"
    bad.write_text(edited(SECOND, 69, "sw: Kukuza ubunifu", None), encoding="utf-8")
    before = row_counts()
    with pytest.raises(CommandError) as exc:
        call_command("plan", "import", str(bad), stdout=StringIO())
    message = str(exc.value)
    assert f"{bad}:69: plan.objectives[1].name.sw" in message
    assert "Nothing was imported" in message
    assert row_counts() == before


def test_plan_import_command_refuses_invalid_yaml(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        edited(SECOND, 21, "sw: Tanzania iliyounganishwa", "sw: Tanzania: iliyounganishwa"), encoding="utf-8"
    )
    before = row_counts()
    with pytest.raises(CommandError) as exc:
        call_command("plan", "import", str(bad), stdout=StringIO())
    assert f"{bad}:21: " in str(exc.value)
    assert "Nothing was imported" in str(exc.value)
    assert row_counts() == before


# --- Several plans -----------------------------------------------------------------------------
def test_second_institutions_plan_loads_beside_the_shipped_one(plan: m.Plan) -> None:
    second = plan_io.import_plan(SECOND, "tume.yaml")
    assert set(m.Plan.objects.values_list("code", flat=True)) == {PLAN_CODE, SECOND_CODE}
    plan.refresh_from_db()
    assert plan.is_current and not second.is_current
    # The same codes in both plans, each plan with its own element.
    o1 = {o.plan_id: o.name_en for o in m.Objective.objects.filter(code="O1")}
    assert o1 == {plan.pk: OBJECTIVES["O1"][1], second.pk: "Strengthen the registration of professionals"}
    assert m.Indicator.objects.filter(code="K01").count() == 2
    assert plan.indicators.count() == 24 and second.indicators.count() == 2
    assert plan.objectives.get(code="O1").strategies.count() == 3
    out = StringIO()
    call_command("plan", "list", stdout=out)
    assert out.getvalue().splitlines() == [
        f"* {PLAN_CODE}\tMpango Mkakati wa Wakala ya Serikali Mtandao 2012/13–2016/17",
        f"  {SECOND_CODE}\tMpango Mkakati wa Tume ya TEHAMA 2015/16–2016/17",
    ]


def test_importing_a_current_plan_makes_it_the_only_current_one(plan: m.Plan) -> None:
    second = plan_io.import_plan(edited(SECOND, 5, "current: false", "current: true"), "tume.yaml")
    plan.refresh_from_db()
    assert second.is_current and not plan.is_current
    assert list(m.Plan.objects.filter(is_current=True).values_list("code", flat=True)) == [SECOND_CODE]
    response = Client().get("/plan/")
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{SECOND_CODE}/"


def test_reimporting_a_loaded_plan_without_replace_is_refused(db: None, tmp_path: Path) -> None:
    plan_io.import_plan(SECOND, "tume.yaml")
    changed = edited(SECOND, 70, "en: Promote innovation", "en: Promote innovation everywhere")
    before = row_counts()
    with pytest.raises(PlanExists, match=SECOND_CODE):
        plan_io.import_plan(changed, "tume.yaml")
    path = tmp_path / "tume.yaml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(CommandError, match="--replace"):
        call_command("plan", "import", str(path), stdout=StringIO())
    assert row_counts() == before
    assert m.Objective.objects.get(plan__code=SECOND_CODE, code="O2").name_en == "Promote innovation"


def test_replace_updates_in_place_and_removes_what_the_file_dropped(db: None) -> None:
    plan = plan_io.import_plan(SECOND, "tume.yaml")
    ids = {
        "plan": plan.pk,
        "O1": plan.objectives.get(code="O1").pk,
        "S1.1": plan.strategies.get(code="S1.1").pk,
        "K01": plan.indicators.get(code="K01").pk,
        "C01": plan.challenges.get(code="C01").pk,
    }
    # The Agency's own risk assessment of a challenge is not in the file; it must survive.
    m.Challenge.objects.filter(pk=ids["C01"]).update(likelihood=4, impact=3, status="mitigating")

    doc = yaml.safe_load(SECOND)
    p = doc["plan"]
    p["objectives"][0]["name"] = {
        "sw": "Kuharakisha usajili wa wataalamu",
        "en": "Speed up the registration of professionals",
    }
    p["objectives"][0]["strategies"] = p["objectives"][0]["strategies"][:1]  # S1.2 dropped
    k01 = p["indicators"][0]
    k01["strategies"] = ["S1.1"]
    k01["targets"] = [{"year": "2016/17", "quarter": 2, "unit": None, "value": 700}]
    k02 = p["indicators"].pop(1)
    k02["code"] = "K03"
    p["indicators"].append(k02)
    new_text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)

    replaced = plan_io.import_plan(new_text, "tume.yaml", replace=True)
    assert replaced.pk == ids["plan"]
    o1 = m.Objective.objects.get(pk=ids["O1"])
    assert (o1.name_sw, o1.name_en) == (
        "Kuharakisha usajili wa wataalamu",
        "Speed up the registration of professionals",
    )
    assert [s.code for s in o1.strategies.all()] == ["S1.1"]
    assert m.Strategy.objects.get(plan=replaced, code="S1.1").pk == ids["S1.1"]
    assert not m.Strategy.objects.filter(plan=replaced, code="S1.2").exists()
    k01_row = m.Indicator.objects.get(pk=ids["K01"])
    assert k01_row.plan_id == ids["plan"]
    assert [(t.fiscal_year.code, t.quarter, t.value) for t in k01_row.targets.all()] == [("2016/17", 2, Decimal("700"))]
    assert sorted(replaced.indicators.values_list("code", flat=True)) == ["K01", "K03"]
    challenge = m.Challenge.objects.get(pk=ids["C01"])
    assert (challenge.likelihood, challenge.impact, challenge.status) == (4, 3, "mitigating")
    # The shipped plan is untouched by another plan's replacement.
    assert m.Plan.objects.get(code=PLAN_CODE).indicators.count() == 24


def test_replace_can_drop_an_objective_and_a_result_that_kept_indicators_pointed_at(db: None) -> None:
    plan = plan_io.import_plan(SECOND, "tume.yaml")
    k01_id, k02_id = (plan.indicators.get(code=c).pk for c in ("K01", "K02"))
    doc = yaml.safe_load(SECOND)
    p = doc["plan"]
    p["objectives"] = p["objectives"][:1]  # O2 and its strategy S2.1 go
    p["challenges"][0]["strategies"] = ["S1.1"]
    p["strategic_results"][0]["objectives"] = ["O1"]
    p["expected_results"] = [{"code": "R02", "name": {"sw": "Vyeti vimetolewa", "en": "Certificates issued"}}]
    p["indicators"][0]["expected_result"] = "R02"  # R01 goes
    p["indicators"][1].update(objective="O1", strategies=["S1.2"])  # K02 moves from O2 to O1
    replaced = plan_io.import_plan(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "tume.yaml", replace=True)
    assert list(replaced.objectives.values_list("code", flat=True)) == ["O1"]
    assert list(replaced.expected_results.values_list("code", flat=True)) == ["R02"]
    k01, k02 = m.Indicator.objects.get(pk=k01_id), m.Indicator.objects.get(pk=k02_id)
    assert k01.expected_result is not None and k01.expected_result.code == "R02"
    assert k02.objective is not None and k02.objective.code == "O1"
    assert [s.code for s in k02.strategies.all()] == ["S1.2"]


def test_replace_with_the_shipped_file_keeps_indicator_rows(plan: m.Plan) -> None:
    before = dict(plan.indicators.values_list("code", "pk"))
    plan_io.import_plan(PLAN_FILE.read_text(encoding="utf-8"), str(PLAN_FILE), replace=True)
    assert dict(m.Plan.objects.get(code=PLAN_CODE).indicators.values_list("code", "pk")) == before
    assert len(before) == 24


# --- Pages -------------------------------------------------------------------------------------
MAP_URL = f"/plans/{PLAN_CODE}/"


def test_strategy_map_in_swahili_shows_every_objective_strategy_and_core_indicator(db: None) -> None:
    response = Client().get(MAP_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for code, (sw, _en) in {**OBJECTIVES, **STRATEGIES, **CORE_INDICATORS}.items():
        assert escape(sw) in html, f"{code} missing in Swahili"
    assert escape(OBJECTIVES["O2"][1]) not in html
    assert escape(VISION_SW) in html


def test_strategy_map_in_english_shows_the_english_names(db: None) -> None:
    client = Client()
    client.cookies["tathmini_language"] = "en"
    response = client.get(MAP_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for code, (_sw, en) in {**OBJECTIVES, **STRATEGIES, **CORE_INDICATORS}.items():
        assert escape(en) in html, f"{code} missing in English"
    assert escape(OBJECTIVES["O2"][0]) not in html


ELEMENT_PAGES = {
    "objectives": list(OBJECTIVES),
    "strategies": list(STRATEGIES),
    "indicators": list(CORE_INDICATORS) + RESULT_INDICATORS,
    "results": EXPECTED_RESULTS,
    "challenges": CHALLENGES,
}


@pytest.mark.parametrize("kind", list(ELEMENT_PAGES))
def test_every_element_of_the_plan_has_its_page(db: None, kind: str) -> None:
    client = Client()
    for code in ELEMENT_PAGES[kind]:
        response = client.get(f"/plans/{PLAN_CODE}/{kind}/{code}/")
        assert response.status_code == 200, f"{kind}/{code}"
        assert code in response.content.decode()


def test_element_pages_show_the_elements_name(db: None) -> None:
    client = Client()
    for code, (sw, _en) in OBJECTIVES.items():
        assert escape(sw) in client.get(f"/plans/{PLAN_CODE}/objectives/{code}/").content.decode()
    for code, (sw, _en) in STRATEGIES.items():
        assert escape(sw) in client.get(f"/plans/{PLAN_CODE}/strategies/{code}/").content.decode()
    for code, (sw, _en) in CORE_INDICATORS.items():
        assert escape(sw) in client.get(f"/plans/{PLAN_CODE}/indicators/{code}/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "objectives/O7",
        "strategies/S7.1",
        "indicators/K19",
        "results/R15",
        "challenges/C11",
        "indicators/R03",  # an expected result that has no indicator
        "results/K01",  # an indicator is not an expected result
        "objectives/o1",  # codes are exact
    ],
)
def test_unknown_element_is_not_found(db: None, path: str) -> None:
    assert Client().get(f"/plans/{PLAN_CODE}/{path}/").status_code == 404


def test_unknown_plan_is_not_found(db: None) -> None:
    client = Client()
    assert client.get("/plans/no-such-plan/").status_code == 404
    assert client.get("/plans/no-such-plan/objectives/O1/").status_code == 404
    assert client.get("/plans/no-such-plan/export.yaml").status_code == 404


def test_elements_of_one_plan_are_not_found_under_another(db: None) -> None:
    plan_io.import_plan(SECOND, "tume.yaml")
    client = Client()
    assert client.get(f"/plans/{SECOND_CODE}/objectives/O1/").status_code == 200
    assert client.get(f"/plans/{SECOND_CODE}/objectives/O3/").status_code == 404  # only the shipped plan has O3
    assert client.get(f"/plans/{SECOND_CODE}/indicators/K18/").status_code == 404


def test_plan_export_url_gives_the_shipped_files_bytes(plan: m.Plan) -> None:
    # Bootstrap's demo data assigns responsible units; start from the file itself.
    plan.delete()
    plan_io.import_plan(PLAN_FILE.read_text(encoding="utf-8"), str(PLAN_FILE))
    response = Client().get(f"/plans/{PLAN_CODE}/export.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert f'filename="{PLAN_CODE}.yaml"' in response["Content-Disposition"]
    assert response.content == PLAN_FILE.read_bytes()


def test_replace_can_drop_a_fiscal_year_that_old_targets_used(db: None) -> None:
    plan = plan_io.import_plan(SECOND, "tume.yaml")
    doc = yaml.safe_load(SECOND)
    p = doc["plan"]
    p["fiscal_years"] = ["2015/16"]
    k01 = p["indicators"][0]
    k01["targets"] = [t for t in k01["targets"] if t["year"] == "2015/16"]
    replaced = plan_io.import_plan(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "tume.yaml", replace=True)
    assert replaced.pk == plan.pk
    assert list(replaced.fiscal_years.values_list("code", flat=True)) == ["2015/16"]
    assert [(t.fiscal_year.code, t.quarter) for t in replaced.indicators.get(code="K01").targets.all()] == [
        ("2015/16", None),
        ("2015/16", 1),
        ("2015/16", 1),
    ]
