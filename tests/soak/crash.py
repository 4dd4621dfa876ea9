"""Crash soak: kill the web server during spreadsheet imports, and `manage.py measure refresh`, with
SIGKILL at random moments, many times, and check what each crash leaves (docs/reliability.md).

    .venv/bin/python -m tests.soak.crash [--imports 20] [--refreshes 20] [--rows 20000] [--seed 1]

SQLite in a temporary directory, or PostgreSQL when DATABASE_URL names a server (each iteration
gets a database of its own there). Every iteration starts from a copy of a prepared database with
its indicator values computed. After each kill it checks: the database's integrity checks pass;
the import's records are all there or none (and each has its audit event, no other); no natural
key twice; the stalled job is closed (done if its write committed, failed otherwise); the same
file imported again completes with exactly the file's rows; and the indicators that read the
imported records hold what a clean refresh computes. For the refresh: every indicator holds its
whole old values or its whole new ones, the re-run (alternately ``--resume`` and a
fresh run) completes, and the stored values equal those of a refresh never interrupted.

Prints a line per iteration, then the figures; exits 1 if any iteration found a bad state.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests import live

USAGE_INDICATORS = """
from tathmini.measure import triggers
from tathmini.registry.models import UsageReturn
from tathmini.strategy.models import Plan
print(" ".join(triggers.affected(Plan.objects.get(is_current=True), UsageReturn, set(), None)))
"""


def phase(db: live.Database, job_id: str) -> str:
    status = live.job(db, job_id).get("status", "none")
    if status == "writing" and db.write_in_progress():
        return "writing (transaction open)"
    return str(status)


def stale_values(db: live.Database, indicators: list[str]) -> int:
    """Stored values of ``indicators`` that differ from a clean refresh of a copy."""
    copy = db.clone()
    try:
        live.manage(copy, "measure", "refresh", *[a for code in indicators for a in ("--indicator", code)])
        clean, stored = live.values(copy), live.values(db)
    finally:
        copy.drop()
    ids = dict(db.query("SELECT code, id FROM strategy_indicator"))
    wanted = {ids[code] for code in indicators}
    keys = {k for k in clean.keys() | stored.keys() if k[0] in wanted}
    return sum(1 for k in keys if clean.get(k) != stored.get(k))


def import_iteration(
    template: live.Database, rng: random.Random, rows: int, span: float, indicators: list[str], work: Path
) -> dict[str, Any]:
    db = template.clone()
    log = work / "server.log"
    out: dict[str, Any] = {"problems": []}
    try:
        content = live.usage_file(rows)
        server = live.Server(db, log)
        browser = live.Browser(server)
        started = time.monotonic()
        job_id = browser.upload("usage-returns", "matumizi.csv", content)
        delay = rng.uniform(0, span)
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        out["delay"] = delay
        out["phase"] = phase(db, job_id)
        server.kill()

        problems = out["problems"]
        if db.integrity_problems():
            problems.append(f"integrity: {db.integrity_problems()[:3]}")
        count, _keys, duplicates = live.usage_counts(db)
        out["outcome"] = "all" if count == rows else "none" if count == 0 else f"PARTIAL {count}"
        if count not in (0, rows):
            problems.append(f"partial import: {count} of {rows}")
        if duplicates:
            problems.append(f"{duplicates} duplicates")
        if live.audited(db, job_id) != count:
            problems.append(f"{count} records but {live.audited(db, job_id)} audit events")

        server = live.Server(db, log)
        browser = live.Browser(server)
        before = live.job(db, job_id)["status"]
        if before not in ("done", "failed"):
            live.silence(db, job_id)
            browser.get("/records/import/")
        settled = live.job(db, job_id)
        out["job"] = f"{before}→{settled['status']}"
        if settled["status"] != ("done" if count else "failed"):
            problems.append(f"job closed as {settled['status']} with {count} records written")

        again = browser.upload("usage-returns", "matumizi.csv", content)
        live.wait_for(lambda: live.job(db, again)["status"] in ("done", "failed"), 600, "the import again")
        result = live.job(db, again)
        server.stop()
        if result["status"] != "done" or result["problems"]:
            problems.append(f"re-import ended {result['status']} with {result['problems']} problems")
        if live.usage_counts(db) != (rows, rows, 0):
            problems.append(f"after the re-import: {live.usage_counts(db)}")
        if db.integrity_problems():
            problems.append("integrity after the re-import")
        out["stale"] = stale_values(db, indicators)
        if out["stale"]:
            problems.append(f"{out['stale']} indicator values differ from a clean refresh")
    finally:
        db.drop()
    return out


def refresh_iteration(
    template: live.Database,
    rng: random.Random,
    span: float,
    old: dict[Any, Any],
    clean: dict[Any, Any],
    resume: bool,
    work: Path,
) -> dict[str, Any]:
    db = template.clone()
    out: dict[str, Any] = {"problems": []}
    problems = out["problems"]
    try:
        earlier = db.scalar("SELECT max(id) FROM measure_refreshrun")  # the template's own run
        process = live.spawn(db, [live.PYTHON, "manage.py", "measure", "refresh"], work / "refresh.log")
        out["delay"] = rng.uniform(0, span)
        time.sleep(out["delay"])
        writing = db.write_in_progress()
        live.kill(process)
        new_runs = db.scalar("SELECT count(*) FROM measure_refreshrun WHERE id > %s", [earlier])
        run = live.refresh_run(db) if new_runs else None
        done = run[1] if run is not None else []
        if run is None:
            out["phase"] = "not started"
        elif run[0] == "done":
            out["phase"] = "finished"
        else:
            out["phase"] = f"{len(done)} done" + (", writing" if writing else "")
        if db.integrity_problems():
            problems.append(f"integrity: {db.integrity_problems()[:3]}")
        if live.value_duplicates(db):
            problems.append("duplicate values")
        codes = dict(db.query("SELECT id, code FROM strategy_indicator"))
        stored = live.values(db)
        for indicator in {k[0] for k in clean}:
            mine = {k: v for k, v in stored.items() if k[0] == indicator}
            expected = clean if codes[indicator] in done else old
            if mine != {k: v for k, v in expected.items() if k[0] == indicator}:
                problems.append(f"{codes[indicator]} holds neither its old values nor its new ones")
        started = time.monotonic()
        live.manage(db, "measure", "refresh", *(["--resume"] if resume else []))
        out["rerun"] = f"{'--resume' if resume else 'fresh'} {time.monotonic() - started:.1f} s"
        if live.values(db) != clean:
            problems.append("values after the re-run differ from a clean refresh")
        if db.integrity_problems() or live.value_duplicates(db):
            problems.append("integrity after the re-run")
    finally:
        db.drop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--imports", type=int, default=20, help="import iterations")
    parser.add_argument("--refreshes", type=int, default=20, help="refresh iterations")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the imported file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311  (kill moments, not secrets)
    work = Path(tempfile.mkdtemp(prefix="tathmini-crash-soak-"))
    bad = 0

    print(f"backend {live.backend()}; preparing the database …", flush=True)
    started = time.monotonic()
    prepared = live.prepared()
    template = prepared.clone()  # with its indicator values, as a running site has them
    t0 = time.monotonic()
    live.manage(template, "measure", "refresh")
    refresh_seconds = time.monotonic() - t0
    clean = live.values(template)
    indicators = live.manage(template, "shell", "-c", USAGE_INDICATORS).stdout.splitlines()[-1].split()
    print(f"prepared in {time.monotonic() - started:.0f} s; a full refresh takes {refresh_seconds:.1f} s")

    if args.imports:
        # One uninterrupted import gives the span the kills are spread over (and a bit beyond).
        db = template.clone()
        server = live.Server(db, work / "server.log")
        t0 = time.monotonic()
        job_id = live.Browser(server).upload("usage-returns", "matumizi.csv", live.usage_file(args.rows))
        live.wait_for(lambda: live.job(db, job_id)["status"] == "done", 600, "the uninterrupted import")
        span = (time.monotonic() - t0) * 1.1
        server.stop()
        db.drop()
        print(f"\nimports of {args.rows:,} rows: uninterrupted {span / 1.1:.1f} s; kills at 0–{span:.1f} s")
        phases: Counter[str] = Counter()
        for n in range(1, args.imports + 1):
            r = import_iteration(template, rng, args.rows, span, indicators, work)
            phases[f"{r['phase']} → {r.get('outcome', '?')}"] += 1
            bad += bool(r["problems"])
            print(
                f"  {n:2d}: kill at {r['delay']:5.2f} s while {r['phase']:<26} records {r.get('outcome', '?'):<5} "
                f"job {r.get('job', '?'):<18} stale values {r.get('stale', '?')} {'; '.join(r['problems']) or 'ok'}",
                flush=True,
            )
        print("  phase at the kill → records:", dict(phases))

    if args.refreshes:
        stale = template.clone()  # values that each differ from what the refresh computes
        live.tamper_values(stale)
        old = live.values(stale)
        timing = stale.clone()  # the span now, with the machine as loaded as it is now
        t0 = time.monotonic()
        live.manage(timing, "measure", "refresh")
        refresh_seconds = time.monotonic() - t0
        timing.drop()
        print(f"\nrefresh: uninterrupted {refresh_seconds:.1f} s; kills at 0–{refresh_seconds * 1.1:.1f} s")
        for n in range(1, args.refreshes + 1):
            r = refresh_iteration(stale, rng, refresh_seconds * 1.1, old, clean, resume=n % 2 == 1, work=work)
            bad += bool(r["problems"])
            print(
                f"  {n:2d}: kill at {r['delay']:5.2f} s ({r['phase']:<16}) re-run {r.get('rerun', '?'):<16} "
                f"{'; '.join(r['problems']) or 'ok'}",
                flush=True,
            )

    template.drop()
    print(f"\n{args.imports + args.refreshes} kills, {bad} with a bad state; logs in {work}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
