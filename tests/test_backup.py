"""Backups taken while the site writes restore whole (README: Backups; docs/reliability.md).

SQLite: `manage.py backup` runs while another process files complaints; `manage.py restore` puts
it into an empty database. PostgreSQL: the documented pg_dump -Fc and pg_restore
--single-transaction, the same way. Each restored database passes its integrity checks and holds
every row committed before the backup began, and nothing torn: each table between its counts
before and after the backup, the complaints a gapless prefix of those committed, each with its
audit event.
"""

from __future__ import annotations

import glob
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tathmini.core import backup
from tests import live

sqlite_only = pytest.mark.skipif(live.backend() != "sqlite", reason="the SQLite backup (this run is on PostgreSQL)")
postgres_only = pytest.mark.skipif(live.backend() != "postgres", reason="pg_dump and pg_restore need PostgreSQL")

LIVE = "LIVE-%"  # the writer's complaints (tests/live.py)


@pytest.fixture
def source() -> Iterator[live.Database]:
    db = live.prepared().clone()
    yield db
    db.drop()


@pytest.fixture
def target() -> Iterator[live.Database]:
    db = live.empty_database()
    yield db
    db.drop()


@dataclass
class Load:
    before: dict[str, int]  # every table's rows when the backup began
    after: dict[str, int]  # … and when it ended
    before_ids: set[int]  # the writer's complaints committed before the backup began
    committed: list[int]  # all the writer committed, by the time it stopped
    during: int  # complaints committed while the backup ran


def complaints(db: live.Database) -> list[int]:
    return [i for (i,) in db.query("SELECT id FROM feedback_complaint WHERE reference LIKE %s ORDER BY id", [LIVE])]


def under_write_load(db: live.Database, take_backup: Callable[[], object], work: Path) -> Load:
    stop = work / "stop"
    writer = live.start_writer(db, stop, work / "writer.log")
    try:
        live.wait_for(lambda: len(complaints(db)) >= 20, 120, "the writer to write", interval=0.1)
        before_ids = set(complaints(db))
        before = db.counts()
        take_backup()
        after = db.counts()
        during = len(complaints(db)) - len(before_ids)
        live.wait_for(lambda: len(complaints(db)) >= len(before_ids) + during + 5, 60, "more writes", interval=0.1)
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0, (work / "writer.log").read_text()[-2000:]
    return Load(before, after, before_ids, complaints(db), during)


def assert_restored_whole(restored: live.Database, load: Load) -> None:
    assert restored.integrity_problems() == []
    counts = restored.counts()
    assert set(counts) == set(load.before)
    out_of_bounds = {
        t: (load.before[t], n, load.after[t]) for t, n in counts.items() if not load.before[t] <= n <= load.after[t]
    }
    assert out_of_bounds == {}
    assert load.during > 0  # the writer did write while the backup ran

    ids = complaints(restored)
    assert load.before_ids <= set(ids)  # everything committed before the backup began
    assert ids == [i for i in load.committed if i <= ids[-1]]  # one moment: no gap, nothing later
    unaudited = restored.scalar(
        "SELECT count(*) FROM feedback_complaint c WHERE c.reference LIKE %s AND NOT EXISTS ("
        "SELECT 1 FROM core_auditevent a JOIN django_content_type t ON t.id = a.content_type_id "
        "WHERE t.app_label = 'feedback' AND t.model = 'complaint' AND a.object_id = CAST(c.id AS TEXT))",
        [LIVE],
    )
    orphan_events = restored.scalar(
        "SELECT count(*) FROM core_auditevent a JOIN django_content_type t ON t.id = a.content_type_id "
        "WHERE t.app_label = 'feedback' AND t.model = 'complaint' AND NOT EXISTS ("
        "SELECT 1 FROM feedback_complaint c WHERE CAST(c.id AS TEXT) = a.object_id)"
    )
    assert (unaudited, orphan_events) == (0, 0)


# --- SQLite: manage.py backup and restore ---------------------------------------------------------
@sqlite_only
def test_a_backup_taken_while_complaints_are_filed_restores_into_an_empty_database_whole(
    source: live.Database, target: live.Database, tmp_path: Path
) -> None:
    file = tmp_path / "nakala.sqlite3"
    load = under_write_load(source, lambda: live.manage(source, "backup", str(file)), tmp_path)
    assert not list(tmp_path.glob(".*partial"))  # the copy was renamed into place

    result = live.manage(target, "restore", str(file))
    assert "Restored" in result.stdout
    assert_restored_whole(target, load)
    assert target.scalar("PRAGMA journal_mode") == "wal"  # as the site runs it


@sqlite_only
def test_restore_refuses_a_database_with_data_and_a_damaged_backup_and_force_replaces(
    source: live.Database, tmp_path: Path
) -> None:
    file = tmp_path / "nakala.sqlite3"
    live.manage(source, "backup", str(file))
    source.execute("DELETE FROM feedback_complaintupdate WHERE id IN (SELECT id FROM feedback_complaintupdate LIMIT 3)")
    changed = source.counts()

    refused = live.manage(source, "restore", str(file), check=False)
    assert refused.returncode == 1 and "holds data" in refused.stderr and "--force" in refused.stderr
    assert source.counts() == changed

    damaged = tmp_path / "imeharibika.sqlite3"
    damaged.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    refused = live.manage(source, "restore", str(damaged), "--force", check=False)
    assert refused.returncode == 1 and "damaged" in refused.stderr
    assert source.counts() == changed and source.integrity_problems() == []

    live.manage(source, "restore", str(file), "--force")
    with sqlite3.connect(file) as copy:
        backed_up = copy.execute("SELECT count(*) FROM feedback_complaintupdate").fetchone()[0]
    restored = source.scalar("SELECT count(*) FROM feedback_complaintupdate")
    assert restored == backed_up == changed["feedback_complaintupdate"] + 3
    assert source.integrity_problems() == []


def test_only_migrate_bookkeeping_counts_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    assert backup.holds_data(path) == []  # no file yet
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE django_migrations (id integer)")
        db.execute("INSERT INTO django_migrations VALUES (1)")
        db.execute("CREATE TABLE auth_group (id integer)")
        db.execute("INSERT INTO auth_group VALUES (1)")
        db.execute("CREATE TABLE feedback_complaint (id integer)")
    db.close()
    assert backup.holds_data(path) == []
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO feedback_complaint VALUES (1)")
    db.close()
    assert backup.holds_data(path) == ["feedback_complaint"]


@pytest.mark.django_db
def test_the_commands_say_what_to_use_where_they_cannot_copy_a_file() -> None:
    expected = "pg_dump" if connection.vendor == "postgresql" else "in memory"  # the suite's own database
    for command in ("backup", "restore"):
        with pytest.raises(CommandError, match=expected):
            call_command(command, "/tmp/tathmini-never-written.sqlite3")  # noqa: S108


# --- PostgreSQL: pg_dump and pg_restore as the README says -------------------------------------------
def pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


@postgres_only
def test_pg_dump_under_write_load_and_pg_restore_in_one_transaction_into_an_empty_database_keep_every_row(
    source: live.Database, target: live.Database, tmp_path: Path
) -> None:
    pg_dump, pg_restore = pg_tool("pg_dump"), pg_tool("pg_restore")
    file = tmp_path / "tathmini.dump"

    def dump() -> None:
        subprocess.run([pg_dump, "-Fc", "-f", str(file), source.url], check=True, capture_output=True, timeout=300)

    load = under_write_load(source, dump, tmp_path)
    restore = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "-d", target.url, str(file)]
    subprocess.run(restore, check=True, capture_output=True, timeout=300)
    assert_restored_whole(target, load)

    # Into a database that is not empty it fails on the first clash and, in one transaction, changes nothing.
    restored = target.counts()
    again = subprocess.run(restore, capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "already exists" in again.stderr
    assert target.counts() == restored
