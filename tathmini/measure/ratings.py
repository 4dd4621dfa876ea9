"""Ratings against targets, and a simple forecast to the end of the plan.

A rating rule is an ordered list of conditions; the first that holds gives the rating. The
default: on track within 15% of the target-to-date (direction-aware: for an indicator where lower
is better, being under the target is good), at risk down to 30% short, off track beyond that;
*no data* without a value, *no target* without a target. An indicator's definition may carry its
own rules under ``rating`` (docs/indicator-language.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tathmini.core import periods as P


class Rating(TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_DATA = "no_data", _("No data")
    NO_TARGET = "no_target", _("No target")


DEFAULT_RULES: list[dict[str, Any]] = [
    {"if": {"deviation": {"gte": -0.15}}, "then": Rating.ON_TRACK.value},
    {"if": {"deviation": {"gte": -0.30}}, "then": Rating.AT_RISK.value},
    {"then": Rating.OFF_TRACK.value},
]
MEASURES = ("deviation", "achievement", "value")
COMPARISONS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


def validate_rules(rules: Any, path: str = "rating") -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not isinstance(rules, list) or not rules:
        return [(path, gettext("list the conditions in order; the first that holds gives the rating"))]
    for i, rule in enumerate(rules):
        p = f"{path}[{i}]"
        if not isinstance(rule, dict) or set(rule) - {"if", "then"} or "then" not in rule:
            problems.append((p, gettext("a rule is {if: {measure: {op: number}}, then: rating}; the last may omit if")))
            continue
        if rule["then"] not in (Rating.ON_TRACK, Rating.AT_RISK, Rating.OFF_TRACK):
            problems.append((f"{p}.then", gettext("must be on_track, at_risk or off_track")))
        condition = rule.get("if")
        if condition is None:
            continue
        if not isinstance(condition, dict) or not condition:
            problems.append((f"{p}.if", gettext("must map a measure to a comparison")))
            continue
        for measure, comparison in condition.items():
            if measure not in MEASURES:
                problems.append(
                    (f"{p}.if.{measure}", gettext("must be one of %(choices)s") % {"choices": ", ".join(MEASURES)})
                )
            elif not isinstance(comparison, dict) or not comparison:
                problems.append((f"{p}.if.{measure}", gettext("must be {gte: number} or similar")))
            else:
                for op, number in comparison.items():
                    if op not in COMPARISONS:
                        problems.append(
                            (
                                f"{p}.if.{measure}.{op}",
                                gettext("must be one of %(choices)s") % {"choices": ", ".join(COMPARISONS)},
                            )
                        )
                    elif not isinstance(number, (int, float)) or isinstance(number, bool):
                        problems.append((f"{p}.if.{measure}.{op}", gettext("must be a number")))
    if rules and isinstance(rules[-1], dict) and "if" in rules[-1]:
        problems.append(
            (
                f"{path}[{len(rules) - 1}]",
                gettext("the last rule must have no condition (leave out if), so every value gets a rating"),
            )
        )
    return problems


@dataclass(frozen=True)
class Assessment:
    rating: str
    target: Decimal | None
    deviation: Decimal | None  # (actual − target) ÷ |target|, signed so that positive is better
    achievement: Decimal | None  # actual ÷ target (higher is better) or target ÷ actual (lower is better)


def rate(
    actual: Decimal | None, target: Decimal | None, direction: str, rules: list[dict[str, Any]] | None = None
) -> Assessment:
    if actual is None:
        return Assessment(Rating.NO_DATA, target, None, None)
    if target is None:
        return Assessment(Rating.NO_TARGET, None, None, None)
    up = direction != "down"
    deviation = None
    if target != 0:
        deviation = ((actual - target) if up else (target - actual)) / abs(target)
    achievement = None
    if up and target != 0:
        achievement = actual / target
    elif not up and actual != 0:
        achievement = target / actual
    measures: dict[str, Decimal | None] = {"deviation": deviation, "achievement": achievement, "value": actual}

    def holds(measure: str, comparison: dict[str, Any]) -> bool:
        value = measures[measure]
        return value is not None and all(
            getattr(value, COMPARISONS[op])(Decimal(str(n))) for op, n in comparison.items()
        )

    for rule in rules or DEFAULT_RULES:
        condition = rule.get("if")
        if condition is None or all(holds(m, comp) for m, comp in condition.items()):
            return Assessment(rule["then"], target, deviation, achievement)
    return Assessment(Rating.OFF_TRACK, target, deviation, achievement)


def target_to_date(
    period: P.Period,
    year_targets: dict[str, Decimal],
    quarter_targets: dict[tuple[str, int], Decimal],
    cumulative: bool,
) -> Decimal | None:
    """The target a period's value is held against.

    A fiscal year: its target. A quarter: its own target if set (for a cumulative indicator, the
    sum of the year's quarter targets so far); otherwise the year's target (for a cumulative
    indicator, the share of it due by the quarter's end). A month: like the quarter it falls in,
    pro rata by month for a cumulative indicator.
    """
    fy = P.fiscal_year_of(period.start)
    year = year_targets.get(fy.code)
    if period.kind == "year":
        return year
    quarter = (period.start.month - 7) % 12 // 3 + 1
    months_done = (period.end.month - 7) % 12 + 1
    if (fy.code, quarter) in quarter_targets:
        if not cumulative:
            return quarter_targets[(fy.code, quarter)]
        keys = [(fy.code, q) for q in range(1, quarter + 1)]
        if any(key not in quarter_targets for key in keys):
            return None
        total = sum((quarter_targets[key] for key in keys), Decimal(0))
        if period.kind == "month" and months_done % 3:
            # inside the quarter: the earlier quarters plus this quarter's share so far
            total -= quarter_targets[(fy.code, quarter)] * (3 - months_done % 3) / 3
        return total
    if year is None:
        return None
    return year * Decimal(months_done) / 12 if cumulative else year


def forecast(points: list[tuple[int, Decimal]], final_x: int) -> Decimal | None:
    """A straight-line (least-squares) trend through (year index, value) points, at ``final_x``.

    With one point the forecast is that value; with none, there is none.
    """
    if not points:
        return None
    if len(points) == 1:
        return points[0][1]
    n = Decimal(len(points))
    sx = sum(Decimal(x) for x, _ in points)
    sy = sum(y for _, y in points)
    sxx = sum(Decimal(x) * Decimal(x) for x, _ in points)
    sxy = sum(Decimal(x) * y for x, y in points)
    denominator = n * sxx - sx * sx
    if denominator == 0:
        return sy / n
    slope = (n * sxy - sx * sy) / denominator
    intercept = (sy - slope * sx) / n
    return intercept + slope * Decimal(final_x)


def likely_to_meet(forecast_value: Decimal | None, final_target: Decimal | None, direction: str) -> bool | None:
    if forecast_value is None or final_target is None:
        return None
    return forecast_value >= final_target if direction != "down" else forecast_value <= final_target
