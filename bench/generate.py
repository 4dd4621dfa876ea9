"""National-scale generator throughput: ``manage.py generate`` into a throwaway database.

    python bench/generate.py [--scale 0.1] [--seed 1] [--method auto|copy|executemany|orm] [--chunk N]

Sets up Django itself on a throwaway database: a SQLite file in a temporary folder or, with
DATABASE_URL set, a new PostgreSQL database created beside the one it names and dropped at the
end. Prints the machine, rows and rows/s per table and in total (as the command does), and the
size of the database written. Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="0.1")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--method", default="auto", choices=["auto", "copy", "executemany", "orm"])
    parser.add_argument("--chunk", default="100000")
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
        run(args, Path(tmp.name))
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        tmp.cleanup()


def run(args: argparse.Namespace, data_dir: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tathmini.core import demo

    call_command("migrate", verbosity=0)
    demo.load_regions()
    if connection.vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        database = f"PostgreSQL {version // 10000}.{version % 10000}"
    else:
        database = f"SQLite {sqlite3.sqlite_version}"
    try:
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = ""
    print(f"{database}; Python {platform.python_version()}; {os.cpu_count()} CPUs; {memory_gb():.0f} GB memory{load}")
    started = time.perf_counter()
    call_command("generate", "--scale", args.scale, "--seed", args.seed, "--method", args.method, "--chunk", args.chunk)
    print(f"wall time {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        print(f"database size {size / 1e6:,.0f} MB")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = data_dir / "tathmini.sqlite3"
        print(f"SQLite file {path.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
