"""manage.py monitor [run] [--shard I/N] [--concurrency N] | sync | rebuild-days [--since DATE] | rebuild-incidents"""

from __future__ import annotations

import signal
import threading
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.monitor import availability
from tathmini.monitor.models import Check, Flip
from tathmini.monitor.services import in_shard, parse_shard, sync_checks
from tathmini.monitor.worker import Worker, utc_now


class Command(BaseCommand):
    help = "Probe every live e-service address (docs/monitor.md); or sync checks, or rebuild the day rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            default="run",
            choices=["run", "sync", "rebuild-days", "rebuild-incidents"],
            help="run (default): probe until stopped; sync: create and stop checks now; "
            "rebuild-days / rebuild-incidents: recompute the daily availability rows / the incidents from the flips",
        )
        parser.add_argument("--shard", default="1/1", help="this process's share of the checks, I/N (default 1/1)")
        parser.add_argument("--concurrency", type=int, help="probes at once (default MONITOR_CONCURRENCY)")
        parser.add_argument("--since", help="rebuild-days: first day, YYYY-MM-DD (default: the first flip)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            shard = parse_shard(options["shard"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        action = options["action"]
        if action == "sync":
            result = sync_checks(utc_now(), shard)
            self.stdout.write(
                f"checks created {result.created}, address changed {result.changed}, "
                f"stopped {result.stopped}, restarted {result.restarted}"
            )
            return
        if action == "rebuild-days":
            self.rebuild_days(shard, options["since"])
            return
        if action == "rebuild-incidents":
            written = availability.rebuild_incidents(in_shard(Check.objects.all(), shard))
            self.stdout.write(f"{written} incident(s) written")
            return
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        with Worker(shard, concurrency=options["concurrency"]) as worker:
            worker.run(stop)

    def rebuild_days(self, shard: tuple[int, int], since: str | None) -> None:
        if since:
            try:
                first = date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
        else:
            earliest = Flip.objects.order_by("at").values_list("at", flat=True).first()
            if earliest is None:
                self.stdout.write("no flips: nothing to rebuild")
                return
            first = earliest.date()
        checks = in_shard(Check.objects.all(), shard)
        written = availability.rebuild_days(checks, first, utc_now())
        self.stdout.write(f"{written} day row(s) written from {first}")
