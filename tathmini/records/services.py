"""The one write path for operational records: web forms, imports and the API all come here,
so scoping and the audit trail cannot be skipped by any channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from tathmini.core import audit, versions
from tathmini.core.models import AuditEvent
from tathmini.core.signals import records_changed
from tathmini.records.types import PUBLIC_CREATES, RecordType


def check_can_write(rt: RecordType, actor: Any, instance: models.Model) -> None:
    """Refuse a write the actor may not make: wrong function, or another institution's record."""
    if not rt.editable_by(actor):
        raise PermissionDenied(_("You may not change %(records)s.") % {"records": rt.label_plural})
    if rt.writes_as_institution(actor):
        institution = rt.institution_of(instance)
        if institution is None or institution.pk != actor.institution_id:
            raise PermissionDenied(_("You may only change your own institution's records."))
        if rt.is_agency_record(instance):
            raise PermissionDenied(agency_record_refusal())


def agency_fields_changed(
    rt: RecordType, actor: Any, values: Mapping[str, Any], before: Mapping[str, Any] | None
) -> list[str]:
    """The fields only the Agency writes (``RecordType.agency_fields``) among ``values`` (field →
    new value) that an institution-bound actor would change: from the stored values ``before``
    (field → value), or on a new record (``before`` None) from the model's defaults."""
    if not rt.agency_fields or not rt.writes_as_institution(actor):
        return []
    changed = []
    for name in rt.agency_fields:
        if name in values:
            was = before[name] if before is not None else rt.model_field(name).get_default()
            if audit.plain(values[name]) != audit.plain(was):
                changed.append(name)
    return changed


def agency_record_refusal() -> str:
    return _("A record about the Agency itself is the Agency's to keep.")


def agency_field_refusal(rt: RecordType, name: str) -> str:
    return _("Only the Agency sets %(field)s.") % {"field": rt.model_field(name).verbose_name}


def field_values(rt: RecordType, instance: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, rt.model_field(name).attname) for name in names}


def check_agency_fields(rt: RecordType, actor: Any, instance: models.Model, stored: models.Model | None) -> None:
    before = field_values(rt, stored, rt.agency_fields) if stored is not None else None
    changed = agency_fields_changed(rt, actor, field_values(rt, instance, rt.agency_fields), before)
    if changed:
        raise PermissionDenied(agency_field_refusal(rt, changed[0]))


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
    version: str | None = None,
) -> AuditEvent | None:
    """Save a validated record and audit it; returns the audit event (None when nothing changed).

    ``before`` is the stored state (``snapshot_before``) taken before the instance was modified;
    without it the stored row is read now, which is right only if the instance was not yet changed.
    ``version`` is the version (``core.versions``) of the copy the change was made on: if the
    stored record is no longer that copy, ``versions.StaleCopy`` is raised and nothing is written.
    """
    creating = instance.pk is None
    check_can_write(rt, actor, instance)
    if creating:
        before = {}
        check_agency_fields(rt, actor, instance, None)
    else:
        # Locked until the write commits, so the version check and the write see one state.
        stored = versions.check(type(instance), instance.pk, version)
        if stored is None:
            raise versions.StaleCopy(type(instance), instance.pk, None)
        if before is None or version is not None:
            before = audit.snapshot(stored)  # with a version: what the copy showed, and what is stored
        # The stored record must be in the actor's scope too: no moving a record out of another
        # institution by changing its institution field.
        check_can_write(rt, actor, stored)
        check_agency_fields(rt, actor, instance, stored)
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
def delete_record(
    rt: RecordType, instance: models.Model, *, actor: Any, channel: str, version: str | None = None
) -> AuditEvent:
    """Delete a record and audit its last values; with ``version`` (as for ``save_record``) only
    if the stored record is still the copy the person decided on."""
    check_can_write(rt, actor, instance)
    if version is not None:
        # The stored row, locked: its values are what the audit trail keeps.
        instance = versions.check(type(instance), instance.pk, version) or instance
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
