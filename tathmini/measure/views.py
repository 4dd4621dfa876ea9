"""Pages of the indicator engine: a value's drill-down, the definition editor and its history, the
M&E officer's baselines and targets (``targets_edit``, over ``strategy.targets``), and
the values section of the public indicator page (``indicator_section``, rendered by
``strategy.views.indicator_detail``).

Reads come from ``selectors`` and ``drilldown``; the one write (a new definition version and the
values it produces) is ``definition_save``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError, IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tathmini.accounts.roles import Role
from tathmini.core import periods as P
from tathmini.core.access import for_roles
from tathmini.measure import drilldown, engine, ratings, selectors
from tathmini.measure.forms import DefinitionForm, dump
from tathmini.measure.models import Definition, Value
from tathmini.records import exports
from tathmini.registry.models import Institution, Region
from tathmini.strategy import targets
from tathmini.strategy.models import Indicator, OrgUnit, Plan

# Who sees the records behind a number: they include institutions' operational records, so the
# same staff roles that read every record in the records pages.
DRILL_ROLES = (Role.ADMINISTRATOR, Role.ME_OFFICER, Role.AGENCY_OFFICER, Role.MANAGER)
PAGE_SIZE = 50
PREVIEW_YEARS = 2
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KINDS = {"year": gettext_lazy("Fiscal years"), "quarter": gettext_lazy("Quarters"), "month": gettext_lazy("Months")}
BY = {d: label for d, label in Value.Dimension.choices if d}


def can_drill(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or set(DRILL_ROLES) & user.roles))


def can_edit_definitions(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or Role.ME_OFFICER in user.roles))


# --- numbers --------------------------------------------------------------------------------------
def _trimmed(number: Decimal, places: int) -> str:
    text = f"{number:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_number(number: Decimal | None) -> str:
    """A numerator or denominator: thousands separated, at most two decimals."""
    return "" if number is None else _trimmed(number, 2)


def format_value(number: Decimal | None, unit: str) -> str:
    """A value in its unit of measure; empty for no value (the page shows a dash and says why)."""
    if number is None:
        return ""
    if unit == Indicator.Unit.PERCENT:
        return f"{number:,.1f}%"
    if unit == Indicator.Unit.CURRENCY:
        return _("TZS %(amount)s") % {"amount": f"{number:,.0f}"}
    if unit == Indicator.Unit.DAYS:
        return _("%(number)s days") % {"number": f"{number:,.1f}"}
    if unit == Indicator.Unit.COUNT:
        return _trimmed(number, 1)
    return f"{number:,.1f}"  # index, score


def group_labels(dimension: str, groups: list[str]) -> dict[str, str]:
    """What a group code means: a category's label, a region's name, an org unit's name."""
    if dimension == Value.Dimension.CATEGORY:
        labels = {k: str(v) for k, v in Institution.Category.choices}
    elif dimension == Value.Dimension.REGION:
        labels = dict(Region.objects.filter(code__in=groups).values_list("code", "name"))
    elif dimension == Value.Dimension.ORG_UNIT:
        ids = [int(g) for g in groups if g.isdigit()]
        labels = {str(u.pk): u.name for u in OrgUnit.objects.filter(pk__in=ids)}
    else:
        return {g: _("All") for g in groups}
    return {g: labels.get(g) or (g or _("Not recorded")) for g in groups}


# --- the indicator page's values section ---------------------------------------------------------
@dataclass
class Cell:
    """One stored value as the pages show it."""

    text: str
    pk: int | None = None
    numerator: str = ""
    denominator: str = ""


def _cell(value: Value | None, unit: str) -> Cell:
    if value is None:
        return Cell("")
    return Cell(
        format_value(value.value, unit), value.pk, format_number(value.numerator), format_number(value.denominator)
    )


def _percent(number: Decimal | None) -> str:
    return "" if number is None else f"{number:,.1f}%"


def indicator_section(request: HttpRequest, indicator: Indicator, plan: Plan) -> dict[str, Any]:
    """Context for the values part of the indicator page: the series against targets with ratings,
    the forecast and one period's disaggregation. A fixed number of queries, however many periods."""
    indicator.plan = plan  # the caller has it: no query to fetch it again
    kind = request.GET.get("kind", "year")
    kind = kind if kind in KINDS else "year"
    points = selectors.series(indicator, kind=kind)
    yearly = points if kind == "year" else selectors.series(indicator, kind="year")
    forecast = selectors.forecast(indicator, yearly)
    unit = indicator.unit
    rows = [
        {
            "period": p.period,
            "value": _cell(p.value, unit),
            "target": format_value(p.target, unit),
            "percent_of_target": _percent(p.percent_of_target),
            "rating": p.assessment.rating,
            "rating_label": ratings.Rating(p.assessment.rating).label,
        }
        for p in points
    ]
    codes = [p.period.code for p in yearly] + ([p.period.code for p in points] if kind != "year" else [])
    with_value = [p.period.code for p in points if p.actual is not None]
    period = request.GET.get("period", "")
    if period not in codes:
        period = with_value[-1] if with_value else (codes[-1] if codes else "")
    by = request.GET.get("by", "")
    by = by if by in BY else Value.Dimension.CATEGORY
    values = selectors.breakdown(indicator, period, by) if period else []
    labels = group_labels(by, [v.group for v in values])
    breakdown = sorted(
        ({"label": labels[v.group], "cell": _cell(v, unit)} for v in values), key=lambda row: str(row["label"])
    )
    last_year = yearly[-1].period if yearly else None
    baseline = indicator.baselines.filter(org_unit__isnull=True).select_related("fiscal_year").first()
    return {
        "measure": {
            "kind": kind,
            "kinds": list(KINDS.items()),
            "kind_label": KINDS[kind],
            "has_definition": selectors.definition_of(indicator) is not None,
            "rows": rows,
            "baseline": {"value": format_value(baseline.value, unit), "year": baseline.fiscal_year.code}
            if baseline
            else None,
            "forecast": {
                "value": format_value(forecast["value"], unit),
                "final_target": format_value(forecast["final_target"], unit),
                "likely": forecast["likely"],
                "year": last_year,
            },
            "period_options": codes,
            "period": period,
            "by": by,
            "by_options": list(BY.items()),
            "by_label": BY[by],
            "breakdown": breakdown,
            "can_drill": can_drill(request.user),
            "can_edit": can_edit_definitions(request.user),
        }
    }


# --- drill-down -----------------------------------------------------------------------------------
def _value_or_404(pk: int) -> Value:
    return get_object_or_404(
        Value.objects.select_related("indicator__plan", "definition__created_by", "definition__indicator"), pk=pk
    )


def _page_url(request: HttpRequest, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}#{param}"


@for_roles(*DRILL_ROLES)
def value_detail(request: HttpRequest, pk: int) -> HttpResponse:
    value = _value_or_404(pk)
    indicator = value.indicator
    spec = value.definition.spec if value.definition else {}
    sections = []
    for ref in drilldown.terms_of(value):
        param = f"page-{ref.key}"
        page = Paginator(drilldown.records_behind(value, ref, request.user), PAGE_SIZE).get_page(request.GET.get(param))
        sections.append(
            {
                "ref": ref,
                "anchor": param,
                "page": page,
                "rows": drilldown.record_rows(ref, page.object_list),
                "date_columns": drilldown.date_columns(ref.source),
                "institution_column": drilldown.has_institution_column(ref),
                "previous_url": _page_url(request, param, page.previous_page_number()) if page.has_previous() else "",
                "next_url": _page_url(request, param, page.next_page_number()) if page.has_next() else "",
            }
        )
    parts = [
        {
            "code": part.code,
            "weight": part.weight,
            "cell": _cell(part.value, part.value.indicator.unit if part.value else ""),
        }
        for part in drilldown.composite_parts(value)
    ]
    return render(
        request,
        "measure/value.html",
        {
            "value": value,
            "indicator": indicator,
            "plan": indicator.plan,
            "cell": _cell(value, indicator.unit),
            "group_label": group_labels(value.dimension, [value.group])[value.group],
            "dimension_label": BY.get(value.dimension, ""),
            "carried_from": value.extras.get("carried_from"),
            "spec_yaml": dump(spec) if value.definition else "",
            "sections": sections,
            "parts": parts,
            "is_composite": "composite" in spec,
            "can_edit": can_edit_definitions(request.user),
        },
    )


def _export(request: HttpRequest, pk: int, term: str, suffix: str) -> HttpResponse:
    value = _value_or_404(pk)
    ref = drilldown.term_ref(value, term)
    if ref is None:
        raise Http404(term)
    data = drilldown.export_rows(ref, drilldown.records_behind(value, ref, request.user))
    name = exports.safe_filename("-".join(p for p in (value.indicator.code, value.period, value.group, ref.key) if p))
    if suffix == "csv":
        response = HttpResponse(exports.to_csv(data), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.to_xlsx(data, title=ref.source.key), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{suffix}"'
    return response


@for_roles(*DRILL_ROLES)
def value_export_csv(request: HttpRequest, pk: int, term: str) -> HttpResponse:
    return _export(request, pk, term, "csv")


@for_roles(*DRILL_ROLES)
def value_export_xlsx(request: HttpRequest, pk: int, term: str) -> HttpResponse:
    return _export(request, pk, term, "xlsx")


# --- the definition editor ------------------------------------------------------------------------
def _indicator_or_404(pk: int) -> Indicator:
    return get_object_or_404(Indicator.objects.select_related("plan", "responsible_unit"), pk=pk)


def preview_periods(plan: Plan) -> list[P.Period]:
    """The plan's most recent fiscal years that have begun, each followed by its quarters."""
    years = list(plan.fiscal_years.all())
    today = timezone.localdate()
    begun = [fy for fy in years if fy.starts_on <= today] or years
    out: list[P.Period] = []
    for fy in begun[-PREVIEW_YEARS:]:
        out += [fy.period, *P.quarters_of(fy.period)]
    return out


def preview(indicator: Indicator, spec: dict[str, Any], by: str) -> dict[str, Any]:
    """What the definition would give for recent periods, beside the stored values. Stores nothing."""
    plan = indicator.plan
    periods = preview_periods(plan)
    first = plan.first_year
    composite_inputs = engine._composite_inputs(spec, plan) if "composite" in spec else None
    # A savepoint: on PostgreSQL a failed query would otherwise spoil the rest of the request.
    with transaction.atomic():
        rows = engine.evaluate(
            indicator,
            spec,
            periods,
            plan_start=first.starts_on if first else None,
            dimensions=("", by),
            composite_values=composite_inputs,
        )
    codes = [p.code for p in periods]
    stored = {
        (v.period, v.dimension, v.group): v
        for v in Value.objects.filter(indicator=indicator, period__in=codes, dimension__in=("", by))
    }
    fresh = {(r.period.code, r.dimension, r.group): r for r in rows}
    unit = indicator.unit

    def pair(key: tuple[str, str, str]) -> dict[str, Any]:
        row, old = fresh.get(key), stored.get(key)
        return {
            "new": Cell(
                format_value(row.value, unit), None, format_number(row.numerator), format_number(row.denominator)
            )
            if row
            else Cell(""),
            "old": _cell(old, unit),
        }

    totals = [{"period": p, **pair((p.code, "", ""))} for p in periods]
    years = [p for p in periods if p.kind == "year"]
    groups = sorted({k[2] for k in list(fresh) + list(stored) if k[1] == by and k[0] in {y.code for y in years}})
    labels = group_labels(by, groups)
    breakdown = [
        {"period": y, "label": labels[g], **pair((y.code, by, g))}
        for y in years
        for g in sorted(groups, key=lambda g: str(labels[g]))
        if (y.code, by, g) in fresh or (y.code, by, g) in stored
    ]
    return {"totals": totals, "breakdown": breakdown, "by_label": BY[by]}


def composites_reading(indicator: Indicator) -> list[Indicator]:
    """The plan's composite indicators that combine this one (K12 reads K05's stored values)."""
    out = []
    for other in engine.ordered_indicators(indicator.plan):
        definition = engine.current_definition(other)
        parts = definition.spec.get("composite") if definition else None
        if parts and any(p.get("indicator") == indicator.code for p in parts):
            out.append(other)
    return out


def definition_save(indicator: Indicator, spec: dict[str, Any], note: str, user: Any) -> Definition:
    """Store the next version of an indicator's definition and recompute its values (and those of
    the composites built on it), all in one transaction: either the new version and its values,
    or nothing."""
    with transaction.atomic():
        # Locks the indicator row so two saves at once get consecutive versions, not a clash.
        list(Indicator.objects.select_for_update().filter(pk=indicator.pk).values_list("pk", flat=True))
        last = indicator.definitions.order_by("-version").values_list("version", flat=True).first() or 0
        definition = Definition.objects.create(
            indicator=indicator, version=last + 1, spec=spec, note=note, created_by=user
        )
        engine.rebuild_org_unit_links()
        engine.refresh_indicator(indicator)
        for composite in composites_reading(indicator):
            engine.refresh_indicator(composite)
    return definition


@for_roles(Role.ME_OFFICER)
def definition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator_or_404(pk)
    current = engine.current_definition(indicator)
    known = set(indicator.plan.indicators.values_list("code", flat=True))
    form_args: dict[str, Any] = {"indicator_code": indicator.code, "known_indicators": known}
    result = None
    if request.method == "POST":
        form = DefinitionForm(request.POST, **form_args)
        if form.is_valid() and form.spec is not None:
            if request.POST.get("action") == "save":
                if current is not None and current.spec == form.spec:
                    form.add_error(None, _("The definition is unchanged: there is nothing to save."))
                else:
                    try:
                        saved = definition_save(indicator, form.spec, form.cleaned_data["note"], request.user)
                    except DatabaseError as exc:
                        form.add_error(None, _("The definition could not be evaluated: %(error)s") % {"error": exc})
                    else:
                        messages.success(
                            request,
                            _("Saved version %(version)s of the definition of %(code)s; its values are recomputed.")
                            % {"version": saved.version, "code": indicator.code},
                        )
                        return redirect(indicator)
            else:
                try:
                    result = preview(indicator, form.spec, form.cleaned_data["by"])
                except (DatabaseError, ValueError, ArithmeticError) as exc:
                    form.add_error(None, _("The definition could not be evaluated: %(error)s") % {"error": exc})
    else:
        form = DefinitionForm(initial={"definition": dump(current.spec) if current else ""}, **form_args)
    return render(
        request,
        "measure/definition_form.html",
        {
            "indicator": indicator,
            "plan": indicator.plan,
            "current": current,
            "form": form,
            "preview": result,
        },
    )


@for_roles(*DRILL_ROLES)
def definition_history(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator_or_404(pk)
    versions = list(indicator.definitions.select_related("created_by").order_by("-version"))
    return render(
        request,
        "measure/definition_history.html",
        {
            "indicator": indicator,
            "plan": indicator.plan,
            "versions": versions,
            "current": versions[0] if versions else None,
            "current_yaml": dump(versions[0].spec) if versions else "",
            "can_edit": can_edit_definitions(request.user),
        },
    )


@for_roles(*DRILL_ROLES)
def definition_version(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    indicator = _indicator_or_404(pk)
    definition = get_object_or_404(indicator.definitions.select_related("created_by"), version=version)
    newest = indicator.definitions.order_by("-version").values_list("version", flat=True).first()
    return render(
        request,
        "measure/definition_version.html",
        {
            "indicator": indicator,
            "plan": indicator.plan,
            "definition": definition,
            "is_current": definition.version == newest,
            "spec_yaml": dump(definition.spec),
        },
    )


# --- baselines and targets ------------------------------------------------------------------------
@for_roles(Role.ME_OFFICER)
def targets_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The indicator's baselines and targets, every row in one form. Validation and the write share
    one transaction: a row changed by someone else since the page was opened is refused."""
    indicator = _indicator_or_404(pk)
    error = ""
    if request.method == "POST":
        with transaction.atomic():
            baselines, year_targets = targets.formsets(indicator, request.POST)
            if all([baselines.is_valid(), year_targets.is_valid()]):
                try:
                    with transaction.atomic():  # both or neither
                        events = targets.save(baselines, actor=request.user)
                        events += targets.save(year_targets, actor=request.user)
                except IntegrityError:
                    # Rows that trade slots with each other pass one at a time through the
                    # database's uniqueness rules, which see the first write clash with the second.
                    error = _(
                        "These changes cannot be saved together: two rows would fill the same slot on "
                        "the way. Save one of them first."
                    )
                else:
                    if events:
                        count = len(events)
                        messages.success(
                            request,
                            ngettext(
                                "Saved %(count)s change to the baselines and targets of %(code)s.",
                                "Saved %(count)s changes to the baselines and targets of %(code)s.",
                                count,
                            )
                            % {"count": count, "code": indicator.code},
                        )
                    else:
                        messages.info(request, _("Nothing was changed."))
                    return redirect(f"{indicator.get_absolute_url()}#t-h")
    else:
        baselines, year_targets = targets.formsets(indicator)
    return render(
        request,
        "measure/targets_form.html",
        {
            "indicator": indicator,
            "plan": indicator.plan,
            "baselines": baselines,
            "targets": year_targets,
            "error": error,
        },
    )
