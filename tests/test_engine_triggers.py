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
