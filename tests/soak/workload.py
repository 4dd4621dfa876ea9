"""The soak's database side: the records a run works on, the transactions its workers make, and
the facts read back at the end to check that nothing was lost.

Imported only once Django is set up against the database under test (``concurrency.py`` runs
each part in a process of its own). Everything a run creates carries its tag, so runs can share a
database and the checks read only their own rows.

The transactions are the product's own writes, as the pages call them:

``desk_update``
    the complaints desk changes a complaint's status (``portal.services.complaint_update``: the
    stored row read, then written through ``records.services.save_record``, audited, and the
    indicators that read complaints refreshed after the commit). A few complaints take every
    update, so two workers often change the same row at the same moment.
``public_complaint``
    a citizen files a complaint on the portal (``portal.services.complaint_submit`` →
    ``records.services.public_create``).
``phone_complaint``
    the desk records a complaint received by phone (``save_record`` creating a record).
``sign_in_failure``
    a wrong password counted against a user name (``accounts.services.login_failed``: the
    counter row read, then incremented, in one transaction).
"""

from __future__ import annotations

import io
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from tathmini.accounts.models import LoginThrottle, User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import login_failed, user_set_roles
from tathmini.core import audit
from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Complaint, ComplaintUpdate, new_reference
from tathmini.measure import engine, triggers
from tathmini.measure.models import Value
from tathmini.portal import clock
from tathmini.portal import services as portal
from tathmini.records import types as record_types
from tathmini.records.services import save_record
from tathmini.strategy.models import Indicator, Plan

HOT_COMPLAINTS = 12  # the rows every desk update picks from: few, so that updates collide
USERNAMES = 4  # the sign-in counters every worker increments
# The plan's own years (the shipped plan runs 2012/13–2016/17): complaints received and resolved
# in them move stored indicator values, so each write triggers a real refresh.
PLAN_TIME = datetime(2016, 5, 2, 6, 0, tzinfo=UTC)
STATUSES = [s.value for s in Complaint.Status]
SUBJECTS = ["Huduma haipatikani", "Malipo hayakupita", "Ujumbe haukufika"]

KINDS = ("desk_update", "public_complaint", "phone_complaint", "sign_in_failure")
# The order a worker makes its transactions in (desk updates, sign-in failures, public and phone
# complaints as 8:5:4:3), each worker starting at its own place in it: every kind is under way
# from the first moment, so even a run of a few seconds puts each one to the test.
CYCLE = (
    "desk_update", "sign_in_failure", "public_complaint", "phone_complaint",
    "desk_update", "sign_in_failure", "desk_update", "public_complaint",
    "desk_update", "sign_in_failure", "phone_complaint", "desk_update",
    "public_complaint", "sign_in_failure", "desk_update", "phone_complaint",
    "desk_update", "public_complaint", "sign_in_failure", "desk_update",
)  # fmt: skip


def officer_name(tag: str) -> str:
    return f"soak-{tag}-desk"


def username(tag: str, n: int) -> str:
    return f"soak-{tag}-user{n}"


def marker(tag: str, who: str) -> str:
    """Kept in each complaint's complainant name: whose run, and which worker made it."""
    return f"soak {tag} {who}"


# --- Preparing a run ----------------------------------------------------------------------------
def seed(tag: str) -> dict[str, Any]:
    """The run's desk officer, its hot complaints (created through the audited path), and every
    indicator that reads complaints computed afresh, so the end check compares like with like."""
    if not Plan.objects.filter(is_current=True).exists():
        call_command("bootstrap", "--no-records", stdout=io.StringIO())
    officer = User.objects.create_user(
        username=officer_name(tag), password=None, agency_function=User.Function.COMPLAINTS
    )
    user_set_roles(officer, [Role.AGENCY_OFFICER])
    rt = record_types.get("complaints")
    for n in range(HOT_COMPLAINTS):
        complaint = Complaint(
            reference=new_reference("MAL"),
            channel=Complaint.Channel.PHONE,
            about=Complaint.About.AGENCY,
            category=Complaint.Category.DELAY,
            subject=SUBJECTS[n % len(SUBJECTS)],
            complainant_name=marker(tag, "hot"),
            received_at=PLAN_TIME - timedelta(days=30 + n),
        )
        save_record(rt, complaint, actor=officer, channel=AuditEvent.Channel.WEB)
    refreshed = complaint_indicators()
    for indicator in Indicator.objects.filter(plan__is_current=True, code__in=refreshed).select_related("plan"):
        engine.refresh_indicator(indicator)
    return {"tag": tag, "hot": HOT_COMPLAINTS, "indicators": sorted(refreshed)}


def complaint_indicators() -> set[str]:
    """The codes of the current plan's indicators whose values a complaint can move."""
    plan = Plan.objects.filter(is_current=True).first()
    return set(triggers.affected(plan, Complaint, set())) if plan else set()


# --- A worker's transactions --------------------------------------------------------------------
@dataclass
class Worker:
    tag: str
    index: int
    rng: random.Random
    officer: User
    hot: list[int]
    started: datetime = field(default_factory=timezone.now)
    # What this worker committed, for the end check: counter increments per user name, complaint
    # updates per hot complaint, complaints created.
    increments: Counter[str] = field(default_factory=Counter)
    updates: Counter[str] = field(default_factory=Counter)
    created: int = 0
    made: int = 0  # transactions attempted

    @classmethod
    def start(cls, tag: str, index: int) -> Worker:
        officer = User.objects.get(username=officer_name(tag))
        hot = list(
            Complaint.objects.filter(complainant_name=marker(tag, "hot")).order_by("pk").values_list("pk", flat=True)
        )
        if not hot:
            raise RuntimeError(f"run {tag} was not seeded")
        worker = cls(tag, index, random.Random(f"{tag}-{index}"), officer, hot)  # noqa: S311 (a workload, not a secret)
        _ = officer.roles  # the role lookup, once, as a signed-in request would have it cached
        ContentType.objects.get_for_model(Complaint)
        # Each worker's clock runs in the plan's years, so what it writes lands in stored periods.
        clock.now = worker.now
        return worker

    def now(self) -> datetime:
        return PLAN_TIME + (timezone.now() - self.started)

    def next_kind(self) -> str:
        self.made += 1
        return CYCLE[(self.index + self.made - 1) % len(CYCLE)]

    def run(self, kind: str) -> None:
        getattr(self, kind)()

    def desk_update(self) -> None:
        pk = self.rng.choice(self.hot)
        # As the desk page does: the complaint as the officer sees it, then the change, written in
        # one transaction that reads the stored row before it writes.
        complaint = Complaint.objects.get(pk=pk)
        status = self.rng.choice([s for s in STATUSES if s != complaint.status])
        portal.complaint_update(complaint, status=status, note=f"w{self.index}", actor=self.officer)
        self.updates[str(pk)] += 1

    def public_complaint(self) -> None:
        portal.complaint_submit(
            {
                "about": Complaint.About.AGENCY,
                "category": self.rng.choice([Complaint.Category.DELAY, Complaint.Category.QUALITY]),
                "subject": self.rng.choice(SUBJECTS),
                "description": "Nilijaribu mara tatu.",
                "name": marker(self.tag, f"w{self.index}"),
                "contact": "0700000000",
            }
        )
        self.created += 1

    def phone_complaint(self) -> None:
        complaint = Complaint(
            reference=new_reference("MAL"),
            channel=Complaint.Channel.PHONE,
            about=Complaint.About.AGENCY,
            category=Complaint.Category.AVAILABILITY,
            subject=self.rng.choice(SUBJECTS),
            complainant_name=marker(self.tag, f"w{self.index}"),
            received_at=self.now(),
        )
        save_record(record_types.get("complaints"), complaint, actor=self.officer, channel=AuditEvent.Channel.WEB)
        self.created += 1

    def sign_in_failure(self) -> None:
        name = username(self.tag, self.rng.randrange(USERNAMES))
        login_failed(name)
        self.increments[name] += 1

    def committed(self) -> dict[str, Any]:
        return {"increments": dict(self.increments), "updates": dict(self.updates), "created": self.created}


# --- The end check ------------------------------------------------------------------------------
def facts(tag: str, indicator_codes: list[str]) -> dict[str, Any]:
    """What the database holds after the run, for ``concurrency.problems`` to hold against what
    the workers committed."""
    complaint_type = ContentType.objects.get_for_model(Complaint)
    hot = list(Complaint.objects.filter(complainant_name=marker(tag, "hot")).order_by("pk"))
    created = Complaint.objects.filter(complainant_name__startswith=marker(tag, "w"))
    events = AuditEvent.objects.filter(content_type=complaint_type)
    return {
        "counters": {
            row.username: row.failures for row in LoginThrottle.objects.filter(username__startswith=f"soak-{tag}-")
        },
        "updates": {str(c.pk): ComplaintUpdate.objects.filter(complaint=c, author__isnull=False).count() for c in hot},
        "created": created.count(),
        "created_events": events.filter(
            action=AuditEvent.Action.CREATE, object_id__in=[str(pk) for pk in created.values_list("pk", flat=True)]
        ).count(),
        "trail_breaks": [
            problem for c in hot for problem in trail_breaks(c, events.filter(object_id=str(c.pk)).order_by("pk"))
        ],
        "stale_values": stale_values(indicator_codes),
        "login_max_failures": settings.LOGIN_MAX_FAILURES,
    }


def trail_breaks(record: Complaint, events: Any) -> list[str]:
    """Where replaying the record's audit trail from its creation does not give what the next
    event says was there, or what is stored now: a write made from a stale read."""
    state: dict[str, Any] = {}
    out = []
    for event in events:
        for name, (old, new) in event.changes.items():
            if state.get(name) != old:
                out.append(
                    f"complaint {record.pk} event {event.pk}: {name} was {state.get(name)!r}, trail says {old!r}"
                )
            state[name] = new
    stored = audit.snapshot(record)
    for name, value in stored.items():
        if name in state and state[name] != value:
            out.append(f"complaint {record.pk}: stored {name} {value!r}, trail ends at {state[name]!r}")
    return out


def stale_values(codes: list[str]) -> list[str]:
    """Stored values that differ from a fresh computation over the committed records: a refresh
    after a write that stored what an earlier state gave."""
    out = []
    indicators = Indicator.objects.filter(plan__is_current=True, code__in=codes).select_related("plan")
    # Parts before composites, as the refresh does: a composite reads its parts' stored values.
    for indicator in sorted(indicators, key=lambda i: "composite" in (_spec(i) or {})):
        stored = _values(indicator)
        engine.refresh_indicator(indicator)
        fresh = _values(indicator)
        for key in sorted(set(stored) | set(fresh)):
            if stored.get(key) != fresh.get(key):
                out.append(f"{indicator.code} {key}: stored {stored.get(key)}, records give {fresh.get(key)}")
    return out


def _spec(indicator: Indicator) -> dict[str, Any] | None:
    definition = engine.current_definition(indicator)
    return definition.spec if definition else None


def _values(indicator: Indicator) -> dict[str, str]:
    return {
        f"{v.period}/{v.dimension}:{v.group}": "/".join(str(x) for x in (v.numerator, v.denominator, v.value))
        for v in Value.objects.filter(indicator=indicator)
    }
