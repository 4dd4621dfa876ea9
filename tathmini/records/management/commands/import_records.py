"""manage.py import_records KEY FILE [--dry-run] --user USERNAME — see docs/import-formats.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.records import imports, types


class Command(BaseCommand):
    help = (
        "Import a spreadsheet (XLSX or CSV) of operational records: every row is checked first, then all are "
        "written in one transaction, or none (docs/import-formats.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="record type, e.g. usage-returns")
        parser.add_argument("file", help="an .xlsx or .csv file in the type's template columns")
        parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
        parser.add_argument(
            "--user", required=True, help="the user the import is made as: their rights and scope apply"
        )

    def handle(self, *args: Any, key: str, file: str, dry_run: bool, user: str, **options: Any) -> None:
        try:
            rt = types.get(key)
        except KeyError:
            known = ", ".join(sorted(t.key for t in types.all_types()))
            raise CommandError(f"unknown record type {key!r}; one of: {known}") from None
        actor = get_user_model()._default_manager.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user!r}")
        path = Path(file)
        try:
            with path.open("rb") as handle:
                data = handle.read(settings.IMPORT_MAX_BYTES + 1)  # one byte more lets the size guard speak
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None

        report = imports.run_import(rt, actor, path.name, data, dry_run=dry_run)
        for problem in report.problems:
            where = "file" if problem.row is None else f"row {problem.row}"
            column = f" [{problem.column}]" if problem.column else ""
            self.stderr.write(f"{path.name}: {where}{column}: {problem.reason}")
        if report.problem_count > len(report.problems):
            self.stderr.write(f"… and {report.problem_count - len(report.problems)} more problems")
        counts = f"{report.created} new, {report.updated} changed, {report.unchanged} unchanged"
        if not report.ok:
            raise CommandError(f"{report.problem_count} problem(s) in {report.total_rows} rows: nothing written")
        if dry_run:
            self.stdout.write(f"{report.total_rows} rows checked, nothing written (dry run): would be {counts}")
        else:
            self.stdout.write(f"{report.total_rows} rows imported: {counts} (batch {report.batch})")
