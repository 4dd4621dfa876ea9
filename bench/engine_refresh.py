"""Indicator engine refresh on the generator's data set: full refresh and one incremental refresh.

    python bench/engine_refresh.py [--scale 0.1] [--seed 1]

Sets up a throwaway database (a SQLite file in a temporary folder, or with DATABASE_URL a new
PostgreSQL database beside the one it names, dropped at the end), loads the plan, the demo org
units and ``manage.py generate --scale``, then times:
- a full refresh of every indicator × every period (years, quarters, months) × every
  disaggregation (``engine.refresh``);
- the automatic refresh after one new complaint about the Agency inside the plan's period
  (``measure.triggers.refresh_affected``: only the indicators and periods it touches).
Figures go in docs/benchmarks.md. (The comparison with hand-written SQL per indicator is not part
of this script yet.)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="0.1")
    parser.add_argument("--seed", default="1")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-bench-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    server_url = os.environ.get("DATABASE_URL", "")
    bench_db = f"tathmini_bench_engine_{os.getpid()}"
    if server_url:
        import psycopg

        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{bench_db}"')
        os.environ["DATABASE_URL"] = urlunparse(urlparse(server_url)._replace(path=f"/{bench_db}"))
    try:
        run(args)
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        tmp.cleanup()


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from datetime import UTC, date, datetime

    from django.core.management import call_command
    from django.db import connection

    from tathmini.feedback.models import Complaint
    from tathmini.measure import engine, triggers
    from tathmini.measure.models import Value
    from tathmini.strategy.models import Plan

    call_command("migrate", verbosity=0)
    call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("generate", "--scale", args.scale, "--seed", args.seed, stdout=open(os.devnull, "w"))  # noqa: SIM115
    vendor = connection.vendor
    print(
        f"{vendor}; scale {args.scale}; Python {platform.python_version()}; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"complaints {Complaint.objects.count():,}")
    plan = Plan.objects.get(is_current=True)

    started = time.perf_counter()
    cpu = time.process_time()
    engine.refresh(plan)
    wall = time.perf_counter() - started
    print(
        f"full refresh: {wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU of this process, "
        f"{Value.objects.count():,} values"
    )

    # One new complaint about the Agency in the plan's period, then the refresh it triggers.
    received = datetime(2015, 3, 10, 9, 30, tzinfo=UTC)
    Complaint.objects.create(
        reference="BENCH-0001", about="agency", category="delay", subject="bench", received_at=received
    )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        touched = triggers.refresh_affected(Complaint, {date(2015, 3, 10)})
        timings.append(time.perf_counter() - started)
    periods = sum(len(v) for v in touched.values())
    print(
        f"incremental refresh after one complaint: {sorted(touched)} × {periods} periods; "
        f"best {min(timings) * 1000:.0f} ms, median {sorted(timings)[2] * 1000:.0f} ms of 5"
    )


if __name__ == "__main__":
    main()
