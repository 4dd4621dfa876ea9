"""``manage.py portal_index``: rebuild the catalogue's search index, and drop stale rate counters.

The index follows the audit trail by itself; run this after loading e-services in bulk outside
the records write path (``manage.py generate``), so the first search does not pay for it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from tathmini.portal import ratelimit, search


class Command(BaseCommand):
    help = "Rebuild the public catalogue's search index."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        count = search.rebuild()
        dropped = ratelimit.forget_older_than()
        self.stdout.write(
            f"indexed {count} e-services in {time.monotonic() - started:.1f}s; dropped {dropped} old rate counters"
        )
