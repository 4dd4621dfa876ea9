"""Concurrency soak: N worker processes make read-then-write transactions against one database for
D seconds, then the database is checked for anything lost.

    .venv/bin/python -m tests.soak.concurrency                      # SQLite, as configured
    .venv/bin/python -m tests.soak.concurrency --mode default       # SQLite, Django's defaults
    .venv/bin/python -m tests.soak.concurrency --database-url postgres://postgres@127.0.0.1:5432/soak

Without ``--database-url`` the database is a new SQLite file in a temporary folder (or
``--data-dir``), migrated and loaded with the demo data (``manage.py bootstrap``); with it, the
named PostgreSQL database is migrated and bootstrapped where needed. One process sets Django up
and forks the workers, as a pre-loading web server forks its own: each is a process with its own
connection. The transactions are the product's writes (``workload.py``). Each worker counts its
transactions, its errors by kind and their latencies; the totals are printed, and the end check
holds the database against what the workers committed: every counter increment kept, every
complaint update and creation audited, each hot complaint's audit trail replaying to what is
stored, and the stored values of the indicators that read complaints equal to a fresh
computation. Exit status 1 on any error or broken invariant (so ``--mode default`` exits 1).

``--mode default`` runs SQLite with Django's defaults (``settings_default.py``): a transaction
that reads and then writes, while another process holds the write lock, fails at once with
"database is locked", which no busy timeout can cure (waiting could deadlock, so SQLite does not).

``tests/test_concurrency.py`` runs the same machinery for a few seconds in the suite.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODES = {"configured": "tathmini.settings", "default": "tests.soak.settings_default"}
LOCKED = "database is locked"
# The sign-in counter must count every failure: no lockout resetting it during the run.
BASE_ENV = {"DEBUG": "0", "LOGIN_MAX_FAILURES": "1000000000"}
POINTING = ("DATABASE_URL", "TATHMINI_DATA_DIR", "DJANGO_SETTINGS_MODULE")


@dataclass(frozen=True)
class Target:
    """Where the processes of a run point: the environment that selects the database and settings."""

    label: str
    env: dict[str, str]

    def environ(self) -> dict[str, str]:
        out = {k: v for k, v in os.environ.items() if k not in POINTING}
        return {**out, **BASE_ENV, **self.env}


def sqlite_target(data_dir: Path, mode: str = "configured") -> Target:
    """The embedded database: ``tathmini.sqlite3`` in ``data_dir``, under the mode's settings."""
    return Target(
        f"SQLite {data_dir / 'tathmini.sqlite3'} ({mode})",
        {"TATHMINI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": MODES[mode]},
    )


def postgres_target(url: str) -> Target:
    return Target(
        f"PostgreSQL {url.rsplit('/', 1)[-1]}", {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": MODES["configured"]}
    )


# --- Preparing a database and running a soak on it --------------------------------------------
def manage(target: Target, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=target.environ(), check=True, stdout=subprocess.DEVNULL
    )


def prepare(target: Target, *, demo: bool = True) -> None:
    """Migrate, and load the plan, the demo structure and (with ``demo``) the demo records."""
    manage(target, "migrate", "--noinput", "-v0")
    manage(target, "bootstrap", *([] if demo else ["--no-records"]))


def call(target: Target, *args: str) -> Any:
    """Run a step of this module in a process of its own against the target; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.soak.concurrency", *args],
        cwd=ROOT,
        env=target.environ(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Report:
    label: str
    processes: int
    seconds: float
    workers: list[dict[str, Any]]
    facts: dict[str, Any]
    phases: dict[str, float] = field(default_factory=dict)  # seconds each step took
    kinds: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.kinds = {}
        for result in self.workers:
            for kind, row in result["kinds"].items():
                into = self.kinds.setdefault(kind, {"ok": 0, "errors": Counter(), "latencies": []})
                into["ok"] += row["ok"]
                into["errors"].update(row["errors"])
                into["latencies"].extend(row["latencies"])

    @property
    def committed(self) -> int:
        return sum(row["ok"] for row in self.kinds.values())

    def errors(self) -> Counter[str]:
        """Failed transactions and failed refreshes after a commit, by kind of error."""
        out: Counter[str] = Counter()
        for row in self.kinds.values():
            out.update(row["errors"])
        for result in self.workers:
            out.update({f"refresh after commit: {k}": n for k, n in result["refresh_errors"].items()})
        return out

    @property
    def locked(self) -> int:
        return sum(n for kind, n in self.errors().items() if LOCKED in kind)

    def problems(self) -> list[str]:
        """Broken invariants: what the workers committed that the database does not show."""
        facts, out = self.facts, []
        if facts["login_max_failures"] < 10**9:
            out.append("the sign-in lockout resets the counters during the run (LOGIN_MAX_FAILURES)")
        increments: Counter[str] = Counter()
        updates: Counter[str] = Counter()
        for result in self.workers:
            increments.update(result["committed"]["increments"])
            updates.update(result["committed"]["updates"])
        for name, n in sorted(increments.items()):
            if facts["counters"].get(name, 0) != n:
                out.append(f"counter {name}: {n} increments committed, {facts['counters'].get(name, 0)} stored")
        for pk, stored in sorted(facts["updates"].items()):
            if stored != updates.get(pk, 0):
                out.append(f"complaint {pk}: {updates.get(pk, 0)} updates committed, {stored} in its history")
        created = sum(result["committed"]["created"] for result in self.workers)
        if facts["created"] != created:
            out.append(f"{created} complaints created, {facts['created']} stored")
        if facts["created_events"] != facts["created"]:
            out.append(f"{facts['created']} complaints created, {facts['created_events']} creations audited")
        out.extend(facts["trail_breaks"])
        out.extend(f"stale indicator value: {line}" for line in facts["stale_values"])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "processes": self.processes,
            "seconds": self.seconds,
            "committed": self.committed,
            "per_second": round(self.committed / self.seconds, 1),
            "kinds": {
                kind: {"ok": row["ok"], "errors": dict(row["errors"]), **latency(row["latencies"])}
                for kind, row in sorted(self.kinds.items())
            },
            "errors": dict(self.errors()),
            "locked": self.locked,
            "problems": self.problems(),
            "phases": self.phases,
        }

    def text(self) -> str:
        data = self.as_dict()
        lines = [
            f"{self.label}: {self.processes} processes for {self.seconds:g} s",
            f"committed {data['committed']} transactions, {data['per_second']}/s",
            f"{'transaction':<18}{'ok':>8}{'failed':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}",
        ]
        for kind, row in data["kinds"].items():
            failed = sum(row["errors"].values())
            lines.append(f"{kind:<18}{row['ok']:>8}{failed:>8}{row['p50']:>9}{row['p95']:>9}{row['max']:>9}")
        lines.append("errors: " + (", ".join(f"{k} ×{n}" for k, n in data["errors"].items()) or "none"))
        lines.append(f'"{LOCKED}": {data["locked"]}')
        lines.append("invariants: " + ("all hold" if not data["problems"] else f"{len(data['problems'])} broken"))
        lines.extend(f"  {p}" for p in data["problems"][:20])
        lines.append("steps (s): " + ", ".join(f"{k} {v:g}" for k, v in self.phases.items()))
        return "\n".join(lines)


def latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "max": round(ordered[-1], 1)}


def soak(target: Target, *, processes: int = 8, seconds: float = 60, tag: str | None = None) -> Report:
    """Seed a run on a prepared database, run the workers, and check; the report of it all."""
    tag = tag or uuid.uuid4().hex[:8]
    answer = call(target, "fleet", "--tag", tag, "--processes", str(processes), "--seconds", str(seconds))
    return Report(target.label, processes, seconds, answer["workers"], answer["facts"], answer["phases"])


# --- The run's own process and its workers -------------------------------------------------------
def classify(exc: BaseException) -> str:
    text = str(exc)
    if LOCKED in text or "database table is locked" in text:
        return LOCKED
    code = getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if code == "40001":
        return "serialization failure"
    if code == "40P01":
        return "deadlock"
    return f"{type(exc).__name__}: {text.splitlines()[0][:100] if text else ''}"


class RefreshFailures(logging.Handler):
    """Counts the automatic refreshes that failed after a commit (they are logged, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.seen[classify(exc) if exc else record.getMessage()[:100]] += 1


def fleet(tag: str, processes: int, seconds: float) -> dict[str, Any]:
    """Seed the run, fork the workers once Django is set up (as a pre-loading web server forks
    its workers: each opens its own connection), start them together, collect, check."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    from tests.soak import workload

    clock = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    # Mail to the desks would go to stdout, which carries the answer.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    seeded = workload.seed(tag)
    connections.close_all()  # no connection may be shared with the children
    phase("seed")
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(processes + 1)
    answers = context.Queue()
    children = [context.Process(target=worker, args=(tag, i, seconds, ready, answers)) for i in range(processes)]
    for child in children:
        child.start()
    try:
        ready.wait(timeout=600)  # every worker connected before any starts: all run the whole time together
        phase("start")
        results = [answers.get(timeout=seconds + 600) for _ in children]
    except (threading.BrokenBarrierError, queue.Empty):
        failed = [answers.get_nowait() for _ in range(answers.qsize())]
        raise RuntimeError(f"a worker failed: {failed}") from None
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
    failures = [r["failed"] for r in results if "failed" in r]
    if failures:
        raise RuntimeError("a worker failed:\n" + "\n".join(failures))
    phase("run")
    facts = workload.facts(tag, seeded["indicators"])
    phase("check")
    return {"workers": results, "facts": facts, "phases": phases}


def worker(tag: str, index: int, seconds: float, ready: Any, answers: Any) -> None:
    """One worker process: its transactions for ``seconds``, then its counts on ``answers``."""
    from tests.soak import workload

    try:
        failures = RefreshFailures()
        logging.getLogger("tathmini.measure.triggers").addHandler(failures)
        state = workload.Worker.start(tag, index)
    except Exception:
        answers.put({"failed": traceback.format_exc()})
        ready.abort()
        return
    ready.wait()
    kinds: dict[str, dict[str, Any]] = {k: {"ok": 0, "errors": Counter(), "latencies": []} for k in workload.KINDS}
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            kind = state.next_kind()
            started = time.perf_counter()
            try:
                state.run(kind)
            except Exception as exc:
                kinds[kind]["errors"][classify(exc)] += 1
            else:
                kinds[kind]["ok"] += 1
                kinds[kind]["latencies"].append(round((time.perf_counter() - started) * 1000, 2))
    except BaseException:
        answers.put({"failed": traceback.format_exc()})
        raise
    answers.put({"index": index, "kinds": kinds, "committed": state.committed(), "refresh_errors": failures.seen})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="step")
    part = sub.add_parser("fleet", help="(run by the soak itself) seed, run the workers, check; JSON")
    part.add_argument("--tag", required=True)
    part.add_argument("--processes", type=int, required=True)
    part.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", help="a PostgreSQL database (default: a new SQLite file)")
    parser.add_argument("--data-dir", type=Path, help="the SQLite file's folder (default: a new temporary one)")
    parser.add_argument("--mode", choices=sorted(MODES), default="configured", help="SQLite settings")
    parser.add_argument("--no-demo", action="store_true", help="prepare without the demo records (faster)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.step == "fleet":
        print(json.dumps(fleet(args.tag, args.processes, args.seconds)))
        return 0
    if args.database_url and args.mode != "configured":
        parser.error("--mode default is about SQLite's settings; PostgreSQL has one mode")
    with tempfile.TemporaryDirectory(prefix="tathmini-soak-") as scratch:
        if args.database_url:
            target = postgres_target(args.database_url)
        else:
            target = sqlite_target(args.data_dir or Path(scratch), args.mode)
        started = time.monotonic()
        prepare(target, demo=not args.no_demo)
        print(f"prepared {target.label} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        report = soak(target, processes=args.processes, seconds=args.seconds)
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.text())
    return 1 if report.errors() or report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
