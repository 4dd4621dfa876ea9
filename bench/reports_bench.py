"""Reports on the national-scale data set: the Agency scorecard, the annual report's PDF and XLSX
(draft and published), and the scorecard page's latency under concurrent users, served by
``runserver`` and by gunicorn.

    python bench/reports_bench.py [--scale 0.1] [--users 20] [--requests 15] [--repeat 5]
    python bench/reports_bench.py --existing [...]       # DATABASE_URL or TATHMINI_DATA_DIR as it is

Without ``--existing`` it builds a throwaway database (a SQLite file in a temporary folder or, with
DATABASE_URL set, a new PostgreSQL database ``<name>_bench_<pid>`` beside the one it names, dropped
at the end): migrate, the plan and demo structure, ``manage.py generate --scale S``, a target of 50
per indicator and fiscal year, ``manage.py measure refresh``.

With ``--existing`` it uses the database DATABASE_URL names, or else the SQLite file in
TATHMINI_DATA_DIR, as it is: no generate, no refresh, no migrate (it stops and says so when a
migration is pending). The one change it makes is adding a target of 50 for each indicator and
fiscal year that has no Agency target (ratings need one), and it prints how many it added. The
report it times is created, published and downloaded inside a transaction that is rolled back, and
the signed-in session the servers use is deleted at the end.

It then times, in this process: the Agency scorecard (selector, and the page through Django's test
client); the annual report as a draft (content, PDF, XLSX, PDF end to end) and once published (the
first download, which renders and keeps the file, and later downloads, which serve the kept bytes).
Then it starts each server on 127.0.0.1 with the same database — ``manage.py runserver --noreload``
(one process, a thread per request) and gunicorn (``--workers``, by default 2 × CPUs + 1 processes) —
warms it up, and has ``--users`` threads request the Agency scorecard ``--requests`` times each,
signed in as a manager by a session cookie. It prints every figure with the machine's load average;
they go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
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
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def load() -> str:
    try:
        return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def timed(label: str, fn: Callable[[], Any], repeat: int) -> float:
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
        f"CPU median {statistics.median(cpu):.3f} s ({repeat} run{'s' if repeat > 1 else ''})",
        flush=True,
    )
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", default="0.1", help="generate's scale (ignored with --existing)")
    parser.add_argument(
        "--existing", action="store_true", help="use DATABASE_URL or TATHMINI_DATA_DIR's database as it is"
    )
    parser.add_argument("--year", default="2015/16", help="the fiscal year of the scorecard and the annual report")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=15, help="requests per user")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn worker processes")
    parser.add_argument("--servers", default="runserver,gunicorn", help="comma-separated: runserver, gunicorn")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # WhiteNoise warns that collectstatic has not run: the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    if args.existing:
        if not os.environ.get("DATABASE_URL"):
            data_dir = os.environ.get("TATHMINI_DATA_DIR", "")
            if not data_dir or not (Path(data_dir) / "tathmini.sqlite3").is_file():
                sys.exit("--existing: set DATABASE_URL, or TATHMINI_DATA_DIR to a folder holding tathmini.sqlite3")
        run(args)
        return
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-bench-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    server_url = os.environ.get("DATABASE_URL", "")
    bench_db = f"{urlparse(server_url).path.strip('/') or 'tathmini'}_bench_{os.getpid()}"
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
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("generate", "--scale", scale, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"migrate, bootstrap and generate --scale {scale}: {time.perf_counter() - started:.0f} s", flush=True)
    add_missing_targets()
    started = time.perf_counter()
    call_command("measure", "refresh", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"measure refresh: {time.perf_counter() - started:.0f} s", flush=True)


def add_missing_targets() -> None:
    """A target of 50 for each indicator and fiscal year without an Agency target: the shipped plan
    has none, and unrated indicators would skip the rating path."""
    from decimal import Decimal

    from tathmini.strategy.models import Plan, Target

    plan = Plan.objects.get(is_current=True)
    have = set(Target.objects.filter(indicator__plan=plan, org_unit=None).values_list("indicator_id", "fiscal_year_id"))
    missing = [
        Target(indicator=i, fiscal_year=fy, value=Decimal(50))
        for i in plan.indicators.all()
        for fy in plan.fiscal_years.all()
        if (i.pk, fy.pk) not in have
    ]
    Target.objects.bulk_create(missing)
    print(f"Agency targets: {len(have)} there, {len(missing)} added (50 each)", flush=True)


def check_migrations() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending)
        sys.exit(
            f"--existing: the database has migrations pending ({names}); this benchmark does not change "
            "the schema: run `manage.py migrate` with the same DATABASE_URL / TATHMINI_DATA_DIR first"
        )


def describe_database(existing: bool) -> None:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max

    from tathmini.feedback.models import Complaint
    from tathmini.measure.models import Value
    from tathmini.registry.models import EService, Institution, UsageReturn

    db = settings.DATABASES["default"]
    where = db["NAME"] if connection.vendor == "sqlite" else f"{db.get('HOST', '')}/{db['NAME']}"
    print(f"database: {connection.vendor} {where} ({'existing' if existing else 'built by this run'})")
    newest = Value.objects.aggregate(newest=Max("computed_at"))["newest"]
    if newest is None:
        sys.exit("no stored indicator values: run `manage.py measure refresh` on this database first")
    print(
        f"data: {Institution.objects.count():,} institutions, {EService.objects.count():,} e-services, "
        f"{UsageReturn.objects.count():,} usage returns, {Complaint.objects.count():,} complaints; "
        f"{Value.objects.count():,} stored indicator values, newest computed {newest:%Y-%m-%d %H:%M} UTC",
        flush=True,
    )


def pick_user(username: str, roles: tuple[str, ...]) -> Any:
    """The demo user by name, else an active user with one of the roles, else a superuser."""
    from tathmini.accounts.models import User

    users = User.objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        or users.filter(groups__name__in=roles).order_by("pk").first()
        or users.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        sys.exit(f"no active user to sign in as ({username}, any of {', '.join(roles)}, or a superuser)")
    return user


def make_session(user: Any) -> str:
    """A signed-in session for ``user`` without signing in (which would update last_login)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    import weasyprint
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from pypdf import PdfReader

    from tathmini.accounts.roles import Role
    from tathmini.core import periods as P
    from tathmini.reports import pdf, services, snapshot, xlsx
    from tathmini.reports.views import STAFF
    from tathmini.strategy.models import Plan

    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, Django {django.__version__}, "
        f"WeasyPrint {weasyprint.__version__}; {load()}",
        flush=True,
    )
    if args.existing:
        check_migrations()
        describe_database(existing=True)
        add_missing_targets()
    else:
        prepare(args.scale)
        describe_database(existing=False)
    plan = Plan.objects.get(is_current=True)
    year = P.parse(args.year)
    manager = pick_user("mkuu.idara", tuple(STAFF))
    officer = pick_user("afisa.mne", (Role.ME_OFFICER,))
    print(f"signed in as {manager.username} (scorecard) and {officer.username} (report)", flush=True)
    session_key = make_session(manager)
    try:
        print(f"\n-- in this process ({load()})", flush=True)
        timed(
            f"Agency scorecard {year.code}, selector + formatting", lambda: snapshot.scorecard(plan, year), args.repeat
        )
        client = Client()
        client.cookies["sessionid"] = session_key
        url = reverse("reports:scorecard") + f"?unit=agency&year={year.code}"
        assert client.get(url).status_code == 200
        timed("Agency scorecard page, one request", lambda: client.get(url), args.repeat)

        with transaction.atomic():
            # Nothing the report part writes (the report, its audit events, its kept files) stays.
            report = services.report_create(plan, "annual", year.code, "en", officer)
            content: dict[str, Any] = {}
            timed(
                "annual report content (all numbers and the charts)",
                lambda: content.update(services.content(report)),
                args.repeat,
            )
            pdf_bytes: list[bytes] = []
            timed(
                "annual report PDF from its content (draft)",
                lambda: pdf_bytes.append(pdf.render_pdf(content)),
                args.repeat,
            )
            timed("annual report XLSX from its content (draft)", lambda: xlsx.report_xlsx(content), args.repeat)
            timed(
                "annual report PDF end to end (draft: content + PDF)",
                lambda: pdf.render_pdf(services.content(report)),
                args.repeat,
            )
            pages = len(PdfReader(io.BytesIO(pdf_bytes[-1])).pages)
            print(f"the PDF: {len(pdf_bytes[-1]) / 1024:.0f} KiB, {pages} A4 pages", flush=True)

            services.report_publish(report, officer)
            staff = Client()
            staff.cookies["sessionid"] = make_session(officer)
            for suffix in ("pdf", "xlsx"):
                fetch = downloader(staff, reverse(f"reports:{suffix}", args=[report.pk]))
                timed(f"published report {suffix.upper()} download, the first (renders and keeps it)", fetch, 1)
                timed(f"published report {suffix.upper()} download, later ones (the kept bytes)", fetch, args.repeat)
            transaction.set_rollback(True)

        connection.close()  # the servers are other processes; SQLite's write lock is released
        for server in args.servers.split(","):
            concurrent(args, server.strip(), session_key, url)
    finally:
        Session.objects.filter(session_key=session_key).delete()


def downloader(client: Any, url: str) -> Callable[[], None]:
    def fetch() -> None:
        response = client.get(url)
        assert response.status_code == 200 and response.content

    return fetch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its descendants (Linux /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, family = 0.0, {root}
    for _ in range(4):  # gunicorn: master → workers; runserver: one process
        family |= {pid for pid, (parent, _) in stats.items() if parent in family}
    for pid in family:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def hammer(base: str, path: str, session: str, users: int, requests: int) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user() -> None:
        for _ in range(requests):
            request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={session}"})  # noqa: S310
            started = time.perf_counter()
            error = ""
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    body = response.read()
                    # A lost session would answer the sign-in page with 200: look for the scorecard.
                    if response.status != 200 or b'class="scorecard"' not in body:
                        error = f"status {response.status}, {len(body)} bytes without the scorecard"
            except OSError as exc:
                error = str(exc)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if error:
                    errors.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=user) for _ in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def concurrent(args: argparse.Namespace, server: str, session: str, path: str) -> None:
    port = free_port()
    if server == "runserver":
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        what = "runserver: 1 process, a thread per request"
    elif server == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "tathmini.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"]
        what = f"gunicorn: {args.workers} worker processes (sync)"
    else:
        sys.exit(f"unknown server {server!r}: runserver or gunicorn")
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # up to 30 s for the server to start
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if process.poll() is not None:
                    sys.exit(f"{server} exited with status {process.returncode}")
                time.sleep(0.2)
        # Warm-up: every process has loaded its URL conf and compiled its templates before timing.
        warm = max(args.workers, 1) * 4
        hammer(base, path, session, min(args.users, warm), max(1, warm // min(args.users, warm)))
        before, cpu_before = load(), cpu_seconds(process.pid)
        latencies, errors, wall = hammer(base, path, session, args.users, args.requests)
        cpu = cpu_seconds(process.pid) - cpu_before
        print(f"\n-- scorecard page, {what} ({before} before, {load()} after)")
        print(
            f"{args.users} concurrent users × {args.requests} requests: p50 {percentile(latencies, 50):.3f} s, "
            f"p95 {percentile(latencies, 95):.3f} s, max {max(latencies):.3f} s; "
            f"{len(latencies) / wall:.1f} requests/s; {len(errors)} errors; "
            f"server CPU {cpu / len(latencies):.3f} s per request",
            flush=True,
        )
        if errors:
            print(f"first error: {errors[0]}")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
