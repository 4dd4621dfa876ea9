"""Versions of stored rows, for refusing a write made from a stale copy (optimistic concurrency).

A row's version is a hash of its audit snapshot (every concrete field and many-to-many link, as
``audit.snapshot`` renders them), so it needs no column and no bookkeeping on each write: any
change to a stored value changes it, whichever channel made the change. The API's ETag is this
version in quotes; a web form carries it in a hidden field (``FIELD``).

A write from a form locks the stored row inside its transaction (``locked``) and compares; a
different version means someone else changed (or deleted) the row since the form was opened, and
``StaleCopy`` is raised before anything is written. The last audit event tells who and when.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from tathmini.core import audit
from tathmini.core.models import AuditEvent

FIELD = "loaded_version"  # the hidden field of a web form; no record type has a field of this name


def of_snapshot(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def of(instance: models.Model) -> str:
    return of_snapshot(audit.snapshot(instance))


def locked(model: type[models.Model], pk: Any) -> models.Model | None:
    """The stored row, locked until the transaction ends (None if it is gone)."""
    # order_by(): the model's default ordering may join nullable relations, and PostgreSQL
    # refuses FOR UPDATE on the nullable side of an outer join.
    return model._default_manager.select_for_update().filter(pk=pk).order_by().first()


def last_change(model: type[models.Model], pk: Any) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=str(pk))
        .order_by("-at", "-pk")
        .first()
    )


class StaleCopy(Exception):
    """The row changed (or was deleted) after the copy the write was based on was read."""

    def __init__(self, model: type[models.Model], pk: Any, current: models.Model | None) -> None:
        self.current = current
        self.version = of(current) if current is not None else ""
        self.event = last_change(model, pk)
        super().__init__(self.by())

    @property
    def deleted(self) -> bool:
        return self.current is None

    def by(self) -> str:
        """Who made the last change and when, as far as the audit trail knows: "by X at T", for
        the pages' own sentences ("this record was changed by X at T")."""
        if self.event is None:
            return _("by someone else")
        return _("by %(who)s at %(when)s") % {
            "who": self.event.actor_label or _("the system"),
            "when": f"{timezone.localtime(self.event.at):%Y-%m-%d %H:%M}",
        }


def check(model: type[models.Model], pk: Any, expected: str | None) -> models.Model | None:
    """Lock the stored row and return it; raise ``StaleCopy`` if ``expected`` is given and is not
    its version. Call inside the transaction that writes, so nothing can come between."""
    current = locked(model, pk)
    if expected is not None and (current is None or of(current) != expected):
        raise StaleCopy(model, pk, current)
    return current
