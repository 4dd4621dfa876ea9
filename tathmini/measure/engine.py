"""Evaluate indicator definitions into stored values, for every period and disaggregation.

``evaluate`` turns one definition into value rows with a fixed number of SQL aggregates (see
compiler.py); ``refresh`` stores them, one indicator per transaction, recording its progress in
a RefreshRun so that an interrupted run resumes where it stopped and a crash leaves the values of
the indicator being written as they were.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tathmini.core import periods as P
from tathmini.measure import compiler, sources
from tathmini.measure.models import Definition, OrgUnitLink, RefreshRun, Value
from tathmini.strategy.models import Indicator, OrgUnit, Plan

log = logging.getLogger(__name__)

DIMENSIONS = ("", "category", "region", "org_unit")
KINDS = ("year", "quarter", "month")


@dataclass
class Row:
    period: P.Period
    dimension: str
    group: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    extras: dict[str, Any] = field(default_factory=dict)


def _dec(x: Any) -> Decimal | None:
    if x is None:
        return None
    return x if isinstance(x, Decimal) else Decimal(str(x))


def plan_periods(plan: Plan, kinds: Iterable[str] = KINDS) -> list[P.Period]:
    """Every period of the plan's fiscal years, of the kinds asked, in time order."""
    out: list[P.Period] = []
    for fy_code in plan.fiscal_years.values_list("code", flat=True):
        fy = P.parse(fy_code)
        if "year" in kinds:
            out.append(fy)
        if "quarter" in kinds:
            out += P.quarters_of(fy)
        if "month" in kinds:
            out += P.months_of(fy)
    return sorted(out, key=lambda p: (p.start, p.end))


def same_position_in(period: P.Period, fiscal_year_code: str) -> P.Period:
    """The period at the same place in another fiscal year (K06's baseline: Q2 → that year's Q2)."""
    fy = P.parse(fiscal_year_code)
    if period.kind == "year":
        return fy
    if period.kind == "quarter":
        return P.quarter(fy.start.year, int(period.code[-1]))
    month = period.start.month
    return P.month(fy.start.year + (month < 7), month)


def rebuild_org_unit_links() -> None:
    """Ancestor/descendant pairs of the org-unit tree (small: tens of units); written only when
    the tree changed, so that every automatic refresh can call this for two cheap reads."""
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    wanted = set()
    for unit in parents:
        node: int | None = unit
        depth = 0
        while node is not None:
            wanted.add((node, unit, depth))
            node = parents.get(node)
            depth += 1
    if set(OrgUnitLink.objects.values_list("ancestor_id", "descendant_id", "depth")) == wanted:
        return
    with transaction.atomic():
        OrgUnitLink.objects.all().delete()
        OrgUnitLink.objects.bulk_create(OrgUnitLink(ancestor_id=a, descendant_id=d, depth=n) for a, d, n in wanted)


def _run(sql: str, params: list[Any]) -> dict[str, dict[tuple[str, str], Decimal | None]]:
    """dimension → (period code, group) → value, from a term query's rows."""
    out: dict[str, dict[tuple[str, str], Decimal | None]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dimension, code, group, value in cursor.fetchall():
            out[dimension][(code, str(group))] = _dec(value)
    return out


def _supports(term: dict[str, Any], dimension: str) -> bool:
    source = sources.get(term["source"])
    if source is None:
        raise ValueError(f"unknown data source {term['source']!r}")
    if dimension == "":
        return True
    if dimension == "org_unit":
        return source.org_unit is not None
    return dimension in source.dimensions


def _evals(term: dict[str, Any], periods: list[P.Period], cumulative_from: date | None) -> list[compiler.EvalPeriod]:
    out = []
    for p in periods:
        target = same_position_in(p, term["baseline"]) if term.get("baseline") else p
        start = cumulative_from if cumulative_from and not term.get("baseline") else target.start
        out.append(compiler.EvalPeriod(p.code, start, target.end))
    return out


def _side(spec: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = spec.get(name)
    if value is None:
        return []
    return value.get("product", [value])


def _empty_value(term: dict[str, Any]) -> Decimal | None:
    # No matching rows: a count or a sum is 0; a median of nothing is no value.
    return None if term["aggregate"] == "median" else Decimal(0)


def _finish(spec: dict[str, Any], num: Decimal | None, den: Decimal | None, has_den: bool) -> Decimal | None:
    if num is None or (has_den and (den is None or den == 0)):
        return None
    value = Decimal(num) if not has_den else Decimal(num) / Decimal(den)  # type: ignore[arg-type]
    value *= Decimal(str(spec.get("scale", 1)))
    if spec.get("transform") == "likert_0_100":
        value = (value - 1) / 4 * 100
    return value


def evaluate(
    indicator: Indicator,
    spec: dict[str, Any],
    periods: list[P.Period],
    *,
    plan_start: date | None = None,
    dimensions: Iterable[str] = DIMENSIONS,
    composite_values: dict[tuple[str, str, str, str], Decimal | None] | None = None,
) -> list[Row]:
    """Value rows of one definition for the given periods and dimensions."""
    if "composite" in spec:
        return _evaluate_composite(spec, periods, dimensions, composite_values or {})
    cumulative_from = plan_start if spec.get("cumulation") == "cumulative" else None
    numerators, denominators = _side(spec, "numerator"), _side(spec, "denominator")
    extras = spec.get("extras") or {}
    rows: list[Row] = []
    by_code = {p.code: p for p in periods}
    dimensions = list(dimensions)

    # Each term once for every dimension it is read in: its own where the source has it, and the
    # total (dimension "") where it is broadcast to the groups of a dimension it lacks.
    def term_dimensions(term: dict[str, Any]) -> list[str]:
        used = [d for d in dimensions if all(_supports(t, d) for t in numerators)]
        own = [d for d in used if _supports(term, d)]
        return own + ([""] if "" not in own and len(own) < len(used) else [])

    computed: dict[int, dict[str, dict[tuple[str, str], Decimal | None]]] = {}
    for term in [*numerators, *denominators, *extras.values()]:
        dims = term_dimensions(term)
        if id(term) not in computed and dims:
            sql, params = compiler.term_query(term, [d or None for d in dims], _evals(term, periods, cumulative_from))
            by_dimension = _run(sql, params)
            computed[id(term)] = {d: by_dimension.get(d, {}) for d in dims}

    org_fallback = False
    for dimension in dimensions:
        if not all(_supports(t, dimension) for t in numerators):
            if dimension == "org_unit" and indicator.responsible_unit_id:
                org_fallback = True
            continue

        def results(term: dict[str, Any], dimension: str = dimension) -> dict[tuple[str, str], Decimal | None]:
            by_dim = computed[id(term)]
            if dimension in by_dim:
                return by_dim[dimension]
            return {(code, "*"): value for (code, _g), value in by_dim[""].items()}  # broadcast to every group

        num_results = [results(t) for t in numerators]
        den_results = [results(t) for t in denominators]
        extra_results = {name: results(t) for name, t in extras.items()}
        groups: dict[str, set[str]] = defaultdict(set)
        for found in num_results + den_results:
            for code, group in found:
                if group != "*":
                    groups[code].add(group)
        for p in periods:
            wanted = groups[p.code] or ({""} if dimension == "" else set())
            for group in sorted(wanted):

                def get(
                    found: dict[tuple[str, str], Decimal | None],
                    term: dict[str, Any],
                    code: str = p.code,
                    group: str = group,
                ) -> Decimal | None:
                    if (code, "*") in found:
                        return found[(code, "*")]
                    return found.get((code, group), _empty_value(term))

                num = _product([get(f, t) for f, t in zip(num_results, numerators, strict=True)])
                den = (
                    _product([get(f, t) for f, t in zip(den_results, denominators, strict=True)])
                    if denominators
                    else None
                )
                row = Row(by_code[p.code], dimension, group, num, den, _finish(spec, num, den, bool(denominators)))
                for name, found in extra_results.items():
                    extra = get(found, extras[name])
                    row.extras[name] = None if extra is None else format(_q(extra), "f")
                rows.append(row)
    if org_fallback:
        rows += _attribute_to_responsible_unit(indicator, [r for r in rows if r.dimension == ""])
    if spec.get("cumulation") == "latest":
        rows = _carry_forward(rows)
    return rows


def _product(values: list[Decimal | None]) -> Decimal | None:
    out = Decimal(1)
    for v in values:
        if v is None:
            return None
        out *= v
    return out


def _attribute_to_responsible_unit(indicator: Indicator, totals: list[Row]) -> list[Row]:
    """A source with no org unit of its own counts for the indicator's responsible unit, and so for
    every unit above it."""
    units = [indicator.responsible_unit, *indicator.responsible_unit.ancestors()]  # type: ignore[union-attr]
    return [
        Row(r.period, "org_unit", str(u.pk), r.numerator, r.denominator, r.value, dict(r.extras))
        for r in totals
        for u in units
        if u is not None
    ]


def _carry_forward(rows: list[Row]) -> list[Row]:
    """ "Latest value" indicators show, for a period without data, the latest earlier value."""
    latest: dict[tuple[str, str, str], Row] = {}
    out = []
    for row in sorted(rows, key=lambda r: (r.period.start, r.period.end)):
        key = (row.period.kind, row.dimension, row.group)
        if row.value is None and key in latest:
            prev = latest[key]
            row = Row(
                row.period,
                row.dimension,
                row.group,
                prev.numerator,
                prev.denominator,
                prev.value,
                {**prev.extras, "carried_from": prev.period.code},
            )
        if row.value is not None:
            latest[key] = row
        out.append(row)
    return out


def _evaluate_composite(
    spec: dict[str, Any],
    periods: list[P.Period],
    dimensions: Iterable[str],
    parts: dict[tuple[str, str, str, str], Decimal | None],
) -> list[Row]:
    """Weighted mean of other indicators' values; a missing part is skipped and the rest re-weighted."""
    rows = []
    for dimension in dimensions:
        groups = {g for (code, _p, d, g) in parts if d == dimension}
        if dimension == "":
            groups = {""}
        for p in periods:
            for group in sorted(groups):
                num, den = Decimal(0), Decimal(0)
                for part in spec["composite"]:
                    v = parts.get((part["indicator"], p.code, dimension, group))
                    if v is not None:
                        w = Decimal(str(part.get("weight", 1)))
                        num += w * v
                        den += w
                if dimension and den == 0:
                    continue
                rows.append(
                    Row(p, dimension, group, num if den else None, den, _finish(spec, num, den, True) if den else None)
                )
    return rows


# --- Storage and refresh ------------------------------------------------------------------------
def current_definition(indicator: Indicator) -> Definition | None:
    cached = getattr(indicator, "_prefetched_objects_cache", {}).get("definitions")
    if cached is not None:  # prefetched with the indicators: no query per indicator
        return max(cached, key=lambda d: d.version, default=None)
    return indicator.definitions.order_by("-version").first()


def _composite_inputs(spec: dict[str, Any], plan: Plan) -> dict[tuple[str, str, str, str], Decimal | None]:
    codes = [part["indicator"] for part in spec["composite"]]
    values = Value.objects.filter(indicator__plan=plan, indicator__code__in=codes).values_list(
        "indicator__code", "period", "dimension", "group", "value"
    )
    return {(c, p, d, g): v for c, p, d, g, v in values}


def refresh_indicator(
    indicator: Indicator, period_codes: list[str] | None = None, *, from_stored_months: bool = False
) -> int:
    """Recompute and store one indicator's values (all plan periods, or the ones named).

    ``from_stored_months``: the automatic refresh after a write, which names every month the
    write can move, may sum a year or quarter from its months (``_from_months``); an explicit
    refresh always reads the records.
    """
    plan = indicator.plan
    periods = plan_periods(plan)
    if period_codes is not None:
        wanted = set(period_codes)
        periods = [p for p in periods if p.code in wanted]
    if not OrgUnitLink.objects.exists():
        rebuild_org_unit_links()  # the org-unit disaggregation joins through these links
    with transaction.atomic():
        # One refresh of an indicator at a time, reading the records inside its lock: refreshes
        # after two concurrent writes then run one after the other, the later one seeing both
        # writes, instead of the one that read first storing its older figures last (or the two
        # colliding on the unique values). On SQLite the write lock taken at BEGIN does this.
        list(Indicator.objects.select_for_update().filter(pk=indicator.pk).values_list("pk", flat=True))
        return _store(indicator, current_definition(indicator), periods, period_codes, from_stored_months)


def _store(
    indicator: Indicator,
    definition: Definition | None,
    periods: list[P.Period],
    period_codes: list[str] | None,
    from_stored_months: bool,
) -> int:
    if definition is None or not periods:
        # Keep this before the delete below: an indicator without a definition has no computed
        # values, only the approved manual ones (measure/manual.py), which a refresh must not touch.
        return 0
    plan = indicator.plan
    first = plan.first_year
    rows = _from_months(indicator, definition, periods) if from_stored_months else None
    if rows is None:
        rows = evaluate(
            indicator,
            definition.spec,
            periods,
            plan_start=first.starts_on if first else None,
            composite_values=_composite_inputs(definition.spec, plan) if "composite" in definition.spec else None,
        )
    now = timezone.now()
    objects = [
        Value(
            indicator=indicator,
            definition=definition,
            period=r.period.code,
            period_kind=r.period.kind,
            period_start=r.period.start,
            period_end=r.period.end,
            dimension=r.dimension,
            group=r.group,
            numerator=_q(r.numerator),
            denominator=_q(r.denominator),
            value=_q(r.value),
            extras=r.extras,
            computed_at=now,
        )
        for r in rows
    ]
    stale = Value.objects.filter(indicator=indicator)
    if period_codes is not None:
        stale = stale.filter(period__in=[p.code for p in periods])
    stale.delete()
    Value.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


def _counts_by_month(spec: dict[str, Any]) -> bool:
    """Whether a year's or quarter's value is exactly the sum of its months' numerators and
    denominators: one count of events for each side, of one source, with nothing that depends on
    the period as a whole (no cumulation, baseline, latest row, per-entity condition or filter on
    the period's bounds)."""
    if "composite" in spec or spec.get("extras") or spec.get("cumulation") in ("cumulative", "latest"):
        return False
    terms = [t for t in (spec.get("numerator"), spec.get("denominator")) if t is not None]
    if any("product" in t for t in terms):
        return False
    return len({t["source"] for t in terms}) == 1 and all(
        t["aggregate"] == "count"
        and t["period"]["match"] == "events"
        and not (t.get("latest") or t.get("having") or t.get("baseline"))
        and not any(compiler.mentions_period(f) for f in t.get("filters", []))
        for t in terms
    )


def _from_months(indicator: Indicator, definition: Definition, periods: list[P.Period]) -> list[Row] | None:
    """An incremental refresh of a count-by-month definition: the months asked for from the
    records, and each year or quarter asked for as the sum of its months, those not asked for
    read from the stored values. A year then costs its changed months, not its every record (K18
    after one new complaint: four months instead of a year of recurrence checks). None when this
    does not apply or a month is not stored from the current definition: then the caller
    evaluates everything from the records."""
    spec = definition.spec
    coarse = [p for p in periods if p.kind != "month"]
    if not coarse or not _counts_by_month(spec):
        return None
    fresh = {p.code: p for p in periods if p.kind == "month"}
    inside = {p.code: [m.code for m in P.months_of(p)] for p in coarse}
    kept = {m for months in inside.values() for m in months} - set(fresh)
    stored = list(
        Value.objects.filter(indicator=indicator, period__in=kept).values_list(
            "period", "dimension", "group", "numerator", "denominator", "definition_id"
        )
    )
    totals = {period for period, dimension, *_rest in stored if dimension == ""}
    if totals != kept or any(d != definition.pk for *_rest, d in stored):
        return None
    rows = evaluate(indicator, spec, [p for p in periods if p.kind == "month"]) if fresh else []
    months = [(r.period.code, r.dimension, r.group, r.numerator, r.denominator) for r in rows]
    months += [(period, dimension, group, num, den) for period, dimension, group, num, den, _d in stored]
    sums: dict[tuple[str, str, str], list[Decimal]] = {}
    for p in coarse:
        within = set(inside[p.code])
        for month, dimension, group, num, den in months:
            if month in within:
                total = sums.setdefault((p.code, dimension, group), [Decimal(0), Decimal(0)])
                total[0] += num or 0
                total[1] += den or 0
    has_den = "denominator" in spec
    by_code = {p.code: p for p in coarse}
    for (code, dimension, group), (num, den) in sorted(sums.items()):
        rows.append(
            Row(by_code[code], dimension, group, num, den if has_den else None, _finish(spec, num, den, has_den))
        )
    return rows


def _q(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(Decimal("0.000001"))


def ordered_indicators(plan: Plan, codes: Iterable[str] | None = None) -> list[Indicator]:
    """Indicators with a definition, composites after the parts they read."""
    qs = plan.indicators.select_related("responsible_unit").prefetch_related("definitions")
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    with_def = [(i, current_definition(i)) for i in qs]
    plain = [i for i, d in with_def if d is not None and "composite" not in d.spec]
    composite = [i for i, d in with_def if d is not None and "composite" in d.spec]
    return plain + composite


def refresh(
    plan: Plan | None = None,
    codes: Iterable[str] | None = None,
    period_codes: list[str] | None = None,
    *,
    trigger: str = "command",
    resume: bool = False,
) -> RefreshRun:
    """Refresh indicators one by one, each in its own transaction, keeping a watermark."""
    plan = plan or Plan.objects.get(is_current=True)
    run = None
    if resume:
        run = RefreshRun.objects.exclude(status=RefreshRun.Status.DONE).order_by("-started_at").first()
    if run is None:
        todo = [i.code for i in ordered_indicators(plan, codes)]
        run = RefreshRun.objects.create(
            started_at=timezone.now(), trigger=trigger, pending=todo, periods=period_codes or []
        )
    rebuild_org_unit_links()
    indicators = {i.code: i for i in plan.indicators.select_related("responsible_unit")}
    run.status = RefreshRun.Status.RUNNING
    run.save(update_fields=["status"])
    for code in list(run.pending):
        try:
            with transaction.atomic():
                refresh_indicator(indicators[code], run.periods or None)
                run.pending = [c for c in run.pending if c != code]
                run.done = [*run.done, code]
                run.save(update_fields=["pending", "done"])
        except Exception as exc:
            run.status = RefreshRun.Status.FAILED
            run.error = f"{code}: {exc}"
            run.save(update_fields=["status", "error"])
            log.exception("refresh of %s failed", code)
            raise
    run.status = RefreshRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run
