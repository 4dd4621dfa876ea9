"""Reports on the national-scale data set: the Agency scorecard, the annual report's PDF and XLSX,
and the scorecard page's latency under concurrent users.

    python bench/reports_bench.py [--scale 0.1] [--users 20] [--requests 15] [--repeat 5]

Builds a throwaway database (a SQLite file in a temporary folder or, with DATABASE_URL set, a new
PostgreSQL database beside the one it names, dropped at the end): migrate, the plan and demo
structure, ``manage.py generate --scale S``, a target per indicator and year, ``manage.py measure
refresh``. Then it times, in this process, the Agency scorecard (selector and page) and the annual
report (content, PDF, XLSX); and starts ``manage.py runserver --noreload`` on 127.0.0.1 with the
same database, signs a manager in by a session cookie, and has ``--users`` threads each request
the Agency scorecard ``--requests`` times (bounded in count, and each request in time). Prints
every figure; they go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def timed(label: str, fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    # CPU time is what the work costs on an idle core; wall time also holds waiting for a CPU on a
    # shared machine (and, for the page and the database, waiting for the database).
    print(
        f"{label}: wall median {statistics.median(times):.3f} s, max {max(times):.3f} s; "
        f"CPU median {statistics.median(cpu):.3f} s ({repeat} runs)"
    )
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="0.1")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=15, help="requests per user")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-bench-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    server_url = os.environ.get("DATABASE_URL", "")
    bench_db = f"tathmini_bench_{os.getpid()}"
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
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')
        tmp.cleanup()


def prepare(scale: str) -> None:
    from decimal import Decimal

    from django.core.management import call_command

    from tathmini.strategy.models import Plan, Target

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("generate", "--scale", scale, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"migrate, bootstrap and generate --scale {scale}: {time.perf_counter() - started:.0f} s")
    plan = Plan.objects.get(is_current=True)
    # Targets, so that every indicator is rated (the shipped plan has none).
    Target.objects.bulk_create(
        Target(indicator=i, fiscal_year=fy, value=Decimal(50))
        for i in plan.indicators.all()
        for fy in plan.fiscal_years.all()
    )
    started = time.perf_counter()
    call_command("measure", "refresh", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"measure refresh: {time.perf_counter() - started:.0f} s")


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from tathmini.accounts.models import User
    from tathmini.core import periods as P
    from tathmini.measure.models import Value
    from tathmini.reports import pdf, services, snapshot, xlsx
    from tathmini.strategy.models import Plan

    vendor = connection.vendor
    try:
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = ""
    print(f"{vendor}; Python {platform.python_version()}; {os.cpu_count()} CPUs{load}")
    prepare(args.scale)
    plan = Plan.objects.get(is_current=True)
    print(f"stored indicator values: {Value.objects.count():,}")
    year = P.parse("2015/16")
    manager = User.objects.get(username="mkuu.idara")
    officer = User.objects.get(username="afisa.mne")

    timed("Agency scorecard, selector + formatting", lambda: snapshot.scorecard(plan, year), args.repeat)
    client = Client()
    client.force_login(manager)
    url = reverse("reports:scorecard") + "?unit=agency&year=2015/16"
    timed("Agency scorecard page, one request", lambda: client.get(url), args.repeat)

    report = services.report_create(plan, "annual", year.code, "en", officer)
    content: dict = {}

    def build() -> None:
        content.update(services.content(report))

    timed("annual report content (all numbers and 24 charts)", build, args.repeat)
    pdf_bytes: list[bytes] = []
    timed("annual report PDF from its content", lambda: pdf_bytes.append(pdf.render_pdf(content)), args.repeat)
    timed("annual report XLSX from its content", lambda: xlsx.report_xlsx(content), args.repeat)
    timed(
        "annual report PDF, end to end (content + PDF)", lambda: pdf.render_pdf(services.content(report)), args.repeat
    )
    import io

    from pypdf import PdfReader

    print(f"PDF: {len(pdf_bytes[-1]) / 1024:.0f} KiB, {len(PdfReader(io.BytesIO(pdf_bytes[-1])).pages)} pages")
    concurrent(args, client.cookies["sessionid"].value, url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def concurrent(args: argparse.Namespace, session: str, path: str) -> None:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # up to 20 s for the server to start
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def user() -> None:
            for _ in range(args.requests):
                request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={session}"})  # noqa: S310
                started = time.perf_counter()
                error = ""
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                        response.read()
                        if response.status != 200:
                            error = f"status {response.status}"
                except OSError as exc:
                    error = str(exc)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if error:
                        errors.append(error)

        started = time.perf_counter()
        threads = [threading.Thread(target=user) for _ in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        print(
            f"scorecard page, {args.users} concurrent users × {args.requests} requests (runserver, threaded): "
            f"p50 {percentile(latencies, 50):.3f} s, p95 {percentile(latencies, 95):.3f} s, "
            f"max {max(latencies):.3f} s, {len(latencies) / wall:.1f} requests/s, {len(errors)} errors"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
