"""Builders of the records the portal's tests (and its benchmark) need: small, explicit, no magic."""

from __future__ import annotations

from datetime import date
from typing import Any

from tathmini.feedback.models import Survey, SurveyQuestion
from tathmini.registry.models import EService, Institution


def institution(code: str, name_sw: str, name_en: str = "", **fields: Any) -> Institution:
    return Institution.objects.create(
        code=code, name_sw=name_sw, name_en=name_en or name_sw, category=fields.pop("category", "agency"), **fields
    )


def eservice(owner: Institution, code: str, name_sw: str, name_en: str = "", **fields: Any) -> EService:
    defaults: dict[str, Any] = {
        "life_event": "business",
        "channels": "web",
        "launched_on": date(2012, 1, 1),
    }
    defaults.update(fields)
    return EService.objects.create(
        institution=owner, code=code, name_sw=name_sw, name_en=name_en or name_sw, **defaults
    )


def survey(code: str, kind: str = Survey.Kind.INSTITUTION_SATISFACTION, questions: int = 3, **fields: Any) -> Survey:
    s = Survey.objects.create(
        code=code,
        kind=kind,
        name_sw=f"Utafiti {code}",
        name_en=f"Survey {code}",
        opens_on=fields.pop("opens_on", date(2012, 1, 1)),
        **fields,
    )
    for n in range(1, questions + 1):
        SurveyQuestion.objects.create(survey=s, order=n, text_sw=f"Swali la {n}", text_en=f"Question {n}")
    return s
