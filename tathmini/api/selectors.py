"""Reads behind the API: the list's filters, and the token list of the administrators' page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions

from tathmini.api.models import ApiToken
from tathmini.records.types import RecordType

PAGING_PARAMETERS = ("cursor", "page_size")
SEARCH_PARAMETER = "q"
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def filtered(rt: RecordType, qs: QuerySet[Any], params: Any) -> QuerySet[Any]:
    """``qs`` narrowed by the query string: each declared filter by value (a relation by its
    lookup: ``?institution=tra``; repeat a parameter for any of several values), ``q`` over the
    declared search fields. An unknown parameter or a value that cannot match is a 400, so a
    typo never silently returns everything."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(params) - set(rt.filters) - {SEARCH_PARAMETER, *PAGING_PARAMETERS}):
        errors[name] = [_("Unknown query parameter. Filters of this list: %(names)s.") % {"names": _names(rt)}]
    for name in rt.filters:
        values = params.getlist(name)
        if not values:
            continue
        field = rt.model_field(name)
        try:
            qs = qs.filter(**{f"{_path(rt, name, field)}__in": [_value(field, v) for v in values]})
        except (ValueError, TypeError, DjangoValidationError) as exc:
            errors[name] = [str(exc.args[0]) if exc.args else _("Invalid value.")]
    q = params.get(SEARCH_PARAMETER, "").strip()
    if q and rt.search:
        matches = Q()
        for path in rt.search:
            matches |= Q(**{f"{path}__icontains": q})
        qs = qs.filter(matches)
    if errors:
        raise exceptions.ValidationError(errors)
    return qs


def _names(rt: RecordType) -> str:
    return ", ".join([*rt.filters, SEARCH_PARAMETER, *PAGING_PARAMETERS])


def _path(rt: RecordType, name: str, field: Any) -> str:
    return f"{name}__{rt.lookups.get(name, 'pk')}" if field.is_relation else name


def _value(field: Any, raw: str) -> Any:
    if isinstance(field, models.BooleanField):
        lowered = raw.lower()
        if lowered not in (*_TRUE, *_FALSE):
            raise ValueError(_("Use true or false."))
        return lowered in _TRUE
    if field.choices and not field.is_relation:
        allowed = [str(value) for value, _label in field.flatchoices]
        if raw not in allowed:
            raise ValueError(_("%(value)s is not one of: %(allowed)s.") % {"value": raw, "allowed": ", ".join(allowed)})
    if field.is_relation:
        return raw
    return field.to_python(raw)


def tokens() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("institution", "created_by")
