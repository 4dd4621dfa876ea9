"""The monitor worker with its clock in the test's hand: states, flips, incidents and their times,
the hourly figures packed into the day rows, pausing, lapses, claims and shards, and the sync of
checks with the registry.

The servers are local (tathmini/monitor/testing.py) on 127.0.0.1, which the test settings allow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tathmini.core.models import AuditEvent
from tathmini.monitor import availability, services
from tathmini.monitor.models import Check, Flip, Incident, MonitorDay, State
from tathmini.monitor.prober import Cause, Outcome, Prober
from tathmini.monitor.services import ProbeResult, Rollups, claim_due, parse_shard, shard_key_of
from tathmini.monitor.testing import FakeClock, LocalServer, self_signed_context
from tathmini.monitor.worker import Worker
from tathmini.registry.models import EService, Institution, Region

T0 = datetime(2014, 3, 3, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def monitor_settings(settings: Any) -> None:
    settings.MONITOR_ALLOWLIST = ["127.0.0.1/32"]  # the local test servers, and nothing else
    settings.MONITOR_TIMEOUT_SECONDS = 1
    settings.MONITOR_MAX_BYTES = 100_000
    settings.MONITOR_INTERVAL_SECONDS = 60


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tls=self_signed_context(Path(tmp_path_factory.mktemp("tls")))) as s:
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def worker(db: None, clock: FakeClock) -> Iterator[Worker]:
    with Worker(clock=clock, prober=Prober.from_settings(), concurrency=8, sync_every=timedelta(days=999)) as w:
        yield w


def institution(code: str = "monitor-test") -> Institution:
    inst, _ = Institution.objects.get_or_create(
        code=code,
        defaults={
            "name_sw": f"Taasisi {code}",
            "name_en": f"Institution {code}",
            "category": "agency",
            "region": Region.objects.get(name="Dodoma"),
        },
    )
    return inst


def make_check(code: str, url: str, *, due: datetime = T0, inst: Institution | None = None, **fields: Any) -> Check:
    eservice = EService.objects.create(
        institution=inst or institution(),
        code=code,
        name_sw=f"Huduma {code}",
        name_en=f"Service {code}",
        life_event="other",
        channels="web",
        url=url,
        launched_on=date(2012, 7, 1),
    )
    return Check.objects.create(eservice=eservice, url=url, shard_key=shard_key_of(eservice.pk), next_due=due, **fields)


def run(worker: Worker, clock: FakeClock, until: datetime, step: timedelta = MINUTE) -> None:
    """Tick at every step from the clock's time up to and including ``until``."""
    while clock.now <= until:
        worker.tick()
        clock.advance(step.total_seconds())


def flips(check: Check) -> list[tuple[datetime, str, str, str]]:
    return [(f.at, f.previous, f.state, f.cause) for f in check.flips.order_by("at", "pk")]


# --- States, flips and incidents ------------------------------------------------------------
def test_an_outage_is_two_flips_and_one_incident_with_its_times(
    worker: Worker, clock: FakeClock, server: LocalServer
) -> None:
    check = make_check("outage", server.url("/switch/outage"))
    server.set("outage", True)
    run(worker, clock, T0 + MINUTE)  # 08:00 and 08:01 up
    server.set("outage", False)
    run(worker, clock, T0 + 3 * MINUTE)  # 08:02 and 08:03 down
    server.set("outage", True)
    run(worker, clock, T0 + 5 * MINUTE)  # 08:04 and 08:05 up
    assert server.hits("/switch/outage") == 6
    assert flips(check) == [
        (T0, State.UNKNOWN, State.UP, ""),
        (T0 + 2 * MINUTE, State.UP, State.DOWN, Cause.STATUS),
        (T0 + 4 * MINUTE, State.DOWN, State.UP, ""),
    ]
    incident = Incident.objects.get(owner=check)
    assert (incident.started_at, incident.ended_at, incident.cause, incident.detail) == (
        T0 + 2 * MINUTE,
        T0 + 4 * MINUTE,
        Cause.STATUS,
        "HTTP 503",
    )
    assert incident.duration == timedelta(minutes=2)
    out = StringIO()
    call_command("monitor", "rebuild-incidents", stdout=out)  # the same incidents, from the flips alone
    assert out.getvalue().strip() == "1 incident(s) written"
    assert list(Incident.objects.filter(owner=check).values_list("started_at", "ended_at", "cause", "detail")) == [
        (T0 + 2 * MINUTE, T0 + 4 * MINUTE, Cause.STATUS, "HTTP 503")
    ]
    check.refresh_from_db()
    assert (check.state, check.state_since, check.last_probe_at, check.last_status) == (
        State.UP,
        T0 + 4 * MINUTE,
        T0 + 5 * MINUTE,
        200,
    )
    assert check.next_due == T0 + 6 * MINUTE


@pytest.mark.parametrize(
    ("path", "fields", "state", "cause"),
    [
        ("/up", {}, State.UP, ""),
        ("/down", {}, State.DOWN, Cause.STATUS),
        ("/slow/300", {"max_response_ms": 100}, State.DOWN, Cause.SLOW),
        ("/slow/300", {}, State.UP, ""),
        ("/hang", {}, State.DOWN, Cause.TIMEOUT),
        ("/trickle", {}, State.DOWN, Cause.TIMEOUT),
        ("/huge", {}, State.UP, ""),
        ("/huge", {"expect_keyword": "Karibu"}, State.DOWN, Cause.KEYWORD),
        ("/loop", {}, State.DOWN, Cause.REDIRECTS),
        ("/redirect/3", {}, State.UP, ""),
        ("/close", {}, State.DOWN, Cause.PROTOCOL),
        ("tls", {}, State.DOWN, Cause.TLS),
        ("dns", {}, State.DOWN, Cause.DNS),
        ("private", {}, State.DOWN, Cause.ADDRESS),
    ],
)
def test_each_kind_of_server_gives_its_state_and_cause(
    worker: Worker,
    clock: FakeClock,
    server: LocalServer,
    tls_server: LocalServer,
    path: str,
    fields: dict[str, Any],
    state: str,
    cause: str,
) -> None:
    url = {
        "tls": tls_server.url("/up"),
        "dns": "http://huduma.invalid/",
        "private": "http://10.0.0.1/",
    }.get(path, server.url(path))
    check = make_check("kind", url, **fields)
    assert worker.tick() == 1
    check.refresh_from_db()
    assert (check.state, check.last_cause, check.state_since) == (state, cause, T0)
    assert flips(check) == [(T0, State.UNKNOWN, state, cause)]
    incidents = list(Incident.objects.filter(owner=check).values_list("started_at", "ended_at", "cause"))
    assert incidents == ([(T0, None, cause)] if state == State.DOWN else [])


def hours_of(check: Check, day: date) -> list[Any] | None:
    return MonitorDay.objects.get(eservice=check.eservice, day=day).hours


def test_a_stable_service_stores_a_flip_and_a_day_row_holding_its_hours(
    worker: Worker, clock: FakeClock, server: LocalServer
) -> None:
    check = make_check("stable", server.url("/up"))
    run(worker, clock, T0 + timedelta(hours=3) - MINUTE)  # 180 probes, 08:00 to 10:59
    clock.set(T0 + timedelta(hours=3))
    worker.shutdown()  # writes what is in memory
    assert server.hits("/up") >= 180
    assert Flip.objects.filter(owner=check).count() == 1
    day = MonitorDay.objects.get(eservice=check.eservice)  # the only row besides the flip
    assert (day.day, day.seconds_monitored, day.seconds_up) == (date(2014, 3, 3), 3 * 3600, 3 * 3600)
    hours = day.hours
    assert hours is not None and len(hours) == 24
    assert [h for h, slot in enumerate(hours) if slot is not None] == [8, 9, 10]
    assert [(f.hour, f.probes, f.failures, f.answered) for f in day.hour_figures()] == [
        (T0, 60, 0, 60),
        (T0 + timedelta(hours=1), 60, 0, 60),
        (T0 + timedelta(hours=2), 60, 0, 60),
    ]
    assert Incident.objects.filter(owner=check).count() == 0


def test_hourly_figures_keep_counts_and_nearest_rank_percentiles(db: None) -> None:
    check = make_check("rollup", "http://127.0.0.1:9/")
    rollups = Rollups()
    for k in range(1, 101):  # 08:00:00 … 08:49:30, answering in k ms; every tenth answer is a 503
        outcome = Outcome(k % 10 != 0, "" if k % 10 else Cause.STATUS, status=200 if k % 10 else 503, response_ms=k)
        rollups.add(ProbeResult(check.pk, T0 + timedelta(seconds=30 * (k - 1)), outcome))
    rollups.add(ProbeResult(check.pk, T0 + timedelta(minutes=59), Outcome(False, Cause.TIMEOUT)))  # no answer
    rollups.add(ProbeResult(check.pk, T0 + timedelta(hours=1), Outcome(True, status=200, response_ms=7)))
    assert rollups.flush(before=T0 + timedelta(hours=1)) == 1  # 08:00–08:59 only
    # [probes, failures, answered, p50, p95, max]: ranks ⌈0.5 × 100⌉ = 50 and ⌈0.95 × 100⌉ = 95
    assert hours_of(check, T0.date()) == [None] * 8 + [[101, 11, 100, 50, 95, 100]] + [None] * 15
    day = MonitorDay.objects.get(eservice=check.eservice)
    assert (day.seconds_monitored, day.seconds_up) == (0, 0)  # no flip yet: the seconds come from rebuild_days
    assert len(rollups) == 1  # 09:00 stays in memory until its hour is over


def test_two_writes_of_the_same_hour_are_merged_into_the_day_row(db: None) -> None:
    check = make_check("merge", "http://127.0.0.1:9/")
    Flip.objects.create(owner=check, at=T0, state=State.UP, previous=State.UNKNOWN)
    availability.rebuild_days(Check.objects.filter(pk=check.pk), T0.date(), T0 + timedelta(hours=2))
    first, second = Rollups(), Rollups()  # a worker and its restart (or two workers on one shard)
    for ms in (10, 20, 30, 40):
        first.add(ProbeResult(check.pk, T0, Outcome(True, status=200, response_ms=ms)))
    second.add(ProbeResult(check.pk, T0 + MINUTE, Outcome(False, Cause.TIMEOUT)))
    for ms in (15, 25):
        second.add(ProbeResult(check.pk, T0 + 2 * MINUTE, Outcome(True, status=200, response_ms=ms)))
    second.add(ProbeResult(check.pk, T0 + timedelta(hours=1), Outcome(True, status=200, response_ms=5)))
    first.flush()
    second.flush()
    day = MonitorDay.objects.get(eservice=check.eservice)
    # 08:00, first [4, 0, 4, p50 20, p95 40, max 40] + second [3, 1, 2, p50 15, p95 25, max 25]:
    # counts add up (7 probes, 1 failure, 6 answered), the slowest is the larger (40), and each
    # percentile is the larger of the two, 20 and 40 (the six times 10 15 20 25 30 40 have
    # nearest-rank median 20 (rank 3) and 95th percentile 40 (rank 6): here the bound is exact).
    assert day.hours is not None and day.hours[8] == [7, 1, 6, 20, 40, 40]
    assert day.hours[9] == [1, 0, 1, 5, 5, 5]  # another hour of the second write, as it was
    assert (day.seconds_monitored, day.seconds_up) == (7200, 7200)  # the merge left the seconds alone


def test_a_merged_percentile_is_the_larger_of_the_two_never_less() -> None:
    # 10 × 100 ms then 10 × 1000 ms: halves with medians 100 and 1000; the whole's nearest-rank
    # median is 100 (rank 10 of 20), so the larger, 1000, is an upper bound, not the value.
    assert services.merge_slot([10, 0, 10, 100, 100, 100], [10, 0, 10, 1000, 1000, 1000]) == [
        20,
        0,
        20,
        1000,
        1000,
        1000,
    ]
    # an hour without any answer has no percentiles: the other part's stand
    assert services.merge_slot([3, 3, 0, None, None, None], [2, 0, 2, 30, 40, 40]) == [5, 3, 2, 30, 40, 40]


def test_rebuilding_the_days_keeps_the_hourly_figures(db: None) -> None:
    check = make_check("rebuild-hours", "http://127.0.0.1:9/")
    Flip.objects.create(owner=check, at=T0, state=State.UP, previous=State.UNKNOWN)
    Flip.objects.create(owner=check, at=T0 + timedelta(hours=2), state=State.UNKNOWN, previous=State.UP)
    rollups = Rollups()
    for minute in range(2):
        rollups.add(ProbeResult(check.pk, T0 + minute * MINUTE, Outcome(True, status=200, response_ms=30)))
    rollups.flush()
    slot = [2, 0, 2, 30, 30, 30]
    out = StringIO()
    call_command("monitor", "rebuild-days", "--since", "2014-03-01", stdout=out)
    assert "1 day row(s) written from 2014-03-01" in out.getvalue()
    day = MonitorDay.objects.get(eservice=check.eservice)
    assert day.hours is not None and (day.seconds_monitored, day.seconds_up, day.hours[8]) == (7200, 7200, slot)
    # The flips rewritten so that nothing was monitored that day: the seconds go, the hours stay.
    Flip.objects.filter(owner=check).delete()
    Check.objects.filter(pk=check.pk).update(state=State.UNKNOWN)
    assert availability.rebuild_days(Check.objects.filter(pk=check.pk), T0.date(), T0 + timedelta(days=1)) == 0
    day.refresh_from_db()
    assert day.hours is not None and (day.seconds_monitored, day.seconds_up, day.hours[8]) == (0, 0, slot)


# --- Pausing, lapses, stopping ----------------------------------------------------------------
def test_pausing_a_down_service_ends_its_incident_and_stops_probing(
    worker: Worker, clock: FakeClock, server: LocalServer, personas: dict[str, Any]
) -> None:
    check = make_check("paused", server.url("/switch/paused"))
    server.set("paused", False)
    run(worker, clock, T0 + MINUTE)  # down at 08:00
    clock.set(T0 + MINUTE + timedelta(seconds=30))
    officer = personas["me_officer"].user
    assert services.check_pause(check, actor=officer, now=clock.now)
    assert not services.check_pause(check, actor=officer, now=clock.now)  # already paused: nothing
    incident = Incident.objects.get(owner=check)
    assert incident.ended_at == T0 + MINUTE + timedelta(seconds=30)
    hits = server.hits("/switch/paused")
    run(worker, clock, T0 + 10 * MINUTE)
    assert server.hits("/switch/paused") == hits  # not probed while paused
    event = AuditEvent.objects.get(object_id=str(check.pk), content_type__model="check")
    assert (event.actor, event.channel, event.action, event.changes) == (
        officer,
        "web",
        "update",
        {"paused": [False, True]},
    )
    server.set("paused", True)
    clock.set(T0 + timedelta(minutes=20))
    assert services.check_resume(check, actor=officer, now=clock.now)
    worker.tick()
    assert flips(check) == [
        (T0, State.UNKNOWN, State.DOWN, Cause.STATUS),
        (T0 + MINUTE + timedelta(seconds=30), State.DOWN, State.UNKNOWN, ""),
        (T0 + timedelta(minutes=20), State.UNKNOWN, State.UP, ""),
    ]
    # 90 s down, then 18.5 minutes not monitored, then up: availability counts only the monitored time
    window = availability.by_check(Check.objects.filter(pk=check.pk), T0, T0 + timedelta(minutes=21))
    assert window[check.pk] == availability.Seconds(monitored=90 + 60, up=60)


def test_a_result_for_a_check_paused_meanwhile_is_dropped(db: None, personas: dict[str, Any]) -> None:
    check = make_check("race", "http://127.0.0.1:9/")
    services.check_pause(check, actor=personas["administrator"].user, now=T0)
    recorded = services.record_results([ProbeResult(check.pk, T0 + MINUTE, Outcome(True, status=200))])
    assert recorded.flips == [] and Flip.objects.filter(owner=check).count() == 0


def test_a_silent_monitor_is_recorded_as_not_monitored_when_it_comes_back(
    worker: Worker, clock: FakeClock, server: LocalServer
) -> None:
    check = make_check("lapse", server.url("/up"))
    worker.tick()  # 08:00 up
    clock.set(T0 + timedelta(minutes=10))  # the monitor was not running for ten minutes
    worker.tick()
    assert flips(check) == [
        (T0, State.UNKNOWN, State.UP, ""),
        (T0 + MINUTE, State.UP, State.UNKNOWN, ""),  # the end of the last probe's slot
        (T0 + timedelta(minutes=10), State.UNKNOWN, State.UP, ""),
    ]
    figures = availability.by_check(Check.objects.filter(pk=check.pk), T0, T0 + timedelta(minutes=11))
    assert figures[check.pk] == availability.Seconds(monitored=120, up=120)


def test_a_late_tick_within_the_lapse_limit_keeps_the_state(
    worker: Worker, clock: FakeClock, server: LocalServer
) -> None:
    check = make_check("late", server.url("/up"))
    worker.tick()
    clock.set(T0 + 3 * MINUTE + timedelta(seconds=1))  # 3 intervals + 1 s timeout: the limit itself
    worker.tick()
    assert len(flips(check)) == 1


# --- Claims and shards ------------------------------------------------------------------------
def test_a_slot_is_claimed_once_and_missed_slots_are_skipped(db: None) -> None:
    check = make_check("claim", "http://127.0.0.1:9/")
    assert [t.check_id for t in claim_due(T0)] == [check.pk]
    assert claim_due(T0) == []  # the same slot again: already claimed
    assert claim_due(T0 + timedelta(seconds=59)) == []
    assert [t.check_id for t in claim_due(T0 + MINUTE)] == [check.pk]
    assert [t.check_id for t in claim_due(T0 + timedelta(minutes=4, seconds=5))] == [check.pk]
    check.refresh_from_db()
    assert check.next_due == T0 + 5 * MINUTE  # one probe for the slots missed, then back on the grid


def test_a_claim_loses_to_another_worker_that_moved_the_slot_first(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_check("raced-1", "http://127.0.0.1:9/")
    second = make_check("raced-2", "http://127.0.0.1:9/")
    other: list[list[int]] = []
    real_next_slot = services.next_slot

    def meanwhile(due: datetime, interval: int, now: datetime) -> datetime:
        # Another worker claims everything between this worker's read and its first update.
        if not other:
            monkeypatch.setattr(services, "next_slot", real_next_slot)
            other.append([t.check_id for t in claim_due(now)])
        return real_next_slot(due, interval, now)

    monkeypatch.setattr(services, "next_slot", meanwhile)
    mine = [t.check_id for t in claim_due(T0)]
    assert other == [[first.pk, second.pk]]
    assert mine == []  # both conditional updates found next_due already moved


def test_two_shards_together_probe_every_check_exactly_once_per_slot(
    db: None, clock: FakeClock, server: LocalServer
) -> None:
    checks = [make_check(f"shard-{n}", server.url(f"/switch/shard-{n}")) for n in range(24)]
    prober = Prober.from_settings()
    far = timedelta(days=999)
    with (
        Worker((0, 2), clock=clock, prober=prober, sync_every=far) as a,
        Worker((1, 2), clock=clock, prober=prober, sync_every=far) as b,
    ):
        for _slot in range(5):
            for _again in range(2):  # each worker wakes twice within the slot
                a.tick()
                b.tick()
            clock.advance(60)
        assert a.probed + b.probed == 24 * 5
        assert 0 < a.probed < 24 * 5
        a.flush_days(clock.now)  # each shard writes the day rows of its own checks
        assert MonitorDay.objects.count() == a.probed // 5
        b.flush_days(clock.now)
        assert set(MonitorDay.objects.values_list("seconds_up", flat=True)) == {5 * 60}
        assert MonitorDay.objects.count() == 24
    assert {server.hits(f"/switch/shard-{n}") for n in range(24)} == {5}
    halves = [{c.pk for c in checks if c.shard_key % 2 == i} for i in (0, 1)]
    assert halves[0] and halves[1] and not halves[0] & halves[1]


def test_shards_are_a_stable_hash_of_the_eservice_id() -> None:
    assert shard_key_of(1) == 2212294583  # CRC-32 of "1"
    assert shard_key_of(2) == 450215437
    assert parse_shard("1/1") == (0, 1) and parse_shard("2/4") == (1, 4)
    for bad in ("0/2", "3/2", "a/b", "1"):
        with pytest.raises(ValueError):
            parse_shard(bad)


# --- Which e-services are monitored -----------------------------------------------------------
def test_sync_monitors_live_services_with_an_address_and_stops_retired_ones(db: None) -> None:
    inst = institution()
    common = {"institution": inst, "life_event": "other", "channels": "web", "name_en": "S", "name_sw": "H"}
    live = EService.objects.create(
        code="sync-live", url="https://huduma.go.tz/", launched_on=date(2013, 1, 1), **common
    )
    EService.objects.create(code="sync-future", url="https://a.go.tz/", launched_on=date(2014, 6, 1), **common)
    EService.objects.create(
        code="sync-retired", url="https://b.go.tz/", launched_on=date(2013, 1, 1), retired_on=date(2014, 3, 3), **common
    )
    EService.objects.create(code="sync-no-url", url="", launched_on=date(2013, 1, 1), **common)
    EService.objects.create(
        code="sync-demo", url="https://demo.example.go.tz/", launched_on=date(2013, 1, 1), illustrative=True, **common
    )  # demonstration data: a made-up address
    result = services.sync_checks(T0)
    assert result.created == 1
    check = Check.objects.get(eservice=live)
    assert check.url == "https://huduma.go.tz/" and check.interval_seconds == 60
    assert check.next_due == T0 + timedelta(seconds=shard_key_of(live.pk) % 60)  # spread over the first minute
    assert services.sync_checks(T0).created == 0  # idempotent

    EService.objects.filter(pk=live.pk).update(url="https://huduma.go.tz/new")
    assert services.sync_checks(T0).changed == 1
    check.refresh_from_db()
    assert check.url == "https://huduma.go.tz/new"

    # The service was up, then is retired; the monitor stops at the end of the last probe's slot.
    Check.objects.filter(pk=check.pk).update(state=State.UP, state_since=T0, last_probe_at=T0 + timedelta(hours=1))
    EService.objects.filter(pk=live.pk).update(retired_on=date(2014, 3, 4))
    result = services.sync_checks(T0 + timedelta(days=1, hours=2))
    assert (result.stopped, result.changed) == (1, 0)
    check.refresh_from_db()
    assert (check.active, check.state) == (False, State.UNKNOWN)
    assert flips(check) == [(T0 + timedelta(hours=1, minutes=1), State.UP, State.UNKNOWN, "")]

    EService.objects.filter(pk=live.pk).update(retired_on=None)
    assert services.sync_checks(T0 + timedelta(days=2)).restarted == 1
    check.refresh_from_db()
    assert check.active and check.next_due == T0 + timedelta(days=2)


# --- The process ------------------------------------------------------------------------------
def test_the_loop_probes_with_the_real_clock_until_stopped(db: None, server: LocalServer) -> None:
    from tathmini.monitor.worker import utc_now

    check = make_check("loop", server.url("/switch/loop"), due=utc_now() - MINUTE)
    stop = threading.Event()
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    with Worker(prober=Prober.from_settings(), concurrency=4) as w:
        w.run(stop, poll_seconds=0.1)
    timer.join()
    check.refresh_from_db()
    assert check.state == State.UP and server.hits("/switch/loop") == 1  # once: the next slot is a minute away
    [day] = MonitorDay.objects.filter(eservice=check.eservice)  # seconds and the hour, written on the way out
    assert day.seconds_monitored > 0 and len(day.hour_figures()) == 1 and day.hour_figures()[0].probes == 1


def test_the_command_syncs_rebuilds_and_refuses_a_bad_shard(db: None) -> None:
    check = make_check("command", "http://127.0.0.1:9/")
    Flip.objects.create(owner=check, at=T0, state=State.UP, previous=State.UNKNOWN)
    Flip.objects.create(owner=check, at=T0 + timedelta(hours=2), state=State.UNKNOWN, previous=State.UP)
    out = StringIO()
    call_command("monitor", "rebuild-days", "--since", "2014-03-02", stdout=out)
    assert "1 day row(s) written from 2014-03-02" in out.getvalue()
    assert list(MonitorDay.objects.filter(eservice=check.eservice).values_list("day", "seconds_up")) == [
        (date(2014, 3, 3), 7200)
    ]
    out = StringIO()
    call_command("monitor", "sync", stdout=out)
    assert out.getvalue().startswith("checks created")
    with pytest.raises(CommandError, match="between 1 and 2"):
        call_command("monitor", "--shard", "3/2")
    with pytest.raises(CommandError, match="not a date"):
        call_command("monitor", "rebuild-days", "--since", "yesterday")


def test_a_tick_probes_everything_due_even_beyond_one_batch(worker: Worker, server: LocalServer) -> None:
    for n in range(2 * worker.concurrency + 5):  # more than the 2 × concurrency a batch holds
        make_check(f"batch-{n}", server.url(f"/switch/batch-{n}"))
    assert worker.tick() == 2 * worker.concurrency + 5
    assert worker.tick() == 0  # nothing is due until the next slot


def test_retention_clears_old_days_hourly_figures_and_keeps_their_seconds(
    worker: Worker, clock: FakeClock, server: LocalServer, settings: Any
) -> None:
    settings.MONITOR_ROLLUP_DAYS = 2
    check = make_check("pruned", server.url("/up"), interval_seconds=3600)
    run(worker, clock, T0 + timedelta(days=3), step=timedelta(hours=1))  # 08:00 on the 3rd … 08:00 on the 6th
    days = {
        d.day: (d.seconds_monitored, d.seconds_up, len(d.hour_figures()))
        for d in MonitorDay.objects.filter(eservice=check.eservice)
    }
    # The first flush of the 6th (at midnight) cleared the hours of the days before the 4th (the
    # 6th less 2 days); the hours kept run from 00:00 on the 4th to 07:00 on the 6th (written at
    # 08:00): 24 + 24 + 8. Every day keeps its seconds: up from 08:00 on the 3rd to 08:00 on the 6th.
    assert days == {
        date(2014, 3, 3): (16 * 3600, 16 * 3600, 0),
        date(2014, 3, 4): (86400, 86400, 24),
        date(2014, 3, 5): (86400, 86400, 24),
        date(2014, 3, 6): (8 * 3600, 8 * 3600, 8),
    }
    assert MonitorDay.objects.get(eservice=check.eservice, day=date(2014, 3, 3)).hours is None
    assert Flip.objects.filter(owner=check).count() == 1  # the history itself is kept


def test_retention_drops_a_day_row_that_held_only_hours(db: None, settings: Any) -> None:
    settings.MONITOR_ROLLUP_DAYS = 2
    check = make_check("only-hours", "http://127.0.0.1:9/")
    rollups = Rollups()
    rollups.add(ProbeResult(check.pk, T0, Outcome(True, status=200, response_ms=9)))
    rollups.flush()  # a day row with the hour and no second monitored (no flip)
    assert services.prune_hours(Check.objects.filter(pk=check.pk), T0 + timedelta(days=2)) == 0  # the 3rd is kept
    assert services.prune_hours(Check.objects.filter(pk=check.pk), T0 + timedelta(days=3)) == 1
    assert not MonitorDay.objects.filter(eservice=check.eservice).exists()
