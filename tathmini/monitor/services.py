"""Writes of the monitor: which checks exist (sync with the registry), claiming due checks,
recording probe results as flips and incidents, the hourly figures packed into the day rows,
pausing, resuming and editing a check's expectations.

The worker (worker.py) calls these from one thread; the staff pages call pause, resume and edit.
"""

from __future__ import annotations

import json
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Mod

from tathmini.core import audit
from tathmini.monitor.models import Check, Flip, Incident, MonitorDay, Slot, State
from tathmini.monitor.prober import Expectation, Outcome
from tathmini.registry.models import EService

Shard = tuple[int, int]  # (i, n): the checks whose shard_key % n == i
ALL: Shard = (0, 1)

# A check not probed for this many intervals (plus the probe timeout) has lapsed: the time after
# its last probe's slot is counted as not monitored, not as its last state.
LAPSE_INTERVALS = 3


def shard_key_of(eservice_id: int) -> int:
    return zlib.crc32(str(eservice_id).encode("ascii"))


def in_shard(checks: QuerySet[Check], shard: Shard) -> QuerySet[Check]:
    i, n = shard
    if n == 1:
        return checks
    return checks.annotate(shard_bucket=Mod("shard_key", Value(n))).filter(shard_bucket=i)


def parse_shard(text: str) -> Shard:
    """``"2/4"`` → (1, 4): shards are numbered 1…n on the command line, 0…n−1 inside."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{text!r} is not a shard such as 1/2") from None
    if not 1 <= i <= n:
        raise ValueError(f"shard {text!r}: the number must be between 1 and {n}")
    return (i - 1, n)


def lapse_limit(interval_seconds: int) -> timedelta:
    return timedelta(seconds=LAPSE_INTERVALS * interval_seconds + settings.MONITOR_TIMEOUT_SECONDS)


def lapse_after(check: Check) -> timedelta:
    return lapse_limit(check.interval_seconds)


def whole_seconds(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _stopped_at(check: Check, now: datetime) -> datetime:
    """When monitoring of a check really stopped: now, or the end of its last probe's slot if the
    worker has not probed it since (so that a dead worker's silence is not counted as up)."""
    now = whole_seconds(now)
    if check.last_probe_at is None or check.illustrative:  # a demonstration check never lapses
        return now
    return max(min(now, whole_seconds(check.last_probe_at + check.interval)), check.state_since or now)


def stop_monitoring(check: Check, now: datetime, detail: str = "") -> Flip | None:
    """Write the flip to ``unknown`` and close an open incident. The caller saves ``check``."""
    if check.state == State.UNKNOWN:
        return None
    at = _stopped_at(check, now)
    flip = Flip.objects.create(owner=check, at=at, state=State.UNKNOWN, previous=check.state, detail=detail)
    if check.state == State.DOWN:
        check.incidents.filter(ended_at__isnull=True).update(ended_at=at)
    check.state, check.state_since = State.UNKNOWN, at
    return flip


# --- Which e-services are monitored ---------------------------------------------------------
@dataclass
class SyncResult:
    created: int = 0
    changed: int = 0
    stopped: int = 0
    restarted: int = 0


def sync_checks(now: datetime, shard: Shard = ALL) -> SyncResult:
    """One check per live e-service with an address (KPI-DEFINITIONS: *live e-service*), except
    the illustrative (demonstration) ones.

    New checks are spread over their first interval by shard key, so thousands of new services do
    not all fall due in the same second; an e-service that is retired or loses its address stops
    being monitored, and starts again when it comes back.
    """
    i, n = shard
    today = now.astimezone(UTC).date()
    # Demonstration e-services are never probed: their addresses are made up.
    candidates = EService.objects.live_on(today).exclude(url="").filter(illustrative=False)
    live = {pk: url for pk, url in candidates.values_list("pk", "url") if shard_key_of(pk) % n == i}
    result = SyncResult()
    # The demonstration's seeded checks (monitor/demo.py) are neither stopped nor restarted here.
    existing = in_shard(Check.objects.filter(illustrative=False), shard).values_list(
        "pk", "eservice_id", "url", "active"
    )
    known = set()
    to_stop, to_restart, url_changes = [], [], []
    for pk, eservice_id, url, active in existing:
        known.add(eservice_id)
        wanted = live.get(eservice_id)
        if wanted is None and active:
            to_stop.append(pk)
        elif wanted is not None and not active:
            to_restart.append(pk)
        if wanted is not None and wanted != url:
            url_changes.append((pk, wanted))
    interval = settings.MONITOR_INTERVAL_SECONDS
    start = whole_seconds(now)
    new = [
        Check(
            eservice_id=pk,
            url=url,
            shard_key=shard_key_of(pk),
            interval_seconds=interval,
            next_due=start + timedelta(seconds=shard_key_of(pk) % interval),
        )
        for pk, url in live.items()
        if pk not in known
    ]
    with transaction.atomic():
        Check.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        result.created = len(new)
        for pk, url in url_changes:
            Check.objects.filter(pk=pk).update(url=url)
        result.changed = len(url_changes)
        for check in Check.objects.select_for_update().filter(pk__in=to_stop, active=True):
            stop_monitoring(check, now, detail="e-service not live or without an address")
            check.active = False
            check.save(update_fields=["active", "state", "state_since"])
            result.stopped += 1
        result.restarted = Check.objects.filter(pk__in=to_restart, active=False).update(active=True, next_due=start)
    return result


# --- Claiming ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    check_id: int
    url: str
    expect: Expectation


def next_slot(due: datetime, interval_seconds: int, now: datetime) -> datetime:
    """The first slot start after ``now`` on the check's grid (due + k × interval). Missed slots
    are skipped, not caught up: a late worker probes once, not once per slot it missed."""
    step = timedelta(seconds=interval_seconds)
    behind = max(now - due, timedelta(0))
    return due + step * (behind // step + 1)


def claim_due(now: datetime, shard: Shard = ALL, limit: int = 1000, skip: Iterable[int] = ()) -> list[Target]:
    """Claim up to ``limit`` checks due at ``now``: each claim is a conditional UPDATE that moves
    ``next_due`` only if no other worker moved it first, so a slot is probed once, however many
    workers overlap. Checks in ``skip`` (still being probed) are left for later."""
    skipped = set(skip)
    due = in_shard(Check.objects.filter(active=True, paused=False, illustrative=False, next_due__lte=now), shard)
    fields = (
        "pk",
        "url",
        "next_due",
        "interval_seconds",
        "expect_status_min",
        "expect_status_max",
        "expect_keyword",
        "max_response_ms",
    )
    claimed = []
    with transaction.atomic():
        # PostgreSQL: lock the rows this worker will claim and pass over those another worker is
        # claiming right now, so two workers split a batch instead of waiting on (or deadlocking
        # over) each other. SQLite runs one writing transaction at a time anyway.
        locked = due.select_for_update(skip_locked=True).order_by("next_due", "pk").values(*fields)
        rows = [r for r in locked[: limit + len(skipped)] if r["pk"] not in skipped][:limit]
        moves = [(r["pk"], r["next_due"], next_slot(r["next_due"], r["interval_seconds"], now)) for r in rows]
        won = _move_slots(moves)
    for row in rows:
        if row["pk"] in won:
            expect = Expectation(
                row["expect_status_min"], row["expect_status_max"], row["expect_keyword"], row["max_response_ms"]
            )
            claimed.append(Target(row["pk"], row["url"], expect))
    return claimed


def _move_slots(moves: list[tuple[int, datetime, datetime]]) -> set[int]:
    """The conditional updates: (id, old next_due, new next_due) → the ids whose next_due was
    still the old one and is now moved. Plain SQL: an ORM update per row would bound the probe
    rate, and on PostgreSQL the whole batch is one statement (one round trip)."""
    if not moves:
        return set()
    table = connection.ops.quote_name(Check._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::timestamptz, %s::timestamptz)"] * len(moves))
            cursor.execute(
                f"UPDATE {table} AS c SET next_due = v.new_due FROM (VALUES {values}) AS v(id, old_due, new_due) "  # noqa: S608
                "WHERE c.id = v.id AND c.next_due = v.old_due AND c.active AND NOT c.paused RETURNING c.id",
                [x for pk, old, new in moves for x in (pk, old, new)],
            )
            return {pk for (pk,) in cursor.fetchall()}
        won = set()
        sql = f"UPDATE {table} SET next_due = %s WHERE id = %s AND next_due = %s AND active = %s AND paused = %s"  # noqa: S608
        for pk, old, new in sorted(moves):
            cursor.execute(sql, [adapt(new), pk, adapt(old), True, False])
            if cursor.rowcount == 1:
                won.add(pk)
        return won


# --- Recording results ------------------------------------------------------------------------
@dataclass(frozen=True)
class ProbeResult:
    check_id: int
    at: datetime
    outcome: Outcome


@dataclass
class Recorded:
    flips: list[Flip] = field(default_factory=list)
    # check id → the earliest day whose availability a flip written now changed
    dirty_days: dict[int, date] = field(default_factory=dict)


RESULT_FIELDS = [
    "state",
    "state_since",
    "last_probe_at",
    "last_status",
    "last_response_ms",
    "last_cause",
    "last_detail",
]


def record_results(results: Iterable[ProbeResult]) -> Recorded:
    """Turn probe results into state: a flip only when the state changes, an incident opened by
    a flip to down and closed by the next flip. A result for a check paused or stopped meanwhile
    is dropped."""
    ordered = sorted(results, key=lambda r: (r.at, r.check_id))
    recorded = Recorded()
    if not ordered:
        return recorded
    opened: list[Incident] = []
    closed: dict[int, datetime] = {}
    touched: dict[int, Check] = {}
    with transaction.atomic():
        # Locked, so that a pause arriving meanwhile waits for this write instead of being undone.
        checks = Check.objects.select_for_update().in_bulk({r.check_id for r in ordered})
        for result in ordered:
            check = checks.get(result.check_id)
            if check is None or not check.monitored:
                continue
            at = whole_seconds(result.at)
            outcome = result.outcome

            def flip(state: str, moment: datetime, cause: str = "", detail: str = "", check: Check = check) -> None:
                recorded.flips.append(
                    Flip(owner=check, at=moment, state=state, previous=check.state, cause=cause, detail=detail)
                )
                if check.state == State.DOWN:
                    closed[check.pk] = moment
                if state == State.DOWN:
                    opened.append(Incident(owner=check, started_at=moment, cause=cause, detail=detail))
                check.state, check.state_since = state, moment

            last = check.last_probe_at
            if last is not None and check.state != State.UNKNOWN and at - last > lapse_after(check):
                lapsed = max(whole_seconds(last + check.interval), check.state_since or last)
                flip(State.UNKNOWN, lapsed, detail="no probes")
                _dirty(recorded, check.pk, lapsed.date())
            new_state = State.UP if outcome.ok else State.DOWN
            if new_state != check.state:
                flip(new_state, at, outcome.cause, outcome.detail[:300])
                _dirty(recorded, check.pk, at.date())
            check.last_probe_at = at
            check.last_status = outcome.status
            check.last_response_ms = outcome.response_ms
            check.last_cause = outcome.cause
            check.last_detail = outcome.detail[:300]
            touched[check.pk] = check
        Flip.objects.bulk_create(recorded.flips)
        for pk, at in closed.items():
            Incident.objects.filter(owner_id=pk, ended_at__isnull=True).update(ended_at=at)
        Incident.objects.bulk_create(opened)
        _write_results(list(touched.values()))
    return recorded


def _write_results(checks: list[Check]) -> None:
    """The probe results into the checks' rows: on PostgreSQL one statement for the batch, on
    SQLite one prepared UPDATE run per check; both far cheaper than ``bulk_update``, whose CASE
    expressions cost more Python time than the probes themselves."""
    if not checks:
        return
    table = connection.ops.quote_name(Check._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        [
            c.state,
            adapt(c.state_since),
            adapt(c.last_probe_at),
            c.last_status,
            c.last_response_ms,
            c.last_cause,
            c.last_detail,
            c.pk,
        ]
        for c in checks
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = ("text", "timestamptz", "timestamptz", "integer", "integer", "text", "text", "bigint")
            row = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
            columns = ", ".join(f"{name} = v.{name}" for name in RESULT_FIELDS)
            cursor.execute(
                f"UPDATE {table} AS c SET {columns} FROM (VALUES {', '.join([row] * len(rows))}) "  # noqa: S608
                f"AS v({', '.join(RESULT_FIELDS)}, id) WHERE c.id = v.id",
                [x for r in rows for x in r],
            )
            return
        columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in RESULT_FIELDS)  # plain columns
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", rows)  # noqa: S608


def _dirty(recorded: Recorded, pk: int, day: date) -> None:
    recorded.dirty_days[pk] = min(day, recorded.dirty_days.get(pk, day))


# --- Hourly figures ---------------------------------------------------------------------------
def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class _Hour:
    probes: int = 0
    failures: int = 0
    # Response times (ms) of the probes that got an answer: 4 bytes each, at most one hour's worth.
    samples: array = field(default_factory=lambda: array("I"))

    def slot(self) -> Slot:
        return hour_slot(self.probes, self.failures, self.samples)


def _rank(ordered: list[int], q: float) -> int:
    """Nearest-rank percentile of a sorted list."""
    index = max(0, -(-int(q * 100) * len(ordered) // 100) - 1)
    return ordered[index]


def hour_slot(probes: int, failures: int, response_ms: Iterable[int]) -> Slot:
    """An hour's slot (models.SLOT_FIELDS) from its counts and the answered probes' times."""
    ordered = sorted(response_ms)
    if not ordered:
        return [probes, failures, 0, None, None, None]
    return [probes, failures, len(ordered), _rank(ordered, 0.5), _rank(ordered, 0.95), ordered[-1]]


def merge_slot(old: Slot, new: Slot) -> Slot:
    """Two writes of the same hour (a restart within the hour, or two workers given the same
    shard): the counts add up and the slowest is the larger, both exact. The percentiles of the
    merged probes are not known, but they lie between the two parts' percentiles (at least half
    of each part is at or below its median, so at least half of the whole is at or below the
    larger median; likewise for the 95th), so the larger is kept: a merged hour never looks
    faster than it was."""

    def larger(a: int | None, b: int | None) -> int | None:
        return a if b is None else b if a is None else max(a, b)

    return [
        old[0] + new[0],
        old[1] + new[1],
        old[2] + new[2],
        larger(old[3], new[3]),
        larger(old[4], new[4]),
        larger(old[5], new[5]),
    ]


def merge_hours(stored: list[Slot | None] | None, new: dict[int, Slot]) -> list[Slot | None]:
    """A day's 24 slots with ``new`` (UTC hour → slot) folded in."""
    hours: list[Slot | None] = list(stored or [])
    hours += [None] * (24 - len(hours))
    for hour, slot in new.items():
        current = hours[hour]
        hours[hour] = list(slot) if current is None else merge_slot(current, slot)
    return hours


class Rollups:
    """This hour's probes per check, in memory; folded into the check's day row when the hour is
    over (``write_hours``)."""

    def __init__(self) -> None:
        self._hours: dict[tuple[int, datetime], _Hour] = {}

    def __len__(self) -> int:
        return len(self._hours)

    def add(self, result: ProbeResult) -> None:
        acc = self._hours.setdefault((result.check_id, hour_of(result.at)), _Hour())
        acc.probes += 1
        acc.failures += not result.outcome.ok
        if result.outcome.response_ms is not None:
            acc.samples.append(min(result.outcome.response_ms, 2**32 - 1))

    def flush(self, before: datetime | None = None) -> int:
        """Write the hours that started before ``before`` (all when None); returns hours written."""
        keys = sorted(k for k in self._hours if before is None or k[1] < before)
        if not keys:
            return 0
        by_day: dict[tuple[int, date], dict[int, Slot]] = {}
        for key in keys:
            check_id, hour = key
            by_day.setdefault((check_id, hour.date()), {})[hour.hour] = self._hours.pop(key).slot()
        write_hours(by_day)
        return len(keys)


HOURS_BATCH = 1000  # day rows read, merged and written per transaction


def write_hours(figures: dict[tuple[int, date], dict[int, Slot]]) -> None:
    """Fold hourly slots, (check id, UTC day) → {hour: slot}, into the e-services' day rows.

    A day row missing so far is created with no seconds (the next ``rebuild_days`` fills them in).
    The rows are locked while their slots are merged, in one order (id; then the missing ones,
    sorted), so several workers writing the same day wait for each other instead of overwriting
    each other's hours; a slot already written for the hour is merged (``merge_slot``).
    """
    ids = sorted({c for c, _ in figures})
    owners: dict[int, int] = {}
    for k in range(0, len(ids), HOURS_BATCH):  # bounded: SQLite limits the parameters of a query
        owners.update(Check.objects.filter(pk__in=ids[k : k + HOURS_BATCH]).values_list("pk", "eservice_id"))
    wanted: dict[tuple[int, date], dict[int, Slot]] = {}
    for (check_id, day), hours in figures.items():
        if check_id in owners:  # a check deleted meanwhile has no day to write to
            wanted[(owners[check_id], day)] = hours
    keys = sorted(wanted)
    for start in range(0, len(keys), HOURS_BATCH):
        batch = keys[start : start + HOURS_BATCH]
        with transaction.atomic():
            rows = _lock_days(batch)
            missing = [key for key in batch if key not in rows]
            if missing:
                MonitorDay.objects.bulk_create(
                    [MonitorDay(eservice_id=e, day=d, seconds_monitored=0, seconds_up=0) for e, d in missing],
                    ignore_conflicts=True,  # another worker may have created it meanwhile
                )
                rows |= _lock_days(missing)
            _save_hours([(rows[key][0], merge_hours(rows[key][1], wanted[key])) for key in batch])


def _lock_days(keys: list[tuple[int, date]]) -> dict[tuple[int, date], tuple[int, Any]]:
    """(e-service, day) → (row id, hours) of the day rows that exist, locked until commit."""
    found = (
        MonitorDay.objects.select_for_update()
        .filter(eservice_id__in={e for e, _ in keys}, day__in={d for _, d in keys})
        .order_by("pk")
        .values_list("pk", "eservice_id", "day", "hours")
    )
    wanted = set(keys)
    return {(e, d): (pk, hours) for pk, e, d, hours in found if (e, d) in wanted}


def _save_hours(rows: list[tuple[int, list[Slot | None]]]) -> None:
    """Plain SQL, one statement (PostgreSQL) or one prepared UPDATE (SQLite) for the batch: an
    hourly write touches every check's day row, too many for ``bulk_update``'s CASE expressions."""
    if not rows:
        return
    table = connection.ops.quote_name(MonitorDay._meta.db_table)
    params = [(pk, json.dumps(hours, separators=(",", ":"))) for pk, hours in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::jsonb)"] * len(params))
            cursor.execute(
                f"UPDATE {table} AS d SET hours = v.hours FROM (VALUES {values}) AS v(id, hours) WHERE d.id = v.id",  # noqa: S608
                [x for row in params for x in row],
            )
            return
        cursor.executemany(f"UPDATE {table} SET hours = %s WHERE id = %s", [(h, pk) for pk, h in params])  # noqa: S608


def prune_hours(checks: QuerySet[Check], now: datetime) -> int:
    """Clear the hourly figures of ``checks``' days older than ``MONITOR_ROLLUP_DAYS``: they only
    say how fast a service answered. The day's seconds monitored and up (R01's input) are kept;
    a row that held nothing else (no second monitored) goes. Returns the days cleared."""
    cutoff = (now.astimezone(UTC) - timedelta(days=settings.MONITOR_ROLLUP_DAYS)).date()
    old = MonitorDay.objects.filter(eservice__in=checks.values("eservice_id"), day__lt=cutoff)
    with transaction.atomic():
        cleared = old.filter(hours__isnull=False).update(hours=None)
        old.filter(seconds_monitored=0, hours__isnull=True).delete()
    return cleared


# --- Staff actions ----------------------------------------------------------------------------
def check_pause(check: Check, *, actor: Any, now: datetime) -> bool:
    """Stop probing a check (audited). Returns False if it was already paused."""
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        if locked.paused:
            return False
        stop_monitoring(locked, now, detail="paused")
        locked.paused = True
        locked.save(update_fields=["paused", "state", "state_since"])
        audit.event("update", locked, actor=actor, channel="web", changes={"paused": [False, True]}, at=now).save()
    return True


def check_resume(check: Check, *, actor: Any, now: datetime) -> bool:
    """Probe a paused check again, from its next second (audited). False if it was not paused."""
    with transaction.atomic():
        moved = Check.objects.filter(pk=check.pk, paused=True).update(paused=False, next_due=whole_seconds(now))
        if moved:
            audit.event("update", check, actor=actor, channel="web", changes={"paused": [True, False]}, at=now).save()
    return bool(moved)


# What staff may change on a check (the status page's settings form and the admin); everything
# else on it belongs to the worker.
EDITABLE_FIELDS = ("interval_seconds", "expect_status_min", "expect_status_max", "expect_keyword", "max_response_ms")


def check_update(check: Check, values: dict[str, Any], *, actor: Any, now: datetime, channel: str = "web") -> dict:
    """Change a check's interval and expectations (``EDITABLE_FIELDS``; values already
    validated), audited with the old and new values. Returns the changes, {} when nothing changed.

    A shorter interval takes effect at once (the check falls due now); a longer one from the
    slot already planned. The next probe applies the new expectations.
    """
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        before = {name: audit.plain(getattr(locked, name)) for name in EDITABLE_FIELDS}
        after = {name: audit.plain(values.get(name, getattr(locked, name))) for name in EDITABLE_FIELDS}
        changes = audit.diff(before, after)
        if not changes:
            return {}
        for name in changes:
            setattr(locked, name, values[name])
        fields = list(changes)
        if "interval_seconds" in changes and locked.interval_seconds < before["interval_seconds"]:
            locked.next_due = min(locked.next_due, whole_seconds(now))
            fields.append("next_due")
        locked.save(update_fields=fields)
        audit.event("update", locked, actor=actor, channel=channel, changes=changes, at=now).save()
    for name in fields:
        setattr(check, name, getattr(locked, name))
    return changes
