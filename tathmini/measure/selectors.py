"""Reads of indicator values for pages and reports: value, target-to-date, rating, per period."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tathmini.core import periods as P
from tathmini.measure import engine, ratings
from tathmini.measure.models import Definition, Value
from tathmini.strategy.models import Indicator, OrgUnit


@dataclass
class Point:
    period: P.Period
    value: Value | None
    target: Decimal | None
    assessment: ratings.Assessment

    @property
    def actual(self) -> Decimal | None:
        return self.value.value if self.value is not None else None

    @property
    def percent_of_target(self) -> Decimal | None:
        if self.actual is None or not self.target:
            return None
        return self.actual / self.target * 100


def _targets(
    indicator: Indicator, org_unit: OrgUnit | None
) -> tuple[dict[str, Decimal], dict[tuple[str, int], Decimal]]:
    year: dict[str, Decimal] = {}
    quarter: dict[tuple[str, int], Decimal] = {}
    for t in indicator.targets.filter(org_unit=org_unit).select_related("fiscal_year"):
        if t.quarter:
            quarter[(t.fiscal_year.code, t.quarter)] = t.value
        else:
            year[t.fiscal_year.code] = t.value
    return year, quarter


def definition_of(indicator: Indicator) -> Definition | None:
    return engine.current_definition(indicator)


def series(
    indicator: Indicator,
    *,
    kind: str = "year",
    dimension: str = "",
    group: str = "",
    org_unit: OrgUnit | None = None,
) -> list[Point]:
    """The indicator over the plan's periods of one kind, each against its target and rated.

    ``org_unit`` selects that unit's values (the org_unit disaggregation) and its own targets.
    """
    if org_unit is not None:
        dimension, group = "org_unit", str(org_unit.pk)
    definition = definition_of(indicator)
    spec: dict[str, Any] = definition.spec if definition else {}
    cumulative = spec.get("cumulation") == "cumulative"
    rules = spec.get("rating")
    values = {
        v.period: v
        for v in Value.objects.filter(indicator=indicator, period_kind=kind, dimension=dimension, group=group)
    }
    year_targets, quarter_targets = _targets(indicator, org_unit)
    out = []
    for period in engine.plan_periods(indicator.plan, [kind]):
        value = values.get(period.code)
        target = ratings.target_to_date(period, year_targets, quarter_targets, cumulative)
        actual = value.value if value is not None else None
        out.append(Point(period, value, target, ratings.rate(actual, target, indicator.direction, rules)))
    return out


def forecast(indicator: Indicator, points: list[Point], org_unit: OrgUnit | None = None) -> dict[str, Any]:
    """Trend of the yearly values to the plan's last year, and whether it meets the final target."""
    yearly = [(i, p.actual) for i, p in enumerate(points) if p.period.kind == "year" and p.actual is not None]
    if not points:
        return {"value": None, "likely": None, "final_target": None}
    final_index = len(points) - 1
    value = ratings.forecast(yearly, final_index)
    year_targets, _ = _targets(indicator, org_unit)
    final_target = year_targets.get(points[-1].period.code)
    return {
        "value": value,
        "likely": ratings.likely_to_meet(value, final_target, indicator.direction),
        "final_target": final_target,
    }


def breakdown(indicator: Indicator, period_code: str, dimension: str) -> list[Value]:
    return list(Value.objects.filter(indicator=indicator, period=period_code, dimension=dimension).order_by("group"))
