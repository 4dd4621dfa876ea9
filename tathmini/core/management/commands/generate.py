"""manage.py generate: write a deterministic synthetic data set at any scale, as benchmark input.

See tathmini/core/generate.py for what is written and docs/benchmarks.md for how fast.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.core import generate


class Command(BaseCommand):
    help = (
        "Write a synthetic data set (codes gen-…): scale 1.0 = 1,000 institutions, 50,000 e-services, "
        "1,000,000 complaints, 500,000 information requests, 2,000,000 usage returns and the rest in proportion."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=0.01, help="1.0 = national scale; fractions allowed")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same rows")
        parser.add_argument("--database", default="default", help="database alias to write to")
        parser.add_argument("--replace", action="store_true", help="delete earlier generated rows first")
        parser.add_argument(
            "--method",
            choices=["auto", "copy", "executemany", "orm"],
            default="auto",
            help="write path: COPY (PostgreSQL), executemany (SQLite), or the ORM's bulk_create",
        )
        parser.add_argument("--chunk", type=int, default=100_000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive")
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        try:
            generator = generate.Generator(
                options["scale"], options["seed"], using=using, method=options["method"], chunk=options["chunk"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if generate.generated_exists(using):
            if not options["replace"]:
                raise CommandError("Generated rows are already there: add --replace to delete them first.")
            start = perf_counter()
            deleted = generate.delete_generated(using)
            self.stdout.write(f"deleted {deleted:,} earlier generated rows in {perf_counter() - start:.1f} s")
        self.stdout.write(
            f"scale {options['scale']:g}, seed {options['seed']}, {generator.writer.method} into {using!r}"
        )

        def report(result: generate.TableResult) -> None:
            self.stdout.write(
                f"  {result.key:<22} {result.rows:>12,} rows {result.seconds:>8.2f} s {result.rate:>12,.0f} rows/s"
            )

        start = perf_counter()
        try:
            results = generator.run(report)
        except ValueError as error:
            raise CommandError(str(error)) from error
        seconds = perf_counter() - start
        rows = sum(r.rows for r in results)
        self.stdout.write(
            self.style.SUCCESS(
                f"  {'total':<22} {rows:>12,} rows {seconds:>8.2f} s {rows / seconds if seconds else 0:>12,.0f} rows/s"
            )
        )
