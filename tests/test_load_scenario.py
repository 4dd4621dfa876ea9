"""The load scenario (bench/load/) against a production-mode server: gunicorn on loopback with
TATHMINI_PRODUCTION=1, a few simulated citizens, focal persons and managers for a few seconds, each
going through every page of its part once. Every request must succeed: the forms post with their
CSRF tokens and HTTPS-only cookies, the complaint and the request get reference numbers, the
return and the import are written, the report files download, and the server logs no error.

Timings are not checked here: ``bench/load/run.py`` prints them for docs/benchmarks.md. On
PostgreSQL (DATABASE_URL set) the server gets its own database beside the one named, made afresh.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent

# Every page of the scenario, by the name the statistics give it (bench/load/locustfile.py).
PAGES = {
    "static: stylesheet",
    "portal: catalogue",
    "portal: search",
    "portal: e-service",
    "portal: scoreboard",
    "portal: complaint form",
    "portal: complaint submit",
    "portal: request form",
    "portal: request submit",
    "portal: track",
    "portal: survey form",
    "portal: survey submit",
    "accounts: sign-in form",
    "accounts: sign in",
    "records: index",
    "records: list",
    "records: detail",
    "records: list (date filter)",
    "records: return form",
    "records: save return",
    "import: template CSV",
    "import: upload form",
    "import: upload",
    "portal: desk",
    "reports: scorecard (Agency)",
    "reports: scorecard (department)",
    "reports: tracking table",
    "reports: indicator charts",
    "strategy: indicator",
    "strategy: map",
    "reports: report page",
    "reports: report PDF",
    "reports: report XLSX",
}


def _own_database(url: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"{parsed.path.rstrip('/')}_load_smoke"))


def test_the_load_scenario_goes_through_every_page_without_a_failure(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "load" / "run.py"),
        "--users=5",
        "--spawn-rate=5",
        "--duration=3m",  # a bound: the run ends when every user has been through its pages
        "--workers=2",
        "--data=minimal",
        "--quick-static",
        "--each-task-first",
        f"--workdir={tmp_path}",
    ]
    if os.environ.get("DATABASE_URL"):
        command += [f"--database-url={_own_database(os.environ['DATABASE_URL'])}", "--fresh"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    rows = {}
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 8 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = (int(cells[1].replace(",", "")), int(cells[2].replace(",", "")))
    assert set(rows) >= PAGES, sorted(PAGES - set(rows))
    assert all(requests > 0 and failures == 0 for requests, failures in rows.values()), rows
    assert rows["**all**"][0] >= len(PAGES)
    assert re.search(r"^result: no failures in [\d,]+ requests$", done.stderr, re.MULTILINE), done.stderr[-2000:]
