"""The one write path for operational records: web forms, imports and the API all come here,
so scoping and the audit trail cannot be skipped by any channel."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from tathmini.core import audit
from tathmini.core.models import AuditEvent
from tathmini.records.types import RecordType


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
    changes = audit.diff(before, audit.snapshot(instance))
    if not creating and not changes:
        return None
    event = audit.event(
        AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE, instance, actor=actor, channel=channel,
        changes=changes,
    )
    event.save()
    return event


@transaction.atomic
def delete_record(rt: RecordType, instance: models.Model, *, actor: Any, channel: str) -> AuditEvent:
    check_can_write(rt, actor, instance)
    event = audit.event(
        AuditEvent.Action.DELETE, instance, actor=actor, channel=channel,
        changes={key: [value, None] for key, value in audit.snapshot(instance).items()},
    )
    instance.delete()
    event.save()
    return event
