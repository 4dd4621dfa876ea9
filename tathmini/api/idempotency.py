"""Idempotency-Key on POST: a retried request gets the first response and writes nothing more.

The key is scoped to the token. The first request stores its (successful) response; the same key
with the same method, path and body replays it with ``Idempotent-Replayed: true``; the same key
with anything else is a 422 problem. A request that failed wrote nothing and stored nothing, so
it may be retried with the same key. Keys are forgotten after 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from tathmini.api.models import ApiToken, IdempotencyRecord
from tathmini.api.problems import IdempotencyKeyReused

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII: a UUID, a hash, the caller's own id
# What the header may hold: a key, or a key in quotes (the structured-field string form), with
# the blanks HTTP allows around a value.
KEY_PATTERN = r'^[ \t]*(?:[!-~]{1,255}|"[!-~]{1,255}")[ \t]*$'
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")


class _KeyTaken(Exception):
    pass


def key_of(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip(" \t")
    if len(key) >= 3 and key[0] == key[-1] == '"':
        key = key[1:-1]  # the structured-field string form: Idempotency-Key: "…"
    if not _KEY.fullmatch(key):
        raise exceptions.ValidationError({HEADER: [_("Use 1 to 255 visible ASCII characters.")]})
    return key


def fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path with query, and the parsed body (so
    whitespace and key order do not matter)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method}\n{request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_once(request: Request, token: ApiToken, create: Callable[[], Response]) -> HttpResponse:
    key = key_of(request)
    if key is None:
        return create()
    digest = fingerprint(request)  # parses the body first: a body that cannot be read stores nothing
    now = timezone.now()
    IdempotencyRecord.objects.filter(created_at__lt=now - TTL).delete()
    stored = _stored(token, key)
    if stored is not None:
        return _replay(stored, digest)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    # Claims the key before the write: a concurrent request with the same key
                    # waits here on the unique constraint, then replays this one's response.
                    record = IdempotencyRecord.objects.create(token=token, key=key, fingerprint=digest, created_at=now)
            except IntegrityError:
                raise _KeyTaken from None
            response = create()
            record.status = response.status_code
            record.body = JSONRenderer().render(response.data).decode("utf-8")
            record.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            record.save(update_fields=["status", "body", "headers"])
    except _KeyTaken:
        return _replay(IdempotencyRecord.objects.get(token=token, key=key), digest)
    return response


def _stored(token: ApiToken, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(token=token, key=key).first()


def _replay(stored: IdempotencyRecord, digest: str) -> HttpResponse:
    if stored.fingerprint != digest:
        raise IdempotencyKeyReused()
    response = HttpResponse(stored.body, status=stored.status, content_type="application/json")
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response
