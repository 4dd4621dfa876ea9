"""The REST API against its own OpenAPI schema, at length: every operation, every schemathesis
phase (coverage, random examples, stateful sequences), every check.

    python bench/api_fuzz.py [--examples 1000] [--tokens me,institution] [--phases ...]
                             [--operations REGEX] [--seed 1] [--show 2]

Sets up Django itself on a throwaway database (a SQLite file in a temporary folder or, with
DATABASE_URL set, a new PostgreSQL database created beside the one it names and dropped at the
end), loads the plan and the demo structure, writes the seed records of tests/api_fuzz_data.py
through the API, and serves the site from a thread on 127.0.0.1; schemathesis then reads the
schema the site serves and sends its requests over HTTP, one at a time (the client and the
server share one process, so the run keeps to about one CPU).

``--examples`` is the number of random examples per operation (the coverage phase adds its own,
the same every run). Each token in ``--tokens`` gets a pass of its own: ``me`` (the M&E token,
which reads and writes every record type) and ``institution`` (institution A's token, whose
answers must hold its own records only: ``records_stay_in_scope``). Prints per operation the
requests sent and the statuses answered, then every failure: check, operation, message and a
curl line to reproduce it, and the positive requests refused with 400, by field and message (the
rules no schema states). Exits 1 if anything failed. Figures go in docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def serve() -> str:
    """The site on 127.0.0.1 (a free port), from a daemon thread; its address."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            # The handler writes the status line, the headers and the body apart: without this,
            # each answer waits for the client's delayed acknowledgement (about 40 ms).
            cast(socket.socket, self.connection).setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


class Tally:
    """What a run sent and what went wrong, from the engine's events."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        self.refused: Counter[tuple[str, str, str]] = Counter()
        self.errors: list[str] = []
        self.phases: Counter[str] = Counter()

    def scenario(self, recorder: Any) -> None:
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is None:
                continue
            node = recorder.cases.get(case_id)
            label = node.value.operation.label if node else recorder.label
            status = interaction.response.status_code
            self.statuses[label][status] += 1
            meta = node.value.meta if node else None
            self.phases[meta.phase.name.value if meta is not None else "checks"] += 1
            if status == 400 and meta is not None and not meta.generation.mode.is_negative:
                self._refused(label, interaction.response.content)
        for checks in recorder.checks.values():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                key = (check.name, failure.operation or recorder.label, failure.title)
                self.failures[key].append(f"{failure.message}\n      {check.failure_info.code_sample}")

    def _refused(self, label: str, content: bytes) -> None:
        try:
            errors = json.loads(content).get("errors", {})
        except ValueError:
            errors = {"-": [content[:80].decode("utf-8", "replace")]}
        for field, messages in errors.items():
            for message in messages:
                self.refused[(label, field, message[:100])] += 1

    def report(self, token: str, elapsed: float, show: int) -> int:
        requests = sum(sum(c.values()) for c in self.statuses.values())
        print(f"\n== token {token}: {len(self.statuses)} operations, {requests} requests in {elapsed:.0f}s")
        print("   by phase: " + ", ".join(f"{phase} {n}" for phase, n in sorted(self.phases.items())))
        for label in sorted(self.statuses, key=lambda label: (label.split()[1], label)):
            counts = self.statuses[label]
            spread = " ".join(f"{status}:{n}" for status, n in sorted(counts.items()))
            print(f"  {label:<45} {sum(counts.values()):>6}  {spread}")
        failed = sum(len(v) for v in self.failures.values())
        print(f"-- {failed} failures, {len(self.failures)} distinct; {len(self.errors)} errors")
        for (check, label, title), messages in sorted(self.failures.items()):
            print(f"\n  {check} on {label}: {title} ({len(messages)})")
            for message in messages[:show]:
                print("    " + message[:2000].replace("\n", "\n    "))
        for error in self.errors[:show]:
            print(f"  error: {error}")
        if self.refused:
            print("-- positive requests refused with 400 (rules no schema states), by field and message:")
            for (label, field, message), n in sorted(self.refused.items()):
                print(f"  {label:<45} {field:<20} {n:>5}  {message}")
        return failed + len(self.errors)


def run(args: argparse.Namespace, token: str, base_url: str, ids: dict[str, list[int]]) -> int:
    import schemathesis
    from schemathesis.engine import events, from_schema

    from tests import api_fuzz_data as data

    config = data.config(
        max_examples=args.examples,
        seed=args.seed,
        phases=args.phases.split(","),
        headers={"Authorization": f"Bearer {data.TOKENS[token]}"},
        **{"base-url": base_url},
    )
    schema: Any = schemathesis.openapi.from_url(base_url + data.SCHEMA_PATH, config=config)
    data.install_hooks(schema, ids)
    if args.operations:
        schema = schema.exclude(func=lambda ctx: not re.search(args.operations, ctx.operation.label))
    tally = Tally()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
            tally.scenario(event.recorder)
        elif isinstance(event, events.NonFatalError):
            tally.errors.append(f"{event.label} ({event.phase}): {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return tally.report(token, time.perf_counter() - started, args.show)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="random examples per operation")
    parser.add_argument("--tokens", default="me,institution")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--operations", default="", help="only the operations whose label matches")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=2, help="examples shown of each distinct failure")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"  # no query log growing through the run
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ["API_RATE_LIMIT"] = "1000000/min"  # one token sends everything
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-fuzz-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    server_url = os.environ.get("DATABASE_URL", "")
    bench_db = f"tathmini_fuzz_{os.getpid()}"
    if server_url:
        import psycopg

        parsed = urlparse(server_url)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{bench_db}"')
        os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{bench_db}"))
    failed = 0
    try:
        import django

        django.setup()
        import schemathesis

        logging.disable(logging.WARNING)  # every refused request would be a log line
        from django.core.management import call_command

        from tests import api_fuzz_data as data

        call_command("migrate", verbosity=0)
        base_url = serve()
        print(f"schemathesis {schemathesis.__version__}; {args.examples} random examples per operation")
        for token in args.tokens.split(","):
            # Each pass starts from the seed records: the one before renamed and changed them.
            call_command("flush", interactive=False, verbosity=0)
            call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
            failed += run(args, token, base_url, data.seed())
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')
        tmp.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
