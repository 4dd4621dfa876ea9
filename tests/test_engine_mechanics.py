"""How the engine works, beyond single values: query counts that do not grow with the records,
org-unit roll-up as ratios of sums, the definition language's validation, refresh idempotency and
recovery, the management command, drill-down to the records behind a value, and the plan file's
round trip with definitions."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tathmini.core import periods as P
from tathmini.measure import compiler, definitions, engine
from tathmini.measure.models import Definition, RefreshRun, Value
from tathmini.registry.models import Institution
from tathmini.strategy import models as m
from tathmini.strategy import plan_io
from tathmini.strategy.plan_io import PlanFileError
from tests import engine_data as E
from tests.engine_data import d, dt, stored, total, triple

PLAN_FILE = Path(__file__).resolve().parent.parent / "plans" / "ega-2012-2017.yaml"
FY = "2013/14"
# Enough periods to see what a refresh touches, few enough to keep these tests quick.
SOME = ["2012/13", FY, "2013/14-Q1", "2013/14-Q3", "2013-08", "2014/15"]


@pytest.fixture(autouse=True)
def _only_this_tests_records(db: Any) -> None:
    E.clear_records()


def snapshot(**filters: Any) -> dict[tuple[str, str, str, str], tuple[Any, ...]]:
    rows = Value.objects.filter(indicator__plan__code=E.PLAN_CODE, **filters).values_list(
        "indicator__code", "period", "dimension", "group", "numerator", "denominator", "value", "computed_at"
    )
    return {(c, p, dim, g): (n, den, v, at) for c, p, dim, g, n, den, v, at in rows}


def without_time(snap: dict[Any, tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
    return {key: row[:3] for key, row in snap.items()}


# --- Query count ------------------------------------------------------------------------------
def uniform_records(n: int) -> None:
    """n records of every source, all in August 2013, spread over the same two categories, two
    regions and two org units whatever n is — so the values have the same groups and periods, and
    only the number of records behind them differs."""
    units = [E.unit("utawala-rasilimali"), E.unit("huduma-ushauri")]
    kinds = ["institution_satisfaction", "stakeholder_awareness", "staff_satisfaction"]
    surveys = {kind: E.survey(kind) for kind in kinds}
    insts = [E.institution(f"q{i}", ("ministry", "lga")[i % 2], ("dodoma", "arusha")[i % 2]) for i in range(n)]
    for j in range(n):
        inst, day, unit = insts[j], date(2013, 8, 1 + j % 28), units[j % 2]
        at = dt(2013, 8, 1 + j % 28, 9)
        service = E.eservice(inst, day)
        resource = E.shared_resource(("interoperability", "network")[j % 2], date(2013, 8, 1))
        E.subscription(inst, resource, day)
        E.workforce(inst, day, ict=10, qualified=j % 11)
        E.initiative(inst, "in_progress", day, None, "approved", date(2013, 7, 1))
        E.assessment(inst, day, 50 + j % 50)
        E.usage(service, day, day + timedelta(days=2), users=j)
        E.monitor_day(service, day, 86400, 86400 - j)
        E.engagement(inst, ("advisory", "technical_support")[j % 2], date(2013, 7, 1), day, 1 + j % 5, unit)
        E.budget_line("2013/14", ("shared_resources", "personnel")[j % 2], 1000 + j, unit)
        E.revenue(day, ("advisory_services", "egov_services")[j % 2], 100 + j)
        E.post(unit, f"Position {j}", day, approved=3, filled=j % 4)
        E.complaint(at, "delay", ("slow reply", "portal down")[j % 2], "agency", inst, resolved=at + timedelta(days=1))
        E.information_request(inst, at, at + timedelta(days=1, hours=j % 24))
        E.response(surveys[kinds[j % 3]], at, 1 + j % 5, inst)


def test_refreshing_everything_takes_as_many_queries_for_200_records_as_for_10(db: Any) -> None:
    plan = E.plan()
    measured = {}
    for n in (10, 200):
        with transaction.atomic():
            E.clear_records()
            uniform_records(n)
            with CaptureQueriesContext(connection) as queries:
                engine.refresh(plan)
            measured[n] = (len(queries.captured_queries), Value.objects.count())
            transaction.set_rollback(True)
    # The same groups and periods either way (the comparison is fair) …
    assert measured[10][1] == measured[200][1] > 0
    # … and the same queries: one per term and disaggregation, never one per record
    assert measured[10][0] == measured[200][0]


# --- Roll-up ----------------------------------------------------------------------------------
def test_a_departments_k16_is_the_ratio_of_its_units_sums_not_the_mean_of_their_percentages() -> None:
    hr, finance, admin = E.unit("utawala-rasilimali"), E.unit("utawala-fedha"), E.unit("utawala")
    E.post(hr, "Officer", date(2013, 1, 1), approved=10, filled=9)  # HR: 9/10 = 90 %
    E.post(finance, "Accountant", date(2013, 1, 1), approved=2, filled=1)  # Finance: 1/2 = 50 %
    E.post(admin, "Director", date(2013, 1, 1), approved=1, filled=1)  # the department's own post
    security = E.unit("huduma-ushauri-usalama")  # a section, two levels under its department
    E.post(security, "Analyst", date(2013, 1, 1), approved=4, filled=1)
    E.refresh("K16", [FY])

    org = stored("K16", FY, "org_unit")
    units = [org[E.unit_pk("utawala-rasilimali")], org[E.unit_pk("utawala-fedha")]]
    department = org[E.unit_pk("utawala")]
    # (9 + 1 + 1) ÷ (10 + 2 + 1) × 100 = 11/13 × 100 = 84.615385
    assert department.numerator == sum(u.numerator or 0 for u in units) + 1 == 11
    assert department.denominator == sum(u.denominator or 0 for u in units) + 1 == 13
    assert department.value == d("84.615385")
    # Not the mean of the units' percentages ((90 + 50) ÷ 2 = 70), nor of all three ((90 + 50 + 100) ÷ 3 = 80)
    assert department.value not in (70, 80)
    # The section's post counts for its unit and its department, and only there
    assert triple(org[E.unit_pk("huduma-ushauri-usalama")]) == (1, 4, 25)
    assert triple(org[E.unit_pk("huduma-ushauri")]) == (1, 4, 25)
    assert triple(org[E.unit_pk("huduma")]) == (1, 4, 25)
    # The whole Agency: (9 + 1 + 1 + 1) ÷ (10 + 2 + 1 + 4) = 12/17 = 70.588235
    assert triple(total("K16", FY)) == (12, 17, d("70.588235"))


# --- The definition language's validation ------------------------------------------------------
LIVE = {"source": "eservices", "aggregate": "count", "period": {"match": "state"}}
INVALID = {
    "unknown source": (
        {"numerator": {**LIVE, "source": "e_services"}},
        "numerator.source",
        "'e_services' is not a data source",
    ),
    "unknown field": (
        {"numerator": {**LIVE, "filters": [{"field": "launch_on", "op": "lte", "value": "$end"}]}},
        "numerator.filters[0].field",
        "'launch_on' is not a field of source 'eservices'",
    ),
    "bad operator": (
        {"numerator": {**LIVE, "filters": [{"field": "launched_on", "op": "before", "value": "$end"}]}},
        "numerator.filters[0].op",
        "'before' is not an operator",
    ),
    "sum without a field": (
        {"numerator": {"source": "revenue", "aggregate": "sum", "period": {"match": "events", "field": "received_on"}}},
        "numerator.field",
        "sum needs a field",
    ),
    "having without count_distinct": (
        {"numerator": {**LIVE, "having": {"aggregate": "mean", "field": "id", "op": "gte", "value": 4}}},
        "numerator.having",
        "use count_distinct",
    ),
    "composite naming an unknown indicator": (
        {"composite": [{"indicator": "K03", "weight": 1}, {"indicator": "K99", "weight": 1}]},
        "composite[1].indicator",
        "'K99' is not an indicator of this plan",
    ),
    "denominator field in a product": (
        {"numerator": LIVE, "denominator": {"product": [LIVE, {**LIVE, "field": "code"}]}},
        "denominator.product[1].field",
        "count takes no field",
    ),
}


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_an_invalid_definition_is_refused_with_the_path_of_the_problem(case: str) -> None:
    spec, path, message = INVALID[case]
    known = set(E.plan().indicators.values_list("code", flat=True))
    with translation.override("en"):  # the messages are translated; these are the English ones
        problems = definitions.validate(spec, known)
    assert [p for p, _m in problems] == [path]
    assert message in problems[0][1]
    with translation.override("sw"):  # and the Swahili one names the same place
        assert [p for p, _m in definitions.validate(spec, known)] == [path]
    with pytest.raises(definitions.DefinitionError) as exc:
        definitions.check(spec, known)
    assert f"{path}: " in str(exc.value)


def test_every_shipped_definition_is_valid() -> None:
    plan = E.plan()
    known = set(plan.indicators.values_list("code", flat=True))
    for indicator in plan.indicators.all():
        current = engine.current_definition(indicator)
        if current is not None:
            assert definitions.validate(current.spec, known) == [], indicator.code


def k04_line(text: str, needle: str) -> int:
    """The 1-based line of the first ``needle`` inside K04's entry of the plan file."""
    lines = text.split("\n")
    start = lines.index("    - code: K04")
    return next(i for i in range(start, len(lines)) if lines[i].strip() == needle) + 1


@pytest.mark.parametrize(
    ("needle", "replacement", "path"),
    [
        ("- field: launched_on", "- field: launch_on", "plan.indicators[3].definition.numerator.filters[0].field"),
        ("op: gt_or_null", "op: after_or_null", "plan.indicators[3].definition.numerator.filters[1].op"),
        ("source: eservices", "source: e_services", "plan.indicators[3].definition.numerator.source"),
    ],
)
def test_a_plan_file_with_an_invalid_definition_is_refused_at_the_bad_key(
    needle: str, replacement: str, path: str
) -> None:
    text = PLAN_FILE.read_text(encoding="utf-8")
    line = k04_line(text, needle)
    lines = text.split("\n")
    lines[line - 1] = lines[line - 1].replace(needle, replacement)
    with pytest.raises(PlanFileError) as exc:
        plan_io.parse_plan("\n".join(lines), "ega.yaml")
    assert [(p.line, p.path) for p in exc.value.problems] == [(line, path)]
    assert f"ega.yaml:{line}: {path}" in str(exc.value)


# --- Refresh: idempotent, partial, recoverable --------------------------------------------------
def some_records() -> Institution:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    E.eservice(a, date(2012, 8, 1))
    E.eservice(b, date(2013, 9, 1), retired=date(2015, 1, 1))
    E.complaint(dt(2013, 8, 1), resolved=dt(2013, 8, 3))
    E.complaint(dt(2013, 9, 1), resolved=dt(2013, 9, 2))
    E.post(E.unit("utawala-fedha"), "Accountant", date(2013, 1, 1), approved=4, filled=3)
    E.revenue(date(2013, 8, 1), "egov_services", 100)
    return a


def test_refreshing_twice_stores_the_same_values_and_rows() -> None:
    some_records()
    plan = E.plan()
    engine.refresh(plan, period_codes=SOME)
    first = snapshot()
    engine.refresh(plan, period_codes=SOME)
    second = snapshot()
    assert len(first) == len(second) == Value.objects.count() > 0
    assert without_time(first) == without_time(second)
    # The values are the ones expected: 2 live e-services at 30 June 2014, 3 of 4 posts filled
    assert triple(total("K04", FY)) == (2, None, 2)
    assert triple(total("K16", FY)) == (3, 4, 75)


def test_refreshing_named_periods_rewrites_only_those() -> None:
    a = some_records()
    plan = E.plan()
    engine.refresh(plan, period_codes=SOME)
    before = snapshot()
    E.eservice(a, date(2014, 1, 1))  # one more live e-service from January 2014
    engine.refresh(plan, period_codes=[FY, "2013/14-Q3"])
    after = snapshot()
    assert set(after) == set(before)
    for key, row in before.items():
        if key[1] in (FY, "2013/14-Q3"):
            assert after[key][3] > row[3], key  # rewritten
        else:
            assert after[key] == row, key  # kept as it was, computed_at included
    assert triple(total("K04", FY)) == (3, None, 3)
    assert triple(total("K04", "2013/14-Q3")) == (3, None, 3)
    # 2014/15 was not asked for this time: still a's first e-service alone (b's retired in January 2015),
    # though the new one would now count there too
    assert triple(total("K04", "2014/15")) == (1, None, 1)


def test_a_crash_keeps_the_failed_indicators_old_values_and_resume_finishes_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    some_records()
    plan = E.plan()
    engine.refresh(plan, period_codes=SOME)
    before = snapshot()
    E.eservice(E.institution("c", "agency", "mwanza"), date(2013, 1, 1))  # changes K04 and K05 …
    E.institution("e", "agency", "mwanza")  # … and K05's denominator

    real = engine.evaluate

    def failing(indicator: m.Indicator, *args: Any, **kwargs: Any) -> list[engine.Row]:
        if indicator.code == "K05":
            raise RuntimeError("disk full")
        return real(indicator, *args, **kwargs)

    monkeypatch.setattr(engine, "evaluate", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        engine.refresh(plan, period_codes=SOME)
    run = RefreshRun.objects.get(status=RefreshRun.Status.FAILED)
    assert "K05" in run.error
    assert run.pending[0] == "K05" and "K05" not in run.done
    done_before_crash, pending = list(run.done), list(run.pending)
    assert "K04" in done_before_crash and "K12" in pending

    crashed = snapshot()
    k05 = {key: row for key, row in crashed.items() if key[0] == "K05"}
    assert k05 == {key: row for key, row in before.items() if key[0] == "K05"}  # untouched, fully old
    assert triple(total("K04", FY)) == (3, None, 3)  # done before the crash: new

    monkeypatch.setattr(engine, "evaluate", real)
    resumed = engine.refresh(plan, resume=True)
    assert resumed.pk == run.pk and resumed.status == RefreshRun.Status.DONE
    assert resumed.pending == [] and resumed.done == done_before_crash + pending
    final = snapshot()
    for key, row in final.items():
        if key[0] in done_before_crash:
            assert row == crashed[key], key  # not recomputed by the resumed run
        elif key in crashed:
            assert row[3] > crashed[key][3], key  # recomputed
    # K05 was 2/2 (a and b) and is now 3/4: a, b (retires in 2015) and c of a, b, c, e
    assert before[("K05", FY, "", "")][:3] == (2, 2, 100)
    assert triple(total("K05", FY)) == (3, 4, 75)


# --- The management command -----------------------------------------------------------------
def test_measure_refresh_command_recomputes_one_indicator_for_one_period() -> None:
    some_records()
    out = StringIO()
    call_command("measure", "refresh", "--indicator", "K04", "--period", FY, stdout=out)
    assert "refreshed 1 indicator(s)" in out.getvalue()
    assert set(Value.objects.values_list("indicator__code", "period").distinct()) == {("K04", FY)}
    assert triple(total("K04", FY)) == (2, None, 2)
    status = StringIO()
    call_command("measure", "status", stdout=status)
    lines = status.getvalue().splitlines()
    assert len(lines) == 1 and "done" in lines[0] and "done 1, pending 0" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--indicator", "K99"], "unknown indicator(s): K99"),
        (["--indicator", "K04", "--period", "2013/15"], "2013/15"),
        (["--period", "2013-13"], "month 13"),
    ],
    ids=["unknown indicator", "not a fiscal year", "not a month"],
)
def test_measure_refresh_command_refuses_unknown_indicators_and_periods(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("measure", "refresh", *args, stdout=StringIO())
    assert not Value.objects.exists() and not RefreshRun.objects.exists()


def test_measure_refresh_command_refuses_a_period_outside_the_plan() -> None:
    # 2020/21 is a well-formed fiscal year, but not one of the plan's (2012/13–2016/17): refreshing
    # it would compute nothing and report success.
    with pytest.raises(CommandError, match="2020/21"):
        call_command("measure", "refresh", "--period", "2020/21", stdout=StringIO())


# --- Timestamps compared with the period's days ------------------------------------------------
def test_a_timestamp_compared_with_start_or_end_is_compared_by_its_utc_day() -> None:
    # The period's first and last days are dates; a timestamp is on a day from its midnight (UTC)
    # to the next. Eight complaints around the edges of 2013/14-Q1 (1 July – 30 September 2013).
    for at in (
        dt(2013, 6, 30, 23, 59, 59),  # the day before the start
        dt(2013, 7, 1, 0, 0, 0),  # the start day
        dt(2013, 7, 1, 12),  # the start day
        dt(2013, 7, 2, 0, 0, 0),  # the day after
        dt(2013, 9, 29, 12),  # the day before the end
        dt(2013, 9, 30, 0, 0, 0),  # the end day
        dt(2013, 9, 30, 23, 59, 59),  # the end day
        dt(2013, 10, 1, 0, 0, 0),  # after the end
    ):
        E.complaint(at)
    expected = {
        ("lte", "$end"): 7,  # up to and including 30 Sep
        ("lt", "$end"): 5,  # before 30 Sep
        ("gte", "$end"): 3,  # 30 Sep or later
        ("gt", "$end"): 1,  # after 30 Sep
        ("eq", "$end"): 2,  # on 30 Sep
        ("gte", "$start"): 7,  # 1 July or later
        ("gt", "$start"): 5,  # after 1 July
        ("lte", "$start"): 3,  # up to and including 1 July
        ("lt", "$start"): 1,  # before 1 July
        ("eq", "$start"): 2,  # on 1 July
    }
    indicator = E.indicator("K18")
    period = P.parse("2013/14-Q1")
    found = {}
    for op, value in expected:
        spec = {
            "numerator": {
                "source": "complaints",
                "aggregate": "count",
                "period": {"match": "state"},
                "filters": [{"field": "received_at", "op": op, "value": value}],
            }
        }
        assert definitions.validate(spec) == []
        (row,) = engine.evaluate(indicator, spec, [period], dimensions=[""])
        found[(op, value)] = row.value
    assert found == expected


# --- Drill-down -------------------------------------------------------------------------------
def behind(code: str, side: str, period: str, dimension: str | None = None, group: str = "") -> set[int]:
    spec = engine.current_definition(E.indicator(code)).spec  # type: ignore[union-attr]
    p = P.parse(period)
    sql, params = compiler.drilldown_query(spec[side], compiler.EvalPeriod(p.code, p.start, p.end), dimension, group)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def test_drilldown_lists_the_records_behind_k04() -> None:
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    live_a = E.eservice(a, date(2012, 8, 1))
    E.eservice(a, date(2013, 1, 1), retired=date(2014, 6, 30))  # retired on the last day
    live_b = E.eservice(b, date(2014, 6, 30))
    E.eservice(b, date(2014, 7, 1))  # not yet
    assert behind("K04", "numerator", FY) == {live_a.pk, live_b.pk}
    assert behind("K04", "numerator", FY, "category", "lga") == {live_b.pk}


def test_drilldown_lists_the_latest_returns_behind_k02() -> None:
    a, b = E.institution("a"), E.institution("b", "lga")
    E.workforce(a, date(2013, 8, 1), 10, 5)  # superseded by a's March return
    latest_a = E.workforce(a, date(2014, 3, 31), 12, 9)
    latest_b = E.workforce(b, date(2013, 10, 15), 8, 2)
    E.workforce(b, date(2013, 6, 30), 8, 8)  # 2012/13
    assert behind("K02", "numerator", FY) == {latest_a.pk, latest_b.pk}
    assert behind("K02", "denominator", FY) == {latest_a.pk, latest_b.pk}
    assert behind("K02", "numerator", FY, "category", "lga") == {latest_b.pk}


def test_drilldown_lists_the_responses_behind_k01() -> None:
    sv = E.survey("institution_satisfaction")
    a, b = E.institution("a"), E.institution("b")
    a1 = E.response(sv, dt(2013, 8, 1), 5, a)
    a2 = E.response(sv, dt(2013, 9, 1), 3, a)  # a: mean 4 → satisfied
    b1 = E.response(sv, dt(2013, 8, 1), 3, b)  # b: 3 → not
    E.response(sv, dt(2013, 8, 1), 5, None, respondent="citizen")  # no institution
    E.response(sv, dt(2013, 6, 30, 23, 59, 59), 5, b)  # 2012/13
    assert behind("K01", "numerator", FY) == {a1.pk, a2.pk}
    assert behind("K01", "denominator", FY) == {a1.pk, a2.pk, b1.pk}


def test_drilldown_lists_the_recurring_complaints_behind_k18() -> None:
    first = E.complaint(dt(2013, 6, 1, 9), "delay", "slow reply")  # before the year
    again = E.complaint(dt(2013, 8, 1, 9), "delay", "slow reply")  # 61 days later: recurs
    other = E.complaint(dt(2013, 8, 2, 9), "quality", "slow reply")  # other category
    late = E.complaint(dt(2014, 1, 15, 9), "delay", "slow reply")  # 167 days after the last: does not
    E.complaint(dt(2013, 8, 1, 9), "delay", "slow reply", about="institution", inst=E.institution("a"))
    assert first.pk not in behind("K18", "denominator", FY)
    assert behind("K18", "numerator", FY) == {again.pk}
    assert behind("K18", "denominator", FY) == {again.pk, other.pk, late.pk}


# --- The plan file round trip with definitions -------------------------------------------------
def test_the_plan_file_round_trips_with_its_definitions() -> None:
    E.plan().delete()
    text = PLAN_FILE.read_text(encoding="utf-8")
    imported = plan_io.import_plan(text, str(PLAN_FILE))
    assert Definition.objects.filter(indicator__plan=imported).count() == 24
    assert plan_io.export_plan(imported).encode("utf-8") == PLAN_FILE.read_bytes()


def test_a_definition_stored_with_its_keys_in_another_order_exports_in_the_documented_order() -> None:
    E.plan().delete()
    imported = plan_io.import_plan(PLAN_FILE.read_text(encoding="utf-8"), str(PLAN_FILE))
    k08 = imported.indicators.get(code="K08")
    spec = engine.current_definition(k08).spec  # type: ignore[union-attr]

    def reversed_keys(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: reversed_keys(x[k]) for k in reversed(list(x))}
        if isinstance(x, list):
            return [reversed_keys(item) for item in x]
        return x

    Definition.objects.create(indicator=k08, version=2, spec=reversed_keys(spec), note="same, reordered")
    assert plan_io.export_plan(imported).encode("utf-8") == PLAN_FILE.read_bytes()


def test_a_number_in_a_filter_compares_exactly_with_a_decimal_field() -> None:
    # A filter value given as a number compares with a decimal field exactly (K11's pass mark).
    a = E.institution("a")
    E.assessment(a, date(2013, 8, 1), "69.99")
    E.assessment(E.institution("b"), date(2013, 8, 1), "70.00")
    spec = {
        "numerator": {
            "source": "assessments",
            "aggregate": "count",
            "period": {"match": "events", "field": "assessed_on"},
            "filters": [{"field": "score", "op": "gte", "value": 70}],
        }
    }
    (row,) = engine.evaluate(E.indicator("K11"), spec, [P.parse(FY)], dimensions=[""])
    assert row.value == Decimal(1)


def test_the_sqlite_the_engine_needs_is_checked() -> None:
    from tathmini.measure import checks

    assert checks.sqlite_version_ok((3, 35, 0)) and checks.sqlite_version_ok((3, 40, 1))
    assert not checks.sqlite_version_ok((3, 34, 1))
