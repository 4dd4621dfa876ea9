"""Draft bench."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--include", default="", help="only operations whose path contains this text")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--show", type=int, default=3, help="failures shown in full per kind")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-fuzz-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    os.environ["API_RATE_LIMIT"] = "1000000/min"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from tests import api_fuzz_data as data

    ids = data.seed()
    run(args, data, ids)


def run(args: Any, data: Any, ids: dict[str, int]) -> None:
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from schemathesis.engine import events, from_schema

    config = data.fuzz_config(max_examples=args.examples, seed=args.seed, phases=args.phases.split(","))
    schema = schemathesis.openapi.from_wsgi(data.SCHEMA_PATH, get_wsgi_application(), config=config)
    data.install_hooks(schema, ids)
    if args.include:
        schema = schema.include(path_regex=args.include)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    rejected: Counter[tuple[str, str, str]] = Counter()
    failures: dict[tuple[str, str], list[str]] = defaultdict(list)
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) or isinstance(event, events.FuzzScenarioFinished):
            rec = event.recorder
            for case_id, interaction in rec.interactions.items():
                if interaction.response is None:
                    continue
                node = rec.cases.get(case_id)
                label = node.value.operation.label if node else rec.label
                statuses[label][interaction.response.status_code] += 1
                meta = node.value.meta if node else None
                if (
                    interaction.response.status_code == 400
                    and meta is not None
                    and not meta.generation.mode.is_negative
                    and not any(c.mode.is_negative for c in meta.components.values())
                ):
                    import json as _json

                    try:
                        errs = _json.loads(interaction.response.content).get("errors", {})
                    except ValueError:
                        errs = {"?": [interaction.response.content[:100]]}
                    for field, msgs in errs.items():
                        for m in msgs:
                            rejected[(label, field, m[:90])] += 1
            for case_id, checks in rec.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    f = check.failure_info.failure
                    key = (f.operation or rec.label, f"{check.name}: {f.title}")
                    resp = rec.interactions.get(case_id)
                    got = ""
                    if resp is not None and resp.response is not None:
                        got = f"{resp.response.status_code} {resp.response.content[:300]!r} sent-body={resp.request.body[:300] if resp.request.body else None!r}"
                    failures[key].append(f"{f.message}\n    {check.failure_info.code_sample}\n    -> {got}")
        elif isinstance(event, events.NonFatalError):
            failures[(event.label, f"error in {event.phase}")].append(str(event.value))
        elif isinstance(event, events.FatalError):
            raise event.exception
    elapsed = time.perf_counter() - started
    total = 0
    for label in sorted(statuses):
        count = sum(statuses[label].values())
        total += count
        spread = " ".join(f"{s}:{n}" for s, n in sorted(statuses[label].items()))
        print(f"{label:<50} {count:>6}  {spread}")
    print(f"{len(statuses)} operations, {total} requests in {elapsed:.0f}s")
    kinds = Counter(kind for _op, kind in failures)
    print(f"{sum(len(v) for v in failures.values())} failures, {len(failures)} distinct")
    for (op, kind), messages in sorted(failures.items()):
        print(f"\n== {op} — {kind} ({len(messages)})")
        for m in messages[: args.show]:
            print("  ", m[:1500])
    print(kinds)
    print("\nPositive cases rejected with 400, by field and message:")
    for (label, field, m), n in sorted(rejected.items()):
        print(f"  {label:<45} {field:<22} {n:>4}  {m}")


if __name__ == "__main__":
    main()
