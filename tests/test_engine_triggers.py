"""The automatic refresh after a write: it recomputes the indicators and periods a change can move,
through every write path (form, public site, import), and leaves the others alone.

K18 is the share of complaints about the Agency, received in the period, that repeat an earlier
complaint of the same category and subject within 90 days; R02 is the median days from receiving a
complaint to resolving it, over the complaints resolved in the period.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from tathmini.feedback.models import Complaint
from tathmini.measure import triggers
from tathmini.measure.models import Value
from tathmini.records import imports
from tathmini.records import types as record_types
from tathmini.records.services import public_create, save_record, snapshot_before
from tathmini.registry.models import Institution
from tests import engine_data as E
from tests.engine_data import d, dt, total, triple

# The new complaint falls in March 2015: fiscal year 2014/15, its third quarter.
PERIODS = ["2014/15", "2014/15-Q3", "2015-03", "2014/15-Q4"]


@pytest.fixture(autouse=True)
def _records(db: Any, settings: Any) -> None:
    E.clear_records()
    settings.MEASURE_AUTO_REFRESH = True
    # One complaint about the Agency on 1 March 2015, resolved 4 days later.
    E.complaint(dt(2015, 3, 1, 9), resolved=dt(2015, 3, 5, 9))
    for code in ("K18", "R02"):
        E.refresh(code, PERIODS)


def computed_at(code: str) -> set[Any]:
    return set(
        Value.objects.filter(indicator__code=code, indicator__plan__code=E.PLAN_CODE).values_list(
            "computed_at", flat=True
        )
    )


def test_a_complaint_filed_on_the_public_site_refreshes_k18_but_not_r02(
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert triple(total("K18", "2015-03")) == (d(0), d(1), d(0))
    r02_before = computed_at("R02")
    with django_capture_on_commit_callbacks(execute=True):
        public_create(
            record_types.get("complaints"),
            Complaint(
                reference="LAL-NEW",
                about="agency",
                category="delay",
                subject="slow reply",
                received_at=dt(2015, 3, 20, 10),
            ),
        )
    # 2 complaints in March, the second repeats the first within 90 days: 1 / 2 = 50 %.
    assert triple(total("K18", "2015-03")) == (d(1), d(2), d(50))
    assert triple(total("K18", "2014/15")) == (d(1), d(2), d(50))
    # Not resolved: it is in no period of R02, whose values were not recomputed.
    assert computed_at("R02") == r02_before
    assert total("R02", "2015-03").value == d(4)


def test_resolving_a_complaint_refreshes_r02_in_the_period_it_was_resolved_in(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    late = E.complaint(dt(2015, 1, 10, 9))  # received in January, not yet resolved
    before = snapshot_before(late)
    late.resolved_at = dt(2015, 3, 20, 9)  # 69 days later
    late.status = "resolved"
    with django_capture_on_commit_callbacks(execute=True):
        save_record(
            record_types.get("complaints"), late, actor=personas["me_officer"].user, channel="web", before=before
        )
    # Resolved in March: 4 and 69 days, median (4 + 69) / 2 = 36.5.
    assert total("R02", "2015-03").value == d("36.5")


def test_an_import_refreshes_once_for_the_whole_file(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    rows = [
        ["reference", "received_at", "about", "category", "subject", "status"],
        ["IMP-1", "2015-03-10 08:00", "agency", "delay", "slow reply", "received"],
        ["IMP-2", "2015-03-11 08:00", "agency", "delay", "portal down", "received"],
        ["IMP-3", "2015-03-12 08:00", "agency", "delay", "portal down", "received"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = imports.run_import(
            record_types.get("complaints"), personas["me_officer"].user, "c.csv", out.getvalue().encode(), dry_run=False
        )
    assert report.ok, report.problems
    assert len(callbacks) == 1
    # March: 4 complaints; IMP-1 repeats the 1 March one and IMP-3 repeats IMP-2: 2 / 4 = 50 %.
    assert triple(total("K18", "2015-03")) == (d(2), d(4), d(50))


def test_affected_periods_follow_the_field_that_places_a_row_in_a_period() -> None:
    plan = E.plan()
    march = dt(2015, 3, 20).date()
    # A new complaint, received 20 March, not resolved: K18 only — March and its quarter and
    # year, and the 90 days after it (April to June, the fourth quarter); R02 not at all.
    found = triggers.affected(plan, Complaint, {march}, {"received_at": {march}})
    assert set(found) == {"K18"}
    assert found["K18"] == {"2014/15", "2014/15-Q3", "2015-03", "2014/15-Q4", "2015-04", "2015-05", "2015-06"}
    # Without knowing which field carried the date, every term reading complaints counts it.
    assert set(triggers.affected(plan, Complaint, {march})) == {"K18", "R02"}
    # Resolved on 2 July 2015 (fiscal year 2015/16): R02 in that month, quarter and year.
    july = march + timedelta(days=104)
    found = triggers.affected(plan, Complaint, {march, july}, {"received_at": {march}, "resolved_at": {july}})
    assert found["R02"] == {"2015/16", "2015/16-Q1", "2015-07"}


def k18_values() -> dict[tuple[str, str, str], tuple[Any, Any, Any]]:
    rows = Value.objects.filter(indicator__code="K18", indicator__plan__code=E.PLAN_CODE).values_list(
        "period", "dimension", "group", "numerator", "denominator", "value"
    )
    return {(p, dim, g): (n, den, v) for p, dim, g, n, den, v in rows}


def some_year_of_complaints() -> None:
    """Complaints about the Agency across 2014/15 from institutions in two categories and
    regions, some repeating an earlier one within 90 days."""
    a = E.institution("a", "ministry", "dodoma")
    b = E.institution("b", "lga", "arusha")
    for i, (month, day) in enumerate([(7, 3), (8, 20), (9, 1), (11, 5), (12, 24), (1, 2), (2, 14), (4, 30), (6, 30)]):
        year = 2014 if month >= 7 else 2015
        subject = ("slow reply", "portal down")[i % 2]
        E.complaint(dt(year, month, day, 8), subject=subject, inst=(a, b, None)[i % 3])


def test_a_year_refreshed_from_its_months_equals_one_computed_from_the_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tathmini.measure import engine

    some_year_of_complaints()
    engine.refresh(E.plan(), ["K18"])
    asked: list[list[str]] = []
    evaluate = engine.evaluate

    def spy(indicator: Any, spec: Any, periods: Any, **kwargs: Any) -> Any:
        asked.append([p.code for p in periods])
        return evaluate(indicator, spec, periods, **kwargs)

    monkeypatch.setattr(engine, "evaluate", spy)
    new = E.complaint(dt(2015, 3, 20, 10), subject="portal down", inst=Institution.objects.get(code="b"))
    day = new.received_at.date()
    triggers.refresh_affected(Complaint, {day}, {"received_at": {day}})
    # Only the changed months were read from the records; the year and quarters were summed.
    assert asked == [["2015-03", "2015-04", "2015-05", "2015-06"]]
    incremental = k18_values()
    monkeypatch.setattr(engine, "evaluate", evaluate)
    engine.refresh(E.plan(), ["K18"])
    assert k18_values() == incremental
    # By hand, 2014/15: 11 complaints (9 above, the fixture's of 1 March, the new one).
    # "slow reply": 3 Jul, 1 Sep (60 days after: repeat), 24 Dec (114: no), 14 Feb (52: repeat),
    # 1 Mar (15: repeat), 30 Jun (121: no) → 3. "portal down": 20 Aug, 5 Nov (77: repeat),
    # 2 Jan (58: repeat), 20 Mar (77: repeat), 30 Apr (41: repeat) → 4. 7 of 11 = 63.636364 %.
    assert triple(total("K18", "2014/15")) == (d(7), d(11), d("63.636364"))


def test_without_a_stored_month_the_year_is_computed_from_the_records(monkeypatch: pytest.MonkeyPatch) -> None:
    from tathmini.measure import engine

    some_year_of_complaints()
    engine.refresh(E.plan(), ["K18"])
    Value.objects.filter(indicator__code="K18", period="2014-11").delete()
    new = E.complaint(dt(2015, 3, 20, 10), subject="portal down")
    day = new.received_at.date()
    triggers.refresh_affected(Complaint, {day}, {"received_at": {day}})
    assert triple(total("K18", "2014/15")) == (d(7), d(11), d("63.636364"))  # as above


def test_an_explicit_refresh_of_a_year_reads_its_records_not_its_stored_months() -> None:
    from tathmini.measure import engine

    engine.refresh(E.plan(), ["K18"])
    # Written past the audited path (no automatic refresh): the stored months do not know it.
    E.complaint(dt(2015, 4, 2, 9))  # "slow reply", 32 days after the fixture's of 1 March
    engine.refresh_indicator(E.indicator("K18"), ["2014/15"])
    # 2014/15 from the records: 2 complaints, the second a repeat: 1 / 2.
    assert triple(total("K18", "2014/15")) == (d(1), d(2), d(50))
    assert triple(total("K18", "2015-04")) == (d(0), d(0), None)  # the month itself was not asked for
