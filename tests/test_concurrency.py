"""Eight processes at once, each making the product's read-then-write transactions (a desk
changing a complaint's status through the audited path, a citizen filing one, the desk recording
one, a sign-in failure counted) for a few seconds against one database: none fails, and nothing
is lost. The machinery is the soak's (``tests/soak/concurrency.py``, run for a minute there); on
SQLite the database is a file copied from the suite's own, since the workers are processes of
their own.

With Django's default SQLite settings the same workload fails with "database is locked": a
transaction that has read and then writes while another process holds the write lock gets
SQLITE_BUSY at once, whatever the busy timeout. That is what the configured IMMEDIATE transactions
prevent, so these tests fail if the setting is lost.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from tests.soak.concurrency import LOCKED, Report, postgres_target, soak, sqlite_target
from tests.soak.workload import KINDS

PROCESSES = 8
SECONDS = 3


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, django_db_setup: Any, django_db_blocker: Any) -> Path:
    """The suite's database as set up for every test (migrated, the plan and the demo structure),
    copied to a file once, outside any test's transaction (a backup waits for the write lock)."""
    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL: test_postgresql_writers_lose_nothing covers it")
    path = tmp_path_factory.mktemp("soak") / "template.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    return path


@pytest.fixture
def sqlite_file(tmp_path: Path, sqlite_template: Path) -> Path:
    """A fresh copy of the template, as the embedded database of a data folder; the folder."""
    shutil.copyfile(sqlite_template, tmp_path / "tathmini.sqlite3")
    return tmp_path


def every_kind_committed(report: Report) -> None:
    """Each kind of transaction committed during the run, so each invariant was put to the test."""
    assert {kind: report.kinds[kind]["ok"] > 0 for kind in KINDS} == dict.fromkeys(KINDS, True)


@pytest.mark.django_db  # for the suite's database to be set up, to copy it
def test_sqlite_as_configured_is_never_locked_and_loses_nothing(sqlite_file: Path) -> None:
    report = soak(sqlite_target(sqlite_file, "configured"), processes=PROCESSES, seconds=SECONDS)
    assert report.errors() == {}, report.text()
    assert report.problems() == [], report.text()
    every_kind_committed(report)


@pytest.mark.django_db
def test_sqlite_with_djangos_defaults_is_locked(sqlite_file: Path) -> None:
    report = soak(sqlite_target(sqlite_file, "default"), processes=PROCESSES, seconds=SECONDS)
    assert report.locked > 0, report.text()
    # Among the failures: the transactions that read before they write, the counter's and the desk's.
    failed_kinds = {kind for kind, row in report.kinds.items() if row["errors"].get(LOCKED)}
    assert failed_kinds & {"desk_update", "sign_in_failure"}, report.text()


@pytest.mark.django_db(transaction=True)
def test_postgresql_writers_lose_nothing() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite: the two tests above cover it")
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    report = soak(postgres_target(url), processes=PROCESSES, seconds=SECONDS)
    assert report.errors() == {}, report.text()
    assert report.problems() == [], report.text()
    every_kind_committed(report)
