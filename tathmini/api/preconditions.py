"""ETag and If-Match: optimistic concurrency for PUT and PATCH.

A record's ETag is a strong validator of its stored state: its version (``core.versions``, a
hash of its audit snapshot: every concrete field and many-to-many link) in quotes, so it changes
with every change to the record and equals the version the web forms carry. A write whose
If-Match names no current ETag is refused with 412 and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from tathmini.api.problems import PreconditionFailed
from tathmini.core import versions


def etag_from_snapshot(snapshot: dict[str, Any]) -> str:
    return f'"{versions.of_snapshot(snapshot)}"'


def etag_of(instance: models.Model) -> str:
    return f'"{versions.of(instance)}"'


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
