"""A crash at the worst moment leaves the database whole (docs/reliability.md).

A real server (gunicorn) and a real `manage.py measure refresh` are killed with SIGKILL mid-write,
on a throwaway copy of a prepared database: SQLite, or PostgreSQL when DATABASE_URL names it.
Afterwards the database passes its integrity checks, the import is all or nothing, the stalled job
is closed with the truth, and running the work again finishes with exactly what a run without a
crash stores. ``tests/soak/crash.py`` repeats this with kills at random moments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tathmini.core import audit
from tathmini.core.models import AuditEvent
from tathmini.measure import engine
from tathmini.measure.models import Value
from tathmini.records import imports
from tathmini.records.models import ImportJob
from tathmini.registry.models import EService, UsageReturn
from tathmini.strategy.models import Plan
from tests import live
from tests.conftest import Persona

ROWS = 10_000  # a file for the background path that takes a few seconds to check and write
# The quicker indicators and a composite (its parts that are left out count as missing), to keep
# the test short; the soak script refreshes them all.
INDICATORS = ["K01", "K02", "K07", "K10", "K11", "K15", "K17", "K18", "R01", "R04", "R08", "R14", "K12"]


@pytest.fixture
def database() -> Iterator[live.Database]:
    db = live.prepared().clone()
    yield db
    db.drop()


def whole(db: live.Database) -> None:
    assert db.integrity_problems() == []


def test_an_import_killed_while_checking_and_while_writing_is_all_or_nothing_and_runs_again(
    database: live.Database, tmp_path: Path
) -> None:
    db = database
    log = tmp_path / "server.log"
    content = live.usage_file(ROWS)

    # Killed while it checks the rows: nothing is written yet.
    server = live.Server(db, log)
    checking = live.Browser(server).upload("usage-returns", "matumizi.csv", content)
    live.wait_for(lambda: live.job(db, checking)["processed_rows"] > 0, 60, "the check to progress")
    server.kill()
    whole(db)
    assert live.usage_counts(db) == (0, 0, 0)
    assert live.audited(db, checking) == 0

    # Killed inside the write transaction (the job says "writing" and holds the write lock).
    server = live.Server(db, log)
    writing = live.Browser(server).upload("usage-returns", "matumizi.csv", content)

    def mid_write() -> bool:
        return live.job(db, writing)["status"] == "writing" and db.write_in_progress() and db.write_in_progress()

    live.wait_for(mid_write, 120, "the write to start")
    server.kill()
    whole(db)
    rows, _keys, duplicates = live.usage_counts(db)
    assert rows in (0, ROWS) and duplicates == 0
    assert live.audited(db, writing) == rows  # every written record has its audit event, no other
    assert live.job(db, writing)["status"] == "writing"  # the process died with the job unfinished

    # Restarted: after ten silent minutes the owner's pages close both jobs with what happened.
    server = live.Server(db, log)
    browser = live.Browser(server)
    live.silence(db, checking)
    live.silence(db, writing)
    assert browser.get("/records/import/").status_code == 200
    assert live.job(db, checking)["status"] == "failed"
    settled = live.job(db, writing)
    if rows:  # the commit came first: the job is finished with what it wrote
        assert (settled["status"], settled["written"], settled["created"]) == ("done", True, ROWS)
    else:
        assert (settled["status"], settled["written"]) == ("failed", False)
    page = browser.get(f"/records/import/jobs/{writing}/")
    assert page.status_code == 200 and "Refresh" not in page.headers  # no longer "in progress"

    # The same file again: it completes, and the records are exactly the file's.
    again = browser.upload("usage-returns", "matumizi.csv", content)
    live.wait_for(lambda: live.job(db, again)["status"] in ("done", "failed"), 120, "the import to finish")
    result = live.job(db, again)
    assert result["status"] == "done" and result["problems"] == 0
    assert (result["created"], result["unchanged"]) == ((0, ROWS) if rows else (ROWS, 0))
    server.stop()
    assert live.usage_counts(db) == (ROWS, ROWS, 0)
    whole(db)


def test_a_refresh_killed_mid_write_keeps_whole_indicators_and_the_rerun_stores_what_a_clean_run_does(
    tmp_path: Path,
) -> None:
    subset = [arg for code in INDICATORS for arg in ("--indicator", code)]
    db = live.prepared().clone()
    try:
        live.manage(db, "measure", "refresh", *subset)
        clean = live.values(db)
        live.tamper_values(db)  # the values of before: every one differs from what the refresh computes
        old = live.values(db)
        refresh = live.spawn(db, [live.PYTHON, "manage.py", "measure", "refresh", *subset], tmp_path / "refresh.log")

        def mid_write() -> bool:
            assert refresh.poll() is None, "the refresh ended before it could be killed mid-write"
            run = live.refresh_run(db)
            return run is not None and run[0] == "running" and len(run[1]) >= 1 and db.write_in_progress()

        live.wait_for(mid_write, 120, "the refresh to write")
        live.kill(refresh)

        whole(db)
        assert live.value_duplicates(db) == 0
        status, done, pending = live.refresh_run(db) or ("", [], [])
        assert status == "running" and done and pending  # died part-way; its watermark says where
        codes = dict(db.query("SELECT code, id FROM strategy_indicator"))
        stored = live.values(db)

        def of(values: dict[tuple[Any, ...], Any], code: str) -> dict[tuple[Any, ...], Any]:
            return {k: v for k, v in values.items() if k[0] == codes[code]}

        assert old != clean and {k[0] for k in clean} == {codes[c] for c in done + pending}
        for code in done:
            assert of(stored, code) == of(clean, code), f"{code} was committed, so it holds its new values"
        for code in pending:
            assert of(stored, code) == of(old, code), f"{code} holds a mixture of its old and new values"

        live.manage(db, "measure", "refresh", "--resume")
        assert live.refresh_run(db) == ("done", done + pending, [])
        whole(db)
        assert live.value_duplicates(db) == 0
        assert live.values(db) == clean
    finally:
        db.drop()


def test_a_job_whose_process_stopped_after_its_commit_refreshes_the_indicators_it_missed(
    plan: Plan, personas: dict[str, Persona], django_capture_on_commit_callbacks: Any
) -> None:
    """The engine refreshes after the import's commit, in the process that wrote it: a crash
    between the two leaves the records in and their indicator values old. Closing the job redoes it."""
    focal = personas["focal_person"].user
    assert focal is not None and focal.institution is not None
    service = EService.objects.create(
        institution=focal.institution,
        code="huduma-k06",
        name_sw="Huduma",
        name_en="Service",
        life_event="tax",
        channels="web",
        launched_on=date(2012, 7, 1),
    )
    UsageReturn.objects.create(
        eservice=service, period_start=date(2012, 7, 1), period_end=date(2012, 7, 31), transactions=1, users=50
    )
    k06 = plan.indicators.get(code="K06")  # users in a period, as a percentage of the same period of 2012/13
    engine.refresh_indicator(k06)

    def july_2013() -> Decimal | None:
        return Value.objects.get(indicator=k06, period="2013-07", dimension="").value

    assert july_2013() == Decimal(0)

    # What the crashed process had committed: the record and its audit event, under the job's batch.
    job = ImportJob.objects.create(owner=focal, record_type="usage-returns", filename="a.csv")
    lost = UsageReturn.objects.create(
        eservice=service, period_start=date(2013, 7, 1), period_end=date(2013, 7, 31), transactions=1, users=75
    )
    audit.event(
        AuditEvent.Action.CREATE, lost, actor=focal, channel=AuditEvent.Channel.IMPORT, changes={}, batch=job.batch
    ).save()
    ImportJob.objects.filter(pk=job.pk).update(status="writing", heartbeat=timezone.now() - timedelta(minutes=11))
    assert july_2013() == Decimal(0)  # the refresh that should have followed never ran

    with django_capture_on_commit_callbacks(execute=True):
        assert imports.settle_stalled(ImportJob.objects.all()) == 1
    assert ImportJob.objects.get().status == "done"
    assert july_2013() == Decimal(150)
