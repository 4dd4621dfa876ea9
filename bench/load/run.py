"""The load test in one command: a production-mode server on loopback under the scenario of
``locustfile.py``, then a table of every page's latencies (markdown, for docs/benchmarks.md).

    python bench/load/run.py                                  # SQLite, 20 users, 10 minutes
    python bench/load/run.py --users 100 --database-url postgres://postgres@127.0.0.1:5432/tathmini_load
    python bench/load/run.py --users 5 --data minimal --quick-static --each-task-first --duration 2m  # smoke

Steps: a database (a new SQLite file in the run's folder, or the PostgreSQL database named, created
when missing and dropped first with --fresh): ``migrate``, ``bootstrap`` (the demo data; with
--data minimal the plan and demo users only), ``measure refresh`` (demo data), ``prepare.py`` (an open
survey link, a published report, the staff accounts of the load); ``collectstatic``; gunicorn as
the README's production section runs it (--workers, --timeout 120, --max-requests 1000) on
127.0.0.1, with 4 threads per worker by default (--threads 1: the README's sync workers); locust
headless for --duration; the table. Exits 1 on any failed request, any error in the scenario,
any 5xx in the server's access log or any traceback in its log.

The server runs with TATHMINI_PRODUCTION=1 (DEBUG off, a random SECRET_KEY, HTTPS-only cookies,
HSTS, the compressed manifest of static files). It serves plain HTTP on loopback, as it does
behind the reverse proxy that terminates HTTPS: USE_X_FORWARDED_PROTO=1, and the client sends
``X-Forwarded-Proto: https`` as the proxy would (see locustfile.py). The portal's post limit
(PORTAL_RATE_LIMIT) counts per client address, and every simulated citizen comes from 127.0.0.1,
so it is raised for the run; a refusal past the limit is the limit working, not an error.
Sign-in lockout counts only wrong passwords, which the scenario never sends.
"""

# Every command run here is one of this checkout's own programs (its virtualenv's python,
# gunicorn and locust) with arguments built here.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
COLUMNS = ("requests", "failures", "median ms", "p95 ms", "p99 ms", "max ms", "req/s")
# The access log with each request's time in the worker (ms): beside locust's figures, it tells
# time spent serving from time spent waiting for a free worker.
ACCESS_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)s'


def main() -> int:
    args = parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="tathmini-load-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = server_env(args, work)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    server: subprocess.Popen[bytes] | None = None
    failed = True
    try:
        if args.database_url:
            ensure_postgres_database(args.database_url, fresh=args.fresh)
        prepare(args, env, work)
        port = args.port or free_port()
        server = start_server(args, env, work, port)
        server_cpu = process_tree_cpu(server.pid)
        locust_cpu = children_cpu()
        locust_rc = run_locust(args, env, work, port)
        cpu = {"server": process_tree_cpu(server.pid) - server_cpu, "locust": children_cpu() - locust_cpu}
        failed = report(args, env, work, started, load_before, locust_rc, cpu)
    finally:
        if server is not None:
            stop(server)
        if failed or args.workdir:
            print(f"\nlogs and database kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="users started per second (default 1)")
    parser.add_argument("--duration", default="10m", help="locust run time, e.g. 60s, 10m (default 10m)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; without it a new SQLite file")
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the PostgreSQL database first")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (1: sync workers)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--data", choices=("demo", "minimal"), default="demo", help="demo: the demo records (default); minimal: fast"
    )
    parser.add_argument("--workdir", help="folder for the database, logs and statistics (kept)")
    parser.add_argument("--static-root", help="collected static files; reused when already collected there")
    parser.add_argument("--quick-static", action="store_true", help="hash the static files without compressing")
    parser.add_argument(
        "--each-task-first",
        action="store_true",
        help="smoke run: each user does each of its tasks once; the run ends when all have (or at --duration)",
    )
    return parser.parse_args()


# --- The server's environment and database ---------------------------------------------------------
def server_env(args: argparse.Namespace, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("LOAD_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "load_settings",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
            "TATHMINI_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1",
            "USE_X_FORWARDED_PROTO": "1",
            "PORTAL_RATE_LIMIT": "1000000/hour",
            "LOG_LEVEL": "WARNING",
            "TATHMINI_DATA_DIR": str(work / "data"),
            "LOAD_STATIC_ROOT": str(Path(args.static_root).resolve() if args.static_root else work / "static"),
            "LOAD_STATIC_COMPRESS": "0" if args.quick_static else "1",
            "LOAD_FACTS": str(work / "facts.json"),
            "LOAD_BEHIND_PROXY": "1",
            "LOAD_EVERY_TASK_FIRST": "1" if args.each_task_first else "0",
        }
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


def ensure_postgres_database(url: str, *, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def step(label: str, command: list[str], env: dict[str, str], log: Path) -> None:
    began = time.perf_counter()
    print(f"- {label} …", end=" ", flush=True, file=sys.stderr)
    with log.open("ab") as out:
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        print(f"failed; see {log}", file=sys.stderr)
        raise SystemExit(1)
    print(f"{time.perf_counter() - began:.1f} s", file=sys.stderr)


def prepare(args: argparse.Namespace, env: dict[str, str], work: Path) -> None:
    python = str(BIN / "python")
    manage = [python, str(ROOT / "manage.py")]
    log = work / "prepare.log"
    step("migrate", [*manage, "migrate", "--noinput"], env, log)
    bootstrap = [*manage, "bootstrap"] + (["--no-records"] if args.data == "minimal" else [])
    step("bootstrap", bootstrap, env, log)
    if args.data == "demo":  # without the demo records there is nothing to measure
        step("measure refresh", [*manage, "measure", "refresh"], env, log)
    step("scenario data", [python, str(HERE / "prepare.py"), env["LOAD_FACTS"]], env, log)
    if not (Path(env["LOAD_STATIC_ROOT"]) / "staticfiles.json").exists():
        step("collectstatic", [*manage, "collectstatic", "--noinput"], env, log)


# --- The server --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace, env: dict[str, str], work: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "gunicorn"),
        "tathmini.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--threads={args.threads}",
        "--timeout=120",
        "--max-requests=1000",
        "--max-requests-jitter=100",
        f"--access-logfile={work / 'access.log'}",
        f"--access-logformat={ACCESS_FORMAT}",
        f"--error-logfile={work / 'server.log'}",
        "--capture-output",  # the server's console (its logging, the console mail backend) to server.log
        "--no-control-socket",  # its default path is one per machine user: runs side by side would share it
    ]
    print(f"- gunicorn: {args.workers} workers × {args.threads} thread(s) on 127.0.0.1:{port}", file=sys.stderr)
    for name in ("access.log", "server.log", "locust.log", "locust.json", *(p.name for p in work.glob("locust_*.csv"))):
        (work / name).unlink(missing_ok=True)  # a run in a kept folder reports on itself only
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    probe = urllib.request.Request(f"http://127.0.0.1:{port}/huduma/", headers={"X-Forwarded-Proto": "https"})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up; see {work / 'server.log'}")
        try:
            with urllib.request.urlopen(probe, timeout=5) as response:  # noqa: S310 (loopback, our server)
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop(server)
    raise SystemExit(f"gunicorn did not answer within 90 s; see {work / 'server.log'}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def process_tree_cpu(root: int) -> float:
    """CPU seconds of a process and its children (gunicorn's master and workers, including the
    workers it has replaced); 0 where /proc is not there."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_locust(args: argparse.Namespace, env: dict[str, str], work: Path, port: int) -> int:
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        f"--users={args.users}",
        f"--spawn-rate={args.spawn_rate}",
        f"--run-time={args.duration}",
        f"--host=http://127.0.0.1:{port}",
        f"--csv={work / 'locust'}",  # the failures' and errors' messages
        f"--json-file={work / 'locust'}",  # the final statistics (the CSV files lag up to a second)
        "--only-summary",
        "--stop-timeout=30",
        "--loglevel=WARNING",
    ]
    print(f"- locust: {args.users} users (+{args.spawn_rate}/s) for {args.duration} …", file=sys.stderr)
    with (work / "locust.log").open("wb") as out:
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
    return done.returncode


# --- The report --------------------------------------------------------------------------------------
def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class Page:
    """One page's figures: its response times (ms, as locust rounds them) by how often."""

    name: str
    requests: int = 0
    failures: int = 0
    times: Counter[int] = field(default_factory=Counter)
    longest: int = 0

    def add(self, entry: dict[str, Any]) -> None:
        self.requests += int(entry["num_requests"])
        self.failures += int(entry["num_failures"])
        self.times.update({int(ms): int(n) for ms, n in entry["response_times"].items()})
        self.longest = max(self.longest, int(entry["max_response_time"] or 0))

    def percentile(self, share: float) -> int:
        """As locust computes it: the time within which this share of the requests finished."""
        within = int(self.requests * share)
        seen = 0
        for ms in sorted(self.times, reverse=True):
            seen += self.times[ms]
            if self.requests - seen <= within:
                return ms
        return 0

    def cells(self, seconds: float) -> list[str]:
        timed = [f"{self.percentile(p):,}" for p in (0.5, 0.95, 0.99)] if self.requests else ["–"] * 3
        rate = f"{self.requests / seconds:.2f}" if seconds else "–"
        return [f"{self.requests:,}", f"{self.failures:,}", *timed, f"{self.longest:,}", rate]


def read_stats(path: Path) -> tuple[list[Page], Page, float]:
    """Every page (a name may have a GET and a POST: one row), all requests, and the seconds from
    the first request to the last, from locust's final statistics (--json-file)."""
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    pages: dict[str, Page] = {}
    total = Page("all")
    for entry in entries:
        pages.setdefault(entry["name"], Page(entry["name"])).add(entry)
        total.add(entry)
    first = min((e["start_time"] for e in entries), default=0.0)
    last = max((e["last_request_timestamp"] or 0.0 for e in entries), default=0.0)
    return sorted(pages.values(), key=lambda p: p.name), total, max(last - first, 0.0)


def server_log(work: Path) -> tuple[dict[str, int], list[int], int]:
    """5xx responses by path and every request's time in a worker (ms), from the access log;
    tracebacks in the server's log."""
    errors: dict[str, int] = {}
    times: list[int] = []
    access = work / "access.log"
    if access.exists():
        for line in access.read_text(encoding="utf-8", errors="replace").splitlines():
            found = re.search(r'"[A-Z]+ (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+)$', line)
            if not found:
                continue
            times.append(int(found.group(3)))
            if found.group(2).startswith("5"):
                what = f"{found.group(2)} {re.sub(r'[0-9]+', 'N', found.group(1).split('?')[0])}"
                errors[what] = errors.get(what, 0) + 1
    log = work / "server.log"
    tracebacks = log.read_text(encoding="utf-8", errors="replace").count("Traceback") if log.exists() else 0
    return errors, times, tracebacks


def percentile(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0


def database_label(env: dict[str, str]) -> str:
    code = (
        "from django.db import connection as c; c.ensure_connection(); "
        "print(c.vendor, c.cursor().connection.info.server_version if c.vendor == 'postgresql' "
        "else __import__('sqlite3').sqlite_version)"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", f"import django; django.setup(); {code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    vendor, _, version = done.stdout.strip().partition(" ")
    if vendor == "postgresql" and version.isdigit():
        return f"PostgreSQL {int(version) // 10000}.{int(version) % 10000}"
    return f"SQLite {version}" if vendor else "unknown"


def report(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    started: datetime,
    load_before: tuple[float, float, float],
    locust_rc: int,
    cpu: dict[str, float],
) -> bool:
    pages, total, seconds = read_stats(work / "locust.json")
    failures = read_csv(work / "locust_failures.csv")
    exceptions = read_csv(work / "locust_exceptions.csv")
    errors, times, tracebacks = server_log(work)
    load_after = os.getloadavg()
    import django

    print()
    print(
        f"Load test, {started:%Y-%m-%d %H:%M} UTC: {args.users} users (+{args.spawn_rate}/s) for {args.duration}, "
        f"{database_label(env)}, data: {args.data}; gunicorn {args.workers} workers × {args.threads} thread(s); "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, Django {django.get_version()}; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} (1 min) / {load_after[1]:.1f} (5 min) after."
    )
    print()
    print("| page | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    for page in pages:
        print(f"| {page.name} | " + " | ".join(page.cells(seconds)) + " |")
    print("| **all** | " + " | ".join(total.cells(seconds)) + " |")
    print(
        f"\nIn the workers (gunicorn's access log, {len(times):,} requests with redirects): median "
        f"{percentile(times, 0.5):,} ms, p95 {percentile(times, 0.95):,} ms, max {max(times, default=0):,} ms. "
        f"CPU: server {cpu['server']:,.0f} s"
        + (f" ({cpu['server'] / seconds:.2f} CPUs on average)" if seconds else "")
        + f", locust {cpu['locust']:,.0f} s."
    )
    for row in failures:
        print(f"failure: {row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}", file=sys.stderr)
    for row in exceptions:
        print(f"scenario error ×{row['Count']}: {row['Message']} at {row['Traceback'][-300:]}", file=sys.stderr)
    for what, count in sorted(errors.items()):
        print(f"server: {what} ×{count}", file=sys.stderr)
    if tracebacks:
        print(f"server: {tracebacks} traceback(s) in {work / 'server.log'}", file=sys.stderr)
    if not pages:
        print(f"no statistics: see {work / 'locust.log'}", file=sys.stderr)
    bad = locust_rc != 0 or not pages or total.failures > 0 or bool(exceptions) or bool(errors) or tracebacks > 0
    print("\nresult: " + ("FAILED" if bad else f"no failures in {total.requests:,} requests"), file=sys.stderr)
    return bad


if __name__ == "__main__":
    sys.exit(main())
