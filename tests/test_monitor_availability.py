"""Availability from flips, exactly: seconds up ÷ seconds monitored per window and per UTC day,
and R01 computed by the indicator engine from the daily rows, across the fiscal-year boundary of
30 June / 1 July. Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tathmini.measure import engine
from tathmini.measure.models import Value
from tathmini.monitor import availability
from tathmini.monitor.availability import Seconds, by_day, seconds
from tathmini.monitor.models import Check, Flip, MonitorDay, State
from tathmini.monitor.prober import Prober
from tathmini.monitor.services import check_pause, shard_key_of
from tathmini.monitor.testing import FakeClock, LocalServer
from tathmini.monitor.worker import Worker
from tathmini.registry.models import EService, Institution, Region
from tathmini.strategy.models import Plan

UP, DOWN, UNKNOWN = State.UP, State.DOWN, State.UNKNOWN


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2014, month, day, hour, minute, tzinfo=UTC)


# --- The arithmetic ---------------------------------------------------------------------------
def test_seconds_count_up_and_down_as_monitored_and_unknown_as_neither() -> None:
    flips = [(at(30, 10), UP), (at(30, 11), DOWN), (at(30, 11, 30), UP), (at(30, 12), UNKNOWN)]
    # 10:00–11:00 up 3600, 11:00–11:30 down 1800, 11:30–12:00 up 1800, then not monitored
    assert seconds(UNKNOWN, flips, at(30, 9), at(30, 13)) == Seconds(monitored=7200, up=5400)
    # a window starting inside: 10:30–11:45 → up 1800, down 1800, up 900
    assert seconds(UNKNOWN, flips, at(30, 10, 30), at(30, 11, 45)) == Seconds(monitored=4500, up=2700)
    assert seconds(UNKNOWN, flips, at(30, 10, 30), at(30, 11, 45)).percent == Decimal(2700 * 100) / 4500
    # state carried in from before the window
    assert seconds(DOWN, [], at(30, 0), at(30, 1)) == Seconds(monitored=3600, up=0)
    assert Seconds().percent is None  # nothing monitored: no value, not 0


def test_days_are_split_at_midnight_utc_across_the_fiscal_year_boundary() -> None:
    flips = [(at(30, 22), UP), (at(1, 1, 30, month=7), DOWN), (at(1, 2, month=7), UP)]
    days = by_day(UNKNOWN, flips, at(30, 0), at(1, 6, month=7))
    assert days == {
        date(2014, 6, 30): Seconds(monitored=7200, up=7200),  # 22:00–24:00
        date(2014, 7, 1): Seconds(monitored=6 * 3600, up=6 * 3600 - 1800),  # 00:00–06:00, down 01:30–02:00
    }


def test_a_flip_exactly_at_midnight_belongs_to_the_new_day() -> None:
    flips = [(at(30, 0), UP), (at(1, 0, month=7), DOWN)]
    assert by_day(UNKNOWN, flips, at(30, 0), at(1, 1, month=7)) == {
        date(2014, 6, 30): Seconds(86400, 86400),
        date(2014, 7, 1): Seconds(3600, 0),
    }


# --- From a scripted timeline, through the worker, to R01 -----------------------------------
@pytest.fixture(autouse=True)
def monitor_settings(settings: Any) -> None:
    settings.MONITOR_ALLOWLIST = ["127.0.0.1/32"]  # the local test server only
    settings.MONITOR_TIMEOUT_SECONDS = 1


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


def service(code: str, category: str, region: str, url: str, launched: date) -> Check:
    inst = Institution.objects.create(
        code=f"avail-{code}", name_sw=code, name_en=code, category=category, region=Region.objects.get(name=region)
    )
    eservice = EService.objects.create(
        institution=inst,
        code=f"avail-{code}",
        name_sw=code,
        name_en=code,
        life_event="other",
        channels="web",
        url=url,
        launched_on=launched,
    )
    return Check.objects.create(
        eservice=eservice, url=url, shard_key=shard_key_of(eservice.pk), interval_seconds=900, next_due=at(30, 18)
    )


def value(plan: Plan, period: str, dimension: str = "", group: str = "") -> tuple[Any, Any, Any]:
    v = Value.objects.get(indicator__plan=plan, indicator__code="R01", period=period, dimension=dimension, group=group)
    return (v.numerator, v.denominator, v.value)


def test_r01_from_a_scripted_timeline_across_30_june_and_1_july(
    plan: Plan, server: LocalServer, personas: dict[str, Any]
) -> None:
    a = service("a", "ministry", "Dodoma", server.url("/switch/avail-a"), date(2013, 1, 1))
    b = service("b", "lga", "Arusha", server.url("/switch/avail-b"), date(2013, 1, 1))
    c = service("c", "agency", "Mwanza", server.url("/up"), date(2013, 1, 1))
    d = service("d", "agency", "Mwanza", server.url("/down"), date(2013, 1, 1))
    script = {  # the switches, set just before the probe at that time
        at(30, 18): [("avail-a", True), ("avail-b", True)],
        at(30, 22): [("avail-a", False)],
        at(30, 23, 45): [("avail-b", False)],
        at(1, 0, 15, month=7): [("avail-b", True)],
        at(1, 1, 30, month=7): [("avail-a", True)],
    }
    clock = FakeClock(at(30, 18))
    with Worker(clock=clock, prober=Prober.from_settings(), concurrency=4, sync_every=timedelta(days=999)) as worker:
        while clock.now <= at(1, 6, month=7):  # a probe every 15 minutes, 18:00 … 06:00
            for name, up in script.get(clock.now, []):
                server.set(name, up)
            assert worker.tick() == 4
            clock.advance(900)
        clock.set(at(1, 6, month=7))
        for check in (a, b, c, d):
            check_pause(check, actor=personas["me_officer"].user, now=clock.now)  # monitoring ends at 06:00
        worker.shutdown()

    assert [(f.at, f.state) for f in Flip.objects.filter(owner=a).order_by("at")] == [
        (at(30, 18), UP),
        (at(30, 22), DOWN),
        (at(1, 1, 30, month=7), UP),
        (at(1, 6, month=7), UNKNOWN),
    ]
    days = {(row.eservice_id, row.day): (row.seconds_monitored, row.seconds_up) for row in MonitorDay.objects.all()}
    june, july = date(2014, 6, 30), date(2014, 7, 1)
    assert days == {
        # 30 June, 18:00–24:00 monitored (21 600 s)
        (a.eservice_id, june): (21600, 14400),  # up 18:00–22:00
        (b.eservice_id, june): (21600, 20700),  # down 23:45–24:00
        (c.eservice_id, june): (21600, 21600),
        (d.eservice_id, june): (21600, 0),
        # 1 July, 00:00–06:00 monitored (21 600 s)
        (a.eservice_id, july): (21600, 16200),  # down until 01:30
        (b.eservice_id, july): (21600, 20700),  # down until 00:15
        (c.eservice_id, july): (21600, 21600),
        (d.eservice_id, july): (21600, 0),
    }

    # The registry learns afterwards that c was retired on 1 July and d launched that day only:
    # R01 counts the days each service was live, whatever the monitor saw.
    EService.objects.filter(pk=c.eservice_id).update(retired_on=july)
    EService.objects.filter(pk=d.eservice_id).update(launched_on=july)
    engine.refresh_indicator(plan.indicators.get(code="R01"))
    # 2013/14 (to 30 June): a, b, c are live, d not yet: (14400 + 20700 + 21600) / (3 × 21600)
    #   = 56700 / 64800 = 87.5 %
    assert value(plan, "2013/14") == (Decimal(56700), Decimal(64800), Decimal("87.5"))
    assert value(plan, "2013/14-Q4") == value(plan, "2014-06") == value(plan, "2013/14")
    # 2014/15 (from 1 July): a, b, d are live, c retired: (16200 + 20700 + 0) / 64800 = 56.9444… %
    assert value(plan, "2014/15") == (Decimal(36900), Decimal(64800), Decimal("56.944444"))
    assert value(plan, "2014/15-Q1") == value(plan, "2014-07") == value(plan, "2014/15")
    assert value(plan, "2014-05")[2] is None  # nothing monitored in May: no value
    # By institution category: ministry is a alone; lga is b alone; agency is c then d
    assert value(plan, "2013/14", "category", "ministry")[2] == Decimal("66.666667")  # 14400 / 21600
    assert value(plan, "2014/15", "category", "ministry")[2] == Decimal(75)  # 16200 / 21600
    assert value(plan, "2013/14", "category", "lga")[2] == Decimal("95.833333")  # 20700 / 21600
    assert value(plan, "2013/14", "category", "agency")[2] == Decimal(100)  # c only
    assert value(plan, "2014/15", "category", "agency")[2] == Decimal(0)  # d only, down
    dodoma = Region.objects.get(name="Dodoma").code
    assert value(plan, "2014/15", "region", dodoma)[2] == Decimal(75)


def test_rebuilding_the_days_from_the_flips_gives_the_same_rows(db: None, server: LocalServer) -> None:
    check = service("r", "ministry", "Dodoma", "http://127.0.0.1:9/", date(2013, 1, 1))
    Flip.objects.bulk_create(
        [
            Flip(owner=check, at=at(29, 12), state=UP, previous=UNKNOWN),
            Flip(owner=check, at=at(30, 23, 59), state=DOWN, previous=UP),
            Flip(owner=check, at=at(1, 0, 1, month=7), state=UNKNOWN, previous=DOWN),
        ]
    )
    Check.objects.filter(pk=check.pk).update(state=UNKNOWN)
    checks = Check.objects.filter(pk=check.pk)
    for _twice in range(2):
        availability.rebuild_days(checks, date(2014, 6, 1), at(2, 0, month=7))
        rows = list(
            MonitorDay.objects.filter(eservice=check.eservice).values_list("day", "seconds_monitored", "seconds_up")
        )
        assert rows == [
            (date(2014, 6, 29), 43200, 43200),  # from noon
            (date(2014, 6, 30), 86400, 86340),  # down the last minute
            (date(2014, 7, 1), 60, 0),  # down the first minute, then not monitored
        ]


def test_a_check_the_monitor_stopped_probing_counts_only_until_its_last_slot(db: None) -> None:
    check = service("quiet", "ministry", "Dodoma", "http://127.0.0.1:9/", date(2013, 1, 1))
    Flip.objects.create(owner=check, at=at(30, 10), state=UP, previous=UNKNOWN)
    Check.objects.filter(pk=check.pk).update(state=UP, state_since=at(30, 10), last_probe_at=at(30, 11))
    # interval 900 s: the last probe at 11:00 covers its slot to 11:15; nothing after that is known
    figures = availability.by_check(Check.objects.filter(pk=check.pk), at(30, 0), at(30, 18))
    assert figures[check.pk] == Seconds(monitored=4500, up=4500)
    # within the lapse limit (3 intervals + the timeout) the last state still holds
    figures = availability.by_check(Check.objects.filter(pk=check.pk), at(30, 0), at(30, 11, 45))
    assert figures[check.pk] == Seconds(monitored=6300, up=6300)
