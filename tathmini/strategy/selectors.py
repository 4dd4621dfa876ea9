"""Reads of the plan, shaped for its pages (one place for the prefetching)."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from tathmini.strategy import models as m


def current_plan() -> m.Plan | None:
    return m.Plan.objects.filter(is_current=True).first()


def plan_or_404(code: str) -> m.Plan:
    return get_object_or_404(m.Plan, code=code)


E = TypeVar("E", bound=m.PlanElement)


def element_or_404(model: type[E], plan: m.Plan, code: str, qs: QuerySet[E] | None = None) -> E:
    found = (qs if qs is not None else model._default_manager.all()).filter(plan=plan, code=code).first()
    if found is None:
        raise Http404(code)
    return found


def objectives_tree(plan: m.Plan) -> QuerySet[m.Objective]:
    """Objectives → strategies → indicators, in plan order, in three queries."""
    indicators = m.Indicator.objects.order_by("order", "code")
    return plan.objectives.prefetch_related(
        Prefetch(
            "strategies", queryset=m.Strategy.objects.prefetch_related(Prefetch("indicators", queryset=indicators))
        ),
        Prefetch("indicators", queryset=indicators),
    )


def org_unit_tree(day: date) -> list[tuple[m.OrgUnit, int]]:
    """Units valid on ``day``, depth-first, each with its depth (0 = department)."""
    units = list(m.OrgUnit.objects.valid_on(day).order_by("code"))
    children: dict[int | None, list[m.OrgUnit]] = {}
    ids = {u.pk for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    out: list[tuple[m.OrgUnit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            out.append((unit, depth))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return out
