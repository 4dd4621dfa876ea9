"""ETag and If-Match: optimistic concurrency for PUT and PATCH.

A record's ETag is a strong validator of its stored state (a hash of its audit snapshot: every
concrete field and many-to-many link), so it changes with every change to the record. A write
whose If-Match names no current ETag is refused with 412 and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models

from tathmini.api.problems import PreconditionFailed
from tathmini.core import audit


def etag_from_snapshot(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40] + '"'


def etag_of(instance: models.Model) -> str:
    return etag_from_snapshot(audit.snapshot(instance))


def check_if_match(header: str | None, current: str) -> None:
    """Raise PreconditionFailed unless If-Match is absent, ``*``, or lists the current ETag.

    Comparison is strong (RFC 9110 13.1.1): a weak tag ``W/"…"`` never matches. A tag sent
    without its quotes is accepted, as some clients strip them.
    """
    if header is None:
        return
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags:
        return
    if any(not tag.startswith("W/") and (tag == current or f'"{tag}"' == current) for tag in tags):
        return
    raise PreconditionFailed()
