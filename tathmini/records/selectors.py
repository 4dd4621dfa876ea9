"""Reads behind the records pages, generic over the declared record types.

Everything starts from ``RecordType.visible(user)``, so a focal person's lists, exports, detail
pages and even the choices of a select never reach another institution's records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tathmini.core import audit
from tathmini.core.models import AuditEvent
from tathmini.records import exports, types
from tathmini.records.types import RecordType

# The index groups types by the app that declares them, in this order; others follow by app name.
GROUPS: dict[str, Any] = {
    "registry": gettext_lazy("Registry"),
    "services": gettext_lazy("The Agency's work"),
    "feedback": gettext_lazy("Feedback"),
}


def record_type_or_404(key: str) -> RecordType:
    try:
        return types.get(key)
    except KeyError:
        raise Http404(key) from None


def can_read_any(user: Any) -> bool:
    return any(rt.readable_by(user) for rt in types.all_types())


@dataclass
class TypeCount:
    rt: RecordType
    count: int


@dataclass
class Group:
    title: Any
    types: list[TypeCount]


def index_groups(user: Any) -> list[Group]:
    """The record types the user may read, grouped by app, each with how many they can see."""
    by_app: dict[str, list[TypeCount]] = {}
    for rt in types.all_types():
        if rt.readable_by(user):
            by_app.setdefault(rt.model._meta.app_label, []).append(TypeCount(rt, rt.visible(user).count()))
    order = [label for label in GROUPS if label in by_app] + sorted(set(by_app) - set(GROUPS))
    return [Group(GROUPS.get(label) or apps.get_app_config(label).verbose_name, by_app[label]) for label in order]


# --- choices ----------------------------------------------------------------------------------


def scope_field(rt: RecordType) -> str | None:
    """The record's own field on the way to its institution ("institution", "eservice")."""
    if not rt.scope:
        return None
    return rt.scope.split("__")[0]


def writable_related(rt: RecordType, user: Any, related_rt: RecordType) -> QuerySet[Any]:
    """What a record of ``rt`` written by ``user`` may point at among ``related_rt``'s records:
    what they can see, and only their own institution's when they write as their institution."""
    qs = related_rt.visible(user)
    if related_rt.scope is not None and rt.writes_as_institution(user):
        qs = qs.filter(related_rt.institution_filter(user.institution_id))
    return qs


def related_choices(rt: RecordType, user: Any, name: str, *, writing: bool = False) -> QuerySet[Any]:
    """What a select for the relation ``name`` may offer: only what the user can see, and for an
    institution-bound user the scope field offers their own institution (or its e-services) only.
    ``writing``: a form's select, where ``writable_related`` decides."""
    related = rt.model_field(name).related_model
    related_rt = types.for_model(related)
    if writing and related_rt is not None:
        return writable_related(rt, user, related_rt)
    qs = related_rt.visible(user) if related_rt is not None else related._default_manager.all()
    if rt.scope and rt.is_institution_bound(user) and name == scope_field(rt):
        rest = rt.scope.partition("__")[2]
        qs = qs.filter(**{f"{rest}_id" if rest else "pk": user.institution_id})
    return qs


def distinct_values(rt: RecordType, user: Any, name: str) -> list[Any]:
    """Values in use, for filtering on a plain field without declared choices (a fiscal year)."""
    return list(rt.visible(user).order_by(name).values_list(name, flat=True).distinct())


# --- lists ------------------------------------------------------------------------------------


def sort_choices(rt: RecordType) -> list[str]:
    return [*rt.list_columns, *(f"-{name}" for name in rt.list_columns)]


def filtered_records(rt: RecordType, user: Any, values: Mapping[str, Any]) -> QuerySet[Any]:
    """The user's visible records narrowed by validated filter values (see ``RecordFilterForm``):
    ``q`` over the declared search fields, one value per declared filter, ``from``/``to`` on the
    date field (whole days in local time), sorted by ``sort`` with the primary key as tie-break so
    pages never overlap."""
    qs = rt.visible(user)
    q = values.get("q")
    if q and rt.search:
        matches = Q()
        for path in rt.search:
            matches |= Q(**{f"{path}__icontains": q})
        qs = qs.filter(matches)
    for name in rt.filters:
        value = values.get(name)
        if value is not None and value != "":
            qs = qs.filter(**{name: value})
    if rt.date_field:
        is_datetime = isinstance(rt.model_field(rt.date_field), models.DateTimeField)
        start, end = values.get("from"), values.get("to")
        if start:
            qs = qs.filter(**{f"{rt.date_field}__gte": _day_start(start) if is_datetime else start})
        if end:
            if is_datetime:
                qs = qs.filter(**{f"{rt.date_field}__lt": _day_start(end + timedelta(days=1))})
            else:
                qs = qs.filter(**{f"{rt.date_field}__lte": end})
    sort = values.get("sort")
    if sort:
        return qs.order_by(sort, "-pk" if sort.startswith("-") else "pk")
    default: list[Any] = list(rt.ordering or rt.model._meta.ordering or ())
    return qs.order_by(*default, "pk")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def for_list(rt: RecordType, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Joins the list's related columns in, so a page costs the same queries at 5 or 50 rows."""
    fields = [rt.model_field(name) for name in rt.list_columns]
    single = [f.name for f in fields if f.is_relation and not f.many_to_many]
    many = [f.name for f in fields if f.many_to_many]
    return qs.select_related(*single).prefetch_related(*many)


@dataclass
class Row:
    pk: Any
    cells: list[Any]


def list_rows(rt: RecordType, records: Iterable[models.Model]) -> list[Row]:
    return [Row(r.pk, [display_value(rt, r, name) for name in rt.list_columns]) for r in records]


def display_value(rt: RecordType, instance: models.Model, name: str) -> Any:
    """What a person reads for a field: a choice's label, a related record's name, Yes/No; dates
    and numbers stay typed so the template formats them for the active language."""
    field = rt.model_field(name)
    if field.many_to_many:
        return ", ".join(str(o) for o in getattr(instance, name).all())
    value = getattr(instance, name)
    if value is None or value == "":
        return None
    shown = getattr(instance, f"get_{name}_display", None)
    if shown is not None:
        return shown()
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if field.is_relation:
        return str(value)
    return value


# --- one record -------------------------------------------------------------------------------


def record_or_404(rt: RecordType, user: Any, pk: Any, *, for_display: bool = False) -> Any:
    """A record the user may see; another institution's is "not found", so its existence does not leak."""
    qs = rt.visible(user)
    if for_display:
        qs = exports.prefetched(rt, qs)
    return get_object_or_404(qs, pk=pk)


@dataclass
class FieldValue:
    label: Any
    value: Any
    multiline: bool


def field_values(rt: RecordType, instance: models.Model) -> list[FieldValue]:
    return [
        FieldValue(
            rt.model_field(name).verbose_name,
            display_value(rt, instance, name),
            isinstance(rt.model_field(name), models.TextField),
        )
        for name in rt.fields
    ]


@dataclass
class Change:
    label: Any
    old: str
    new: str


@dataclass
class HistoryEntry:
    event: AuditEvent
    changes: list[Change]


def audit_history(instance: models.Model) -> list[HistoryEntry]:
    """The record's audit trail, newest first, with stored ids and codes turned into what a person
    reads: related records are fetched once per field for all events together."""
    events = list(audit.history(instance))
    model = type(instance)
    ids: dict[str, set[Any]] = {}
    for event in events:
        for name, pair in event.changes.items():
            field = _field_or_none(model, name)
            if field is not None and field.is_relation:
                for value in pair:
                    ids.setdefault(name, set()).update(v for v in _as_list(value) if v is not None)
    related: dict[str, dict[Any, models.Model]] = {
        name: _field_or_none(model, name).related_model._default_manager.in_bulk(list(values))
        for name, values in ids.items()
    }
    return [
        HistoryEntry(
            event,
            [
                Change(
                    _label(model, name),
                    _shown(model, name, pair[0], related),
                    _shown(model, name, pair[1], related),
                )
                for name, pair in event.changes.items()
            ],
        )
        for event in events
    ]


def _field_or_none(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _label(model: type[models.Model], name: str) -> Any:
    field = _field_or_none(model, name)
    return getattr(field, "verbose_name", name)


def _shown(model: type[models.Model], name: str, value: Any, related: dict[str, dict[Any, models.Model]]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    field = _field_or_none(model, name)
    if field is None:
        return str(value)
    if field.is_relation:
        found = related.get(name, {})
        return ", ".join(str(found[v]) if v in found else f"#{v}" for v in _as_list(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return str(_("Yes") if value else _("No"))
    if isinstance(field, models.DateTimeField) and (moment := parse_datetime(str(value))) is not None:
        return str(formats.localize(timezone.localtime(moment) if timezone.is_aware(moment) else moment))
    if isinstance(field, models.DateField) and (day := parse_date(str(value))) is not None:
        return str(formats.localize(day))
    return str(value)
