"""The one write path for operational records: web forms, imports and the API all come here,
so scoping and the audit trail cannot be skipped by any channel."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from tathmini.core import audit
from tathmini.core.models import AuditEvent
from tathmini.core.signals import records_changed
from tathmini.records.types import PUBLIC_CREATES, RecordType


def check_can_write(rt: RecordType, actor: Any, instance: models.Model) -> None:
    """Refuse a write the actor may not make: wrong function, or another institution's record."""
    if not rt.editable_by(actor):
        raise PermissionDenied(_("You may not change %(records)s.") % {"records": rt.label_plural})
    if rt.is_institution_bound(actor):
        institution = rt.institution_of(instance)
        if institution is None or institution.pk != actor.institution_id:
            raise PermissionDenied(_("You may only change your own institution's records."))


def snapshot_before(instance: models.Model) -> dict[str, Any]:
    """The stored state of a record, read before a form or serializer touches the instance."""
    if instance.pk is None:
        return {}
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return audit.snapshot(stored) if stored is not None else {}


@transaction.atomic
def save_record(
    rt: RecordType,
    instance: models.Model,
    *,
    actor: Any,
    channel: str,
    before: dict[str, Any] | None = None,
    m2m: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Save a validated record and audit it; returns the audit event (None when nothing changed).

    ``before`` is the stored state (``snapshot_before``) taken before the instance was modified;
    without it the stored row is read now, which is right only if the instance was not yet changed.
    """
    creating = instance.pk is None
    if before is None:
        before = snapshot_before(instance)
    check_can_write(rt, actor, instance)
    if not creating:
        # The stored record must be in the actor's scope too: no moving a record out of another
        # institution by changing its institution field.
        stored = type(instance)._default_manager.get(pk=instance.pk)
        check_can_write(rt, actor, stored)
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    after = audit.snapshot(instance)
    changes = audit.diff(before, after)
    if not creating and not changes:
        return None
    notify_changed(type(instance), [before, after])
    event = audit.event(
        AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        instance,
        actor=actor,
        channel=channel,
        changes=changes,
    )
    event.save()
    return event


@transaction.atomic
def public_create(rt: RecordType, instance: models.Model) -> AuditEvent:
    """Create a record filed by the public, who have no account and so no scope: only a new
    complaint, information request or survey response (``types.PUBLIC_CREATES``), never a change.
    Audited with the "public" channel and no actor; listeners hear of it like any other write."""
    if rt.key not in PUBLIC_CREATES or instance.pk is not None:
        raise PermissionDenied(_("You may not change %(records)s.") % {"records": rt.label_plural})
    instance.save()
    after = audit.snapshot(instance)
    notify_changed(type(instance), [after])
    event = audit.event(
        AuditEvent.Action.CREATE, instance, actor=None, channel=AuditEvent.Channel.PUBLIC, changes=audit.diff({}, after)
    )
    event.save()
    return event


@transaction.atomic
def delete_record(rt: RecordType, instance: models.Model, *, actor: Any, channel: str) -> AuditEvent:
    check_can_write(rt, actor, instance)
    event = audit.event(
        AuditEvent.Action.DELETE,
        instance,
        actor=actor,
        channel=channel,
        changes={key: [value, None] for key, value in audit.snapshot(instance).items()},
    )
    notify_changed(type(instance), [{key: old for key, (old, _new) in event.changes.items()}])
    instance.delete()
    event.save()
    return event


def notify_changed(model: type[models.Model], snapshots: list[dict[str, Any]]) -> None:
    """Tell listeners (the indicator engine) which model changed and which dates it touched.

    ``snapshots`` are the written rows' audit snapshots (field → value), before and after.
    """
    fields: dict[str, set[date]] = {}
    for snap in snapshots:
        for name, value in snap.items():
            found = dates_in([value])
            if found:
                fields.setdefault(name, set()).update(found)
    records_changed.send(sender=model, dates=set().union(*fields.values()), fields=fields)


def dates_in(values: list[Any]) -> set[date]:
    """The dates among audit-snapshot values (dates, or ISO date and datetime strings)."""
    out = set()
    for value in values:
        if isinstance(value, date):
            out.add(value)
        elif isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                out.add(date.fromisoformat(value[:10]))
            except ValueError:
                continue
    return out
