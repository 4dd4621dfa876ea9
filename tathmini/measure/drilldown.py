"""Where a stored value came from: its definition version, each term's records, a composite's parts.

For one ``Value`` and one term of its definition (numerator, denominator, or a part of a product),
``records_behind`` gives the source model's rows that the term aggregated for that value's period
and group, as a queryset, so a page can paginate it and an export can stream it. The primary keys
come from ``compiler.drilldown_query`` (the same SQL pipeline the engine aggregates), used as a
subquery: the list is never pulled into Python, however many records a national total covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from tathmini.core import periods as P
from tathmini.measure import compiler, engine, sources
from tathmini.measure.models import Value
from tathmini.records import exports
from tathmini.records import types as record_types
from tathmini.records.types import RecordType

SIDES = ("numerator", "denominator")


@dataclass
class TermRef:
    """One term of a definition, named so that a URL can point at it."""

    key: str  # "numerator", "denominator", or "numerator-2" for the second part of a product
    label: Any
    term: dict[str, Any]
    source: sources.Source
    # The dimension the records were selected by: None when the term cannot be split by the value's
    # group, so every group's value uses the whole Agency's records (K08's count of resources).
    dimension: str | None = None
    group: str = ""
    notes: list[Any] = field(default_factory=list)


def _supports(source: sources.Source, dimension: str) -> bool:
    if dimension == compiler.ORG_UNIT_DIMENSION:
        return source.org_unit is not None
    return dimension in source.dimensions


def value_period(value: Value) -> P.Period:
    """The period whose records are behind the value: an earlier one when it was carried forward."""
    return P.parse(value.extras.get("carried_from") or value.period)


def terms_of(value: Value) -> list[TermRef]:
    """Every numerator and denominator term of the value's definition (none for a composite)."""
    spec = value.definition.spec if value.definition else {}
    out: list[TermRef] = []
    for side in SIDES:
        side_spec = spec.get(side)
        if side_spec is None:
            continue
        parts = side_spec.get("product", [side_spec])
        for i, term in enumerate(parts, start=1):
            source = sources.get(term.get("source", ""))
            if source is None:
                continue  # a definition stored before its source was withdrawn: nothing to list
            label: Any = _("Numerator") if side == "numerator" else _("Denominator")
            key = side
            if len(parts) > 1:
                key = f"{side}-{i}"
                label = _("%(side)s, factor %(number)s of %(count)s") % {
                    "side": label,
                    "number": i,
                    "count": len(parts),
                }
            ref = TermRef(key, label, term, source)
            if value.dimension and _supports(source, value.dimension):
                ref.dimension, ref.group = value.dimension, value.group
            elif value.dimension:
                ref.notes.append(
                    _("This term is not split by this disaggregation: its records are the whole Agency's.")
                )
            if term.get("baseline"):
                ref.notes.append(
                    _("Evaluated for the same place in the fiscal year %(year)s (the index base).")
                    % {"year": term["baseline"]}
                )
            out.append(ref)
    return out


def term_ref(value: Value, key: str) -> TermRef | None:
    return next((ref for ref in terms_of(value) if ref.key == key), None)


def _eval_period(value: Value, term: dict[str, Any], plan_start: date | None) -> compiler.EvalPeriod:
    # The same period the engine evaluated this term for (engine._evals): the baseline year's
    # matching period for an index base, and the plan's start for a cumulative definition.
    period = value_period(value)
    target = engine.same_position_in(period, term["baseline"]) if term.get("baseline") else period
    spec = value.definition.spec if value.definition else {}
    cumulative = spec.get("cumulation") == "cumulative" and plan_start is not None and not term.get("baseline")
    start = plan_start if cumulative and plan_start is not None else target.start
    return compiler.EvalPeriod(period.code, start, target.end)


def records_behind(value: Value, ref: TermRef, user: Any = None) -> QuerySet[Any]:
    """The source model's rows behind one term of the value, ordered for stable pages.

    With ``user``, only the rows that user may read in the records pages (staff read them all;
    the check keeps the drill-down from ever showing more than the records pages would).
    """
    first = value.indicator.plan.first_year
    evaluated = _eval_period(value, ref.term, first.starts_on if first else None)
    sql, params = compiler.drilldown_query(ref.term, evaluated, ref.dimension, ref.group)
    model = ref.source.model
    # The SQL is built by the compiler from model metadata only; every value is a bound parameter.
    queryset = model._default_manager.filter(pk__in=RawSQL(sql, params))  # noqa: S611
    rt = record_types.for_model(model)
    if user is not None and rt is not None:
        if not rt.readable_by(user):
            queryset = queryset.none()
        elif rt.is_institution_bound(user):
            queryset = queryset.filter(pk__in=rt.visible(user).values("pk"))
    related = [f.name for f in model._meta.concrete_fields if f.many_to_one]
    if rt is not None and rt.scope:
        related.append(rt.scope)
    ordering = [o for o in model._meta.ordering or () if isinstance(o, str)]
    return queryset.select_related(*related).order_by(*ordering, "pk")


# --- presenting the rows --------------------------------------------------------------------------
@dataclass
class Column:
    name: str
    label: Any
    timestamp: bool = False


@dataclass
class RecordRow:
    pk: Any
    label: str
    url: str | None
    cells: list[Any]
    institution: Any


def date_columns(source: sources.Source) -> list[Column]:
    """The record's own date fields a definition may read (launched on, received at …)."""
    out = []
    for name in source.fields:
        if "__" in name:
            continue
        f = source.model._meta.get_field(name)
        if isinstance(f, models.DateField):  # DateTimeField is one too
            out.append(Column(name, f.verbose_name, isinstance(f, models.DateTimeField)))
    return out


def _institution_of(rt: RecordType | None, record: models.Model) -> Any:
    if rt is not None:
        return rt.institution_of(record) if rt.scope else None
    return getattr(record, "institution", None)


def detail_url(rt: RecordType | None, pk: Any) -> str | None:
    """The record's page in the records pages, if that page exists."""
    if rt is None:
        return None
    try:
        return reverse("records:detail", args=[rt.key, pk])
    except NoReverseMatch:
        return None


def record_rows(ref: TermRef, records: Any) -> list[RecordRow]:
    rt = record_types.for_model(ref.source.model)
    columns = date_columns(ref.source)
    return [
        RecordRow(
            pk=record.pk,
            label=str(record),
            url=detail_url(rt, record.pk),
            cells=[{"value": getattr(record, c.name), "timestamp": c.timestamp} for c in columns],
            institution=_institution_of(rt, record),
        )
        for record in records
    ]


def has_institution_column(ref: TermRef) -> bool:
    rt = record_types.for_model(ref.source.model)
    if rt is not None:
        return bool(rt.scope)
    return any(f.name == "institution" for f in ref.source.model._meta.concrete_fields)


def export_rows(ref: TermRef, records: QuerySet[Any]) -> Any:
    """Rows for CSV/XLSX: the record type's file columns (those of its import template), or, for a
    source without a record type, its identifier, its name and its date fields."""
    rt = record_types.for_model(ref.source.model)
    if rt is not None:
        return exports.rows(rt, exports.prefetched(rt, records))
    columns = date_columns(ref.source)

    def generate() -> Any:
        yield ["id", "record", *(c.name for c in columns)]
        for record in records:
            yield [record.pk, str(record), *(getattr(record, c.name) for c in columns)]

    return generate()


# --- composites ----------------------------------------------------------------------------------
@dataclass
class Part:
    code: str
    weight: Any
    value: Value | None


def composite_parts(value: Value) -> list[Part]:
    """A composite's parts: each part indicator's value for the same period and group."""
    spec = value.definition.spec if value.definition else {}
    parts = spec.get("composite") or []
    codes = [p["indicator"] for p in parts]
    found = {
        v.indicator.code: v
        for v in Value.objects.filter(
            indicator__plan_id=value.indicator.plan_id,
            indicator__code__in=codes,
            period=value.period,
            dimension=value.dimension,
            group=value.group,
        ).select_related("indicator")
    }
    return [Part(p["indicator"], p.get("weight", 1), found.get(p["indicator"])) for p in parts]
