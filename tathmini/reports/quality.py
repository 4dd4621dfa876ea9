"""Data-quality checks: who is late with returns, which values stand out against their history,
which indicators have no value for a period. Each check is a fixed number of queries.

A return for a period falls due ``REPORTS_RETURN_GRACE_DAYS`` days after the period ends
(default 30): e-service usage returns per e-service for every period that is reported on, ICT
workforce returns once per fiscal year.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from tathmini.core import periods as P
from tathmini.measure.models import Definition, Value
from tathmini.registry.models import EService, Institution, UsageReturn, WorkforceReturn
from tathmini.strategy.models import Indicator, Plan

# A value is an outlier when its modified z-score against the earlier values of the same indicator
# (0.6745 × |value − median| ÷ median absolute deviation) is above this (Iglewicz and Hoaglin's 3.5).
OUTLIER_SCORE = Decimal("3.5")
MIN_HISTORY = 4  # fewer earlier values say too little to call anything unusual


def grace() -> timedelta:
    return timedelta(days=settings.REPORTS_RETURN_GRACE_DAYS)


def due_date(period: P.Period) -> date:
    return period.end + grace()


@dataclass
class LateInstitution:
    institution: Institution
    kind: str  # "usage" or "workforce"
    period: P.Period
    missing: int  # e-services without a usage return; 1 for a workforce return
    due: date


def _active_on(day: date) -> Q:
    return (Q(established_on__isnull=True) | Q(established_on__lte=day)) & (
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)
    )


def late_usage(period: P.Period, today: date | None = None) -> list[LateInstitution]:
    """Institutions with e-services live at the period's end and no usage return starting in the
    period, once the returns are due."""
    today = today or timezone.localdate()
    if today <= due_date(period):
        return []
    return missing_usage(period)


def missing_usage(period: P.Period) -> list[LateInstitution]:
    """Institutions with e-services live at the period's end and no usage return starting in it."""
    reported = UsageReturn.objects.filter(
        eservice=OuterRef("pk"), period_start__gte=period.start, period_start__lte=period.end
    )
    rows = (
        EService.objects.live_on(period.end)
        .filter(institution__in=Institution.objects.filter(_active_on(period.end)))
        .annotate(reported=Exists(reported))
        .filter(reported=False)
        .values("institution_id")
        .annotate(missing=Count("pk"))
    )
    missing = {row["institution_id"]: row["missing"] for row in rows}
    institutions = Institution.objects.filter(pk__in=missing).order_by("code")
    return [LateInstitution(i, "usage", period, missing[i.pk], due_date(period)) for i in institutions]


def late_workforce(period: P.Period, today: date | None = None) -> list[LateInstitution]:
    """Active institutions without an ICT workforce return dated in the fiscal year, once due."""
    fy = period.fiscal_year
    today = today or timezone.localdate()
    if today <= due_date(fy):
        return []
    return missing_workforce(fy)


def missing_workforce(fy: P.Period) -> list[LateInstitution]:
    """Institutions active at the fiscal year's end without an ICT workforce return dated in it."""
    returned = WorkforceReturn.objects.filter(institution=OuterRef("pk"), as_of__gte=fy.start, as_of__lte=fy.end)
    institutions = (
        Institution.objects.filter(_active_on(fy.end)).annotate(returned=Exists(returned)).filter(returned=False)
    )
    return [LateInstitution(i, "workforce", fy, 1, due_date(fy)) for i in institutions.order_by("code")]


def late_returns(period: P.Period, today: date | None = None) -> list[LateInstitution]:
    return late_usage(period, today) + late_workforce(period, today)


@dataclass
class Outlier:
    indicator: Indicator
    period: str
    value: Decimal
    median: Decimal
    score: Decimal | None  # None: the history never varied, and this value departs from it
    history: int


def _median_absolute_deviation(values: list[Decimal], median: Decimal) -> Decimal:
    return Decimal(statistics.median([abs(v - median) for v in values]))


def outliers(plan: Plan, kind: str = "quarter") -> list[Outlier]:
    """The Agency's values that depart from the same indicator's earlier values of the same kind."""
    rows = (
        Value.objects.filter(indicator__plan=plan, period_kind=kind, dimension="", value__isnull=False)
        .select_related("indicator")
        .order_by("indicator__order", "indicator__code", "period_start")
    )
    found: list[Outlier] = []
    history: list[Decimal] = []
    current: int | None = None
    for row in rows:
        if row.indicator_id != current:
            current, history = row.indicator_id, []
        value = row.value
        assert value is not None  # noqa: S101  (filtered above)
        if len(history) >= MIN_HISTORY:
            median = Decimal(statistics.median(history))
            mad = _median_absolute_deviation(history, median)
            if mad:
                score = Decimal("0.6745") * abs(value - median) / mad
                if score > OUTLIER_SCORE:
                    found.append(Outlier(row.indicator, row.period, value, median, score, len(history)))
            elif value != median and abs(value - median) > abs(median) / 2:
                # A flat history has no spread to measure against: a jump of more than half is unusual.
                found.append(Outlier(row.indicator, row.period, value, median, None, len(history)))
        history.append(value)
    return found


@dataclass
class Missing:
    indicator: Indicator
    reason: str  # "no_definition", "no_value", "no_denominator"


def missing_values(plan: Plan, period: P.Period) -> list[Missing]:
    """The plan's indicators without an Agency value for the period, and why."""
    values = {
        v["indicator_id"]: v
        for v in Value.objects.filter(indicator__plan=plan, period=period.code, dimension="").values(
            "indicator_id", "value", "denominator"
        )
    }
    defined = set(Definition.objects.filter(indicator__plan=plan).values_list("indicator_id", flat=True))
    out = []
    for indicator in plan.indicators.order_by("order", "code"):
        row = values.get(indicator.pk)
        if row is not None and row["value"] is not None:
            continue
        if row is None:
            reason = "no_value" if indicator.pk in defined else "no_definition"
        else:
            reason = "no_denominator" if row["denominator"] in (None, 0) else "no_value"
        out.append(Missing(indicator, reason))
    return out
