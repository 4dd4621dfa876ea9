from typing import Any

from django.http import HttpRequest

from tathmini.strategy.selectors import current_plan


def site(request: HttpRequest) -> dict[str, Any]:
    return {"current_plan": current_plan()}
