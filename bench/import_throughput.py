"""Spreadsheet import throughput: rows per second checked (a dry run) and checked + written.

    python bench/import_throughput.py [--rows N]

Sets up Django itself on a throwaway database: a SQLite file in a temporary folder or, with
DATABASE_URL set, a new PostgreSQL database created beside the one it names and dropped at the
end. Generates N e-service usage returns (default 50,000) for 100 e-services of one institution,
imported as that institution's focal person (so the scope checks run), as CSV and as XLSX.
Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVICES = 100


def generate(n: int, codes: list[str]) -> list[list[object]]:
    rows: list[list[object]] = [["eservice", "period_start", "period_end", "transactions", "users"]]
    for i in range(n):
        months = i // len(codes)
        start = date(2000 + months // 12, months % 12 + 1, 1)
        rows.append([codes[i % len(codes)], start.isoformat(), start.replace(day=28).isoformat(), 1000 + i, 100 + i])
    return rows


def as_csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(label: str, n: int, run: object) -> float:
    started = time.perf_counter()
    report = run()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    assert report.ok, report.problems[:5]
    print(f"{label:<34} {n:>8} rows {seconds:8.2f} s {n / seconds:10.0f} rows/s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"  # no query log growing through the run
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-bench-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    server_url = os.environ.get("DATABASE_URL", "")
    bench_db = f"tathmini_bench_{os.getpid()}"
    if server_url:
        import psycopg

        parsed = urlparse(server_url)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{bench_db}"')
        os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{bench_db}"))

    try:
        run(args.rows)
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        tmp.cleanup()


def run(n: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tathmini.accounts.models import User
    from tathmini.accounts.roles import Role
    from tathmini.accounts.services import user_set_roles
    from tathmini.records import imports, types
    from tathmini.registry.models import EService, Institution, UsageReturn

    call_command("migrate", verbosity=0)
    institution = Institution.objects.create(code="bench", name_sw="Benchi", name_en="Bench", category="agency")
    services = EService.objects.bulk_create(
        EService(
            institution=institution,
            code=f"bench-{k}",
            name_sw=f"Huduma {k}",
            name_en=f"Service {k}",
            life_event="tax",
            channels="web",
            launched_on=date(1999, 1, 1),
        )
        for k in range(SERVICES)
    )
    user = User.objects.create_user(username="bench-focal", password=None, institution=institution)
    user_set_roles(user, [Role.FOCAL_PERSON])
    rt = types.get("usage-returns")

    rows = generate(n, [s.code for s in services])
    csv_data, xlsx_data = as_csv(rows), as_xlsx(rows)
    if connection.vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        database = f"PostgreSQL {version // 10000}.{version % 10000}"
    else:
        database = f"SQLite {sqlite3.sqlite_version}"
    print(
        f"{database}; Python {platform.python_version()}; {os.cpu_count()} CPUs; "
        f"CSV {len(csv_data) / 1e6:.1f} MB, XLSX {len(xlsx_data) / 1e6:.1f} MB"
    )

    timed("check only (dry run), CSV", n, lambda: imports.run_import(rt, user, "u.csv", csv_data, dry_run=True))
    timed("check only (dry run), XLSX", n, lambda: imports.run_import(rt, user, "u.xlsx", xlsx_data, dry_run=True))
    timed("check + write, CSV (all new)", n, lambda: imports.run_import(rt, user, "u.csv", csv_data, dry_run=False))
    assert UsageReturn.objects.count() == n
    timed("check again, CSV (all unchanged)", n, lambda: imports.run_import(rt, user, "u.csv", csv_data, dry_run=False))
    changed = [row if i == 0 else [*row[:3], int(row[3]) + 1, row[4]] for i, row in enumerate(rows)]
    changed_csv = as_csv(changed)
    timed(
        "check + write, CSV (all changed)", n, lambda: imports.run_import(rt, user, "u.csv", changed_csv, dry_run=False)
    )


if __name__ == "__main__":
    main()
