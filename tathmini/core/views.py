from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tathmini.core.access import public
from tathmini.strategy import models as m
from tathmini.strategy.selectors import current_plan


@public
def home(request: HttpRequest) -> HttpResponse:
    plan = current_plan()
    counts = {}
    if plan is not None:
        counts = {
            "objectives": plan.objectives.count(),
            "strategies": plan.strategies.count(),
            "indicators": plan.indicators.filter(kind=m.Indicator.Kind.CORE).count(),
            "results": plan.expected_results.count(),
        }
    return render(request, "core/home.html", {"plan": plan, "counts": counts})
