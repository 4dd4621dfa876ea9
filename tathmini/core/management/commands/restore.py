"""manage.py restore PATH [--force]: put a backup made by `manage.py backup` back, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from tathmini.core import backup


class Command(BaseCommand):
    help = (
        "Replace the SQLite database with a backup, after checking the backup's integrity; refuses a "
        "database that holds data unless --force. Stop the site first. On PostgreSQL, use pg_restore "
        "(README: Backups)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a backup file written by manage.py backup")
        parser.add_argument("--force", action="store_true", help="replace a database that holds data")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        try:
            result = backup.restore(Path(options["path"]), backup.sqlite_file(alias), force=options["force"])
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.path} from {options['path']}: {result.tables} tables, {result.rows:,} rows, "
                f"in {result.seconds:.2f} s (integrity checked)."
            )
        )
        executor = MigrationExecutor(connections[alias])
        missing = executor.migration_plan(executor.loader.graph.leaf_nodes())
        unknown = set(executor.loader.applied_migrations) - set(executor.loader.graph.nodes)
        if missing:
            self.stdout.write(
                f"The backup predates {len(missing)} migration(s) of this version: run manage.py migrate."
            )
        if unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup was made by a newer version ({len(unknown)} migration(s) unknown here): "
                    "run the version that made it."
                )
            )
        connections.close_all()
