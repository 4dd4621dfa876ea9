"""manage.py measure refresh [--indicator CODE …] [--period P …] [--resume] | status"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.core import periods
from tathmini.measure import engine
from tathmini.measure.models import RefreshRun
from tathmini.strategy.models import Plan


class Command(BaseCommand):
    help = "Compute indicator values from the records (idempotent; resumable with --resume)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="recompute indicator values")
        refresh.add_argument("--plan", help="plan code (default: the current plan)")
        refresh.add_argument("--indicator", action="append", help="indicator code; repeat for several")
        refresh.add_argument("--period", action="append", help="period code (2013/14, 2013/14-Q2, 2014-01)")
        refresh.add_argument("--resume", action="store_true", help="continue the last unfinished run")
        sub.add_parser("status", help="show the last refresh runs")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            for run in RefreshRun.objects.all()[:10]:
                self.stdout.write(
                    f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.status:8} {run.trigger:20} "
                    f"done {len(run.done)}, pending {len(run.pending)} {run.error}"
                )
            return
        plan = (
            Plan.objects.filter(code=options["plan"]).first()
            if options["plan"]
            else (Plan.objects.filter(is_current=True).first())
        )
        if plan is None:
            raise CommandError("no such plan" if options["plan"] else "no current plan")
        in_plan = {p.code for p in engine.plan_periods(plan)}
        for code in options["period"] or []:
            try:
                periods.parse(code)
            except periods.PeriodError as exc:
                raise CommandError(str(exc)) from None
            if code not in in_plan:
                raise CommandError(f"{code} is not a period of the plan {plan.code}")
        known = set(plan.indicators.values_list("code", flat=True))
        unknown = sorted(set(options["indicator"] or []) - known)
        if unknown:
            raise CommandError(f"unknown indicator(s): {', '.join(unknown)}")
        started = time.perf_counter()
        run = engine.refresh(plan, options["indicator"], options["period"], trigger="command", resume=options["resume"])
        self.stdout.write(
            self.style.SUCCESS(f"refreshed {len(run.done)} indicator(s) in {time.perf_counter() - started:.2f} s")
        )
