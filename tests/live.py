"""Tathmini as separate processes on a throwaway database, for the checks the in-process test
client cannot make: a web server to kill with SIGKILL, a command killed mid-run, a second process
writing while a backup is taken (tests/test_crash_safety.py, tests/test_backup.py,
tests/soak/crash.py).

The database is SQLite in a temporary data directory, or a PostgreSQL database of its own on the
server DATABASE_URL names when it names one. Every process gets its settings from the
environment, as in production; the tests read the results with plain SQL.

``python -m tests.live writer STOPFILE`` is the writer: it files complaints through the portal's
write path until STOPFILE exists, printing each committed id.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FOCAL_USER = "mratibu.taasisi"  # the demo focal person (tathmini/core/demo.py)
PASSWORD = "Tathmini-demo-2026"
SERVICE_PREFIX = "kifo-"  # the e-services the crash imports report on
SERVICES = 400
# What this module started, ended at exit even when a test fails midway (_clean_up).
_SPAWNED: list[subprocess.Popen[Any]] = []
_TO_DROP: list[Database] = []


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if urlparse(url).scheme in ("postgres", "postgresql") else None


def backend() -> str:
    return "postgres" if postgres_url() else "sqlite"


@dataclass
class Database:
    """One throwaway database: SQLite (``location`` is its data directory) or PostgreSQL
    (``location`` is the database's name on the server of DATABASE_URL)."""

    backend: str
    location: str

    @property
    def path(self) -> Path:
        return Path(self.location) / "tathmini.sqlite3"

    @property
    def url(self) -> str:
        base = urlparse(postgres_url() or "")
        return base._replace(path="/" + self.location).geturl()

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(
            DJANGO_SETTINGS_MODULE="tathmini.settings",
            LOG_LEVEL="WARNING",
            DEBUG="0",
            PYTHONUNBUFFERED="1",
        )
        if self.backend == "sqlite":
            env["TATHMINI_DATA_DIR"] = self.location
        else:
            env["DATABASE_URL"] = self.url
            env["TATHMINI_DATA_DIR"] = tempfile.gettempdir()  # media only; the data are in PostgreSQL
        env.update(extra)
        return env

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        if self.backend == "sqlite":
            conn: Any = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        else:
            import psycopg

            conn = psycopg.connect(self.url, autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement, written with %s placeholders for either backend."""
        with self.connect() as conn:
            if self.backend == "sqlite":
                sql = sql.replace("%s", "?")
            return list(conn.execute(sql, params).fetchall())

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.connect() as conn:
            conn.execute(sql.replace("%s", "?") if self.backend == "sqlite" else sql, params)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.query(sql, params)[0][0]

    def tables(self) -> list[str]:
        if self.backend == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        return [name for (name,) in self.query(sql)]

    def counts(self) -> dict[str, int]:
        """Rows of every table, read in one transaction (one snapshot)."""
        with self.connect() as conn:
            conn.execute("BEGIN" if self.backend == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ")
            out = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in self.tables()}  # noqa: S608
            conn.execute("ROLLBACK")
        return out

    def integrity_problems(self) -> list[str]:
        """What the engine's own checks find wrong: SQLite's integrity and foreign-key checks;
        on PostgreSQL, whose constraints cannot be left violated, every foreign key verified anew."""
        if self.backend == "sqlite":
            found = [row[0] for row in self.query("PRAGMA integrity_check")]
            problems = [] if found == ["ok"] else found
            return problems + [f"foreign key: {row}" for row in self.query("PRAGMA foreign_key_check")]
        problems = []
        for name, table, definition in self.query(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        ):
            match = re.match(r"FOREIGN KEY \((\w+)\) REFERENCES (\w+)\((\w+)\)", definition)
            if match is None:
                problems.append(f"unreadable constraint {name}: {definition}")
                continue
            column, target, key = match.groups()
            orphans = self.scalar(
                f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '  # noqa: S608
                f'(SELECT 1 FROM {target} r WHERE r."{key}" = t."{column}")'
            )
            if orphans:
                problems.append(f"{name}: {orphans} rows of {table} point nowhere")
        return problems

    def write_in_progress(self) -> bool:
        """Whether another process holds a write transaction open right now."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            else:
                conn.execute("ROLLBACK")
                return False
            finally:
                conn.close()
        # A transaction gets an id at its first write; the age skips one-statement updates.
        return bool(
            self.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                "AND backend_xid IS NOT NULL AND xact_start < now() - interval '50 milliseconds'",
                [self.location],
            )
        )

    def clone(self) -> Database:
        """A copy, on the same backend, that the caller owns (``drop`` it)."""
        if self.backend == "sqlite":
            target = Database("sqlite", tempfile.mkdtemp(prefix="tathmini-live-"))
            source, copy = sqlite3.connect(self.path), sqlite3.connect(target.path)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
        else:
            target = Database("postgres", _pg_name())
            _pg_admin(f'CREATE DATABASE "{target.location}" TEMPLATE "{self.location}"')
        _TO_DROP.append(target)
        return target

    def drop(self) -> None:
        if self.backend == "sqlite":
            shutil.rmtree(self.location, ignore_errors=True)
        else:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.location}" WITH (FORCE)')

    # The import job's columns as each backend stores them.
    def job_key(self, job: str) -> str:
        return uuid.UUID(job).hex if self.backend == "sqlite" else job

    def timestamp(self, moment: datetime) -> Any:
        if self.backend == "sqlite":
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return moment


def _pg_name() -> str:
    base = urlparse(postgres_url() or "").path.lstrip("/") or "tathmini"
    return f"{base}_live_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _pg_admin(sql: str) -> None:
    import psycopg

    admin = urlparse(postgres_url() or "")._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def empty_database() -> Database:
    if backend() == "sqlite":
        db = Database("sqlite", tempfile.mkdtemp(prefix="tathmini-live-"))
    else:
        db = Database("postgres", _pg_name())
        _pg_admin(f'CREATE DATABASE "{db.location}"')
    _TO_DROP.append(db)
    return db


# --- Processes ----------------------------------------------------------------------------------
def manage(db: Database, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=db.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@atexit.register
def _clean_up() -> None:
    # A failed test must not leave a server running, nor its databases behind.
    for process in _SPAWNED:
        if process.poll() is None:
            kill(process)
    for db in _TO_DROP:
        db.drop()


def spawn(db: Database, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A process in a session of its own, so that ``kill`` reaches it and every child it has."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=db.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _SPAWNED.append(process)
    return process


def kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL to the process and its children: no handler, no cleanup, as in a crash."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn serving the site, as in production (README: WSGI server)."""

    def __init__(self, db: Database, log: Path, workers: int = 2) -> None:
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [PYTHON, "-m", "gunicorn", "tathmini.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        # No control socket: its path is shared by every gunicorn of the user, and tests run several.
        self.process = spawn(db, [*argv, "--workers", str(workers), "--timeout", "120", "--no-control-socket"], log)
        try:
            wait_for(self._up, 90, "the server to answer", interval=0.2)
        except BaseException:
            self.kill()
            raise

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited with {self.process.returncode}")
        try:
            return requests.get(self.base + "/accounts/login/", timeout=30).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        kill(self.process)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill(self.process)


class Browser:
    """A signed-in person's browser: cookies, CSRF token, forms."""

    def __init__(self, server: Server, username: str = FOCAL_USER, password: str = PASSWORD) -> None:
        self.base = server.base
        self.session = requests.Session()
        self.session.get(self.base + "/accounts/login/", timeout=30)
        response = self.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"

    def post(self, path: str, data: dict[str, Any], files: dict[str, Any] | None = None) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", "")}
        return self.session.post(self.base + path, data=data, files=files, allow_redirects=False, timeout=120)

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=60)

    def upload(self, key: str, filename: str, content: bytes) -> str:
        """Upload a spreadsheet; returns the import job's id."""
        response = self.post(f"/records/import/{key}/", {}, files={"file": (filename, content, "text/csv")})
        assert response.status_code == 302, response.status_code
        match = re.search(r"/records/import/jobs/([0-9a-f-]{36})/", response.headers["Location"])
        assert match is not None, response.headers["Location"]
        return match.group(1)


# --- The prepared database ----------------------------------------------------------------------
_PREPARED: dict[str, Database] = {}

SETUP = f"""
from datetime import date
from io import StringIO
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("bootstrap", stdout=StringIO())
from tathmini.accounts.models import User
from tathmini.registry.models import EService
focal = User.objects.get(username={FOCAL_USER!r})
EService.objects.bulk_create(
    EService(institution=focal.institution, code=f"{SERVICE_PREFIX}{{n:03d}}", name_sw=f"Huduma {{n}}",
             name_en=f"Service {{n}}", life_event="tax", channels="web", launched_on=date(2012, 7, 1))
    for n in range(1, {SERVICES + 1})
)
"""


def prepared() -> Database:
    """A database with the plan, the demo records and users, and the e-services the crash
    imports report on; made once per process. Clone it: never change it."""
    kind = backend()
    if kind not in _PREPARED:
        db = empty_database()
        manage(db, "shell", "-c", SETUP)  # migrate, bootstrap and the e-services, in one process
        _PREPARED[kind] = db
    return _PREPARED[kind]


# --- Files and figures --------------------------------------------------------------------------
def usage_file(rows: int) -> bytes:
    """A CSV of ``rows`` usage returns of the crash e-services, one per e-service and month of the
    plan (July 2012 to June 2017, so the indicators that read them move): every row is new, and
    each natural key appears once."""
    assert rows <= SERVICES * 60, "more rows than e-services times months"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["eservice", "period_start", "period_end", "transactions", "users"])
    for i in range(rows):
        service = i % SERVICES + 1
        month = 6 + i // SERVICES
        start = date(2012 + month // 12, month % 12 + 1, 1)
        writer.writerow([f"{SERVICE_PREFIX}{service:03d}", start, start.replace(day=28), 100 + i, 10 + i])
    return out.getvalue().encode()


def usage_counts(db: Database) -> tuple[int, int, int]:
    """The crash e-services' usage returns: rows, distinct natural keys, and rows whose natural
    key repeats (a duplicate)."""
    rows, keys = db.query(
        "SELECT count(*), count(DISTINCT u.eservice_id || '/' || u.period_start) FROM registry_usagereturn u "
        "JOIN registry_eservice e ON e.id = u.eservice_id WHERE e.code LIKE %s",
        [SERVICE_PREFIX + "%"],
    )[0]
    return rows, keys, rows - keys


def job(db: Database, job_id: str) -> dict[str, Any]:
    row = db.query(
        "SELECT status, processed_rows, total_rows, created, updated, unchanged, written, problem_count "
        "FROM records_importjob WHERE id = %s",
        [db.job_key(job_id)],
    )
    names = ("status", "processed_rows", "total_rows", "created", "updated", "unchanged", "written", "problems")
    return dict(zip(names, row[0], strict=True)) if row else {}


def audited(db: Database, job_id: str) -> int:
    return int(db.scalar("SELECT count(*) FROM core_auditevent WHERE batch = %s", [job_id]))


def silence(db: Database, job_id: str, minutes: int = 11) -> None:
    """Make a job look silent for ``minutes`` (what a dead process leaves): its last sign of life
    moved back, as the clock would have done."""
    then = db.timestamp(datetime.now(UTC) - timedelta(minutes=minutes))
    db.execute(
        "UPDATE records_importjob SET heartbeat = %s, started_at = %s WHERE id = %s", [then, then, db.job_key(job_id)]
    )


VALUE_COLUMNS = (
    'indicator_id, definition_id, period, period_kind, period_start, period_end, dimension, "group", '
    "numerator, denominator, value, extras"
)


def values(db: Database) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every stored indicator value by (indicator, period, dimension, group), without when it was computed."""
    out = {}
    for row in db.query(f"SELECT {VALUE_COLUMNS} FROM measure_value"):  # noqa: S608
        indicator, definition, period, kind, start, end, dimension, group, num, den, value, extras = row
        extras = extras if isinstance(extras, dict) else json.loads(extras or "{}")
        out[(indicator, period, dimension, group)] = (
            definition,
            kind,
            str(start),
            str(end),
            _number(num),
            _number(den),
            _number(value),
            extras,
        )
    return out


def _number(x: Any) -> str | None:
    return None if x is None else format(Decimal(str(x)).normalize(), "f")


def tamper_values(db: Database) -> None:
    """Make every stored value differ from what a refresh computes, so that each indicator's old
    and new values can be told apart."""
    db.execute("UPDATE measure_value SET value = value + 1, numerator = numerator + 1")


def value_duplicates(db: Database) -> int:
    return int(
        db.scalar(
            'SELECT count(*) FROM (SELECT 1 FROM measure_value GROUP BY indicator_id, period, dimension, "group" '
            "HAVING count(*) > 1) d"
        )
    )


def refresh_run(db: Database) -> tuple[str, list[str], list[str]] | None:
    """The latest refresh run: its status, the indicators done and those pending."""
    rows = db.query("SELECT status, done, pending FROM measure_refreshrun ORDER BY id DESC LIMIT 1")
    if not rows:
        return None
    status, done, pending = rows[0]
    load = (lambda v: v) if db.backend == "postgres" else json.loads
    return status, load(done), load(pending)


# --- The writer (python -m tests.live writer STOPFILE) ------------------------------------------
def _writer(stop: Path) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from tathmini.core.signals import records_changed
    from tathmini.feedback.models import Complaint
    from tathmini.records import services, types

    # Only the complaint and its audit event: the engine's refresh after each one would add
    # writes to other tables that make the row counts harder to reason about, not the backup.
    records_changed.disconnect(dispatch_uid="measure-auto-refresh")
    rt = types.get("complaints")
    n = 0
    while not stop.exists():
        n += 1
        complaint = Complaint(
            reference=f"LIVE-{os.getpid()}-{n}",
            about="agency",
            category="delay",
            subject=f"Malalamiko {n}",
            received_at=timezone.now(),
        )
        services.public_create(rt, complaint)
        print(complaint.pk, flush=True)


def start_writer(db: Database, stop: Path, log: Path) -> subprocess.Popen[bytes]:
    return spawn(db, [PYTHON, "-m", "tests.live", "writer", str(stop)], log)


if __name__ == "__main__":
    if sys.argv[1:2] == ["writer"]:
        _writer(Path(sys.argv[2]))
