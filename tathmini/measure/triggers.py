"""Automatic refresh after a change: recompute only the indicators that read the changed model,
and only the periods the change can move.

Listens to ``tathmini.core.signals.records_changed`` and runs after the transaction commits, so
a rolled-back write triggers nothing and a refresh never sees uncommitted rows.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import models, transaction

from tathmini.core import periods as P
from tathmini.measure import definitions, engine, sources
from tathmini.strategy.models import Plan

log = logging.getLogger(__name__)


def models_read_by(source: sources.Source) -> set[type[models.Model]]:
    """The source's model and every model its field paths pass through."""
    found: set[type[models.Model]] = {source.model}
    for path in source.fields:
        model: Any = source.model
        for part in path.split("__"):
            field = model._meta.get_field(part)
            if not field.is_relation:
                break
            model = field.related_model
            found.add(model)
    return found


def _term_dates(
    term: dict[str, Any], model: type[models.Model], dates: set[date], fields: dict[str, set[date]] | None
) -> set[date] | None:
    """The dates that decide which periods an events term's value can move in: those of the
    fields that place a row in a period (the period field, and the field a recurrence looks back
    on). None when they cannot be told apart (the change was to another model, or the sender did
    not say which field carried which date): then every date counts."""
    source = sources.get(term["source"])
    period = term["period"]
    if fields is None or source is None or source.model is not model or period["match"] != "events":
        return None
    names = {period["field"], *(f["field"] for f in term.get("filters", []) if f.get("op") == "has_prior")}
    if any("__" in name for name in names):
        return None
    # A row whose period field is empty before and after the change is in no period of this term.
    return set().union(*(fields.get(name, set()) for name in names))


def _term_periods(term: dict[str, Any], all_periods: list[P.Period], dates: set[date], cumulative: bool) -> set[str]:
    if not dates:
        return {p.code for p in all_periods}
    earliest = min(dates)
    period = term["period"]
    forward = max((f.get("within_days", 0) for f in term.get("filters", []) if f.get("op") == "has_prior"), default=0)
    if period["match"] == "events" and not cumulative and not term.get("baseline"):
        # Rows count in the period their date falls in; a has_prior filter also reaches forward.
        return {
            p.code
            for p in all_periods
            if any(p.start <= d + timedelta(days=k) <= p.end for d in dates for k in {0, forward})
            or any(d <= p.end and d + timedelta(days=forward) >= p.start for d in dates)
        }
    if period["match"] == "fiscal_year" and not cumulative:
        years = {P.fiscal_year_of(d).code for d in dates}
        return {p.code for p in all_periods if P.fiscal_year_of(p.end).code in years}
    if term.get("baseline"):
        return {p.code for p in all_periods}  # the index base moves every period's value
    # State as at the period's end, or cumulative: every period ending on or after the change.
    return {p.code for p in all_periods if p.end >= earliest}


def affected(
    plan: Plan, model: type[models.Model], dates: set[date], fields: dict[str, set[date]] | None = None
) -> dict[str, set[str]]:
    """Indicator code → period codes to recompute after rows of ``model`` dated ``dates`` changed
    (``fields``: which field carried which of them, when known), plain indicators first and
    composites after them."""
    all_periods = engine.plan_periods(plan)
    out: dict[str, set[str]] = {}
    composites: list[tuple[str, dict[str, Any]]] = []
    for indicator in plan.indicators.prefetch_related("definitions"):
        definition = engine.current_definition(indicator)
        if definition is None:
            continue
        spec = definition.spec
        if "composite" in spec:
            composites.append((indicator.code, spec))
            continue
        cumulative = spec.get("cumulation") in ("cumulative", "latest")
        codes: set[str] = set()
        for term in definitions.terms_of(spec):
            source = sources.get(term["source"])
            if source is not None and model in models_read_by(source):
                own = None if cumulative or term.get("baseline") else _term_dates(term, model, dates, fields)
                if own is None:
                    codes |= _term_periods(term, all_periods, dates, cumulative)
                elif own:
                    codes |= _term_periods(term, all_periods, own, cumulative)
        if codes:
            out[indicator.code] = codes
    for code, spec in composites:
        codes = set().union(*(out.get(part["indicator"], set()) for part in spec["composite"]))
        if codes:
            out[code] = codes
    return out


def refresh_affected(
    model: type[models.Model], dates: set[date], fields: dict[str, set[date]] | None = None
) -> dict[str, set[str]]:
    plan = Plan.objects.filter(is_current=True).first()
    if plan is None:
        return {}
    todo = affected(plan, model, dates, fields)
    if not todo:
        return todo
    engine.rebuild_org_unit_links()
    indicators = {i.code: i for i in plan.indicators.select_related("responsible_unit", "plan")}
    # ``affected`` lists parts before composites (a composite reads its parts' stored values).
    for code, period_codes in todo.items():
        engine.refresh_indicator(indicators[code], sorted(period_codes), from_stored_months=True)
    return todo


def on_records_changed(
    sender: type[models.Model], dates: set[date], fields: dict[str, set[date]] | None = None, **kwargs: Any
) -> None:
    if not getattr(settings, "MEASURE_AUTO_REFRESH", True):
        return
    transaction.on_commit(partial(_safe_refresh, sender, set(dates), fields))


def _safe_refresh(model: type[models.Model], dates: set[date], fields: dict[str, set[date]] | None) -> None:
    # The write has committed; a failed refresh must not turn the user's save into an error.
    # The values stay as they were until the next refresh, and the failure is logged.
    try:
        refresh_affected(model, dates, fields)
    except Exception:
        log.exception("automatic refresh after a change to %s failed", model.__name__)
