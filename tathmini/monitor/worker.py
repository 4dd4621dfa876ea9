"""The long-running monitor process (``manage.py monitor``).

Two threads: the main thread owns the database (Django's ORM is synchronous) and runs the loop
claim → submit → collect → record; a second thread runs an asyncio event loop that does the
probing, at most ``concurrency`` probes at once. The main thread never waits for a slow probe
unless asked to (``tick``): it collects whatever finished and claims more, keeping at most
2 × concurrency probes in hand, so memory stays flat however many checks there are.

Time comes from ``clock`` (aware UTC datetimes), so tests and benchmarks step it by hand.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import TracebackType

from django.conf import settings
from django.utils import timezone

from tathmini.core.signals import records_changed
from tathmini.monitor import availability
from tathmini.monitor.models import Check, MonitorDay
from tathmini.monitor.prober import Prober
from tathmini.monitor.services import (
    ALL,
    ProbeResult,
    Rollups,
    Shard,
    Target,
    claim_due,
    hour_of,
    in_shard,
    prune_hours,
    record_results,
    sync_checks,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
BUSY_POLL_SECONDS = 0.02


def utc_now() -> datetime:
    return timezone.now().astimezone(UTC)


class ProbeLoop:
    """An asyncio event loop in a thread of its own, probing with bounded concurrency."""

    def __init__(self, prober: Prober, concurrency: int, clock: Clock) -> None:
        self.prober = prober
        self.clock = clock
        self.loop = asyncio.new_event_loop()
        self.semaphore = asyncio.Semaphore(concurrency)
        self.thread = threading.Thread(target=self._run, name="monitor-probes", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, target: Target) -> concurrent.futures.Future[ProbeResult]:
        return asyncio.run_coroutine_threadsafe(self._probe(target), self.loop)

    async def _probe(self, target: Target) -> ProbeResult:
        async with self.semaphore:
            # The probe's time is when it starts, not when it was claimed: queued probes wait here.
            at = self.clock()
            outcome = await self.prober.probe(target.url, target.expect)
            return ProbeResult(target.check_id, at, outcome)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


class Worker:
    def __init__(
        self,
        shard: Shard = ALL,
        *,
        clock: Clock = utc_now,
        prober: Prober | None = None,
        concurrency: int | None = None,
        sync_every: timedelta = timedelta(minutes=5),
    ) -> None:
        self.shard = shard
        self.clock = clock
        self.concurrency = concurrency or settings.MONITOR_CONCURRENCY
        self.probes = ProbeLoop(prober or Prober.from_settings(), self.concurrency, clock)
        self.sync_every = sync_every
        self.rollups = Rollups()  # this hour's probe figures, per check
        self.inflight: dict[int, concurrent.futures.Future[ProbeResult]] = {}
        self.last_sync: datetime | None = None
        self.hour: datetime | None = None  # the hour the rollups in memory belong to
        self.days_from: date | None = None  # the first day the next day-flush recomputes for every check
        self.dirty: dict[int, date] = {}  # check → an earlier day a backdated flip changed
        self.probed = 0

    # --- one round --------------------------------------------------------------------------
    def step(self, wait: bool = False) -> int:
        """Maintain, claim what is due, start probing it; record what has finished. With ``wait``
        the round also waits for every probe in hand. Returns the probes recorded."""
        now = self.clock()
        self.maintain(now)
        room = 2 * self.concurrency - len(self.inflight)
        if room > 0:
            for target in claim_due(now, self.shard, room, skip=self.inflight):
                self.inflight[target.check_id] = self.probes.submit(target)
        if wait and self.inflight:
            concurrent.futures.wait(list(self.inflight.values()))
        return self.collect()

    def tick(self) -> int:
        """One complete round at the clock's time: everything due is probed and recorded, in
        batches of at most 2 × concurrency."""
        total = 0
        while recorded := self.step(wait=True):
            total += recorded
        return total

    def collect(self) -> int:
        done = [pk for pk, future in self.inflight.items() if future.done()]
        results = []
        for pk in done:
            future = self.inflight.pop(pk)
            try:
                results.append(future.result())
            except Exception:
                # A fault in the prober itself says nothing about the service: drop the probe.
                log.exception("probe of check %s failed inside the monitor", pk)
        if not results:
            return 0
        recorded = record_results(results)
        for result in results:
            self.rollups.add(result)
        for pk, day in recorded.dirty_days.items():
            self.dirty[pk] = min(day, self.dirty.get(pk, day))
        self.probed += len(results)
        return len(results)

    # --- housekeeping -----------------------------------------------------------------------
    def maintain(self, now: datetime) -> None:
        if self.last_sync is None or now - self.last_sync >= self.sync_every:
            sync_checks(now, self.shard)
            self.last_sync = now
        if self.days_from is None:
            self.days_from = now.date()
        hour = hour_of(now)
        if self.hour is not None and hour != self.hour:
            self.flush(now)
        self.hour = hour

    def flush(self, now: datetime) -> None:
        """Fold the finished hours into the day rows and bring the shard's day rows up to ``now``;
        once a day, clear the hourly figures of the days older than ``MONITOR_ROLLUP_DAYS``."""
        new_day = self.days_from is not None and now.date() != self.days_from
        self.rollups.flush(before=hour_of(now))
        self.flush_days(now)
        if new_day:
            prune_hours(in_shard(Check.objects.all(), self.shard), now)

    def flush_days(self, now: datetime) -> None:
        first = self.days_from or now.date()
        checks = in_shard(Check.objects.all(), self.shard)
        availability.rebuild_days(checks, first, now)
        days = {first + timedelta(days=k) for k in range((now.date() - first).days + 1)}
        earlier = {pk: day for pk, day in self.dirty.items() if day < first}
        if earlier:
            since = min(earlier.values())
            availability.rebuild_days(Check.objects.filter(pk__in=list(earlier)), since, now)
            days |= {since + timedelta(days=k) for k in range((first - since).days)}
        self.dirty.clear()
        # Yesterday stays open until a flush after midnight has closed it.
        self.days_from = now.date()
        # The indicator engine refreshes R01 for the periods these days fall in.
        records_changed.send(sender=MonitorDay, dates=days)

    def run(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Probe until ``stop`` is set, then finish the probes in hand and write everything."""
        log.info("monitor started: shard %s/%s, concurrency %s", self.shard[0] + 1, self.shard[1], self.concurrency)
        while not stop.is_set():
            try:
                recorded = self.step()
            except Exception:
                # The database may be briefly unavailable: keep the process, try again shortly.
                log.exception("monitor round failed")
                stop.wait(5)
                continue
            # While probes are in hand, come back soon to record them and claim more; when idle,
            # the next slot is at least a poll away.
            stop.wait(BUSY_POLL_SECONDS if self.inflight or recorded else poll_seconds)
        self.shutdown()

    def shutdown(self) -> None:
        if self.inflight:
            concurrent.futures.wait(list(self.inflight.values()), timeout=settings.MONITOR_TIMEOUT_SECONDS + 5)
        self.collect()
        now = self.clock()
        self.rollups.flush()
        self.flush_days(now)
        log.info("monitor stopped after %s probes", self.probed)

    def close(self) -> None:
        self.probes.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
