"""Reads for the management reports: the scorecard and the indicator tracking table.

Both read stored values (measure.Value) and targets in a fixed number of queries, whatever the
number of indicators and periods, and rate each value with measure.ratings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from tathmini.core import periods as P
from tathmini.measure import engine, ratings
from tathmini.measure.models import Definition, Value
from tathmini.strategy.models import Baseline, Indicator, Objective, OrgUnit, Plan, Target


@dataclass
class Cell:
    indicator: Indicator
    period: P.Period
    actual: Decimal | None
    target: Decimal | None
    assessment: ratings.Assessment
    value: Value | None = None

    @property
    def percent_of_target(self) -> Decimal | None:
        if self.actual is None or not self.target:
            return None
        return self.actual / self.target * 100


@dataclass
class ScoreLine:
    cell: Cell
    previous: Decimal | None
    strategies: list[Any]

    @property
    def trend(self) -> str:
        """improving / worsening / steady / unknown, direction-aware."""
        now, before = self.cell.actual, self.previous
        if now is None or before is None:
            return "unknown"
        if now == before:
            return "steady"
        better = now > before if self.cell.indicator.direction != "down" else now < before
        return "improving" if better else "worsening"


@dataclass
class ObjectiveCard:
    objective: Objective
    lines: list[ScoreLine] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[line.cell.assessment.rating] += 1
        return dict(out)


class _Context:
    """Values, targets, baselines and rules of a plan's indicators for one group, loaded once."""

    def __init__(
        self,
        plan: Plan,
        org_unit: OrgUnit | None,
        period_codes: list[str],
        dimension: str = "",
        group: str = "",
    ) -> None:
        self.org_unit = org_unit
        if org_unit is not None:
            dimension, group = "org_unit", str(org_unit.pk)
        self.dimension, self.group = dimension, group
        self.indicators = list(
            plan.indicators.select_related("objective", "responsible_unit").prefetch_related("strategies")
        )
        self.values = {
            (v.indicator_id, v.period): v
            for v in Value.objects.filter(
                indicator__plan=plan, period__in=period_codes, dimension=self.dimension, group=self.group
            )
        }
        self.year_targets: dict[int, dict[str, Decimal]] = defaultdict(dict)
        self.quarter_targets: dict[int, dict[tuple[str, int], Decimal]] = defaultdict(dict)
        for t in Target.objects.filter(indicator__plan=plan, org_unit=org_unit).select_related("fiscal_year"):
            if t.quarter:
                self.quarter_targets[t.indicator_id][(t.fiscal_year.code, t.quarter)] = t.value
            else:
                self.year_targets[t.indicator_id][t.fiscal_year.code] = t.value
        self.baselines: dict[int, Baseline] = {
            b.indicator_id: b
            for b in Baseline.objects.filter(indicator__plan=plan, org_unit=org_unit).select_related("fiscal_year")
        }
        self.specs: dict[int, dict[str, Any]] = {}
        for d in Definition.objects.filter(indicator__plan=plan).order_by("indicator_id", "version"):
            self.specs[d.indicator_id] = d.spec  # the newest version wins

    def cell(self, indicator: Indicator, period: P.Period) -> Cell:
        spec = self.specs.get(indicator.pk, {})
        value = self.values.get((indicator.pk, period.code))
        actual = value.value if value is not None else None
        target = ratings.target_to_date(
            period,
            self.year_targets[indicator.pk],
            self.quarter_targets[indicator.pk],
            spec.get("cumulation") == "cumulative",
        )
        return Cell(
            indicator,
            period,
            actual,
            target,
            ratings.rate(actual, target, indicator.direction, spec.get("rating")),
            value,
        )


def previous_period(period: P.Period) -> P.Period:
    """The period of the same kind just before this one."""
    if period.kind == "year":
        return P.fiscal_year(period.start.year - 1)
    if period.kind == "quarter":
        return _previous_quarter(period)
    return P.month(period.start.year - (period.start.month == 1), (period.start.month - 2) % 12 + 1)


def _previous_quarter(period: P.Period) -> P.Period:
    fy = P.fiscal_year_of(period.start)
    number = int(period.code[-1])
    if number == 1:
        return P.quarter(fy.start.year - 1, 4)
    return P.quarter(fy.start.year, number - 1)


def org_unit_subtree(org_unit: OrgUnit) -> set[int]:
    """The unit and every unit below it (one query: the tree is tens of units)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in OrgUnit.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found, todo = set(), [org_unit.pk]
    while todo:
        node = todo.pop()
        found.add(node)
        todo.extend(children[node])
    return found


def _for_unit(context: _Context, org_unit: OrgUnit | None) -> list[Indicator]:
    """The indicators a scorecard shows: all of them for the Agency; for an org unit, those it (or
    a unit below it) answers for and those with a value of the unit's own."""
    if org_unit is None:
        return context.indicators
    units = org_unit_subtree(org_unit)
    with_values = {indicator_id for indicator_id, _period in context.values}
    return [i for i in context.indicators if i.responsible_unit_id in units or i.pk in with_values]


def scorecard(plan: Plan, period: P.Period, org_unit: OrgUnit | None = None) -> list[ObjectiveCard]:
    """Objectives with their indicators' value, target-to-date, rating and trend for one period.

    For an org unit: the unit's own values (its records and those of the units below it) against
    its own targets, for the indicators it answers for or has values of. A fixed number of queries.
    """
    before = previous_period(period)
    context = _Context(plan, org_unit, [period.code, before.code])
    cards = {o.pk: ObjectiveCard(o) for o in plan.objectives.all()}
    for indicator in _for_unit(context, org_unit):
        if indicator.objective_id not in cards:
            continue
        cell = context.cell(indicator, period)
        previous_value = context.values.get((indicator.pk, before.code))
        cards[indicator.objective_id].lines.append(
            ScoreLine(cell, previous_value.value if previous_value else None, list(indicator.strategies.all()))
        )
    return list(cards.values())


def latest_year_with_values(plan: Plan) -> P.Period | None:
    """The latest of the plan's fiscal years in which any indicator has an Agency value."""
    start = (
        Value.objects.filter(indicator__plan=plan, period_kind="year", dimension="", value__isnull=False)
        .aggregate(latest=Max("period_start"))
        .get("latest")
    )
    return P.fiscal_year_of(start) if start else None


def default_period(plan: Plan) -> P.Period | None:
    """What a scorecard opens on: the latest fiscal year with values, else the plan's year that
    holds today, else its last year."""
    found = latest_year_with_values(plan)
    if found is not None:
        return found
    years = [P.parse(code) for code in plan.fiscal_years.values_list("code", flat=True)]
    today = timezone.localdate()
    return next((y for y in years if today in y), years[-1] if years else None)


def map_ratings(plan: Plan) -> tuple[P.Period | None, dict[int, Cell]]:
    """Each indicator's rating in the latest fiscal year with values (for the strategy map)."""
    year = latest_year_with_values(plan)
    if year is None:
        return None, {}
    context = _Context(plan, None, [year.code])
    return year, {i.pk: context.cell(i, year) for i in context.indicators}


@dataclass
class TrackingRow:
    indicator: Indicator
    cells: list[Cell]


@dataclass
class Chart:
    """One indicator over the plan's periods of one kind, as the chart and its table show it."""

    indicator: Indicator
    cells: list[Cell]
    baseline: Baseline | None
    forecast: list[Decimal | None]  # the trend line, one point per period (years only)
    final_target: Decimal | None
    likely: bool | None

    @property
    def forecast_final(self) -> Decimal | None:
        return self.forecast[-1] if self.forecast else None


def _chart(context: _Context, indicator: Indicator, periods: list[P.Period]) -> Chart:
    cells = [context.cell(indicator, p) for p in periods]
    forecast: list[Decimal | None] = []
    final_target = None
    likely = None
    if periods and all(p.kind == "year" for p in periods):
        known: list[tuple[int, Decimal]] = [(i, c.actual) for i, c in enumerate(cells) if c.actual is not None]
        if known:
            # The trend from the last actual value to the plan's last year, drawn dotted.
            last = known[-1][0]
            forecast = [ratings.forecast(known, i) if i >= last else None for i in range(len(periods))]
        final_target = context.year_targets[indicator.pk].get(periods[-1].code)
        likely = ratings.likely_to_meet(forecast[-1] if forecast else None, final_target, indicator.direction)
    return Chart(indicator, cells, context.baselines.get(indicator.pk), forecast, final_target, likely)


def indicator_charts(
    plan: Plan,
    kinds: tuple[str, ...] = ("year", "quarter"),
    org_unit: OrgUnit | None = None,
    codes: list[str] | None = None,
    only: list[P.Period] | None = None,
) -> dict[str, dict[str, Chart]]:
    """Charts of the plan's indicators (all, or those named), per period kind: {kind: {code: Chart}}.
    ``only`` limits the periods (a quarterly report charts its year's quarters). Fixed queries."""
    periods = {kind: [p for p in engine.plan_periods(plan, [kind]) if only is None or p in only] for kind in kinds}
    context = _Context(plan, org_unit, [p.code for ps in periods.values() for p in ps])
    wanted = [i for i in context.indicators if codes is None or i.code in codes]
    return {kind: {i.code: _chart(context, i, periods[kind]) for i in wanted} for kind in kinds}


def tracking_table(
    plan: Plan,
    kind: str = "year",
    org_unit: OrgUnit | None = None,
    objective: Objective | None = None,
    dimension: str = "",
    group: str = "",
    periods: list[P.Period] | None = None,
    group_by: str = "objective",
) -> tuple[list[P.Period], list[tuple[Objective | OrgUnit | None, list[TrackingRow]]]]:
    """The Indicator Performance Tracking Table: indicators × periods, each cell target / actual /
    % of target, grouped by objective or by responsible org unit. ``dimension``/``group`` select
    a disaggregation (category, region) against the Agency's targets; ``org_unit`` the unit's own
    values against its own targets (it takes precedence). A fixed number of queries."""
    periods = periods if periods is not None else engine.plan_periods(plan, [kind])
    if org_unit is not None:
        dimension, group = "", ""
    context = _Context(plan, org_unit, [p.code for p in periods], dimension, group)
    rows: dict[int | None, list[TrackingRow]] = defaultdict(list)
    for indicator in _for_unit(context, org_unit):
        if objective is not None and indicator.objective_id != objective.pk:
            continue
        key = indicator.responsible_unit_id if group_by == "org_unit" else indicator.objective_id
        rows[key].append(TrackingRow(indicator, [context.cell(indicator, p) for p in periods]))
    heads: dict[int, Objective | OrgUnit]
    if group_by == "org_unit":
        heads = {i.responsible_unit.pk: i.responsible_unit for i in context.indicators if i.responsible_unit}

        def order(head: Any) -> tuple[Any, ...]:
            return (head is None, head.code if head else "")

    else:
        heads = {o.pk: o for o in plan.objectives.all()}

        def order(head: Any) -> tuple[Any, ...]:
            return (head is None, head.order if head else 0, head.code if head else "")

    grouped = [(heads.get(pk) if pk else None, found) for pk, found in rows.items()]
    grouped.sort(key=lambda item: order(item[0]))
    return periods, grouped
