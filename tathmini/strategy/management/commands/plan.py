"""manage.py plan import FILE | export CODE | list — see docs/plan-format.md."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.strategy import models as m
from tathmini.strategy import plan_io


class Command(BaseCommand):
    help = "Import, export or list strategic plans in the YAML plan format (docs/plan-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="load a plan file; all or nothing")
        imp.add_argument("file")
        imp.add_argument("--replace", action="store_true", help="update a plan already loaded with the same code")
        imp.add_argument("--if-absent", action="store_true", help="do nothing if a plan with the file's code is loaded")
        exp = sub.add_parser("export", help="write a plan in the canonical format")
        exp.add_argument("code", nargs="?", help="plan code (default: the current plan)")
        exp.add_argument("-o", "--output", help="file to write (default: standard output)")
        sub.add_parser("list", help="list the plans loaded")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(**options)

    def do_import(self, file: str, replace: bool, if_absent: bool, **_: Any) -> None:
        path = Path(file)
        try:
            if path.stat().st_size > plan_io.MAX_BYTES:  # before reading it all into memory
                raise CommandError(f"{file}:0: (file): larger than {plan_io.MAX_BYTES:,} bytes: not a plan file")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            data = plan_io.parse_plan(text, str(path))
        except plan_io.PlanFileError as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from None
        if if_absent and m.Plan.objects.filter(code=data.fields["code"]).exists():
            self.stdout.write(f"plan {data.fields['code']} is already loaded; left as it is")
            return
        try:
            plan = plan_io.save_plan(data, replace=replace)
        except plan_io.PlanExists as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"plan {plan.code}: {plan.objectives.count()} objectives, {plan.strategies.count()} strategies, "
                f"{plan.indicators.count()} indicators"
            )
        )

    def do_export(self, code: str | None, output: str | None, **_: Any) -> None:
        plan = m.Plan.objects.filter(code=code).first() if code else m.Plan.objects.filter(is_current=True).first()
        if plan is None:
            raise CommandError(f"no plan {code!r}" if code else "no current plan")
        text = plan_io.export_plan(plan)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)

    def do_list(self, **_: Any) -> None:
        for plan in m.Plan.objects.all():
            mark = "*" if plan.is_current else " "
            self.stdout.write(f"{mark} {plan.code}\t{plan.name_sw}")
