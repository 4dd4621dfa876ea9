"""What the availability monitor keeps: one check per live e-service address, and rows only when
something matters: a flip per change of state, an incident per outage, and a row per e-service
and UTC day holding the seconds monitored and up and that day's 24 hourly probe figures
(docs/monitor.md).

A probe of a stable service writes no row of its own: it moves the check's ``next_due`` and
last-probe fields and adds to an hourly rollup kept in the worker's memory, which is folded into
the day's row when the hour is over. History is the flips; incidents and the seconds of each day
can be recomputed from them (the hourly figures cannot, and a recomputation keeps them).

The foreign keys to a check are called ``owner`` because ``check`` would hide Django's
``Model.check()``, the system-check hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tathmini.monitor.prober import Cause, Expectation
from tathmini.registry.models import EService


class State(models.TextChoices):
    UNKNOWN = "unknown", _("Not monitored")
    UP = "up", _("Up")
    DOWN = "down", _("Down")


class Check(models.Model):
    eservice = models.OneToOneField(
        EService, on_delete=models.CASCADE, related_name="monitor_check", verbose_name=_("e-service")
    )
    url = models.URLField(_("address"), max_length=500)
    # A stable hash of the e-service id: ``shard_key % n == i`` is shard i of n, the same on every
    # machine (Python's hash() is salted per process, so it cannot serve).
    shard_key = models.PositiveBigIntegerField(_("shard key"))
    interval_seconds = models.PositiveIntegerField(
        _("interval (seconds)"), default=60, validators=[MinValueValidator(10), MaxValueValidator(86400)]
    )
    expect_status_min = models.PositiveSmallIntegerField(
        _("lowest expected status"), default=200, validators=[MinValueValidator(100), MaxValueValidator(599)]
    )
    expect_status_max = models.PositiveSmallIntegerField(
        _("highest expected status"), default=299, validators=[MinValueValidator(100), MaxValueValidator(599)]
    )
    expect_keyword = models.CharField(
        _("expected text"), max_length=200, blank=True, help_text=_("Text the page must contain (case-sensitive).")
    )
    max_response_ms = models.PositiveIntegerField(
        _("slowest acceptable answer (ms)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # ``active``: the e-service is live and has an address (kept by the worker's sync);
    # ``paused``: staff stopped probing it. Either way it is not monitored.
    active = models.BooleanField(_("active"), default=True)
    paused = models.BooleanField(_("paused"), default=False)
    # Seeded history of a demonstration e-service (tathmini/monitor/demo.py): its address is made
    # up, so the worker never claims it and the sync leaves it alone.
    illustrative = models.BooleanField(_("illustrative"), default=False)
    # The start of the next slot this check is due in; claiming a slot moves it (worker.py).
    next_due = models.DateTimeField(_("next probe due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UNKNOWN)
    state_since = models.DateTimeField(_("in this state since"), null=True, blank=True)
    last_probe_at = models.DateTimeField(_("last probe"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(_("last response time (ms)"), null=True, blank=True)
    last_cause = models.CharField(_("last failure"), max_length=12, choices=Cause.choices, blank=True)
    last_detail = models.CharField(_("last failure detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("availability check")
        verbose_name_plural = _("availability checks")
        ordering = ["eservice__code"]
        indexes = [
            models.Index(
                fields=["next_due"],
                name="monitor_check_due",
                condition=Q(active=True, paused=False, illustrative=False),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expect_status_min__lte=models.F("expect_status_max")), name="monitor_status_range"
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def monitored(self) -> bool:
        return self.active and not self.paused

    @property
    def expectation(self) -> Expectation:
        return Expectation(self.expect_status_min, self.expect_status_max, self.expect_keyword, self.max_response_ms)

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.interval_seconds)


class Flip(models.Model):
    """The check entered ``state`` at ``at`` (whole seconds, UTC). ``unknown`` means monitoring
    stopped: paused, the e-service retired, or the monitor itself was not running."""

    owner = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="flips", verbose_name=_("check"))
    at = models.DateTimeField(_("at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    previous = models.CharField(_("previous state"), max_length=10, choices=State.choices)
    cause = models.CharField(_("cause"), max_length=12, choices=Cause.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["owner", "at", "pk"]
        indexes = [models.Index(fields=["owner", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.at:%Y-%m-%d %H:%M:%S} {self.previous} → {self.state}"


class Incident(models.Model):
    """An outage: from the flip to down until the next flip (back up, or monitoring stopped)."""

    owner = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("check"))
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=12, choices=Cause.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["owner", "started_at"]), models.Index(fields=["started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="monitor_incident_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


# One hour's probes of a check, packed in ``MonitorDay.hours``: [probes, failures, answered,
# p50_ms, p95_ms, max_ms]; the response times are those of the probes that got an answer, so the
# three percentiles are null when ``answered`` is 0.
Slot = list[Any]
SLOT_FIELDS = ("probes", "failures", "answered", "p50_ms", "p95_ms", "max_ms")


@dataclass(frozen=True)
class HourFigures:
    """One slot of ``MonitorDay.hours`` with its hour, as the pages read it."""

    hour: datetime
    probes: int
    failures: int
    answered: int
    p50_ms: int | None
    p95_ms: int | None
    max_ms: int | None


class MonitorDay(models.Model):
    """One e-service's UTC day: the seconds it was monitored and up, computed exactly from the
    flips (availability.rebuild_days), and the day's hourly probe figures (services.write_hours).

    The indicator engine reads the seconds through the ``availability`` data source:
    R01 = Σ seconds_up ÷ Σ seconds_monitored over the days of a period. ``hours`` is null (no
    detail: none written yet, or cleared after ``MONITOR_ROLLUP_DAYS``) or a list of 24 slots, one
    per UTC hour, each null (no probe that hour) or a ``Slot``. Packing a day's hours in its row
    keeps a stable service at one row per day instead of 24 more.
    """

    eservice = models.ForeignKey(
        EService, on_delete=models.CASCADE, related_name="monitor_days", verbose_name=_("e-service")
    )
    day = models.DateField(_("day"))
    seconds_monitored = models.PositiveIntegerField(_("seconds monitored"), validators=[MaxValueValidator(86400)])
    seconds_up = models.PositiveIntegerField(_("seconds up"), validators=[MaxValueValidator(86400)])
    hours = models.JSONField(_("hourly probe figures"), null=True, blank=True, default=None)

    class Meta:
        verbose_name = _("day of availability")
        verbose_name_plural = _("days of availability")
        ordering = ["eservice", "day"]
        indexes = [models.Index(fields=["day"])]
        constraints = [
            models.UniqueConstraint(fields=["eservice", "day"], name="monitor_day_unique"),
            models.CheckConstraint(
                condition=Q(seconds_up__lte=models.F("seconds_monitored")), name="monitor_day_up_within_monitored"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.eservice_id} {self.day}"

    def hour_figures(self) -> list[HourFigures]:
        """The day's hours that had probes, in time order."""
        return hour_figures(self.day, self.hours)


def hour_figures(day: date, hours: list[Slot | None] | None) -> list[HourFigures]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return [HourFigures(start + timedelta(hours=h), *slot) for h, slot in enumerate(hours or []) if slot is not None]
