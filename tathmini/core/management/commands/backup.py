"""manage.py backup PATH: a consistent copy of the embedded SQLite database, taken while the site runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.core import backup


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to PATH (a file, or a directory for a dated file) while the site runs; "
        "on PostgreSQL, use pg_dump (README: Backups)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file to write, or a directory to write a dated file in")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup.backup(backup.sqlite_file(options["database"]), Path(options["path"]))
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up to {result.path}: {result.size / 1e6:.1f} MB, {result.tables} tables, "
                f"{result.rows:,} rows, in {result.seconds:.2f} s (integrity checked)."
            )
        )
        self.stdout.write(f"Uploaded evidence files are not in it: copy {settings.MEDIA_ROOT} as well.")
