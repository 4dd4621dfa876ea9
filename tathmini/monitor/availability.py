"""Availability, computed exactly from the flips.

A check's history is a step function: the state of its last flip holds until the next flip. So
over any window, seconds monitored = time in ``up`` or ``down``, seconds up = time in ``up``, and
availability = seconds up ÷ seconds monitored. Flip times are whole seconds (the worker truncates
them), so every figure here is a whole number of seconds and the ratio is exact.

``rebuild_days`` writes the per-day seconds (``MonitorDay``) that the indicator engine sums for
R01; the status page computes its 30- and 90-day figures with the same functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery

from tathmini.monitor.models import Check, Flip, Incident, MonitorDay, State
from tathmini.monitor.services import lapse_limit

FlipPoint = tuple[datetime, str]


@dataclass(frozen=True)
class Seconds:
    monitored: int = 0
    up: int = 0

    def __add__(self, other: Seconds) -> Seconds:
        return Seconds(self.monitored + other.monitored, self.up + other.up)

    @property
    def percent(self) -> Decimal | None:
        """Seconds up as a percentage of seconds monitored; None when nothing was monitored."""
        if not self.monitored:
            return None
        return Decimal(100 * self.up) / Decimal(self.monitored)


def _count(state: str, seconds: int) -> Seconds:
    if state == State.UP:
        return Seconds(seconds, seconds)
    if state == State.DOWN:
        return Seconds(seconds, 0)
    return Seconds()


Segment = tuple[datetime, datetime, str]


def segments(state_at_start: str, flips: Sequence[FlipPoint], start: datetime, end: datetime) -> list[Segment]:
    """(from, to, state) pieces of [start, end): ``flips`` are (at, state) in time order; flips
    outside the window only move the state."""
    out: list[Segment] = []
    state, cursor = state_at_start, start
    for at, new in flips:
        if at <= start:
            state = new
            continue
        if at >= end:
            break
        if at > cursor:
            out.append((cursor, at, state))
        state, cursor = new, at
    if end > cursor:
        out.append((cursor, end, state))
    return out


def seconds(state_at_start: str, flips: Sequence[FlipPoint], start: datetime, end: datetime) -> Seconds:
    total = Seconds()
    for a, b, state in segments(state_at_start, flips, start, end):
        total += _count(state, int((b - a).total_seconds()))
    return total


def by_day(state_at_start: str, flips: Sequence[FlipPoint], start: datetime, end: datetime) -> dict[date, Seconds]:
    """Seconds per UTC day of [start, end), split at midnight; days with nothing monitored are left out."""
    out: dict[date, Seconds] = {}
    for a, b, state in segments(state_at_start, flips, start, end):
        if state not in (State.UP, State.DOWN):
            continue  # not monitored: nothing to count, however many days it spans
        while a < b:
            midnight = datetime.combine(a.date() + timedelta(days=1), time.min, tzinfo=UTC)
            piece_end = min(b, midnight)
            counted = _count(state, int((piece_end - a).total_seconds()))
            if counted.monitored:
                out[a.date()] = out.get(a.date(), Seconds()) + counted
            a = piece_end
    return out


# --- From the database ----------------------------------------------------------------------
@dataclass(frozen=True)
class Timeline:
    eservice_id: int
    state_at_start: str
    flips: list[FlipPoint]


def timelines(checks: QuerySet[Check], start: datetime, end: datetime) -> dict[int, Timeline]:
    """Each check's state at ``start`` and its flips in [start, end), in two queries.

    A check the worker has stopped probing without saying so (the monitor was not running) gets
    a flip to ``unknown`` at the end of its last probe's slot, the same flip the worker writes
    when it comes back; so silence is never counted as up or down. The exception is a
    demonstration check (``illustrative``, monitor/demo.py), which nothing probes.
    """
    last = Flip.objects.filter(owner=OuterRef("pk"), at__lt=start).order_by("-at", "-pk").values("state")[:1]
    rows = checks.annotate(state_then=Subquery(last)).values_list(
        "pk", "eservice_id", "state_then", "state", "last_probe_at", "interval_seconds", "illustrative"
    )
    flips: dict[int, list[FlipPoint]] = defaultdict(list)
    for owner, at, state in (
        Flip.objects.filter(owner__in=checks.values("pk"), at__gte=start, at__lt=end)
        .order_by("owner_id", "at", "pk")
        .values_list("owner_id", "at", "state")
    ):
        flips[owner].append((at, state))
    out = {}
    for pk, eservice_id, state_then, state_now, last_probe, interval, illustrative in rows:
        points = flips.get(pk, [])
        # A demonstration check is never probed: its generated history runs on in its last state.
        watched = state_now != State.UNKNOWN and not illustrative
        if watched and last_probe is not None and end - last_probe > lapse_limit(interval):
            points = [*points, (last_probe.replace(microsecond=0) + timedelta(seconds=interval), State.UNKNOWN)]
        out[pk] = Timeline(eservice_id, state_then or State.UNKNOWN, points)
    return out


def by_check(checks: QuerySet[Check], start: datetime, end: datetime) -> dict[int, Seconds]:
    """Seconds monitored and up of each check over [start, end)."""
    return {pk: seconds(t.state_at_start, t.flips, start, end) for pk, t in timelines(checks, start, end).items()}


def total(values: Iterable[Seconds]) -> Seconds:
    out = Seconds()
    for value in values:
        out += value
    return out


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def rebuild_days(checks: QuerySet[Check], first_day: date, now: datetime) -> int:
    """Recompute the seconds monitored and up in the MonitorDay rows of ``checks`` from
    ``first_day`` to ``now`` (the current day counts up to ``now``) from the flips. Returns the
    number of days with monitored time.

    Only the seconds are rewritten: the hourly probe figures packed in the same rows come from the
    probes, not the flips, and are kept as they are (a day that has figures but no monitored time
    keeps its row with zero seconds). The rows are updated in place (an upsert), so a worker folding
    its hours into them meanwhile loses nothing.
    """
    now = now.replace(microsecond=0)
    start = midnight(first_day)
    if now <= start:
        return 0
    rows = [
        (t.eservice_id, day, s.monitored, s.up)
        for t in timelines(checks, start, now).values()
        for day, s in by_day(t.state_at_start, t.flips, start, now).items()
    ]
    computed = {(eservice_id, day) for eservice_id, day, _m, _u in rows}
    in_range = MonitorDay.objects.filter(eservice__in=checks.values("eservice_id"), day__gte=first_day)
    with transaction.atomic():
        # Days that had monitored time and no longer have any (flips rewritten) are zeroed.
        gone = [
            pk
            for pk, eservice_id, day in in_range.exclude(seconds_monitored=0).values_list("pk", "eservice_id", "day")
            if (eservice_id, day) not in computed
        ]
        for k in range(0, len(gone), 1000):
            MonitorDay.objects.filter(pk__in=gone[k : k + 1000]).update(seconds_monitored=0, seconds_up=0)
        _upsert_seconds(rows)
        in_range.filter(seconds_monitored=0, hours__isnull=True).delete()
    return len(rows)


def _upsert_seconds(rows: list[tuple[int, date, int, int]]) -> None:
    """Insert the days, or update the seconds of those already there, leaving their hours alone.
    Plain SQL: an ORM object per day cost more than the whole computation, and a worker rewrites a
    day per check every hour."""
    if not rows:
        return
    table = connection.ops.quote_name(MonitorDay._meta.db_table)
    insert = f"INSERT INTO {table} (eservice_id, day, seconds_monitored, seconds_up) "
    upsert = (
        " ON CONFLICT (eservice_id, day) DO UPDATE"
        " SET seconds_monitored = excluded.seconds_monitored, seconds_up = excluded.seconds_up"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Four arrays in one statement: thousands of placeholders cost more to send than the rows.
            columns = [list(column) for column in zip(*rows, strict=True)]
            unnest = "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::integer[], %s::integer[])"
            cursor.execute(insert + unnest + upsert, columns)
            return
        adapt = connection.ops.adapt_datefield_value
        params = [(eservice_id, adapt(day), monitored, up) for eservice_id, day, monitored, up in rows]
        cursor.executemany(insert + "VALUES (%s, %s, %s, %s)" + upsert, params)


def rebuild_incidents(checks: QuerySet[Check]) -> int:
    """Recompute the incidents of ``checks`` from their flips: each flip to down opens one, with
    its cause; the next flip ends it. Returns the number of incidents written."""
    incidents: list[Incident] = []
    open_incident: dict[int, Incident] = {}
    flips = Flip.objects.filter(owner__in=checks.values("pk")).order_by("owner_id", "at", "pk")
    for owner_id, at, state, cause, detail in flips.values_list("owner_id", "at", "state", "cause", "detail").iterator(
        chunk_size=2000
    ):
        current = open_incident.pop(owner_id, None)
        if current is not None:
            current.ended_at = at
        if state == State.DOWN:
            incident = Incident(owner_id=owner_id, started_at=at, cause=cause, detail=detail)
            incidents.append(incident)
            open_incident[owner_id] = incident
    with transaction.atomic():
        Incident.objects.filter(owner__in=checks.values("pk")).delete()
        Incident.objects.bulk_create(incidents, batch_size=1000)
    return len(incidents)
