"""Indicator engine on the generator's data set: its numbers and time against hand-written SQL, a
full refresh and one incremental refresh.

    python bench/engine_refresh.py [--scale 0.1] [--seed 1] [--repeat 3]
    python bench/engine_refresh.py --existing [--skip-full] [--only K06,K18]

Sets up a throwaway database (a SQLite file in a temporary folder, or with DATABASE_URL a new
PostgreSQL database beside the one it names, dropped at the end), loads the plan, the demo org
units and ``manage.py generate --scale``; or, with ``--existing``, uses the database that
DATABASE_URL or TATHMINI_DATA_DIR already names, as it is (so one generated national-scale
database serves several benchmarks). Then:

- the engine computing every indicator's numbers (``engine.evaluate`` for each indicator with a
  definition, in the order of ``engine.ordered_indicators``, the composite K12 reading its parts'
  values), and the hand-written reference queries (bench/engine_reference.py) computing the same
  numbers, each the median of ``--repeat`` rounds, the order of the two alternating from round to
  round so neither always runs on the other's warm caches. Prints both, the ratio engine ÷
  reference overall and per indicator, and whether the numbers are equal (the exit status is 1
  when they are not);
- a full refresh (``engine.refresh``: evaluate and store every indicator × period ×
  disaggregation), its ratio to the reference, and the stored values checked against the reference;
- the automatic refresh after one new complaint about the Agency inside the plan's period, filed
  through the public site's write path (``records.services.public_create``; the refresh,
  ``measure.triggers.refresh_affected``, recomputes only the indicators and periods it touches).
  On an existing database the complaint is deleted afterwards and its values refreshed back.

``--skip-full`` leaves out the two refreshes: the run then writes nothing (except the org-unit
links table when it is empty, which the engine's org-unit disaggregation reads). ``--only``
restricts everything to some indicators (a composite brings its parts along). Figures go in
docs/benchmarks.md; the machine's load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="0.1")
    parser.add_argument("--seed", default="1")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="use the database DATABASE_URL or TATHMINI_DATA_DIR names, as it is (no generation)",
    )
    parser.add_argument("--skip-full", action="store_true", help="leave out the full and incremental refreshes")
    parser.add_argument("--only", default="", help="indicator codes, comma-separated (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of engine and reference (median)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.existing:
        if not os.environ.get("DATABASE_URL") and not os.environ.get("TATHMINI_DATA_DIR"):
            parser.error("--existing needs DATABASE_URL or TATHMINI_DATA_DIR naming the database")
        sys.exit(run(args))
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
        status = run(args)
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        tmp.cleanup()
    sys.exit(status)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    import engine_reference as ref
    from django.core.management import call_command
    from django.db import connection

    from tathmini.feedback.models import Complaint
    from tathmini.measure import engine
    from tathmini.measure.models import OrgUnitLink
    from tathmini.registry.models import Institution, UsageReturn
    from tathmini.strategy.models import Plan

    if not args.existing:
        call_command("migrate", verbosity=0)
        call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("generate", "--scale", args.scale, "--seed", args.seed, stdout=open(os.devnull, "w"))  # noqa: SIM115
    vendor = connection.vendor
    where = f"existing database {connection.settings_dict['NAME']}" if args.existing else f"scale {args.scale}"
    server = ""
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW jit")
            server = f"; PostgreSQL {version}, jit {cursor.fetchone()[0]}"
    else:
        import sqlite3

        server = f"; SQLite {sqlite3.sqlite_version}"
    print(f"{vendor}; {where}; Python {platform.python_version()}{server}; {os.cpu_count()} CPUs; {load()} (start)")
    print(
        f"institutions {Institution.objects.count():,}; complaints {Complaint.objects.count():,}; "
        f"usage returns {UsageReturn.objects.count():,}"
    )
    plan = Plan.objects.get(is_current=True)
    if not OrgUnitLink.objects.exists():
        engine.rebuild_org_unit_links()  # derived from the org units; the org-unit groups join it
        print("(org-unit links were empty: rebuilt)")

    indicators = engine.ordered_indicators(plan)
    if args.only:
        wanted = {c.strip().upper() for c in args.only.split(",") if c.strip()}
        for code in list(wanted):
            wanted |= {part for part, _w in ref.COMPOSITES.get(code, [])}
        indicators = [i for i in indicators if i.code in wanted]
    codes = [i.code for i in indicators]
    status = 0
    missing = [c for c in codes if c not in ref.QUERIES and c not in ref.COMPOSITES]
    if missing:
        print(f"no reference query for {', '.join(missing)}: their numbers cannot be checked")
        status = 1

    # --- (a) the engine and (b) the reference, alternating ---------------------------------------
    engine_times: dict[str, list[float]] = {c: [] for c in codes}
    reference_times: dict[str, list[float]] = {c: [] for c in codes}
    engine_totals, reference_totals = [], []
    engine_results: dict[Any, Any] = {}
    reference_results: dict[Any, Any] = {}
    for round_no in range(args.repeat):
        for side in ("engine", "reference") if round_no % 2 == 0 else ("reference", "engine"):
            if side == "engine":
                times, engine_results = time_engine(plan, indicators)
                engine_totals.append(sum(times.values()))
                for c, t in times.items():
                    engine_times[c].append(t)
            else:
                reference, times = ref.run_all(plan.pk, codes)
                reference_totals.append(sum(times.values()))
                for c, t in times.items():
                    reference_times[c].append(t)
                reference_results = {}
                for c in codes:
                    reference_results.update(reference.results(c))
    engine_s, reference_s = statistics.median(engine_totals), statistics.median(reference_totals)
    print(
        f"\nengine, every indicator's numbers: {engine_s:.2f} s; reference queries: {reference_s:.2f} s; "
        f"ratio engine ÷ reference {engine_s / reference_s:.2f} (median of {args.repeat}; {load()})"
    )
    print(f"\n{'indicator':<10}{'engine s':>10}{'reference s':>13}{'ratio':>8}{'share of engine':>17}")
    per = {c: (statistics.median(engine_times[c]), statistics.median(reference_times[c] or [0])) for c in codes}
    for code, (e, r) in sorted(per.items(), key=lambda kv: -kv[1][0]):
        ratio = f"{e / r:.2f}" if r > 0 else "—"
        print(f"{code:<10}{e:>10.3f}{r:>13.3f}{ratio:>8}{100 * e / engine_s:>16.0f}%")
    comparison = ref.compare(engine_results, reference_results)
    print("\n" + ref.report(comparison, "engine.evaluate vs reference"))
    if not comparison.equal:
        status = 1

    if args.skip_full:
        print(f"\n{load()} (end)")
        return status

    # --- full refresh: evaluate and store -----------------------------------------------------------
    from tathmini.measure.models import Value

    started = time.perf_counter()
    cpu = time.process_time()
    engine.refresh(plan, codes if args.only else None)
    wall = time.perf_counter() - started
    print(
        f"\nfull refresh: {wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU of this process, "
        f"{Value.objects.filter(indicator__plan=plan, indicator__code__in=codes).count():,} values; "
        f"ratio full refresh ÷ reference {wall / reference_s:.2f}"
    )
    stored = ref.compare(ref.from_stored_values(plan.pk, codes), reference_results)
    print(ref.report(stored, "stored values vs reference"))
    if not stored.equal:
        status = 1

    # --- one new complaint about the Agency in the plan's period, then the refresh it triggers ------
    incremental(args.existing)
    print(f"\n{load()} (end)")
    return status


def time_engine(plan: Any, indicators: list[Any]) -> tuple[dict[str, float], dict[Any, Any]]:
    """engine.evaluate for each indicator, the composite reading its parts' values as they would be
    stored; the seconds each took and the rows in the reference module's shape."""
    import engine_reference as ref

    from tathmini.measure import engine

    periods = engine.plan_periods(plan)
    first = plan.first_year
    specs = {}
    for indicator in indicators:
        definition = engine.current_definition(indicator)
        assert definition is not None  # ordered_indicators gives only indicators with one
        specs[indicator.code] = definition.spec
    parts: dict[tuple[str, str, str, str], Decimal | None] = {}
    times, results = {}, {}
    for indicator in indicators:
        spec = specs[indicator.code]
        started = time.perf_counter()
        rows = engine.evaluate(
            indicator,
            spec,
            periods,
            plan_start=first.starts_on if first else None,
            composite_values=parts if "composite" in spec else None,
        )
        times[indicator.code] = time.perf_counter() - started
        for r in rows:
            parts[(indicator.code, r.period.code, r.dimension, r.group)] = (
                None if r.value is None else r.value.quantize(Decimal("0.000001"))
            )
        results.update(ref.from_engine_rows(indicator.code, rows))
    return times, results


def incremental(existing: bool) -> None:
    """One complaint filed as the public site files it (``records.services.public_create``); the
    automatic refresh it triggers after the commit is timed once as it happens, then 4 more times
    with the same notice (what changed: the model, and each field's dates)."""
    from datetime import UTC, datetime

    from django.db import transaction

    from tathmini.core.signals import records_changed
    from tathmini.feedback.models import Complaint
    from tathmini.measure import triggers
    from tathmini.records import types as record_types
    from tathmini.records.services import public_create

    heard: list[dict] = []

    def listen(sender, **kwargs):  # type: ignore[no-untyped-def]
        heard.append({"model": sender, "dates": kwargs["dates"], "fields": kwargs.get("fields")})

    records_changed.connect(listen, dispatch_uid="bench-listen")
    received = datetime(2015, 3, 10, 9, 30, tzinfo=UTC)
    complaint = Complaint(
        reference="BENCH-0001", about="agency", category="delay", subject="bench", received_at=received
    )
    started = time.perf_counter()
    with transaction.atomic():  # the refresh runs on commit, as after a web request's write
        public_create(record_types.get("complaints"), complaint)
    end_to_end = time.perf_counter() - started
    records_changed.disconnect(dispatch_uid="bench-listen")
    notice = heard[0]
    timings = []
    for _ in range(4):
        started = time.perf_counter()
        touched = triggers.refresh_affected(notice["model"], notice["dates"], notice["fields"])
        timings.append(time.perf_counter() - started)
    periods = sum(len(v) for v in touched.values())
    print(
        f"incremental refresh after one complaint filed on the public site: {sorted(touched)} × {periods} periods; "
        f"filing with its refresh {end_to_end * 1000:.0f} ms; the refresh alone again: "
        f"best {min(timings) * 1000:.0f} ms, median {statistics.median(timings) * 1000:.0f} ms of 4"
    )
    if existing:  # leave the database's records as they were (the deletion refreshes the same periods)
        with transaction.atomic():
            complaint.delete()
        triggers.refresh_affected(notice["model"], notice["dates"], notice["fields"])


if __name__ == "__main__":
    main()
