"""Scorecards, the tracking table, charts and M&E reports against numbers computed by hand.

The data set: stored values and targets of the shipped plan's indicators, written directly (the
engine's own tests cover how values are computed from records). By hand, for 2014/15:

| indicator | value | target | % of target | deviation | rating | previous (2013/14) | trend |
|---|---|---|---|---|---|---|---|
| K04 count, up | 150 | 200 | 75.0% | −0.25 | at risk | 120 | improving |
| K05 %, up | 45 | 50 | 90.0% | −0.10 | on track | 48 | worsening |
| K09 days, down | 20 | 12 | 166.7% | (12−20)/12 = −0.67 | off track | — | no earlier value |
| K13 %, up | 30 | — | — | — | no target | — | — |
| the other 20 | — | — | — | — | no data | — | — |

K04 in 2014/15-Q2: 140 against the year's target 200 (not cumulative) = 70.0%, deviation −0.30,
exactly the edge: at risk. K04's trend to 2016/17 through (2013/14, 120) and (2014/15, 150):
30 a year, so 180 in 2015/16 and 210 in 2016/17, below the final target 250: not likely met.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from tathmini.core import periods as P
from tathmini.core.models import AuditEvent
from tathmini.measure.models import Value
from tathmini.reports import pdf, selectors, services, snapshot, xlsx
from tathmini.reports.models import Report, ReportFile
from tathmini.strategy.models import Baseline, FiscalYear, Indicator, Objective, OrgUnit, Plan, Target
from tests.conftest import Persona

AS_OF = datetime(2015, 8, 1, 9, 30, tzinfo=UTC)  # 12:30 in Dar es Salaam


def put_value(indicator: Indicator, code: str, value: str, dimension: str = "", group: str = "") -> Value:
    p = P.parse(code)
    return Value.objects.create(
        indicator=indicator,
        period=code,
        period_kind=p.kind,
        period_start=p.start,
        period_end=p.end,
        dimension=dimension,
        group=group,
        numerator=Decimal(value),
        value=Decimal(value),
        computed_at=AS_OF,
    )


def put_target(indicator: Indicator, year: str, value: str, org_unit: OrgUnit | None = None) -> None:
    fy = FiscalYear.objects.get(plan=indicator.plan, code=year)
    Target.objects.create(indicator=indicator, fiscal_year=fy, value=Decimal(value), org_unit=org_unit)


@pytest.fixture
def data(plan: Plan) -> dict[str, Any]:
    ind = {i.code: i for i in plan.indicators.all()}
    huduma = OrgUnit.objects.get(code="huduma")
    for code, year, value in [
        ("K04", "2013/14", "120"),
        ("K04", "2014/15", "150"),
        ("K04", "2014/15-Q2", "140"),
        ("K05", "2013/14", "48"),
        ("K05", "2014/15", "45"),
        ("K09", "2014/15", "20"),
        ("K13", "2014/15", "30"),
    ]:
        put_value(ind[code], year, value)
    put_value(ind["K04"], "2014/15", "40", "category", "ministry")
    put_value(ind["K04"], "2014/15", "100", "org_unit", str(huduma.pk))
    for code, year, value in [
        ("K04", "2013/14", "100"),
        ("K04", "2014/15", "200"),
        ("K04", "2016/17", "250"),
        ("K05", "2014/15", "50"),
        ("K09", "2014/15", "12"),
    ]:
        put_target(ind[code], year, value)
    put_target(ind["K04"], "2014/15", "90", huduma)
    Baseline.objects.create(
        indicator=ind["K04"], fiscal_year=FiscalYear.objects.get(plan=plan, code="2012/13"), value=Decimal("80")
    )
    return {"ind": ind, "huduma": huduma}


def lines_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["code"]: line for o in card["objectives"] for line in o["lines"]}


# --- the scorecard ---------------------------------------------------------------------------------
def test_agency_scorecard_numbers_ratings_and_trends(plan: Plan, data: dict[str, Any]) -> None:
    with translation.override("en"):
        card = snapshot.scorecard(plan, P.parse("2014/15"))
    lines = lines_of(card)
    assert len(lines) == 24
    k04, k05, k09, k13 = lines["K04"], lines["K05"], lines["K09"], lines["K13"]
    assert (k04["value"], k04["target"], k04["percent"], k04["rating"], k04["trend"]) == (
        "150",
        "200",
        "75.0%",
        "at_risk",
        "improving",
    )
    assert (k05["value"], k05["target"], k05["percent"], k05["rating"], k05["trend"]) == (
        "45.0%",
        "50.0%",
        "90.0%",
        "on_track",
        "worsening",
    )
    assert (k09["value"], k09["target"], k09["percent"], k09["rating"], k09["trend"]) == (
        "20.0 days",
        "12.0 days",
        "166.7%",
        "off_track",
        "unknown",
    )
    assert (k13["rating"], k13["target"]) == ("no_target", "")
    assert lines["K01"]["rating"] == "no_data"
    counts = {c["rating"]: c["count"] for c in card["counts"]}
    assert counts == {"on_track": 1, "at_risk": 1, "off_track": 1, "no_data": 20, "no_target": 1}
    o2 = next(o for o in card["objectives"] if o["code"] == "O2")
    assert {c["rating"]: c["count"] for c in o2["counts"]} == {
        "on_track": 1,
        "at_risk": 1,
        "off_track": 0,
        "no_data": 2,
        "no_target": 0,
    }


def test_a_quarter_is_held_against_the_years_target_and_the_edge_is_at_risk(plan: Plan, data: dict[str, Any]) -> None:
    card = snapshot.scorecard(plan, P.parse("2014/15-Q2"))
    k04 = lines_of(card)["K04"]
    assert (k04["value"], k04["target"], k04["percent"], k04["rating"]) == ("140", "200", "70.0%", "at_risk")
    assert card["previous_period"] == "2014/15-Q1"


def test_a_departments_scorecard_uses_its_own_values_and_targets(plan: Plan, data: dict[str, Any]) -> None:
    card = snapshot.scorecard(plan, P.parse("2014/15"), data["huduma"])
    lines = lines_of(card)
    # The department answers (through its units and sections) for K01, K04, K05, K06, K13, K14, R12.
    assert sorted(lines) == ["K01", "K04", "K05", "K06", "K13", "K14", "R12"]
    k04 = lines["K04"]
    assert (k04["value"], k04["target"], k04["percent"], k04["rating"]) == ("100", "90", "111.1%", "on_track")


def test_scorecard_page_for_staff_shows_the_numbers_in_both_languages(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = personas["me_officer"].client()
    url = reverse("reports:scorecard") + "?year=2014/15"
    client.cookies["tathmini_language"] = "en"
    english = client.get(url).content.decode()
    o2 = Objective.objects.get(plan=plan, code="O2")
    assert o2.name_en in english and "75.0%" in english and "At risk" in english and "166.7%" in english
    assert reverse("strategy:indicator", args=[plan.code, "K04"]) in english  # click through
    client.cookies["tathmini_language"] = "sw"
    swahili = client.get(url).content.decode()
    assert o2.name_sw in swahili and "75.0%" in swahili and "166.7%" in swahili
    assert "Kiashiria" in swahili  # the column header "Indicator"


def test_a_managers_scorecard_opens_on_their_unit_and_may_open_the_agency(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = personas["manager"].client()
    client.cookies["tathmini_language"] = "en"
    own = client.get(reverse("reports:scorecard") + "?year=2014/15").content.decode()
    assert "111.1%" in own and "e-Government Services Department" in own
    agency = client.get(reverse("reports:scorecard") + "?year=2014/15&unit=agency").content.decode()
    assert "75.0%" in agency and "111.1%" not in agency


@pytest.mark.parametrize("who", ["anonymous", "outsider", "focal_person"])
def test_scorecard_and_reports_refuse_focal_persons_and_the_public(
    who: str, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = personas[who].client()
    for name in ("reports:scorecard", "reports:tracking", "reports:list"):
        response = client.get(reverse(name))
        assert response.status_code == (302 if who == "anonymous" else 403), name


def _count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _more_indicators(plan: Plan, n: int) -> None:
    o1 = Objective.objects.get(plan=plan, code="O1")
    for k in range(n):
        extra = Indicator.objects.create(
            plan=plan, code=f"X{k:02d}", name_sw="x", name_en="x", unit="count", objective=o1
        )
        for year in ("2012/13", "2013/14", "2014/15"):
            put_value(extra, year, str(10 + k))
            put_target(extra, year, "12")


def test_scorecard_and_tracking_queries_do_not_grow_with_indicators_or_periods(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = personas["me_officer"].client()
    pages = [
        reverse("reports:scorecard") + "?year=2014/15",
        reverse("reports:tracking"),
        reverse("reports:tracking") + "?kind=quarter",
    ]
    before = [_count_queries(client, url) for url in pages]
    _more_indicators(plan, 12)
    after = [_count_queries(client, url) for url in pages]
    assert after == before
    assert max(after) <= 25


# --- the tracking table -------------------------------------------------------------------------
def test_tracking_table_cells_are_target_actual_and_percent(plan: Plan, data: dict[str, Any]) -> None:
    table = snapshot.tracking(plan, "year")
    assert table["periods"] == ["2012/13", "2013/14", "2014/15", "2015/16", "2016/17"]
    assert [g["code"] for g in table["groups"]] == ["O1", "O2", "O3", "O4", "O5", "O6"]
    k04 = next(r for g in table["groups"] for r in g["rows"] if r["code"] == "K04")
    got = [(c["target"], c["value"], c["percent"]) for c in k04["cells"]]
    assert got == [("", "", ""), ("100", "120", "120.0%"), ("200", "150", "75.0%"), ("", "", ""), ("250", "", "")]


def test_tracking_table_filters_by_objective_disaggregation_and_unit(plan: Plan, data: dict[str, Any]) -> None:
    o2 = Objective.objects.get(plan=plan, code="O2")
    only_o2 = snapshot.tracking(plan, "year", objective=o2)
    assert [r["code"] for g in only_o2["groups"] for r in g["rows"]] == ["K04", "K05", "K06", "R01"]
    ministries = snapshot.tracking(plan, "year", objective=o2, dimension="category", group="ministry")
    k04 = ministries["groups"][0]["rows"][0]
    assert (k04["cells"][2]["value"], k04["cells"][2]["target"], k04["cells"][2]["percent"]) == ("40", "200", "20.0%")
    by_unit = snapshot.tracking(plan, "year", org_unit=data["huduma"], group_by="org_unit")
    k04 = next(r for g in by_unit["groups"] for r in g["rows"] if r["code"] == "K04")
    assert (k04["cells"][2]["value"], k04["cells"][2]["target"], k04["cells"][2]["percent"]) == ("100", "90", "111.1%")
    assert {g["code"] for g in by_unit["groups"]} >= {"huduma-mtandao", "huduma-ushauri"}


def test_tracking_xlsx_holds_numbers_and_escapes_text(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    data["ind"]["K04"].name_en = "=HYPERLINK(1)"
    data["ind"]["K04"].save()
    client = personas["manager"].client()
    client.cookies["tathmini_language"] = "en"
    response = client.get(reverse("reports:tracking_xlsx") + "?objective=O2&year=2014/15")
    assert response["Content-Disposition"] == 'attachment; filename="ega-2012-2017-iptt-year-2014-15-O2.xlsx"'
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Group", "Code", "Indicator", "Unit of measure"]
    k04 = next(row for row in ws.iter_rows(min_row=2) if row[1].value == "K04")
    assert k04[2].value == "=HYPERLINK(1)" and k04[2].data_type == "s"  # text, not a formula
    start = header.index("2014/15 target")
    assert [k04[start].value, k04[start + 1].value, k04[start + 2].value] == [200, 150, 75]


# --- charts ---------------------------------------------------------------------------------------
def test_indicator_chart_has_baseline_forecast_and_a_table(plan: Plan, data: dict[str, Any]) -> None:
    charts = selectors.indicator_charts(plan, ("year",), codes=["K04"])
    with translation.override("en"):
        chart = snapshot.chart(charts["year"]["K04"], "year")
    assert chart["baseline"] == "80" and chart["baseline_year"] == "2012/13"
    assert [r["forecast"] for r in chart["rows"]] == ["", "", "150", "180", "210"]
    assert (chart["forecast"], chart["final_target"], chart["likely"]) == ("210", "250", False)
    svg = chart["svg"]
    assert svg.startswith("<svg") and 'aria-labelledby="K04-year-t K04-year-d"' in svg
    assert '<title id="K04-year-t">K04: value against target</title>' in svg


def test_indicator_chart_page(plan: Plan, data: dict[str, Any], personas: dict[str, Persona]) -> None:
    client = personas["agency_officer"].client()
    client.cookies["tathmini_language"] = "en"
    page = client.get(reverse("reports:indicator", args=["K04"])).content.decode()
    assert page.count("<svg") == 2 and "<table" in page and "210" in page


# --- reports --------------------------------------------------------------------------------------
def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_annual_report_pdf_and_xlsx_carry_the_hand_computed_numbers(
    language: str, plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    officer = personas["me_officer"]
    report = services.report_create(
        plan, "annual", "2014/15", language, officer.user, {"achievements": "Tovuti kuu imeboreshwa."}
    )
    client = officer.client()
    response = client.get(reverse("reports:pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="ega-2012-2017-annual-2014-15-{language}.pdf"'
    text = pdf_text(response.content)
    o2 = Objective.objects.get(plan=plan, code="O2")
    name = o2.name_en if language == "en" else o2.name_sw
    assert name[:40] in " ".join(text.split())
    for number in ("150", "200", "75.0%", "90.0%", "166.7%", "2015-08-01 12:30", "Tovuti kuu imeboreshwa."):
        assert number in text, number
    assert ("Page 1 / " if language == "en" else " 1 / ") in text
    if language == "en":
        assert "At risk" in text and "Annual report 2014/15" in text

    response = client.get(reverse("reports:xlsx", args=[report.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 4
    card = wb.worksheets[1]
    k04 = next(row for row in card.iter_rows(min_row=2) if row[1].value == "K04")
    assert [k04[4].value, k04[5].value, k04[6].value] == [150, 200, 75]
    k09 = next(row for row in card.iter_rows(min_row=2) if row[1].value == "K09")
    assert round(k09[6].value, 1) == 166.7
    assert wb.worksheets[0]["B5"].value == "Tovuti kuu imeboreshwa."


def test_a_published_report_does_not_change_when_the_data_do(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    officer = personas["me_officer"]
    draft = services.report_create(plan, "annual", "2014/15", "en", officer.user)
    published = services.report_create(plan, "annual", "2014/15", "en", officer.user)
    published = services.report_publish(published, officer.user)
    assert published.data_as_of == AS_OF and published.published_by == officer.user
    # The records change afterwards: a new value for K04 and a new target.
    Value.objects.filter(indicator=data["ind"]["K04"], period="2014/15", dimension="").update(
        value=Decimal("999"), computed_at=datetime(2016, 1, 1, tzinfo=UTC)
    )
    Target.objects.filter(indicator=data["ind"]["K04"], fiscal_year__code="2014/15", org_unit=None).update(value=1000)
    client = officer.client()
    client.cookies["tathmini_language"] = "en"
    frozen = client.get(reverse("reports:detail", args=[published.pk])).content.decode()
    assert "75.0%" in frozen and "999" not in frozen and "2015-08-01 12:30" in frozen
    frozen_pdf = pdf_text(client.get(reverse("reports:pdf", args=[published.pk])).content)
    assert "75.0%" in frozen_pdf and "999" not in frozen_pdf
    card = load_workbook(io.BytesIO(client.get(reverse("reports:xlsx", args=[published.pk])).content)).worksheets[1]
    k04 = next(row for row in card.iter_rows(min_row=2) if row[1].value == "K04")
    assert [k04[4].value, k04[5].value] == [150, 200]
    live = client.get(reverse("reports:detail", args=[draft.pk])).content.decode()
    assert "999" in live and "2016-01-01 03:00" in live
    # Nothing changes a published report again.
    with pytest.raises(Exception, match="frozen"):
        services.report_update(published, officer.user, achievements="later")
    assert client.post(reverse("reports:edit", args=[published.pk]), {"language": "en"}).status_code == 302
    published.refresh_from_db()
    assert published.achievements == ""


def test_the_print_html_drops_only_whitespace_that_never_shows() -> None:
    html = (
        '<table>\n  <tr>\n    <th scope="row"><span class="code">K04</span> Number</th>\n'
        "    <td>150</td>\n  </tr>\n</table>\n"
        '<ul class="rating-counts"><li>On track <strong>3</strong></li> <li>At risk</li></ul>\n<p>A\nB</p>'
    )
    assert pdf.compact(html) == (
        '<table><tr><th scope="row"><span class="code">K04</span> Number</th><td>150</td></tr></table>'
        '<ul class="rating-counts"><li>On track <strong>3</strong></li> <li>At risk</li></ul><p>A\nB</p>'
    )


class Spy:
    """Counts the calls of a renderer and passes them on to it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls = 0
        self.real = getattr(module, name)
        monkeypatch.setattr(module, name, self)

    def __call__(self, content: dict[str, Any]) -> bytes:
        self.calls += 1
        return bytes(self.real(content))


def change_k04(data: dict[str, Any]) -> None:
    """The records change after publication: a new value for K04 in 2014/15 and a new target."""
    Value.objects.filter(indicator=data["ind"]["K04"], period="2014/15", dimension="").update(
        value=Decimal("999"), computed_at=datetime(2016, 1, 1, tzinfo=UTC)
    )
    Target.objects.filter(indicator=data["ind"]["K04"], fiscal_year__code="2014/15", org_unit=None).update(value=1000)


def test_a_published_reports_files_are_rendered_once_and_kept(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona], monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = personas["me_officer"]
    report = services.report_create(plan, "annual", "2014/15", "en", officer.user)
    services.report_update(report, officer.user, is_public=True)
    report = services.report_publish(report, officer.user)
    render_pdf = Spy(monkeypatch, pdf, "render_pdf")
    render_xlsx = Spy(monkeypatch, xlsx, "report_xlsx")
    client = officer.client()
    pdf_url, xlsx_url = reverse("reports:pdf", args=[report.pk]), reverse("reports:xlsx", args=[report.pk])

    first = client.get(pdf_url)
    assert first.status_code == 200 and render_pdf.calls == 1
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == 'attachment; filename="ega-2012-2017-annual-2014-15-en.pdf"'
    assert "75.0%" in pdf_text(first.content)
    assert client.get(pdf_url).content == first.content and render_pdf.calls == 1
    first_xlsx = client.get(xlsx_url).content
    assert client.get(xlsx_url).content == first_xlsx and render_xlsx.calls == 1
    kept = ReportFile.objects.filter(report=report)
    assert sorted(kept.values_list("language", "format")) == [("en", "pdf"), ("en", "xlsx")]

    change_k04(data)
    # The same bytes, from storage, for staff, for anyone on the public link, and in another
    # process (nothing is held in memory: a new client, the rows are what is served).
    assert client.get(pdf_url).content == first.content
    public = personas["anonymous"].client().get(reverse("reports:public_pdf", args=[report.pk]))
    assert public.status_code == 200 and public.content == first.content
    assert personas["manager"].client().get(xlsx_url).content == first_xlsx
    assert (render_pdf.calls, render_xlsx.calls) == (1, 1)
    # Access rules still hold for kept files.
    assert personas["focal_person"].client().get(pdf_url).status_code == 403


def test_a_drafts_files_are_rendered_on_every_download_and_never_kept(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona], monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = personas["me_officer"]
    report = services.report_create(plan, "annual", "2014/15", "en", officer.user)
    render_pdf = Spy(monkeypatch, pdf, "render_pdf")
    client = officer.client()
    url = reverse("reports:pdf", args=[report.pk])
    before = pdf_text(client.get(url).content)
    assert "75.0%" in before and "999" not in before
    change_k04(data)
    after = pdf_text(client.get(url).content)
    # 999 against 1000: 99.9% of the target.
    assert "999" in after and "99.9%" in after and "75.0%" not in after
    assert render_pdf.calls == 2
    client.get(reverse("reports:xlsx", args=[report.pk]))
    assert not ReportFile.objects.exists()

    # Publishing freezes the numbers as they are then: the first published download is rendered
    # from the frozen content, not taken from anything a draft download left behind.
    services.report_publish(report, officer.user)
    published = pdf_text(client.get(url).content)
    assert "99.9%" in published and render_pdf.calls == 3
    assert ReportFile.objects.filter(report=report, format="pdf").count() == 1


def test_two_first_downloads_at_once_keep_one_file_and_serve_it(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona], monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = personas["me_officer"]
    report = services.report_publish(
        services.report_create(plan, "annual", "2014/15", "en", officer.user), officer.user
    )

    def render_while_another_request_keeps_its_copy(content: dict[str, Any]) -> bytes:
        # The other request finishes rendering first and keeps its bytes.
        ReportFile.objects.create(report=report, language="en", format="pdf", content=b"%PDF kept first")
        return b"%PDF rendered second"

    monkeypatch.setattr(pdf, "render_pdf", render_while_another_request_keeps_its_copy)
    response = officer.client().get(reverse("reports:pdf", args=[report.pk]))
    assert response.status_code == 200 and response.content == b"%PDF kept first"
    assert ReportFile.objects.filter(report=report).count() == 1


def test_report_workflow_through_the_pages_is_the_me_officers(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    officer = personas["me_officer"].client()
    response = officer.post(
        reverse("reports:create"),
        {"kind": "quarterly", "period": "2014/15-Q2", "language": "sw", "achievements": "Mafanikio"},
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:detail", args=[report.pk])
    assert (
        officer.post(
            reverse("reports:create"), {"kind": "annual", "period": "2014/15-Q2", "language": "sw"}
        ).status_code
        == 200
    )
    manager = personas["manager"].client()
    assert manager.get(reverse("reports:detail", args=[report.pk])).status_code == 200
    assert manager.post(reverse("reports:publish", args=[report.pk])).status_code == 403
    assert officer.post(reverse("reports:publish", args=[report.pk])).status_code == 302
    report.refresh_from_db()
    assert report.is_published and report.snapshot["tracking"]["periods"] == [
        "2014/15-Q1",
        "2014/15-Q2",
        "2014/15-Q3",
        "2014/15-Q4",
    ]
    k04 = next(line for o in report.snapshot["scorecard"]["objectives"] for line in o["lines"] if line["code"] == "K04")
    assert (k04["value"], k04["percent"]) == ("140", "70.0%")
    actions = list(AuditEvent.objects.filter(object_id=str(report.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["create", "update"]
    # Not public unless marked so: the public page answers 404 to anyone.
    assert personas["anonymous"].client().get(reverse("reports:public", args=[report.pk])).status_code == 404


def test_a_public_report_is_readable_by_anyone(plan: Plan, data: dict[str, Any], personas: dict[str, Persona]) -> None:
    officer = personas["me_officer"].user
    report = services.report_create(plan, "annual", "2014/15", "en", officer)
    services.report_update(report, officer, is_public=True)
    services.report_publish(report, officer)
    page = personas["anonymous"].client().get(reverse("reports:public", args=[report.pk]))
    assert page.status_code == 200 and "75.0%" in page.content.decode()


def test_strategy_map_shows_each_indicators_rating_in_text_and_stays_public(
    plan: Plan, data: dict[str, Any], personas: dict[str, Persona]
) -> None:
    client = personas["anonymous"].client()
    client.cookies["tathmini_language"] = "en"
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("strategy:map", args=[plan.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "rating in 2014/15, the latest fiscal year with values" in html
    assert html.count("rating rating-at_risk") == 1 and html.count("rating rating-on_track") == 1
    assert html.count("rating rating-off_track") == 1 and html.count("rating rating-no_data") == 20
    assert len(ctx.captured_queries) < 40
