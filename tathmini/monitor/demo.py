"""Monitor history for the demonstration's e-services, so that ``make run`` shows a status page
with states, availability and incidents, and R01 has values, without probing anything.

The demo e-services' addresses are made up, so they are never probed: their checks are marked
``illustrative`` (the worker neither claims nor syncs them). What a probe would have found is
generated instead, as flips only; the incidents and the day rows are then derived from the flips
by the monitor's own ``rebuild_incidents`` and ``rebuild_days``, and the last two days' hourly
figures are written through ``write_hours``, as the worker would.

Two stretches of history per live demo e-service, on a one-minute probe grid:

- the plan's last quarter (1 April – 30 June 2017, or from the e-service's launch), when the
  demonstration's Agency introduced the monitor: R01 gets values for 2016/17, its fourth quarter
  and its last three months (earlier periods have none: nothing was monitored). A longer stretch
  would cost a day row per e-service and day, and loading must stay within a couple of seconds;
- the last 92 days up to now, for the status page's 30- and 90-day figures and recent incidents.

Deterministic: each e-service's outages come from a ``random.Random`` seeded by its code, the plan
year's are fixed and the recent ones are placed relative to the time of loading; nothing depends
on database ids. Idempotent: ``load_demo_monitor`` does nothing when the seeded history reaches
into the last day; an older one (a database bootstrapped days ago) is replaced by a fresh one.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.db.models import Max

from tathmini.monitor import availability
from tathmini.monitor.models import Check, Flip, MonitorDay, Slot, State
from tathmini.monitor.prober import Cause
from tathmini.monitor.services import hour_of, shard_key_of, whole_seconds, write_hours
from tathmini.registry.models import EService

T = TypeVar("T")
Profile = tuple[float, float, int, int]

SEED = "tathmini-monitor-demo"
INTERVAL = 60  # seconds: the default interval of real checks
PLAN_STRETCH = (datetime(2017, 4, 1, tzinfo=UTC), datetime(2017, 7, 1, tzinfo=UTC))
RECENT_DAYS = 92  # a little more than the status page's longest window (90 days)
HOURS_SHOWN = 48  # the hourly figures staff see on a service's page
STALE_AFTER = timedelta(days=1)

# (share of services, outages per day, shortest and longest outage in minutes)
PROFILES: list[Profile] = [(0.70, 1 / 20, 2, 25), (0.22, 1 / 6, 5, 90), (0.08, 1 / 2, 10, 240)]
DOWN_NOW = 0.03  # share of services in an outage when the history is loaded
CAUSES: list[tuple[str, float]] = [
    (Cause.STATUS, 0.30),
    (Cause.TIMEOUT, 0.35),
    (Cause.CONNECT, 0.20),
    (Cause.DNS, 0.08),
    (Cause.TLS, 0.07),
]


@dataclass(frozen=True)
class _Outage:
    start: datetime
    end: datetime | None  # None: still down when the history ends
    cause: str
    detail: str
    status: int | None


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _failure(rng: random.Random, host: str) -> tuple[str, str, int | None]:
    cause = _weighted(rng, CAUSES)
    if cause == Cause.STATUS:
        status = rng.choice([500, 502, 503, 503, 503, 504])
        return cause, f"HTTP {status}", status
    details: dict[str, str] = {
        Cause.TIMEOUT: "no complete answer in 10 s",
        Cause.CONNECT: f"{host}: [Errno 111] Connection refused",
        Cause.DNS: f"{host}: [Errno -2] Name or service not known",
        Cause.TLS: "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired",
    }
    return cause, details[cause], None


class _Grid:
    """The minutes a check is probed at: a fixed second of every minute, by its code."""

    def __init__(self, code: str) -> None:
        self.phase = zlib.crc32(code.encode()) % INTERVAL

    def at_or_after(self, moment: datetime) -> datetime:
        seconds = int(moment.timestamp())
        offset = (self.phase - seconds) % INTERVAL
        return datetime.fromtimestamp(seconds + offset, UTC)

    def at_or_before(self, moment: datetime) -> datetime:
        seconds = int(moment.timestamp())
        offset = (seconds - self.phase) % INTERVAL
        return datetime.fromtimestamp(seconds - offset, UTC)


def _outages(
    rng: random.Random, grid: _Grid, host: str, start: datetime, end: datetime, profile: Profile, down_at_end: bool
) -> list[_Outage]:
    """Outages between ``start`` and ``end``, on the probe grid, at least a probe apart."""
    _share, per_day, shortest, longest = profile
    out: list[_Outage] = []
    t = start
    step = timedelta(seconds=INTERVAL)
    while True:
        t = grid.at_or_after(t + timedelta(days=rng.expovariate(per_day)))
        if t >= end:
            break
        # Mostly short, now and then long: the log of the duration is uniform.
        minutes = shortest * (longest / shortest) ** rng.random()
        back = grid.at_or_after(t + timedelta(minutes=minutes))
        cause, detail, status = _failure(rng, host)
        if back >= end:
            back = grid.at_or_before(end - step)
            if back <= t:
                break
        out.append(_Outage(t, back, cause, detail, status))
        t = back + step
    if down_at_end:
        began = grid.at_or_before(end - timedelta(minutes=rng.randint(20, 6 * 60)))
        out = [o for o in out if o.end is not None and o.end < began]
        cause, detail, status = _failure(rng, host)
        out.append(_Outage(began, None, cause, detail, status))
    return out


def _flips(owner: Check, start: datetime, end: datetime | None, outages: list[_Outage]) -> list[Flip]:
    """A stretch of monitoring: up at ``start``, the outages, not monitored from ``end``."""
    flips = [Flip(owner=owner, at=start, state=State.UP, previous=State.UNKNOWN)]
    for o in outages:
        flips.append(Flip(owner=owner, at=o.start, state=State.DOWN, previous=State.UP, cause=o.cause, detail=o.detail))
        if o.end is not None:
            flips.append(Flip(owner=owner, at=o.end, state=State.UP, previous=State.DOWN))
    if end is not None:
        flips.append(Flip(owner=owner, at=end, state=State.UNKNOWN, previous=flips[-1].state))
    return flips


def _base_ms(rng: random.Random) -> int:
    return int(rng.lognormvariate(5.3, 0.5))  # a median answer of about 200 ms, a few slow sites


def _hour_slots(
    rng: random.Random, base_ms: int, grid: _Grid, outages: list[_Outage], start: datetime, end: datetime
) -> dict[datetime, Slot]:
    """Each whole hour's probe figures between ``start`` and ``end``: a probe a minute, failing
    while down; response times drawn around the service's usual speed."""
    slots: dict[datetime, Slot] = {}
    outages = [o for o in outages if o.end is None or o.end > start]
    hour = start
    while hour < end:
        first, last = grid.at_or_after(hour), grid.at_or_before(hour + timedelta(hours=1) - timedelta(seconds=1))
        probes = int((last - first).total_seconds()) // INTERVAL + 1
        failures, answered_failures = 0, 0
        for o in outages:
            a, b = max(o.start, first), min(o.end or end, last + timedelta(seconds=1))
            if a < b:
                n = (int((b - a).total_seconds()) + INTERVAL - 1) // INTERVAL
                failures += n
                answered_failures += n if o.cause == Cause.STATUS else 0
        answered = probes - failures + answered_failures
        if answered:
            p50 = max(1, int(base_ms * rng.uniform(0.85, 1.2)))
            p95 = int(p50 * rng.uniform(1.4, 3.0))
            slots[hour] = [probes, failures, answered, p50, p95, int(p95 * rng.uniform(1.05, 2.5))]
        else:
            slots[hour] = [probes, failures, 0, None, None, None]
        hour += timedelta(hours=1)
    return slots


def _is_current(now: datetime) -> bool:
    newest = Check.objects.filter(illustrative=True).aggregate(newest=Max("last_probe_at"))["newest"]
    return newest is not None and now - newest < STALE_AFTER


def load_demo_monitor(now: datetime | None = None) -> int:
    """Seed (or refresh) the demonstration's monitor history; returns the e-services seeded, 0 when
    the history already reaches into the last day or there is no live demo e-service."""
    from tathmini.monitor.worker import utc_now

    now = whole_seconds(now or utc_now())
    if _is_current(now):
        return 0
    eservices = list(
        EService.objects.live_on(now.date())
        .filter(illustrative=True)
        .exclude(url="")
        .order_by("code")
        .only("pk", "code", "url", "launched_on")
    )
    if not eservices:
        return 0
    recent = now - timedelta(days=RECENT_DAYS)
    hours_from = hour_of(now) - timedelta(hours=HOURS_SHOWN)
    checks: list[Check] = []
    flips: list[Flip] = []
    hourly: list[tuple[Check, dict[datetime, Slot]]] = []
    with transaction.atomic():
        # A stale history is replaced whole: flips and incidents go with their checks.
        Check.objects.filter(illustrative=True).delete()
        MonitorDay.objects.filter(eservice__illustrative=True).delete()
        for es in eservices:
            rng = random.Random(f"{SEED}:{es.code}")  # noqa: S311  (reproducible, not secret)
            grid = _Grid(es.code)
            host = es.url.split("/")[2] if "://" in es.url else es.url
            profile = _weighted(rng, [(p, p[0]) for p in PROFILES])
            base_ms = _base_ms(rng)
            down_now = rng.random() < DOWN_NOW
            check = Check(
                eservice=es,
                url=es.url,
                shard_key=shard_key_of(es.pk),
                interval_seconds=INTERVAL,
                illustrative=True,
            )
            first_day = datetime.combine(es.launched_on, datetime.min.time(), tzinfo=UTC)
            year_start = grid.at_or_after(max(PLAN_STRETCH[0], first_day))
            if year_start < PLAN_STRETCH[1]:
                past = _outages(rng, grid, host, year_start, PLAN_STRETCH[1], profile, down_at_end=False)
                flips += _flips(check, year_start, PLAN_STRETCH[1], past)
            last_probe = grid.at_or_before(now)
            now_outages = _outages(rng, grid, host, grid.at_or_after(recent), last_probe, profile, down_now)
            flips += _flips(check, grid.at_or_after(recent), None, now_outages)
            ongoing = now_outages[-1] if now_outages and now_outages[-1].end is None else None
            check.state = State.DOWN if ongoing else State.UP
            check.state_since = ongoing.start if ongoing else (now_outages[-1].end if now_outages else flips[-1].at)
            check.last_probe_at = last_probe
            check.next_due = last_probe + timedelta(seconds=INTERVAL)
            answered = ongoing is None or ongoing.status is not None  # a status failure is an answer
            check.last_status = 200 if ongoing is None else ongoing.status
            check.last_response_ms = int(base_ms * rng.uniform(0.8, 1.3)) if answered else None
            check.last_cause = ongoing.cause if ongoing else ""
            check.last_detail = ongoing.detail if ongoing else ""
            checks.append(check)
            hourly.append((check, _hour_slots(rng, base_ms, grid, now_outages, hours_from, hour_of(now))))
        Check.objects.bulk_create(checks, batch_size=1000)
        if not all(c.pk for c in checks):  # SQLite before 3.35 returns no ids from bulk inserts
            ids = dict(Check.objects.filter(illustrative=True).values_list("eservice_id", "pk"))
            for c in checks:
                c.pk = ids[c.eservice_id]
        for f in flips:
            f.owner_id = f.owner.pk
        Flip.objects.bulk_create(flips, batch_size=2000)
        seeded = Check.objects.filter(illustrative=True)
        availability.rebuild_incidents(seeded)
        first = min(PLAN_STRETCH[0].date(), recent.date())
        availability.rebuild_days(seeded, first, now)
        figures: dict[tuple[int, date], dict[int, Slot]] = {}
        for check, slots in hourly:
            for hour, slot in slots.items():
                figures.setdefault((check.pk, hour.date()), {})[hour.hour] = slot
        write_hours(figures)
    return len(checks)
