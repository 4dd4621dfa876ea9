"""Reads for the status page and its JSON twin: one function per page, the same data for both."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from tathmini.accounts.roles import Role
from tathmini.monitor import availability
from tathmini.monitor.availability import Seconds
from tathmini.monitor.models import Check, Flip, HourFigures, Incident, MonitorDay, State, hour_figures
from tathmini.monitor.services import lapse_after
from tathmini.registry.models import Institution

WINDOWS = (30, 90)  # days of availability shown
STAFF_ROLES = (Role.ADMINISTRATOR, Role.ME_OFFICER, Role.AGENCY_OFFICER)

# What the page says about a service now: the check's state, or why it is not being monitored.
SHOWN_STATES = {
    "up": _("Up"),
    "down": _("Down"),
    "unknown": _("Not monitored"),
    "paused": _("Paused"),
}


def sees_probe_details(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or set(STAFF_ROLES) & set(user.roles)))


def may_edit_checks(user: Any) -> bool:
    """Who changes a check's interval and expectations: the roles given the model permission in
    ``accounts/roles.py`` (the administrators, the Agency's ICT operations), and superusers."""
    return bool(user.is_authenticated and user.has_perm("monitor.change_check"))


def shown_state(check: Check, now: datetime) -> str:
    if check.paused:
        return "paused"
    lapsed = check.last_probe_at is not None and now - check.last_probe_at > lapse_after(check)
    if check.state != State.UNKNOWN and lapsed and not check.illustrative:
        return "unknown"  # the monitor has not probed it lately: its last state is no longer known
    return str(check.state)


@dataclass
class ServiceRow:
    check: Check
    state: str
    availability: dict[int, Seconds]

    @property
    def state_label(self) -> str:
        return str(SHOWN_STATES[self.state])


@dataclass
class InstitutionRow:
    institution: Institution
    services: int = 0
    up: int = 0
    down: int = 0
    availability: dict[int, Seconds] = field(default_factory=lambda: {d: Seconds() for d in WINDOWS})


def _rows(checks: QuerySet[Check], now: datetime) -> list[ServiceRow]:
    """Each check with its shown state and its availability over every window, from one timeline."""
    longest = now - timedelta(days=max(WINDOWS))
    lines = availability.timelines(checks, longest, now)
    rows = []
    for check in checks:
        line = lines[check.pk]
        figures = {
            days: availability.seconds(line.state_at_start, line.flips, now - timedelta(days=days), now)
            for days in WINDOWS
        }
        rows.append(ServiceRow(check, shown_state(check, now), figures))
    return rows


def _monitored_checks() -> QuerySet[Check]:
    return Check.objects.filter(active=True).select_related("eservice__institution")


def _incidents() -> QuerySet[Incident]:
    return Incident.objects.select_related("owner__eservice__institution")


def overview(now: datetime) -> dict[str, Any]:
    rows = _rows(_monitored_checks(), now)
    counts = dict.fromkeys(SHOWN_STATES, 0)
    by_institution: dict[int, InstitutionRow] = {}
    for row in rows:
        counts[row.state] += 1
        institution = row.check.eservice.institution
        group = by_institution.setdefault(institution.pk, InstitutionRow(institution))
        group.services += 1
        group.up += row.state == "up"
        group.down += row.state == "down"
        for days, figure in row.availability.items():
            group.availability[days] += figure
    return {
        "now": now,
        "counts": counts,
        "overall": {days: availability.total(r.availability[days] for r in rows) for days in WINDOWS},
        "down": [r for r in rows if r.state == "down"],
        "institutions": sorted(by_institution.values(), key=lambda g: g.institution.code),
        "incidents": list(_incidents().filter(started_at__gte=now - timedelta(days=max(WINDOWS)))[:20]),
    }


def institution_status(code: str, now: datetime) -> dict[str, Any]:
    institution = Institution.objects.filter(code=code).first()
    if institution is None:
        raise Http404
    checks = _monitored_checks().filter(eservice__institution=institution)
    rows = _rows(checks, now)
    return {
        "now": now,
        "institution": institution,
        "services": rows,
        "overall": {days: availability.total(r.availability[days] for r in rows) for days in WINDOWS},
        "incidents": list(_incidents().filter(owner__eservice__institution=institution)[:20]),
    }


def service_status(code: str, now: datetime, *, details: bool) -> dict[str, Any]:
    checks = Check.objects.select_related("eservice__institution").filter(eservice__code=code)
    rows = _rows(checks, now)
    if not rows:
        raise Http404
    row = rows[0]
    data: dict[str, Any] = {
        "now": now,
        "row": row,
        "check": row.check,
        "incidents": list(row.check.incidents.all()[:20]),
        "details": details,
    }
    if details:
        data["rollups"] = recent_hours(row.check, now)
        data["flips"] = list(Flip.objects.filter(owner=row.check).order_by("-at", "-pk")[:20])
    return data


def recent_hours(check: Check, now: datetime, hours: int = 48) -> list[HourFigures]:
    """The hourly probe figures of the last ``hours`` hours, newest first, from the day rows."""
    since = now - timedelta(hours=hours)
    days = MonitorDay.objects.filter(eservice_id=check.eservice_id, day__gte=since.date(), hours__isnull=False)
    figures = [f for day, slots in days.values_list("day", "hours") for f in hour_figures(day, slots)]
    return sorted((f for f in figures if f.hour >= since), key=lambda f: f.hour, reverse=True)


# --- The JSON twin ----------------------------------------------------------------------------
def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 4)


def availability_json(figures: dict[int, Seconds]) -> dict[str, Any]:
    return {
        f"{days}d": {"percent": _percent(s.percent), "seconds_monitored": s.monitored, "seconds_up": s.up}
        for days, s in figures.items()
    }


def incident_json(incident: Incident) -> dict[str, Any]:
    duration = incident.duration
    return {
        "eservice": incident.owner.eservice.code,
        "started_at": iso(incident.started_at),
        "ended_at": iso(incident.ended_at),
        "duration_seconds": None if duration is None else int(duration.total_seconds()),
        "cause": incident.cause,
        "cause_label": str(incident.get_cause_display()) if incident.cause else "",
    }


def service_json(row: ServiceRow, *, details: bool = False) -> dict[str, Any]:
    check = row.check
    out: dict[str, Any] = {
        "code": check.eservice.code,
        "name": check.eservice.name,
        "institution": check.eservice.institution.code,
        "url": check.url,
        "state": row.state,
        "state_since": iso(check.state_since),
        "availability": availability_json(row.availability),
    }
    if details:
        out["probe"] = {
            "last_probe_at": iso(check.last_probe_at),
            "last_status": check.last_status,
            "last_response_ms": check.last_response_ms,
            "last_cause": check.last_cause,
            "last_detail": check.last_detail,
            "next_due": iso(check.next_due),
            "interval_seconds": check.interval_seconds,
            "paused": check.paused,
        }
    return out
