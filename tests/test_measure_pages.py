"""The indicator page (values against targets, ratings, forecast, disaggregation), the drill-down
from a stored value to the records behind it, and the definition editor.

The data set is small and every expected number is worked out by hand in the comments. The test
definition of K05 reads only this file's institutions (``code in CODES``), so whatever else the
test database holds cannot move a number.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tathmini.core.demo_records import load_demo_records
from tathmini.measure import drilldown, engine
from tathmini.measure.forms import dump
from tathmini.measure.models import Definition, Value
from tathmini.measure.views import format_value
from tathmini.registry.models import EService, Institution, Region
from tathmini.strategy.models import Indicator, OrgUnit, Plan, Target
from tests.conftest import PLAN_CODE, Persona

CODES = ["dd-a", "dd-b", "dd-c", "dd-d"]

# K05's shape (institutions with a live e-service at the period's end ÷ active institutions),
# restricted to this file's institutions.
SPEC: dict[str, Any] = {
    "numerator": {
        "source": "eservices",
        "aggregate": "count_distinct",
        "field": "institution",
        "period": {"match": "state"},
        "filters": [
            {"field": "launched_on", "op": "lte", "value": "$end"},
            {"field": "retired_on", "op": "gt_or_null", "value": "$end"},
            {"field": "institution__code", "op": "in", "value": CODES},
            {"field": "institution__established_on", "op": "lte_or_null", "value": "$end"},
            {"field": "institution__dissolved_on", "op": "gt_or_null", "value": "$end"},
        ],
    },
    "denominator": {
        "source": "institutions",
        "aggregate": "count",
        "period": {"match": "state"},
        "filters": [
            {"field": "established_on", "op": "lte_or_null", "value": "$end"},
            {"field": "dissolved_on", "op": "gt_or_null", "value": "$end"},
            {"field": "code", "op": "in", "value": CODES},
        ],
    },
    "scale": 100,
}

# Year targets: the ratings they give are worked out in test_indicator_page_*.
TARGETS = {"2012/13": 20, "2013/14": 55, "2014/15": 80, "2015/16": 90, "2016/17": 80}


def _text(html: str) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def _next_version(indicator: Indicator) -> int:
    return (indicator.definitions.order_by("-version").values_list("version", flat=True).first() or 0) + 1


@pytest.fixture
def data(plan: Plan) -> dict[str, Any]:
    """Four institutions, all established on 2013-07-01 (so none is active on 30 June 2013):

    =====  ==========  =============  =====================================================
    code   category    region         e-services (launched → retired)
    =====  ==========  =============  =====================================================
    dd-a   ministry    Dar es Salaam  s1 2012-08-01; s2 2013-09-01
    dd-b   ministry    Arusha         s3 2013-10-15 → 2015-03-01
    dd-c   lga         Dodoma         s4 2014-12-01
    dd-d   agency      Dodoma         s5 2016-05-01
    =====  ==========  =============  =====================================================

    K05 by fiscal year (institutions with a live e-service on 30 June ÷ 4):
    2012/13 no active institution: 0 ÷ 0, no value; 2013/14 a, b: 2 ÷ 4 = 50%;
    2014/15 a, c (s3 retired): 2 ÷ 4 = 50%; 2015/16 a, c, d: 3 ÷ 4 = 75%; 2016/17 the same, 75%.
    """
    regions = {r.code: r for r in Region.objects.filter(code__in=["dar-es-salaam", "arusha", "dodoma"])}
    rows = [
        ("dd-a", "ministry", "dar-es-salaam"),
        ("dd-b", "ministry", "arusha"),
        ("dd-c", "lga", "dodoma"),
        ("dd-d", "agency", "dodoma"),
    ]
    inst = {
        code: Institution.objects.create(
            code=code,
            name_sw=f"Taasisi {code}",
            name_en=f"Institution {code}",
            category=category,
            region=regions[region],
            established_on=date(2013, 7, 1),
        )
        for code, category, region in rows
    }
    services = [
        ("s1", "dd-a", date(2012, 8, 1), None),
        ("s2", "dd-a", date(2013, 9, 1), None),
        ("s3", "dd-b", date(2013, 10, 15), date(2015, 3, 1)),
        ("s4", "dd-c", date(2014, 12, 1), None),
        ("s5", "dd-d", date(2016, 5, 1), None),
    ]
    for code, owner, launched, retired in services:
        EService.objects.create(
            code=f"dd-{code}",
            institution=inst[owner],
            # s1's Swahili name would run as a formula in a spreadsheet: exports must defuse it.
            name_sw="=HYPERLINK(1)" if code == "s1" else f"Huduma {code}",
            name_en=f"Service {code}",
            life_event="business",
            channels="web",
            launched_on=launched,
            retired_on=retired,
        )
    k05 = plan.indicators.get(code="K05")
    Definition.objects.create(indicator=k05, version=_next_version(k05), spec=SPEC, note="test data only")
    years = {fy.code: fy for fy in plan.fiscal_years.all()}
    Target.objects.filter(indicator=k05).delete()
    for code, target in TARGETS.items():
        Target.objects.create(indicator=k05, fiscal_year=years[code], value=target)
    engine.refresh(plan, ["K05"])
    return {"plan": plan, "k05": k05, "institutions": inst}


def _value(indicator: Indicator, period: str, dimension: str = "", group: str = "") -> Value:
    return Value.objects.get(indicator=indicator, period=period, dimension=dimension, group=group)


def _anonymous() -> Client:
    client = Client()
    client.cookies["tathmini_language"] = "en"
    return client


def _en(persona: Persona) -> Client:
    """The persona's client, reading the pages in English."""
    client = persona.client()
    client.cookies["tathmini_language"] = "en"
    return client


def _page(client: Any, query: str = "") -> str:
    response = client.get(reverse("strategy:indicator", args=[PLAN_CODE, "K05"]) + query)
    assert response.status_code == 200
    return response.content.decode()


# --- numbers ----------------------------------------------------------------------------------------
@translation.override("en")  # the unit words are translated; these are the English ones
def test_values_are_written_in_their_unit() -> None:
    assert format_value(Decimal("12.34"), "percent") == "12.3%"
    assert format_value(Decimal("1234567.8"), "currency") == "TZS 1,234,568"
    assert format_value(Decimal("12.26"), "days") == "12.3 days"
    assert format_value(Decimal("101.04"), "index") == "101.0"
    assert format_value(Decimal("64.96"), "score") == "65.0"
    assert format_value(Decimal("1234"), "count") == "1,234"
    assert format_value(None, "percent") == ""


# --- the indicator page -------------------------------------------------------------------------------
def test_indicator_page_shows_each_year_against_its_target_with_its_rating(data: dict[str, Any]) -> None:
    section = _text(_section(_page(_anonymous()), "v-h"))
    # deviation = (value − target) ÷ target: on track ≥ −15%, at risk ≥ −30%, off track below.
    assert "2012/13 — no value: no data or zero denominator 20.0% No data" in section
    assert "2013/14 50.0% 55.0% 90.9% On track" in section  # −9.1%
    assert "2014/15 50.0% 80.0% 62.5% Off track" in section  # −37.5%
    assert "2015/16 75.0% 90.0% 83.3% At risk" in section  # −16.7%
    assert "2016/17 75.0% 80.0% 93.8% On track" in section  # −6.25%


def test_indicator_page_ratings_are_badges_with_text(data: dict[str, Any]) -> None:
    html = _page(_anonymous())
    assert '<span class="rating rating-off_track"><span class="rating-mark" aria-hidden="true"></span>Off track' in html
    assert '<span class="rating rating-no_data"><span class="rating-mark" aria-hidden="true"></span>No data' in html


def test_indicator_page_quarters_are_held_against_the_years_target(data: dict[str, Any]) -> None:
    section = _text(_section(_page(_anonymous(), "?kind=quarter"), "v-h"))
    # On 30 September 2013 only dd-a has a live service (s1, s2; s3 comes in October): 1 ÷ 4.
    # The year's target holds for each quarter of a non-cumulative indicator: (25 − 55) ÷ 55 = −54.5%.
    assert "2013/14-Q1 25.0% 55.0% 45.5% Off track" in section
    # 31 March 2015: s3 retired on 1 March, s4 live since December: dd-a and dd-c, 2 ÷ 4.
    assert "2014/15-Q3 50.0% 80.0% 62.5% Off track" in section
    assert "2014/15 " not in section.replace("2014/15-Q", "")  # quarters only, no year rows


def test_indicator_page_forecasts_the_plans_last_year(data: dict[str, Any]) -> None:
    section = _text(_section(_page(_anonymous()), "f-h"))
    # Least squares through (1, 50), (2, 50), (3, 75), (4, 75): slope 10, intercept 37.5, so 77.5
    # at year 4 (2016/17), short of the final target 80.
    assert "Trend forecast for 2016/17, the plan's last year 77.5%" in section
    assert "Final target 80.0%" in section
    assert "Likely to meet the final target No" in section


def test_indicator_page_forecast_is_unknown_without_a_final_target(data: dict[str, Any]) -> None:
    Target.objects.filter(indicator=data["k05"], fiscal_year__code="2016/17").delete()
    section = _text(_section(_page(_anonymous()), "f-h"))
    assert "Likely to meet the final target Unknown" in section


def test_indicator_page_disaggregates_a_period_by_region_and_category(data: dict[str, Any]) -> None:
    by_region = _text(_section(_page(_anonymous(), "?period=2014/15&by=region"), "d-h"))
    # 30 June 2015: Dar es Salaam dd-a live 1 ÷ 1; Arusha dd-b (s3 retired) 0 ÷ 1; Dodoma dd-c 1 of 2.
    assert "K05 in 2014/15 by Region" in by_region
    assert "Arusha 0 1 0.0%" in by_region
    assert "Dar es Salaam 1 1 100.0%" in by_region
    assert "Dodoma 1 2 50.0%" in by_region
    by_category = _text(_section(_page(_anonymous(), "?period=2015/16&by=category"), "d-h"))
    # 30 June 2016: ministries dd-a (yes), dd-b (no); LGA dd-c (yes); executive agency dd-d (s5, yes).
    assert "Executive agency 1 1 100.0%" in by_category
    assert "Local government authority 1 1 100.0%" in by_category
    assert "Ministry 1 2 50.0%" in by_category


def test_indicator_page_links_values_to_the_drilldown_for_staff_only(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    url = reverse("measure:value", args=[_value(data["k05"], "2014/15").pk])
    assert url in _page(_en(personas["me_officer"]))
    assert url in _page(_en(personas["manager"]))
    for name in ("anonymous", "focal_person", "outsider"):
        html = _page(_en(personas[name]))
        assert "/measure/values/" not in html, name
        assert "50.0%" in html, name  # the public still sees the numbers


def test_indicator_page_queries_do_not_grow_with_the_periods(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = _en(personas["me_officer"])
    k05 = data["k05"]
    kept = Value.objects.filter(indicator=k05, period__startswith="2013/14")
    assert kept.filter(period_kind="year", dimension="").count() == 1
    others = list(Value.objects.filter(indicator=k05).exclude(pk__in=kept.values("pk")))
    Value.objects.filter(pk__in=[v.pk for v in others]).delete()
    with CaptureQueriesContext(connection) as one_year:
        html = _page(client, "?period=2013/14&by=region")
    assert html.count("/measure/values/") >= 1
    Value.objects.bulk_create(others)
    with CaptureQueriesContext(connection) as five_years:
        html = _page(client, "?period=2013/14&by=region")
    assert _text(_section(html, "v-h")).count("%") >= 5 * 3  # five years, each with value, target, share
    assert len(five_years) == len(one_year)
    assert len(five_years) <= 30


# --- drill-down --------------------------------------------------------------------------------------
def _drill(client: Any, value: Value, query: str = "") -> Any:
    return client.get(reverse("measure:value", args=[value.pk]) + query)


def test_drilldown_lists_exactly_the_records_behind_numerator_and_denominator(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    response = _drill(_en(personas["me_officer"]), _value(data["k05"], "2014/15"))
    assert response.status_code == 200
    html = response.content.decode()
    numerator = _text(_section(html, "page-numerator"))
    denominator = _text(_section(html, "page-denominator"))
    # 30 June 2015: live services s1, s2 (dd-a) and s4 (dd-c); s3 retired in March, s5 not launched.
    assert "3 records behind this term" in numerator
    for name in ("Service s1", "Service s2", "Service s4"):
        assert name in numerator
    assert "Service s3" not in numerator and "Service s5" not in numerator
    assert "4 records behind this term" in denominator
    for code in CODES:
        assert f"Institution {code}" in denominator
    facts = _text(html[html.index('class="facts"') : html.index("</dl>")])
    assert "Value 50.0%" in facts and "Numerator 2" in facts and "Denominator 4" in facts
    definition = data["k05"].definitions.order_by("-version").first()
    assert definition is not None
    assert f"version {definition.version}" in facts
    assert reverse("measure:definition_version", args=[data["k05"].pk, definition.version]) in html
    assert "source: eservices" in html  # the definition, as YAML
    # Each record links to its page in the records pages.
    s4 = EService.objects.get(code="dd-s4")
    assert reverse("records:detail", args=["eservices", s4.pk]) in html


def test_drilldown_of_a_group_lists_that_groups_records(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    value = _value(data["k05"], "2014/15", "region", "dodoma")
    html = _drill(_en(personas["manager"]), value).content.decode()
    numerator = _text(_section(html, "page-numerator"))
    denominator = _text(_section(html, "page-denominator"))
    assert "1 record behind this term" in numerator and "Service s4" in numerator
    assert "2 records behind this term" in denominator
    assert "Institution dd-c" in denominator and "Institution dd-d" in denominator
    assert "Institution dd-a" not in denominator
    assert "Region: Dodoma" in _text(html)


def test_drilldown_pages_through_fifty_records_at_a_time(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    client = _en(personas["agency_officer"])
    before = _value(data["k05"], "2014/15")
    with CaptureQueriesContext(connection) as three_records:
        _drill(client, before)
    owner = data["institutions"]["dd-a"]
    EService.objects.bulk_create(
        EService(
            code=f"dd-bulk-{i:02d}",
            institution=owner,
            name_sw=f"Nyingi {i:02d}",
            name_en=f"Many {i:02d}",
            life_event="tax",
            channels="web",
            launched_on=date(2012, 9, 1),
        )
        for i in range(53)
    )
    engine.refresh(data["plan"], ["K05"])
    value = _value(data["k05"], "2014/15")
    with CaptureQueriesContext(connection) as fifty_records:
        first = _section(_drill(client, value).content.decode(), "page-numerator")
    assert len(fifty_records) == len(three_records)  # no query per record listed
    second = _section(_drill(client, value, "?page-numerator=2").content.decode(), "page-numerator")
    # 3 + 53 = 56 services behind the numerator: 50 on the first page, 6 on the second.
    assert "56 records behind this term" in _text(first)
    assert "Page 1 of 2" in _text(first) and "Page 2 of 2" in _text(second)
    names = re.findall(r"(?:Many \d\d|Service s\d)", first), re.findall(r"(?:Many \d\d|Service s\d)", second)
    assert len(names[0]) == 50 and len(names[1]) == 6
    assert set(names[0]).isdisjoint(names[1])
    assert set(names[0]) | set(names[1]) == {f"Many {i:02d}" for i in range(53)} | {
        "Service s1",
        "Service s2",
        "Service s4",
    }


def test_drilldown_exports_the_records_as_csv_and_xlsx(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    value = _value(data["k05"], "2014/15")
    client = _en(personas["me_officer"])
    response = client.get(reverse("measure:value_export_csv", args=[value.pk, "numerator"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="K05-2014-15-numerator.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["code"] for r in rows) == ["dd-s1", "dd-s2", "dd-s4"]
    assert {r["institution"] for r in rows} == {"dd-a", "dd-c"}
    s1 = next(r for r in rows if r["code"] == "dd-s1")
    assert s1["name_sw"] == "'=HYPERLINK(1)"  # shown as text by a spreadsheet, never run
    response = client.get(reverse("measure:value_export_xlsx", args=[value.pk, "denominator"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    codes = sorted(row[table[0].index("code")] for row in table[1:])
    assert codes == CODES
    xlsx = client.get(reverse("measure:value_export_xlsx", args=[value.pk, "numerator"]))
    cells = [c for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows() for c in row]
    hyperlink = next(c for c in cells if c.value == "=HYPERLINK(1)")
    assert hyperlink.data_type == "s"  # a text cell, not a formula


def test_drilldown_of_an_unknown_term_is_not_found(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    value = _value(data["k05"], "2014/15")
    response = _en(personas["me_officer"]).get(reverse("measure:value_export_csv", args=[value.pk, "extras"]))
    assert response.status_code == 404


def test_drilldown_is_for_staff_only(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    value = _value(data["k05"], "2014/15")
    urls = [
        reverse("measure:value", args=[value.pk]),
        reverse("measure:value_export_csv", args=[value.pk, "numerator"]),
        reverse("measure:value_export_xlsx", args=[value.pk, "denominator"]),
    ]
    for url in urls:
        assert _en(personas["anonymous"]).get(url).status_code == 302
        for name in ("focal_person", "outsider"):
            assert _en(personas[name]).get(url).status_code == 403, (name, url)
        for name in ("administrator", "me_officer", "agency_officer", "manager"):
            assert _en(personas[name]).get(url).status_code == 200, (name, url)


def _k12_of_k05_alone(plan: Plan) -> Indicator:
    """K12 is the mean of K03, K05, K08 and K11; with only K05's values stored, it is K05's value."""
    Value.objects.filter(indicator__plan=plan, indicator__code__in=["K03", "K08", "K11"]).delete()
    engine.refresh(plan, ["K12"])
    return plan.indicators.get(code="K12")


def test_drilldown_of_a_composite_shows_its_parts(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    k12 = _k12_of_k05_alone(data["plan"])
    value = _value(k12, "2014/15")
    assert value.value == Decimal(50)
    html = _drill(_en(personas["me_officer"]), value).content.decode()
    parts = _text(_section(html, "parts-h"))
    assert "K03 1 — no value" in parts
    assert "K05 1 50.0%" in parts
    assert reverse("measure:value", args=[_value(data["k05"], "2014/15").pk]) in html
    assert "records behind this term" not in html


# --- the definition editor -----------------------------------------------------------------------------
def _editor(indicator: Indicator) -> str:
    return reverse("measure:definition_edit", args=[indicator.pk])


def _snapshot(indicator: Indicator) -> list[tuple[Any, ...]]:
    return list(
        Value.objects.filter(indicator=indicator)
        .order_by("pk")
        .values_list("pk", "period", "dimension", "group", "value", "computed_at", "definition_id")
    )


def test_editor_opens_with_the_definition_in_force(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    html = _en(personas["me_officer"]).get(_editor(data["k05"])).content.decode()
    textarea = re.search(r"<textarea[^>]*>\n(.*?)</textarea>", html, re.S)
    assert textarea is not None
    assert "source: eservices" in textarea.group(1) and "scale: 100" in textarea.group(1)
    assert 'aria-describedby="id_definition_helptext"' in html


def test_editor_preview_shows_values_beside_the_stored_ones_and_stores_nothing(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    k05 = data["k05"]
    before, versions = _snapshot(k05), k05.definitions.count()
    per_mille = dict(SPEC, scale=1000)
    response = _en(personas["me_officer"]).post(
        _editor(k05), {"definition": dump(per_mille), "note": "", "by": "region", "action": "preview"}
    )
    assert response.status_code == 200
    preview = _text(_section(response.content.decode(), "preview-h"))
    # The two most recent fiscal years and their quarters; 2016/17: 3 ÷ 4 × 1000 beside 3 ÷ 4 × 100.
    assert "2016/17 750.0% (3 ÷ 4) 75.0% (3 ÷ 4)" in preview
    assert "2015/16-Q4 750.0% (3 ÷ 4) 75.0% (3 ÷ 4)" in preview
    assert "2014/15" not in preview
    assert "2016/17 Dodoma 1,000.0% (2 ÷ 2) 100.0% (2 ÷ 2)" in preview
    assert "2016/17 Arusha 0.0% (0 ÷ 1) 0.0% (0 ÷ 1)" in preview
    assert _snapshot(k05) == before
    assert k05.definitions.count() == versions


def test_editor_save_stores_the_next_version_and_recomputes(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    k05 = data["k05"]
    version = _next_version(k05)
    per_mille = dict(SPEC, scale=1000)
    client = _en(personas["me_officer"])
    response = client.post(
        _editor(k05), {"definition": dump(per_mille), "note": "per mille", "by": "category", "action": "save"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("strategy:indicator", args=[PLAN_CODE, "K05"])
    saved = k05.definitions.order_by("-version").first()
    assert saved is not None
    assert (saved.version, saved.note, saved.created_by) == (version, "per mille", personas["me_officer"].user)
    assert saved.spec == per_mille
    value = _value(k05, "2016/17")
    assert value.value == Decimal(750) and value.definition_id == saved.pk
    page = client.get(response["Location"]).content.decode()
    assert f"Saved version {version} of the definition of K05" in page
    history = _text(client.get(reverse("measure:definitions", args=[k05.pk])).content.decode())
    assert f"version {version} (in force)" in history and "per mille" in history


def test_editor_refuses_an_unchanged_definition(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    k05 = data["k05"]
    versions = k05.definitions.count()
    response = _en(personas["me_officer"]).post(
        _editor(k05), {"definition": dump(SPEC), "note": "", "by": "category", "action": "save"}
    )
    assert response.status_code == 200
    assert "nothing to save" in response.content.decode()
    assert k05.definitions.count() == versions


def test_editor_shows_each_problem_of_an_invalid_definition_by_its_path(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    k05 = data["k05"]
    versions, before = k05.definitions.count(), _snapshot(k05)
    typed = "numerator:\n  source: nosuch\n  aggregate: count\n  period: {match: state}\nscale: 0\n"
    response = _en(personas["me_officer"]).post(
        _editor(k05), {"definition": typed, "note": "bad", "by": "category", "action": "save"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    errors = html[html.index('id="id_definition_errors"') : html.index("<textarea")]
    assert "<code>numerator.source</code>: &#x27;nosuch&#x27; is not a data source" in errors
    assert "<code>scale</code>: must be a non-zero number" in errors
    textarea = re.search(r"<textarea([^>]*)>\n(.*?)</textarea>", html, re.S)
    assert textarea is not None
    assert 'aria-describedby="id_definition_helptext id_definition_errors"' in textarea.group(1)
    assert 'aria-invalid="true"' in textarea.group(1)
    assert textarea.group(2) == typed  # kept as typed
    assert k05.definitions.count() == versions and _snapshot(k05) == before


def test_editor_names_the_line_of_invalid_yaml(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    typed = "numerator:\n  source: eservices\n  aggregate: count: x\n"
    response = _en(personas["me_officer"]).post(
        _editor(data["k05"]), {"definition": typed, "note": "", "by": "category", "action": "preview"}
    )
    html = response.content.decode()
    errors = _text(html[html.index('id="id_definition_errors"') : html.index("<textarea")])
    assert "Not valid YAML at line 3, column 19" in errors
    assert "preview-h" not in html
    assert "aggregate: count: x" in html


def test_editor_refuses_a_composite_that_contains_itself(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    k12 = data["plan"].indicators.get(code="K12")
    typed = "composite:\n- indicator: K05\n- indicator: K12\n- indicator: K99\n"
    response = _en(personas["me_officer"]).post(
        _editor(k12), {"definition": typed, "note": "", "by": "category", "action": "preview"}
    )
    html = response.content.decode()
    assert "<code>composite[1].indicator</code>: an indicator cannot be a part of itself" in html
    assert "<code>composite[2].indicator</code>: &#x27;K99&#x27; is not an indicator of this plan" in html


def test_editor_gives_an_indicator_without_one_its_first_definition(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    # An indicator added to the plan without a definition (as R01 was before the monitor's).
    undefined = Indicator.objects.create(
        plan=data["plan"], code="R99", name_sw="Kipimo kipya", name_en="A new measure", unit="percent"
    )
    client = _en(personas["me_officer"])
    html = client.get(_editor(undefined)).content.decode()
    textarea = re.search(r"<textarea[^>]*>\n(.*?)</textarea>", html, re.S)
    assert textarea is not None and textarea.group(1) == ""
    response = client.post(
        _editor(undefined), {"definition": dump(SPEC), "note": "first", "by": "category", "action": "save"}
    )
    assert response.status_code == 302
    assert list(undefined.definitions.values_list("version", "note")) == [(1, "first")]
    assert _value(undefined, "2014/15").value == Decimal(50)


def test_editor_is_for_me_officers_only(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    url = _editor(data["k05"])
    assert _en(personas["anonymous"]).get(url).status_code == 302
    for name in ("administrator", "agency_officer", "manager", "focal_person", "outsider"):
        assert _en(personas[name]).get(url).status_code == 403, name
        response = _en(personas[name]).post(url, {"definition": dump(SPEC), "action": "save"})
        assert response.status_code == 403, name
    assert _en(personas["me_officer"]).get(url).status_code == 200


def test_version_pages_show_any_version(data: dict[str, Any], personas: dict[str, Persona]) -> None:
    k05 = data["k05"]
    newest = k05.definitions.order_by("-version").first()
    assert newest is not None and newest.version >= 2
    client = _en(personas["manager"])
    old = client.get(reverse("measure:definition_version", args=[k05.pk, newest.version - 1])).content.decode()
    assert "replaced by a later version" in old
    assert "institution__code" not in old  # the shipped definition does not filter by these codes
    new = client.get(reverse("measure:definition_version", args=[k05.pk, newest.version])).content.decode()
    assert "in force" in new and "test data only" in new and "institution__code" in new
    missing = client.get(reverse("measure:definition_version", args=[k05.pk, newest.version + 1]))
    assert missing.status_code == 404
    assert _en(personas["focal_person"]).get(reverse("measure:definitions", args=[k05.pk])).status_code == 403


def test_saving_a_part_recomputes_the_composites_built_on_it(
    data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    k12 = _k12_of_k05_alone(data["plan"])
    assert _value(k12, "2016/17").value == Decimal(75)
    _en(personas["me_officer"]).post(
        _editor(data["k05"]), {"definition": dump(dict(SPEC, scale=1000)), "note": "", "action": "save"}
    )
    assert _value(k12, "2016/17").value == Decimal(750)


# --- every shipped definition, on the demo records -----------------------------------------------------
def _aggregate(records: Any, term: dict[str, Any]) -> Decimal | None:
    """The term's aggregate recomputed from the drill-down's records with the ORM (None where the
    term's aggregate is not a plain count, distinct count or sum of a field)."""
    field = term.get("field")
    if term["aggregate"] == "count" and not term.get("having"):
        return Decimal(records.count())
    if term["aggregate"] == "count_distinct" and isinstance(field, str):
        return Decimal(records.order_by().values(field).distinct().count())
    if term["aggregate"] == "sum" and isinstance(field, str):
        return Decimal(records.aggregate(total=Sum(field))["total"] or 0)
    return None


def test_drilldown_records_add_up_to_the_stored_numbers_for_every_definition(
    plan: Plan, personas: dict[str, Persona]
) -> None:
    """The records the drill-down lists are the ones the engine aggregated: counted, distinct-counted
    or summed again here, they give each stored numerator and denominator (a product's factors
    multiply to it), for the whole Agency and for one group of each disaggregation."""
    load_demo_records()
    engine.refresh(plan, period_codes=["2015/16"])
    huduma = str(OrgUnit.objects.get(code="huduma").pk)
    groups = {"": "", "region": "dar-es-salaam", "category": "ministry", "org_unit": huduma}
    values = [
        v
        for v in Value.objects.filter(indicator__plan=plan, period="2015/16").select_related(
            "indicator__plan", "definition"
        )
        if groups.get(v.dimension) == v.group
    ]
    checked: set[tuple[str, str]] = set()
    client = _en(personas["manager"])
    for value in values:
        refs = drilldown.terms_of(value)
        for side in ("numerator", "denominator"):
            parts = [_aggregate(drilldown.records_behind(value, r), r.term) for r in refs if r.key.startswith(side)]
            if parts and all(p is not None for p in parts):
                product = Decimal(1)
                for p in parts:
                    product *= p  # type: ignore[operator]
                assert product == getattr(value, side), (value.indicator.code, value.dimension, side)
                checked.add((value.indicator.code, side))
        assert _drill(client, value).status_code == 200, value
    # Every shipped definition but the medians and K09's mean of days has its records checked.
    assert {code for code, _ in checked} >= {f"K{n:02d}" for n in range(1, 19)} - {"K12"}
    assert ("K08", "denominator") in checked and ("K06", "denominator") in checked
