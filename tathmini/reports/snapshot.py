"""The content of scorecards and M&E reports as plain data: every number already formatted in the
report's language, every chart already drawn as SVG.

One shape serves the scorecard page, a draft report (built on each view from the live values), a
published report (built once at publication and stored as JSON), and the HTML, PDF and XLSX
renderers, which only lay it out. Raw numbers travel as decimal strings beside their text, so the
XLSX gets numbers and a JSON round trip loses nothing.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tathmini.core import periods as P
from tathmini.measure.models import Value
from tathmini.measure.ratings import Rating
from tathmini.measure.views import format_value
from tathmini.reports import charts, selectors
from tathmini.strategy.models import Challenge, Indicator, OrgUnit, Plan

VERSION = 1
RATINGS = [r.value for r in Rating]


def raw(number: Decimal | None) -> str | None:
    return None if number is None else format(number, "f")


def percent(number: Decimal | None) -> str:
    return "" if number is None else f"{number:,.1f}%"


def rating_labels() -> dict[str, str]:
    return {r.value: str(r.label) for r in Rating}


def trend_labels() -> dict[str, str]:
    return {
        "improving": _("Improving"),
        "worsening": _("Worsening"),
        "steady": _("Steady"),
        "unknown": _("No earlier value"),
    }


TREND_MARKS = {"improving": "▲", "worsening": "▼", "steady": "►", "unknown": "–"}


def period_label(period: P.Period) -> str:
    if period.kind == "year":
        return _("Fiscal year %(code)s") % {"code": period.code}
    if period.kind == "quarter":
        return _("Quarter %(number)s of %(year)s") % {"number": period.code[-1], "year": period.fiscal_year.code}
    return period.code


def _cell(cell: selectors.Cell) -> dict[str, Any]:
    unit = cell.indicator.unit
    return {
        "period": cell.period.code,
        "value": format_value(cell.actual, unit),
        "value_raw": raw(cell.actual),
        "target": format_value(cell.target, unit),
        "target_raw": raw(cell.target),
        "percent": percent(cell.percent_of_target),
        "percent_raw": raw(cell.percent_of_target),
        "rating": str(cell.assessment.rating),
        "rating_label": str(Rating(cell.assessment.rating).label),
        "value_id": cell.value.pk if cell.value is not None else None,
    }


def _indicator(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "unit_label": str(indicator.get_unit_display()),
        "direction": indicator.direction,
    }


def scorecard(plan: Plan, period: P.Period, org_unit: OrgUnit | None = None) -> dict[str, Any]:
    """Objectives → indicators with value, target-to-date, % of target, rating and trend; the
    ratings' counts per objective and overall, and the chart of those counts."""
    cards = selectors.scorecard(plan, period, org_unit)
    labels, trends = rating_labels(), trend_labels()
    objectives = []
    total: Counter[str] = Counter()
    for card in cards:
        counts = card.counts
        total.update(counts)
        objectives.append(
            {
                "code": card.objective.code,
                "name": card.objective.name,
                "counts": [{"rating": r, "label": labels[r], "count": counts.get(r, 0)} for r in RATINGS],
                "lines": [
                    {
                        **_indicator(line.cell.indicator),
                        **_cell(line.cell),
                        "previous": format_value(line.previous, line.cell.indicator.unit),
                        "trend": line.trend,
                        "trend_label": trends[line.trend],
                        "trend_mark": TREND_MARKS[line.trend],
                        "strategies": [s.code for s in line.strategies],
                    }
                    for line in card.lines
                ],
            }
        )
    where = org_unit.name if org_unit else _("the Agency")
    chart = charts.ratings_bars(
        _("Ratings per objective, %(period)s") % {"period": period.code},
        _("How many of each objective's indicators are on track, at risk, off track or without data, for %(who)s.")
        % {"who": where},
        [(o["code"], {c["rating"]: c["count"] for c in o["counts"]}) for o in objectives],
        labels,
        chart_id="ratings",
    )
    return {
        "period": period.code,
        "period_label": period_label(period),
        "previous_period": selectors.previous_period(period).code,
        "org_unit": org_unit.name if org_unit else "",
        "objectives": objectives,
        "counts": [{"rating": r, "label": labels[r], "count": total.get(r, 0)} for r in RATINGS],
        "indicator_count": sum(total.values()),
        "chart": chart,
    }


def chart(chart: selectors.Chart, kind: str) -> dict[str, Any]:
    """One indicator's value against its target over the periods, the baseline, the trend forecast;
    the SVG and the rows of its table alternative."""
    indicator = chart.indicator
    unit = indicator.unit
    cells = [_cell(c) for c in chart.cells]
    x_labels = [
        c.period.code if kind == "year" else f"{c.period.code[2:4]}/{c.period.code[5:7]} Q{c.period.code[-1]}"
        for c in chart.cells
    ]
    series = [
        charts.Series(_("Actual"), [c.actual for c in chart.cells], "solid", "#0b5e3c"),
        charts.Series(_("Target"), [c.target for c in chart.cells], "dashed", "#c58b00"),
    ]
    if any(v is not None for v in chart.forecast):
        series.append(charts.Series(_("Forecast"), chart.forecast, "dotted", "#5b6770"))
    baseline = chart.baseline.value if chart.baseline else None
    title = _("%(code)s: value against target") % {"code": indicator.code}
    description = _("%(name)s, per %(kind)s, in %(unit)s: the actual values, the targets%(extra)s.") % {
        "name": indicator.name,
        "kind": _("fiscal year") if kind == "year" else _("quarter"),
        "unit": indicator.get_unit_display(),
        "extra": _(", the baseline and the trend forecast") if kind == "year" else "",
    }
    svg = charts.line_chart(
        title,
        description,
        x_labels,
        series,
        baseline=baseline,
        chart_id=f"{indicator.code}-{kind}",
        baseline_label=_("Baseline") if baseline is not None else "",
    )
    for row, forecast in zip(cells, chart.forecast or [None] * len(cells), strict=True):
        row["forecast"] = format_value(forecast, unit)
    return {
        **_indicator(indicator),
        "kind": kind,
        "title": title,
        "svg": svg,
        "rows": cells,
        "baseline": format_value(baseline, unit),
        "baseline_year": chart.baseline.fiscal_year.code if chart.baseline else "",
        "forecast": format_value(chart.forecast_final, unit),
        "final_target": format_value(chart.final_target, unit),
        "likely": chart.likely,
    }


def tracking(
    plan: Plan,
    kind: str = "year",
    org_unit: OrgUnit | None = None,
    objective: Any = None,
    dimension: str = "",
    group: str = "",
    periods: list[P.Period] | None = None,
    group_by: str = "objective",
) -> dict[str, Any]:
    """The indicator performance tracking table as data."""
    found_periods, groups = selectors.tracking_table(
        plan, kind, org_unit, objective, dimension, group, periods=periods, group_by=group_by
    )
    return {
        "periods": [p.code for p in found_periods],
        "columns": 1 + 3 * len(found_periods),
        "groups": [
            {
                "code": getattr(head, "code", "") if head else "",
                "name": head.name if head else _("Not assigned"),
                "rows": [{**_indicator(row.indicator), "cells": [_cell(c) for c in row.cells]} for row in rows],
            }
            for head, rows in groups
        ],
    }


def data_as_of(plan: Plan) -> str | None:
    """When the newest of the plan's stored values was computed: what the report's numbers reflect."""
    latest = Value.objects.filter(indicator__plan=plan).aggregate(at=Max("computed_at"))["at"]
    return latest.isoformat() if latest else None


def report_periods(plan: Plan, kind: str, period: P.Period) -> tuple[str, list[P.Period]]:
    """The period kind and the columns of a report's tracking table and charts: the plan's fiscal
    years for an annual report, the quarters of the year for a quarterly one."""
    if kind == "annual":
        return "year", [P.parse(c) for c in plan.fiscal_years.values_list("code", flat=True)]
    return "quarter", P.quarters_of(period.fiscal_year)


def build(plan: Plan, kind: str, period: P.Period, language: str, narrative: dict[str, str]) -> dict[str, Any]:
    """Everything a report shows, in its language."""
    with translation.override(language):
        return _build(plan, kind, period, language, narrative)


def _build(plan: Plan, kind: str, period: P.Period, language: str, narrative: dict[str, str]) -> dict[str, Any]:
    from tathmini.reports.models import Report

    card = scorecard(plan, period)
    chart_kind, columns = report_periods(plan, kind, period)
    all_charts = selectors.indicator_charts(plan, (chart_kind,), only=columns)[chart_kind]
    by_objective: dict[str, list[dict[str, Any]]] = {}
    for objective in card["objectives"]:
        by_objective[objective["code"]] = [
            chart(all_charts[line["code"]], chart_kind) for line in objective["lines"] if line["code"] in all_charts
        ]
    for objective in card["objectives"]:
        objective["charts"] = by_objective[objective["code"]]
    ratings_by_code = {line["code"]: line for o in card["objectives"] for line in o["lines"]}
    results = []
    for result in plan.expected_results.prefetch_related("indicators"):
        results.append(
            {
                "code": result.code,
                "name": result.name,
                "indicators": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "value": ratings_by_code[i.code]["value"] if i.code in ratings_by_code else "",
                        "rating": ratings_by_code[i.code]["rating"] if i.code in ratings_by_code else "no_data",
                        "rating_label": ratings_by_code[i.code]["rating_label"]
                        if i.code in ratings_by_code
                        else str(Rating.NO_DATA.label),
                    }
                    for i in result.indicators.all()
                ],
            }
        )
    challenges = [
        {
            "code": c.code,
            "text": c.text,
            "status": c.status,
            "status_label": str(c.get_status_display()),
            "risk": c.risk_score,
            "likelihood": c.likelihood,
            "impact": c.impact,
            "mitigation": c.mitigation,
            "strategies": [s.code for s in c.strategies.all()],
        }
        for c in Challenge.objects.filter(plan=plan).prefetch_related("strategies")
    ]
    kind_label = str(Report.Kind(kind).label)
    return {
        "version": VERSION,
        "language": language,
        "plan": {"code": plan.code, "name": plan.name, "organisation": plan.organisation},
        "kind": kind,
        "kind_label": kind_label,
        "title": f"{kind_label} {period.code}",
        "period": {
            "code": period.code,
            "label": period_label(period),
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "as_of": data_as_of(plan),
        "generated_at": timezone.now().isoformat(),
        "rating_labels": rating_labels(),
        "scorecard": card,
        "tracking": tracking(plan, chart_kind, periods=columns),
        "expected_results": results,
        "challenges": challenges,
        "narrative": {
            "achievements": narrative.get("achievements", ""),
            "challenges": narrative.get("challenges", ""),
            "way_forward": narrative.get("way_forward", ""),
        },
    }
