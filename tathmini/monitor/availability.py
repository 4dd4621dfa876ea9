"""Availability, computed exactly from the flips.

A check's history is a step function: the state of its last flip holds until the next flip. So
over any window, seconds monitored = time in ``up`` or ``down``, seconds up = time in ``up``, and
availability = seconds up ÷ seconds monitored. Flip times are whole seconds (the worker truncates
them), so every figure here is a whole number of seconds and the ratio is exact.

``rebuild_days`` writes the per-day figures (``MonitorDay``) that the indicator engine sums for
R01; the status page computes its 30- and 90-day figures with the same functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
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
    when it comes back; so silence is never counted as up or down.
    """
    last = Flip.objects.filter(owner=OuterRef("pk"), at__lt=start).order_by("-at", "-pk").values("state")[:1]
    rows = checks.annotate(state_then=Subquery(last)).values_list(
        "pk", "eservice_id", "state_then", "state", "last_probe_at", "interval_seconds"
    )
    flips: dict[int, list[FlipPoint]] = defaultdict(list)
    for owner, at, state in (
        Flip.objects.filter(owner__in=checks.values("pk"), at__gte=start, at__lt=end)
        .order_by("owner_id", "at", "pk")
        .values_list("owner_id", "at", "state")
    ):
        flips[owner].append((at, state))
    out = {}
    for pk, eservice_id, state_then, state_now, last_probe, interval in rows:
        points = flips.get(pk, [])
        if state_now != State.UNKNOWN and last_probe is not None and end - last_probe > lapse_limit(interval):
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
    """Recompute the MonitorDay rows of ``checks`` from ``first_day`` to ``now`` (the current day
    counts up to ``now``) from the flips. Returns the number of rows written."""
    now = now.replace(microsecond=0)
    start = midnight(first_day)
    if now <= start:
        return 0
    rows = [
        MonitorDay(eservice_id=t.eservice_id, day=day, seconds_monitored=s.monitored, seconds_up=s.up)
        for t in timelines(checks, start, now).values()
        for day, s in by_day(t.state_at_start, t.flips, start, now).items()
    ]
    with transaction.atomic():
        MonitorDay.objects.filter(eservice__in=checks.values("eservice_id"), day__gte=first_day).delete()
        MonitorDay.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def rebuild_incidents(checks: QuerySet[Check]) -> int:
    """Recompute the incidents of ``checks`` from their flips: each flip to down opens one, with
    its cause; the next flip ends it. Returns the number of incidents written."""
    incidents: list[Incident] = []
    open_incident: dict[int, Incident] = {}
    flips = Flip.objects.filter(owner__in=checks.values("pk")).order_by("owner_id", "at", "pk")
    for flip in flips.only("owner_id", "at", "state", "cause", "detail").iterator(chunk_size=2000):
        current = open_incident.pop(flip.owner_id, None)
        if current is not None:
            current.ended_at = flip.at
        if flip.state == State.DOWN:
            incident = Incident(owner_id=flip.owner_id, started_at=flip.at, cause=flip.cause, detail=flip.detail)
            incidents.append(incident)
            open_incident[flip.owner_id] = incident
    with transaction.atomic():
        Incident.objects.filter(owner__in=checks.values("pk")).delete()
        Incident.objects.bulk_create(incidents, batch_size=1000)
    return len(incidents)
