"""How many posts one client may make to a public form: ``PORTAL_RATE_LIMIT`` per window, counted
in the database so that every web process shares the count.

A client is its address (``REMOTE_ADDR``; behind a reverse proxy, the proxy must pass the client's
address there). Only a keyed hash of the address is stored, so the table names no one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.http import HttpRequest

from tathmini.portal import clock
from tathmini.portal.models import RateBucket

UNITS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(raw: str) -> Rate:
    """``"10/hour"`` → Rate(10, 3600); ValueError for anything else."""
    match = _RATE.match(raw.lower())
    if not match or match.group(2) not in UNITS or int(match.group(1)) < 1:
        raise ValueError(f"{raw!r} is not a rate such as 10/hour (units: s, min, hour, day)")
    return Rate(int(match.group(1)), UNITS[match.group(2)])


def client_key(request: HttpRequest, scope: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{scope}:{digest}"


def _window_start(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=moment.tzinfo)


def hit(request: HttpRequest, scope: str) -> bool:
    """Count one post by this client to this form; False when it is over the limit."""
    rate = parse_rate(settings.PORTAL_RATE_LIMIT)
    key = client_key(request, scope)
    start = _window_start(clock.now(), rate.seconds)
    # One conditional UPDATE: a new window restarts the count, otherwise it goes up by one.
    updated = RateBucket.objects.filter(key=key).update(
        count=Case(When(window_start__lt=start, then=Value(1)), default=F("count") + 1),
        window_start=Case(When(window_start__lt=start, then=Value(start)), default=F("window_start")),
    )
    if not updated:
        try:
            with transaction.atomic():
                RateBucket.objects.create(key=key, window_start=start, count=1)
        except IntegrityError:  # another request created it first
            RateBucket.objects.filter(key=key).update(count=F("count") + 1)
    count = RateBucket.objects.filter(key=key).values_list("count", flat=True).first() or 0
    return count <= rate.count


def over(request: HttpRequest, scope: str) -> bool:
    """Whether this client has used up its posts to this form in the current window (not counting)."""
    rate = parse_rate(settings.PORTAL_RATE_LIMIT)
    start = _window_start(clock.now(), rate.seconds)
    count = (
        RateBucket.objects.filter(key=client_key(request, scope), window_start__gte=start)
        .values_list("count", flat=True)
        .first()
    )
    return (count or 0) >= rate.count


def forget_older_than(days: int = 2) -> int:
    """Drop buckets of windows long gone (``manage.py portal_index`` calls it)."""
    cutoff = clock.now() - timedelta(days=days)
    deleted, _ = RateBucket.objects.filter(window_start__lt=cutoff).delete()
    return deleted
