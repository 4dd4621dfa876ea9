"""Spreadsheet import memory: peak resident memory of checking (and writing) N rows.

    python bench/import_memory.py [--rows N] [--write] [--xlsx]

Sets up Django itself on a throwaway SQLite database in a temporary folder, generates N
complaints (the hostile-input corpus's rows, tests/hostile/corpus.py) and imports them as an M&E
officer, then prints how far the process's peak resident memory (ru_maxrss) rose, in all and per
row. IMPORT_MAX_ROWS applies as configured: set it higher in the environment to see what a file
past the limit would cost. Figures go in docs/reliability.md ("Hostile input").
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="write the rows (default: a dry run)")
    parser.add_argument("--xlsx", action="store_true", help="an XLSX file (default: CSV)")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="tathmini-bench-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    os.environ["DJANGO_SETTINGS_MODULE"] = "tathmini.settings"
    os.environ["DEBUG"] = "0"  # no query log growing through the run
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from tathmini.accounts.models import User
    from tathmini.accounts.roles import Role
    from tathmini.accounts.services import user_set_roles
    from tathmini.records import imports, types
    from tests.hostile import corpus

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench-officer", password=None)
    user_set_roles(user, [Role.ME_OFFICER])
    if args.xlsx:
        data, name = corpus.xlsx_bytes([corpus.row(f"B-{n}", f"Huduma {n}") for n in range(args.rows)]), "b.xlsx"
    else:
        data, name = corpus.many_rows_csv(args.rows, prefix="B"), "b.csv"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = imports.run_import(types.get("complaints"), user, name, data, dry_run=not args.write)
    seconds = time.perf_counter() - started
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # kB on Linux
    outcome = "ok" if report.ok else f"refused: {report.problems[0].reason}"
    print(
        f"{args.rows} rows, {len(data) / 1e6:.1f} MB {name[-4:]}, {'write' if args.write else 'dry run'}: "
        f"{outcome}; {seconds:.1f} s; peak resident memory +{grew:.0f} MB ({grew * 1024 / args.rows:.1f} kB a row)"
    )
    tmp.cleanup()


if __name__ == "__main__":
    main()
