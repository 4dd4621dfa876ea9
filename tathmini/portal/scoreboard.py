"""The open scoreboard: every indicator of the current plan, per fiscal year, against its target,
rated, in plain words. The page, its CSV and its JSON read this one function, in five queries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tathmini.measure import ratings
from tathmini.measure.models import Definition, Value
from tathmini.strategy.models import Indicator, Plan, Target


@dataclass
class Year:
    code: str
    value: Decimal | None
    target: Decimal | None
    assessment: ratings.Assessment

    @property
    def rating(self) -> str:
        return str(self.assessment.rating)

    @property
    def rating_label(self) -> str:
        return str(ratings.Rating(self.assessment.rating).label)


@dataclass
class Row:
    indicator: Indicator
    years: list[Year]


def grouped(value: Decimal | float | int, places: int = 0) -> str:
    """Thousands separated by commas, as Tanzanian figures are written: 1,204,000.5."""
    return f"{value:,.{places}f}"


def shown(value: Decimal | None, unit: str) -> str:
    """A value as the public reads it: "72.5%", "1,204", "TZS 3,000,000", "12.5 days"."""
    if value is None:
        return ""
    places = 0 if unit in (Indicator.Unit.COUNT, Indicator.Unit.CURRENCY) else 1
    number = grouped(value, places)
    if unit == Indicator.Unit.PERCENT:
        return f"{number}%"
    if unit == Indicator.Unit.CURRENCY:
        return _("TZS %(amount)s") % {"amount": number}
    if unit == Indicator.Unit.DAYS:
        return _("%(number)s days") % {"number": number}
    if unit == Indicator.Unit.SCORE:
        return _("%(number)s of 100") % {"number": number}
    return number


def scoreboard(plan: Plan) -> dict[str, Any]:
    indicators = list(Indicator.objects.filter(plan=plan).select_related("plan").order_by("kind", "order", "code"))
    years = list(plan.fiscal_years.order_by("starts_on").values_list("code", flat=True))
    values = {
        (v.indicator_id, v.period): v.value
        for v in Value.objects.filter(indicator__plan=plan, period_kind="year", dimension="", group="").only(
            "indicator_id", "period", "value"
        )
    }
    targets = {
        (t.indicator_id, t.fiscal_year.code): t.value
        for t in Target.objects.filter(
            indicator__plan=plan, quarter__isnull=True, org_unit__isnull=True
        ).select_related("fiscal_year")
    }
    rules: dict[int, Any] = {}
    for d in Definition.objects.filter(indicator__plan=plan).order_by("indicator_id", "version"):
        rules[d.indicator_id] = d.spec.get("rating") if isinstance(d.spec, dict) else None  # the newest wins
    rows = []
    for ind in indicators:
        out = []
        for fy in years:
            actual, target = values.get((ind.pk, fy)), targets.get((ind.pk, fy))
            out.append(Year(fy, actual, target, ratings.rate(actual, target, ind.direction, rules.get(ind.pk))))
        rows.append(Row(ind, out))
    return {"plan": plan, "years": years, "rows": rows}


HEADER = ["indicator", "name", "unit", "direction", "fiscal_year", "value", "target", "rating"]


def as_rows(board: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = [HEADER]
    for row in board["rows"]:
        ind = row.indicator
        for y in row.years:
            out.append(
                [
                    ind.code,
                    ind.name,
                    ind.unit,
                    ind.direction,
                    y.code,
                    "" if y.value is None else y.value,
                    "" if y.target is None else y.target,
                    y.rating,
                ]
            )
    return out


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def as_json(board: dict[str, Any]) -> dict[str, Any]:
    plan = board["plan"]
    return {
        "plan": plan.code,
        "fiscal_years": board["years"],
        "indicators": [
            {
                "code": row.indicator.code,
                "name": row.indicator.name,
                "unit": row.indicator.unit,
                "direction": row.indicator.direction,
                "years": [
                    {
                        "fiscal_year": y.code,
                        "value": _num(y.value),
                        "target": _num(y.target),
                        "rating": y.rating,
                        "rating_label": y.rating_label,
                    }
                    for y in row.years
                ],
            }
            for row in board["rows"]
        ],
    }
