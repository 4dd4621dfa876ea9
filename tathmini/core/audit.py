"""Writing the audit trail. Every write of an operational record goes through
``tathmini.records.services``, which calls these; nothing else writes AuditEvent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from tathmini.core.models import AuditEvent


def plain(value: Any) -> Any:
    """A JSON-safe rendering that compares equal when the stored value is equal."""
    if isinstance(value, Decimal):
        # 82.50 from the database and 82.5 from a form are the same value: no change to record.
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        # The same moment typed in local time or read back in UTC must compare equal.
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Concrete field values (foreign keys as their ids), plus many-to-many ids once saved."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            continue
        data[field.name] = plain(getattr(instance, field.attname))
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            data[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return data


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [old.get(key), value] for key, value in new.items() if old.get(key) != value}


def actor_label(actor: Any) -> str:
    if actor is None:
        return ""
    return getattr(actor, "audit_label", None) or actor.get_username()


def event(
    action: str,
    instance: models.Model,
    *,
    actor: Any,
    channel: str,
    changes: dict[str, Any],
    batch: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """An unsaved event (``bulk_create`` them for imports)."""
    user = actor if getattr(actor, "_meta", None) is not None and actor._meta.label == "accounts.User" else None
    return AuditEvent(
        at=at or timezone.now(),
        actor=user,
        actor_label=actor_label(actor),
        channel=channel,
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        changes=changes,
        batch=batch,
    )


def history(instance: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(instance)), object_id=str(instance.pk)
    ).select_related("actor")
