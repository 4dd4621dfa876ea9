"""The availability monitor: probes per second, memory over a long run, rows stored per 10,000
probes of a stable service, and two shards probing every check exactly once per slot.

    python bench/monitor_bench.py [--checks N] [--concurrency 50,100,200] [--long-checks N]
                                  [--long-rounds N] [--stable N] [--shard-checks N] [--shard-seconds S]
                                  [--parts throughput,memory,rows,shards]

Sets up Django itself on a throwaway database: a SQLite file in a temporary folder or, with
DATABASE_URL set, a new PostgreSQL database created beside the one it names and dropped at the
end. Every probe goes to local servers on 127.0.0.1 (tathmini/monitor/testing.py), which the
benchmark allows explicitly; nothing else is reached. Figures go in docs/benchmarks.md.

1. Throughput: a farm of 16 HTTP servers in a separate process; N checks all due at once, one
   worker process probing them with the given concurrency (claims, probes, records: the whole
   path), the clock held still so that every check is due exactly once.
2. Memory: a long run of rounds one minute apart on a stepped clock; the process's resident
   memory is printed as the rounds go (hourly figures and day rows are written on the way).
3. Rows: one stable service probed 10,000 times a minute apart; the rows it left in each table.
4. Shards: two real ``manage.py monitor`` processes (shard 1/2 and 2/2), then two processes that
   both claim everything (1/1 twice), on the real clock with a 5-second interval; the servers log
   each request's time, and every check must have exactly one probe in every slot.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
T0 = datetime(2015, 1, 5, 0, 0, tzinfo=UTC)
PARTS = ("throughput", "memory", "rows", "shards")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--concurrency", default="50,100,200")
    parser.add_argument("--long-checks", type=int, default=1000)
    parser.add_argument("--long-rounds", type=int, default=240)
    parser.add_argument("--stable", type=int, default=10_000)
    parser.add_argument("--shard-checks", type=int, default=300)
    parser.add_argument("--shard-seconds", type=int, default=32)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"which parts to run, of {','.join(PARTS)}")
    args = parser.parse_args()
    args.parts = set(args.parts.split(","))
    if not args.parts <= set(PARTS):
        parser.error(f"--parts: choose among {', '.join(PARTS)}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"  # no query log growing through the run
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["MONITOR_ALLOWLIST"] = "127.0.0.1/32"  # the local farm, and nothing else
    os.environ["MONITOR_TIMEOUT_SECONDS"] = "5"
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
        run(args)
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')
        tmp.cleanup()


def make_checks(n: int, urls: list[str], due: datetime, interval: int = 60, prefix: str = "bench") -> list[int]:
    from tathmini.monitor.models import Check
    from tathmini.monitor.services import shard_key_of
    from tathmini.registry.models import EService, Institution

    institution, _ = Institution.objects.get_or_create(
        code="bench", defaults={"name_sw": "Benchi", "name_en": "Bench", "category": "agency"}
    )
    services = EService.objects.bulk_create(
        EService(
            institution=institution,
            code=f"{prefix}-{k}",
            name_sw=f"Huduma {k}",
            name_en=f"Service {k}",
            life_event="other",
            channels="web",
            url=urls[k % len(urls)],
            launched_on=date(2012, 7, 1),
        )
        for k in range(n)
    )
    if not all(s.pk for s in services):  # SQLite before 3.35 returns no ids from bulk inserts
        services = list(EService.objects.filter(code__startswith=f"{prefix}-").order_by("pk"))
    checks = Check.objects.bulk_create(
        Check(
            eservice=s,
            url=s.url,
            shard_key=shard_key_of(s.pk),
            interval_seconds=interval,
            next_due=due,
        )
        for s in services
    )
    return [c.pk for c in checks]


def clear() -> None:
    from tathmini.monitor.models import MonitorDay
    from tathmini.registry.models import EService

    MonitorDay.objects.all().delete()
    EService.objects.all().delete()  # and their checks, flips, incidents and rollups


def throughput(args: argparse.Namespace, urls: list[str]) -> None:
    from tathmini.monitor.prober import Prober
    from tathmini.monitor.testing import FakeClock
    from tathmini.monitor.worker import Worker

    make_checks(args.checks, urls, T0)
    clock = FakeClock(T0)
    print(f"\n1. Throughput: {args.checks} checks due at once, 16 local servers in another process")
    for concurrency in [int(c) for c in args.concurrency.split(",")]:
        clock.advance(60)  # every check is due again, once
        with Worker(clock=clock, prober=Prober.from_settings(), concurrency=concurrency) as worker:
            worker.maintain(clock.now)  # the sync at start-up, not timed
            stop, done = threading.Event(), []

            def watch(worker: Worker = worker, stop: threading.Event = stop, done: list[float] = done) -> None:
                while worker.probed < args.checks:
                    time.sleep(0.005)
                done.append(time.perf_counter())
                stop.set()

            watcher = threading.Thread(target=watch)
            started = time.perf_counter()
            watcher.start()
            worker.run(stop)  # the process's own loop, as `manage.py monitor` runs it
            watcher.join()
            seconds = done[0] - started
            rate = worker.probed / seconds
            print(f"   concurrency {concurrency:>4}: {worker.probed:>6} probes in {seconds:6.2f} s = {rate:7.0f} /s")
    clear()


def memory(args: argparse.Namespace, urls: list[str]) -> None:
    from tathmini.monitor.models import MonitorDay
    from tathmini.monitor.prober import Prober
    from tathmini.monitor.testing import FakeClock
    from tathmini.monitor.worker import Worker

    make_checks(args.long_checks, urls, T0)
    clock = FakeClock(T0)
    print(f"\n2. Memory: {args.long_checks} checks, {args.long_rounds} rounds a minute apart (stepped clock)")
    marks = {1, *(args.long_rounds * k // 8 for k in range(1, 9))}
    started = time.perf_counter()
    with Worker(clock=clock, prober=Prober.from_settings(), concurrency=100) as worker:
        for n in range(1, args.long_rounds + 1):
            worker.tick()
            if n in marks:
                print(
                    f"   round {n:>5} ({worker.probed:>8} probes, {clock.now:%H:%M} simulated): RSS {rss_mb():6.1f} MB"
                )
            clock.advance(60)
        worker.shutdown()
    seconds = time.perf_counter() - started
    print(f"   {worker.probed} probes in {seconds:.1f} s ({worker.probed / seconds:.0f} /s with a round's wait)")
    hours = sum(len(d.hour_figures()) for d in MonitorDay.objects.only("day", "hours"))
    print(f"   stored: {MonitorDay.objects.count()} day rows holding {hours} hours of probe figures")
    clear()


def rows(args: argparse.Namespace, urls: list[str]) -> None:
    from tathmini.monitor.models import Check, Flip, Incident, MonitorDay
    from tathmini.monitor.prober import Prober
    from tathmini.monitor.testing import FakeClock
    from tathmini.monitor.worker import Worker

    [pk] = make_checks(1, urls[:1], T0)
    clock = FakeClock(T0)
    with Worker(clock=clock, prober=Prober.from_settings(), concurrency=4) as worker:
        for _n in range(args.stable):
            worker.tick()
            clock.advance(60)
        worker.shutdown()
    check = Check.objects.get(pk=pk)
    days = list(MonitorDay.objects.filter(eservice=check.eservice))
    counts = {
        "flips": Flip.objects.filter(owner=check).count(),
        "incidents": Incident.objects.filter(owner=check).count(),
        "day rows": len(days),
    }
    total = sum(counts.values())
    hours = sum(len(d.hour_figures()) for d in days)
    probes = sum(f.probes for d in days for f in d.hour_figures())
    span = clock.now - T0
    print(
        f"\n3. Rows: one stable service, {worker.probed} probes a minute apart ({span.days} d {span.seconds // 3600} h)"
    )
    listed = ", ".join(f"{v} {k}" for k, v in counts.items())
    print(f"   {listed}: {total} rows (a row per probe would be {worker.probed})")
    print(f"   the day rows hold {hours} hours of probe figures, {probes} probes in all")
    clear()


def shards(args: argparse.Namespace, label: str, shard_args: list[str]) -> None:
    from tathmini.monitor.models import Check
    from tathmini.monitor.testing import LocalServer

    interval = 5
    with LocalServer(log_times=True) as server:
        start = math.ceil(time.time()) + 3  # the first slot starts once the processes are up
        due = datetime.fromtimestamp(start, UTC)
        ids = make_checks(args.shard_checks, [server.url(f"/c/{k}") for k in range(args.shard_checks)], due, interval)
        paths = dict(Check.objects.filter(pk__in=ids).values_list("url", "pk"))
        env = {**os.environ, "MONITOR_CONCURRENCY": "100"}
        procs = [
            subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "monitor", "--shard", s], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
            )
            for s in shard_args
        ]
        time.sleep(start - time.time() + args.shard_seconds)
        stopped = time.time()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        log = list(server.log or [])
    by_url = {server.url(f"/c/{k}"): k for k in range(args.shard_checks)}
    assert len(paths) == args.shard_checks and set(by_url) == set(paths)
    slots = int((stopped - start) // interval)  # whole slots that ended before the stop
    per_slot: Counter[tuple[str, int]] = Counter()
    for t, path in log:
        slot = int((t - start) // interval)
        if 0 <= slot < slots:
            per_slot[(path, slot)] += 1
    histogram = Counter(per_slot.get((f"/c/{k}", s), 0) for k in range(args.shard_checks) for s in range(slots))
    verdict = "every check exactly once per slot" if set(histogram) == {1} else f"NOT once per slot: {histogram}"
    print(f"   {label}: {args.shard_checks} checks × {slots} slots of {interval} s: {len(log)} requests; {verdict}")
    clear()


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        database = f"PostgreSQL {version // 10000}.{version % 10000}"
    else:
        database = f"SQLite {sqlite3.sqlite_version}"
    print(f"{database}; Python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.machine()}")

    farm = subprocess.Popen(
        [sys.executable, "-m", "tathmini.monitor.testing", "16"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert farm.stdout is not None and farm.stdin is not None
    ports = json.loads(farm.stdout.readline())
    urls = [f"http://127.0.0.1:{port}/up" for port in ports]
    try:
        if "throughput" in args.parts:
            throughput(args, urls)
        if "memory" in args.parts:
            memory(args, urls)
        if "rows" in args.parts:
            rows(args, urls)
    finally:
        farm.stdin.close()
        farm.wait(10)
    if "shards" in args.parts:
        print("\n4. Shards (real processes, real clock)")
        shards(args, "shards 1/2 + 2/2", ["1/2", "2/2"])
        shards(args, "two workers both 1/1", ["1/1", "1/1"])


if __name__ == "__main__":
    main()
