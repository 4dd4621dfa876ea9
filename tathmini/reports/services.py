"""Writes of M&E reports: create, edit the narrative, publish (freeze), delete a draft.

Each is audited (channel web). A published report is frozen: its snapshot holds every number,
chart and text, and nothing here changes a published report again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tathmini.accounts.roles import Role
from tathmini.core import audit
from tathmini.core import periods as P
from tathmini.core.models import AuditEvent
from tathmini.reports import snapshot
from tathmini.reports.models import Report
from tathmini.strategy.models import Plan

NARRATIVE = ("achievements", "challenges", "way_forward")
AUDITED = ("kind", "period", "language", "status", "is_public", *NARRATIVE)


def may_edit(user: Any) -> bool:
    """Writing and publishing reports is the M&E officer's."""
    return bool(user.is_authenticated and (user.is_superuser or Role.ME_OFFICER in user.roles))


def _check(user: Any) -> None:
    if not may_edit(user):
        raise PermissionDenied


def _audit(action: str, report: Report, actor: Any, changes: dict[str, Any]) -> None:
    audit.event(action, report, actor=actor, channel=AuditEvent.Channel.WEB, changes=changes).save()


def _fields(report: Report) -> dict[str, Any]:
    return {name: audit.plain(getattr(report, name)) for name in AUDITED}


def validate_period(plan: Plan, kind: str, period: str) -> P.Period:
    """An annual report covers one of the plan's fiscal years, a quarterly report one of its quarters."""
    try:
        found = P.parse(period)
    except P.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from None
    wanted = "year" if kind == Report.Kind.ANNUAL else "quarter"
    if found.kind != wanted:
        raise ValidationError(
            {"period": _("An annual report covers a fiscal year (2014/15); a quarterly report a quarter (2014/15-Q2).")}
        )
    if not plan.fiscal_years.filter(code=found.fiscal_year.code).exists():
        raise ValidationError({"period": _("The plan does not cover %(period)s.") % {"period": found.code}})
    return found


def report_create(
    plan: Plan, kind: str, period: str, language: str, actor: Any, narrative: dict[str, str] | None = None
) -> Report:
    _check(actor)
    validate_period(plan, kind, period)
    with transaction.atomic():
        report = Report.objects.create(
            plan=plan, kind=kind, period=period, language=language, created_by=actor, **(narrative or {})
        )
        _audit(AuditEvent.Action.CREATE, report, actor, {k: [None, v] for k, v in _fields(report).items()})
    return report


def report_update(report: Report, actor: Any, **changes: Any) -> Report:
    """Change a draft's narrative, language or the public flag."""
    _check(actor)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.is_published:
            raise ValidationError(_("A published report is frozen: it cannot be changed."))
        before = _fields(report)
        for name, value in changes.items():
            if name not in ("language", "is_public", *NARRATIVE):
                raise ValueError(name)
            setattr(report, name, value)
        diff = audit.diff(before, _fields(report))
        if diff:
            report.save()
            _audit(AuditEvent.Action.UPDATE, report, actor, diff)
    return report


def content(report: Report) -> dict[str, Any]:
    """What the report shows: its frozen snapshot once published, the live values while a draft."""
    frozen = report.frozen()
    if frozen is not None:
        return frozen
    return snapshot.build(
        report.plan,
        report.kind,
        report.period_obj,
        report.language,
        {name: getattr(report, name) for name in NARRATIVE},
    )


def report_publish(report: Report, actor: Any, *, now: datetime | None = None) -> Report:
    """Freeze the report: every number, chart and text as they are now, with the data's as-of time."""
    _check(actor)
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("plan").get(pk=report.pk)
        if report.is_published:
            raise ValidationError(_("This report is already published."))
        frozen = content(report)
        report.snapshot = frozen
        as_of = frozen.get("as_of")
        report.data_as_of = datetime.fromisoformat(as_of) if as_of else None
        report.status = Report.Status.PUBLISHED
        report.published_by = actor
        report.published_at = now or timezone.now()
        report.save()
        _audit(AuditEvent.Action.UPDATE, report, actor, {"status": [Report.Status.DRAFT, Report.Status.PUBLISHED]})
    return report


def report_delete(report: Report, actor: Any) -> None:
    _check(actor)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.is_published:
            raise ValidationError(_("A published report is kept: it cannot be deleted."))
        event = audit.event(
            AuditEvent.Action.DELETE, report, actor=actor, channel=AuditEvent.Channel.WEB, changes=_fields(report)
        )
        report.delete()
        event.save()
