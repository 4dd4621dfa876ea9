"""The data migration that packs the hourly rollups into the day rows (monitor 0002), forward and
back, on a database of its own: a SQLite file in a temporary folder, migrated in a subprocess (a
schema change cannot run inside the test's transaction on SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import django
django.setup()
from datetime import UTC, date, datetime
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target[0]).apps

latest = [("monitor", "0003_check_illustrative")]
migrate(latest)
apps = migrate([("monitor", "0001_initial")])
Region = apps.get_model("registry", "Region")
Institution = apps.get_model("registry", "Institution")
EService = apps.get_model("registry", "EService")
Check = apps.get_model("monitor", "Check")
HourRollup = apps.get_model("monitor", "HourRollup")
MonitorDay = apps.get_model("monitor", "MonitorDay")
inst = Institution.objects.create(code="m", name_sw="m", name_en="m", category="agency")
checks = []
for code in ("a", "b"):
    es = EService.objects.create(
        institution=inst, code=code, name_sw=code, name_en=code, life_event="other", channels="web",
        url="https://x.go.tz/", launched_on=date(2013, 1, 1),
    )
    checks.append(Check.objects.create(eservice=es, url=es.url, shard_key=1, next_due=datetime(2014, 3, 3, tzinfo=UTC)))
a, b = checks
MonitorDay.objects.create(eservice=a.eservice, day=date(2014, 3, 3), seconds_monitored=7200, seconds_up=3600)
for owner, hour, figures in [
    (a, datetime(2014, 3, 3, 8, tzinfo=UTC), (60, 1, 59, 120, 300, 410)),
    (a, datetime(2014, 3, 3, 23, tzinfo=UTC), (60, 60, 0, None, None, None)),
    (a, datetime(2014, 3, 4, 0, tzinfo=UTC), (12, 0, 12, 90, 95, 99)),
    (b, datetime(2014, 3, 3, 9, tzinfo=UTC), (30, 0, 30, 50, 70, 80)),
]:
    HourRollup.objects.create(owner=owner, hour=hour, probes=figures[0], failures=figures[1], answered=figures[2],
                              p50_ms=figures[3], p95_ms=figures[4], max_ms=figures[5])

migrate(latest)
from tathmini.monitor.models import MonitorDay as Day
days = {(d.eservice.code, d.day.isoformat()): (d.seconds_monitored, d.seconds_up, d.hours)
        for d in Day.objects.select_related("eservice")}
none = [None] * 24
expected = {
    ("a", "2014-03-03"): (
        7200, 3600, none[:8] + [[60, 1, 59, 120, 300, 410]] + none[9:23] + [[60, 60, 0, None, None, None]]
    ),
    ("a", "2014-03-04"): (0, 0, [[12, 0, 12, 90, 95, 99]] + none[1:]),
    ("b", "2014-03-03"): (0, 0, none[:9] + [[30, 0, 30, 50, 70, 80]] + none[10:]),
}
assert days == expected, days

apps = migrate([("monitor", "0001_initial")])
back = sorted(
    (r.owner.eservice.code, r.hour.isoformat(), r.probes, r.failures, r.answered, r.p50_ms, r.p95_ms, r.max_ms)
    for r in apps.get_model("monitor", "HourRollup").objects.select_related("owner__eservice")
)
assert back == [
    ("a", "2014-03-03T08:00:00+00:00", 60, 1, 59, 120, 300, 410),
    ("a", "2014-03-03T23:00:00+00:00", 60, 60, 0, None, None, None),
    ("a", "2014-03-04T00:00:00+00:00", 12, 0, 12, 90, 95, 99),
    ("b", "2014-03-03T09:00:00+00:00", 30, 0, 30, 50, 70, 80),
], back
left = sorted((d.eservice_id, d.day.isoformat()) for d in apps.get_model("monitor", "MonitorDay").objects.all())
assert left == [(a.eservice_id, "2014-03-03")], left  # the rows that held only hours are gone again
migrate(latest)
print("ok")
"""


def test_the_hourly_rollups_are_carried_into_the_day_rows_and_back(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tathmini.settings", "TATHMINI_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # a SQLite file of its own, never the database the tests use
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
