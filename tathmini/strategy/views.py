"""The plan's public pages: the strategy map and a page per element. Thin: reads come from
``selectors``; nothing here writes."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from tathmini.core.access import public
from tathmini.measure.ratings import Rating
from tathmini.measure.views import indicator_section
from tathmini.reports.selectors import map_ratings
from tathmini.strategy import models as m
from tathmini.strategy import selectors
from tathmini.strategy.plan_io import export_plan


@public
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "strategy/plan_list.html", {"plans": m.Plan.objects.all()})


@public
def current_map(request: HttpRequest) -> HttpResponse:
    plan = selectors.current_plan()
    if plan is None:
        return redirect("strategy:plans")
    return redirect(plan)


@public
def strategy_map(request: HttpRequest, plan: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    alignment = list(p.alignment.all())
    # The map is coloured by each indicator's rating in the latest fiscal year that has values.
    rating_year, cells = map_ratings(p)
    ratings = {
        pk: {"rating": c.assessment.rating, "label": Rating(c.assessment.rating).label} for pk, c in cells.items()
    }
    return render(
        request,
        "strategy/map.html",
        {
            "plan": p,
            "objectives": selectors.objectives_tree(p),
            "rating_year": rating_year,
            "ratings": ratings,
            "values": p.values.all(),
            "mandates": p.mandates.all(),
            "clients": p.clients.all(),
            "fiscal_years": p.fiscal_years.all(),
            "national": [a for a in alignment if a.kind not in ("sector_priority", "map_challenge")],
            "priorities": [a for a in alignment if a.kind == "sector_priority"],
            "map_challenges": [a for a in alignment if a.kind == "map_challenge"],
            "long_term": p.strategic_results.filter(level="long_term"),
            "medium_term": p.strategic_results.filter(level="medium_term").prefetch_related("objectives"),
            "approach_rules": p.approach_rules.all(),
            "expected_results": p.expected_results.all(),
        },
    )


@public
def objective_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    objective = selectors.element_or_404(m.Objective, p, code)
    return render(
        request,
        "strategy/objective.html",
        {
            "plan": p,
            "objective": objective,
            "strategies": objective.strategies.prefetch_related("indicators", "challenges"),
            "indicators": objective.indicators.all(),
            "strategic_results": objective.strategic_results.all(),
        },
    )


@public
def strategy_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    strategy = selectors.element_or_404(m.Strategy, p, code, m.Strategy.objects.select_related("objective"))
    return render(
        request,
        "strategy/strategy.html",
        {
            "plan": p,
            "strategy": strategy,
            "indicators": strategy.indicators.all(),
            "challenges": strategy.challenges.all(),
        },
    )


@public
def indicator_list(request: HttpRequest, plan: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    indicators = p.indicators.select_related("objective", "expected_result", "responsible_unit")
    return render(request, "strategy/indicator_list.html", {"plan": p, "indicators": indicators})


@public
def indicator_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    indicator = selectors.element_or_404(
        m.Indicator, p, code, m.Indicator.objects.select_related("objective", "expected_result", "responsible_unit")
    )
    targets = list(indicator.targets.select_related("fiscal_year", "org_unit"))
    baselines = list(indicator.baselines.select_related("fiscal_year", "org_unit"))
    years = [{"year": fy, "targets": [t for t in targets if t.fiscal_year_id == fy.pk]} for fy in p.fiscal_years.all()]
    return render(
        request,
        "strategy/indicator.html",
        {
            "plan": p,
            "indicator": indicator,
            "strategies": indicator.strategies.all(),
            "baselines": baselines,
            "years": years,
            **indicator_section(request, indicator, p),
        },
    )


@public
def result_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    result = selectors.element_or_404(m.ExpectedResult, p, code)
    return render(request, "strategy/result.html", {"plan": p, "result": result, "indicators": result.indicators.all()})


@public
def challenge_list(request: HttpRequest, plan: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    return render(
        request,
        "strategy/challenge_list.html",
        {
            "plan": p,
            "challenges": p.challenges.prefetch_related("strategies"),
        },
    )


@public
def challenge_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    challenge = selectors.element_or_404(m.Challenge, p, code)
    return render(
        request,
        "strategy/challenge.html",
        {
            "plan": p,
            "challenge": challenge,
            "strategies": challenge.strategies.select_related("objective"),
        },
    )


@public
def plan_export(request: HttpRequest, plan: str) -> HttpResponse:
    p = selectors.plan_or_404(plan)
    response = HttpResponse(export_plan(p), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{p.code}.yaml"'
    return response


@public
def org_units(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("on", "")
    try:
        day: date | None = parse_date(raw) if raw else timezone.localdate()
    except ValueError:  # well-formed but impossible, e.g. 2014-13-45
        day = None
    error = ""
    if day is None:
        error = _("“%(value)s” is not a date; use the form YYYY-MM-DD.") % {"value": raw}
        day = timezone.localdate()
    return render(
        request,
        "strategy/org_units.html",
        {
            "tree": selectors.org_unit_tree(day),
            "day": day,
            "error": error,
            "illustrative": m.OrgUnit.objects.filter(illustrative=True).exists(),
        },
    )
