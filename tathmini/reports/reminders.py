"""Reminders of returns and manual values falling due, sent by email (``manage.py reminders``).

What is due (docs/reports.md): each quarter's e-service usage returns and each fiscal year's ICT
workforce return, from the institutions' focal persons; each quarter's value of the plan's
indicators that are reported by hand (those without a definition), from the officers of the
indicator's responsible unit and the M&E officers. A return or value falls due
``REPORTS_RETURN_GRACE_DAYS`` after its period ends. A reminder goes out once when the due date
is at most ``REPORTS_REMINDER_DAYS`` away, and once more when it has passed (for 90 days after).
Each (reminder, recipient) is claimed by inserting a ``ReminderLog`` row under a unique key, so
running the command again, or on two machines at once, never sends one twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.core import periods as P
from tathmini.measure.models import Definition, ManualValue
from tathmini.registry.models import FocalPerson
from tathmini.reports import quality
from tathmini.reports.models import ReminderLog
from tathmini.reports.selectors import org_unit_subtree
from tathmini.strategy.models import Plan

log = logging.getLogger(__name__)

LATE_WINDOW = timedelta(days=90)  # how long after the due date a late reminder still goes out


@dataclass
class Reminder:
    key: str
    state: str  # "due" (soon) or "late"
    what: str  # "usage", "workforce", "manual"
    subject_args: dict[str, str]
    due: date
    recipients: set[str] = field(default_factory=set)


def _state(due: date, today: date) -> str | None:
    if today <= due <= today + timedelta(days=settings.REPORTS_REMINDER_DAYS):
        return "due"
    if due < today <= due + LATE_WINDOW:
        return "late"
    return None


def _recent(kind: str, today: date) -> list[P.Period]:
    """Periods that have ended and whose due date is in the reminder window or recently past."""
    years = [P.fiscal_year(today.year - k) for k in range(0, 3)]
    candidates = years if kind == "year" else [q for y in years for q in P.quarters_of(y)]
    return [p for p in candidates if p.end < today and _state(quality.due_date(p), today)]


def _institution_contacts(institution_ids: set[int]) -> dict[int, set[str]]:
    contacts: dict[int, set[str]] = defaultdict(set)
    focal = FocalPerson.objects.filter(institution_id__in=institution_ids, active=True)
    for institution_id, email in focal.values_list("institution_id", "email"):
        contacts[institution_id].add(email)
    for institution_id, email in (
        User.objects.filter(institution_id__in=institution_ids, is_active=True, groups__name=Role.FOCAL_PERSON)
        .exclude(email="")
        .values_list("institution_id", "email")
    ):
        contacts[institution_id].add(email)
    return contacts


def _returns(today: date) -> list[Reminder]:
    out: list[Reminder] = []
    late: list[quality.LateInstitution] = []
    for quarter in _recent("quarter", today):
        late += quality.missing_usage(quarter)
    for year in _recent("year", today):
        late += quality.missing_workforce(year)
    contacts = _institution_contacts({row.institution.pk for row in late})
    for row in late:
        state = _state(row.due, today)
        if state is None or not contacts[row.institution.pk]:
            continue
        out.append(
            Reminder(
                f"{row.kind}:{row.institution.code}:{row.period.code}:{state}",
                state,
                row.kind,
                {"institution": row.institution.code, "period": row.period.code},
                row.due,
                contacts[row.institution.pk],
            )
        )
    return out


def _manual(plan: Plan, today: date) -> list[Reminder]:
    quarters = _recent("quarter", today)
    if not quarters:
        return []
    defined = Definition.objects.filter(indicator__plan=plan).values_list("indicator_id", flat=True)
    manual = list(plan.indicators.exclude(pk__in=defined).select_related("responsible_unit").order_by("order", "code"))
    approved = set(
        ManualValue.objects.filter(
            indicator__in=manual,
            period__in=[q.code for q in quarters],
            org_unit__isnull=True,
            status=ManualValue.Status.APPROVED,
        ).values_list("indicator_id", "period")
    )
    staff = list(
        User.objects.filter(is_active=True, groups__name__in=[Role.ME_OFFICER, Role.AGENCY_OFFICER, Role.MANAGER])
        .exclude(email="")
        .values_list("email", "org_unit_id", "groups__name")
    )
    me_officers = {email for email, _unit, role in staff if role == Role.ME_OFFICER}
    subtrees = {i.pk: org_unit_subtree(i.responsible_unit) for i in manual if i.responsible_unit}
    out = []
    for indicator in manual:
        units = subtrees.get(indicator.pk, set())
        officers = {email for email, unit, role in staff if unit in units and role != Role.ME_OFFICER}
        for quarter in quarters:
            if (indicator.pk, quarter.code) in approved:
                continue
            due = quality.due_date(quarter)
            state = _state(due, today)
            if state is None:
                continue
            out.append(
                Reminder(
                    f"manual:{indicator.code}:{quarter.code}:{state}",
                    state,
                    "manual",
                    {"indicator": indicator.code, "period": quarter.code},
                    due,
                    me_officers | officers,
                )
            )
    return out


def due_reminders(plan: Plan | None, today: date) -> list[Reminder]:
    found = _returns(today)
    if plan is not None:
        found += _manual(plan, today)
    return found


def _text(reminder: Reminder) -> tuple[str, str]:
    args = {**reminder.subject_args, "due": reminder.due.isoformat()}
    if reminder.what == "usage":
        subject = _("E-service usage returns of %(institution)s for %(period)s") % args
        body = _(
            "The e-service usage returns of %(institution)s for %(period)s are due on %(due)s. "
            "Please enter them in Tathmini (Records → e-service usage returns) or import them from a spreadsheet."
        )
    elif reminder.what == "workforce":
        subject = _("ICT workforce return of %(institution)s for %(period)s") % args
        body = _(
            "The ICT workforce return of %(institution)s for the fiscal year %(period)s is due on %(due)s. "
            "Please enter it in Tathmini (Records → ICT workforce returns)."
        )
    else:
        subject = _("Manual value of %(indicator)s for %(period)s") % args
        body = _(
            "The value of indicator %(indicator)s for %(period)s is reported by hand and is due on %(due)s. "
            "Please enter it with its evidence and submit it for approval (Manual values)."
        )
    if reminder.state == "late":
        subject = _("Overdue: %(subject)s") % {"subject": subject}
    return subject, body % args


def message(reminder: Reminder) -> tuple[str, str]:
    """Subject and body in Swahili, with the English below: recipients' languages are not known."""
    with translation.override("sw"):
        sw_subject, sw_body = _text(reminder)
    with translation.override("en"):
        en_subject, en_body = _text(reminder)
    subject = sw_subject if sw_subject == en_subject else f"{sw_subject} / {en_subject}"
    return subject, f"{sw_body}\n\n---\n\n{en_body}\n"


def send(reminders: list[Reminder], *, dry_run: bool = False) -> list[tuple[Reminder, str]]:
    """Send each reminder to each recipient not yet reminded; returns what was (or would be) sent."""
    sent: list[tuple[Reminder, str]] = []
    already = set(ReminderLog.objects.filter(key__in=[r.key for r in reminders]).values_list("key", "recipient"))
    for reminder in reminders:
        subject, body = message(reminder)
        for recipient in sorted(reminder.recipients):
            if (reminder.key, recipient) in already:
                continue
            if dry_run:
                sent.append((reminder, recipient))
                continue
            try:
                with transaction.atomic():
                    claim = ReminderLog.objects.create(key=reminder.key, recipient=recipient, sent_at=timezone.now())
            except IntegrityError:
                continue  # another run claimed it first
            try:
                send_mail(subject, body, None, [recipient])
            except OSError:
                log.exception("reminder %s to %s failed; it will be tried again", reminder.key, recipient)
                claim.delete()
                continue
            sent.append((reminder, recipient))
    return sent


def run(today: date | None = None, *, dry_run: bool = False) -> list[tuple[Reminder, str]]:
    plan = Plan.objects.filter(is_current=True).first()
    return send(due_reminders(plan, today or timezone.localdate()), dry_run=dry_run)
