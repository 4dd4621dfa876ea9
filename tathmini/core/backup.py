"""Copies of the embedded SQLite database taken while the site runs, and put back whole
(``manage.py backup`` and ``restore``; README: Backups). PostgreSQL has its own tools for both,
``pg_dump`` and ``pg_restore``, which the commands point to.

A backup is SQLite's online backup of the live file, copied in one step: one read transaction, so
the copy is the database as it was at one moment, while the site keeps writing beside it (WAL).
It is written next to its destination, checked, flushed to disk, then renamed into place, so a
backup file is either whole or absent. A restore checks the backup first, then copies it into the
live database with the same backup API: one write transaction there, so a crash midway leaves the
old database, never a mixture.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

log = logging.getLogger(__name__)

HEADER = b"SQLite format 3\x00"
# What `migrate` itself writes: a database with rows in no other table holds no data yet.
BOOKKEEPING = frozenset(
    {"django_migrations", "django_content_type", "auth_permission", "auth_group", "auth_group_permissions"}
)


class BackupError(Exception):
    """The backup or restore cannot be made; the message says why and what to do."""


@dataclass
class Result:
    path: Path
    size: int
    seconds: float
    tables: int
    rows: int


def sqlite_file(alias: str = "default") -> Path:
    """The file of an SQLite database alias; refused for another engine or a database in memory."""
    if alias not in settings.DATABASES:
        raise BackupError(f"no database alias {alias!r}")
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        raise BackupError(
            "This site runs on PostgreSQL: back it up with pg_dump and restore it with pg_restore "
            "(README, Backups):\n"
            "  pg_dump -Fc -f tathmini.dump DATABASE_URL\n"
            "  createdb NEW && pg_restore --single-transaction --exit-on-error --no-owner -d NEW tathmini.dump"
        )
    if vendor != "sqlite":
        raise BackupError(f"backups of a {vendor} database are made with its own tools")
    name = str(connections[alias].settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("the database is in memory: there is no file to back up or restore")
    return Path(name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _problems(conn: sqlite3.Connection) -> list[str]:
    found = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if found == ["ok"] else found


def _tally(conn: sqlite3.Connection) -> tuple[int, int]:
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith("sqlite_")
    ]
    rows = sum(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables)  # noqa: S608
    return len(tables), rows


def backup(source: Path, target: Path) -> Result:
    """Copy the live database ``source`` to ``target`` (a file, or a directory to put a dated file
    in) while others may be writing it."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.is_dir():
        target = target / f"tathmini-{timezone.localtime():%Y%m%d-%H%M%S}.sqlite3"
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup cannot overwrite the database it copies")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    started = time.monotonic()
    try:
        live = sqlite3.connect(source, timeout=60)
        copy = sqlite3.connect(partial)
        try:
            # All pages in one step: one read transaction on the live database, so the copy is one
            # moment of it. In steps, a write by another process would restart the copy each time.
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            problems = _problems(copy)
            if problems:
                raise BackupError(f"the copy failed its integrity check: {'; '.join(problems[:5])}")
            tables, rows = _tally(copy)
        finally:
            copy.close()
            live.close()
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    result = Result(target, target.stat().st_size, time.monotonic() - started, tables, rows)
    log.info("database backed up to %s: %d bytes, %d rows, %.2f s", target, result.size, rows, result.seconds)
    return result


def check_backup(path: Path) -> sqlite3.Connection:
    """An open, read-only connection to a backup that is whole and is a Tathmini database."""
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    with open(path, "rb") as f:
        if f.read(len(HEADER)) != HEADER:
            raise BackupError(f"{path} is not an SQLite database")
    conn = None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        problems = _problems(conn)
        if problems:
            raise BackupError(f"the backup is damaged and was not restored: {'; '.join(problems[:5])}")
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone():
            raise BackupError(f"{path} is not a Tathmini database (it has no migrations table)")
    except sqlite3.Error as e:
        if conn is not None:
            conn.close()
        raise BackupError(f"the backup is damaged and was not restored: {e}") from None
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    return conn


def holds_data(path: Path) -> list[str]:
    """The tables of the database at ``path`` that hold rows beyond what `migrate` writes."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    conn = sqlite3.connect(path, timeout=60)
    try:
        names = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [
            name
            for name in names
            if not name.startswith("sqlite_")
            and name not in BOOKKEEPING
            and conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone()  # noqa: S608
        ]
    finally:
        conn.close()


def restore(source: Path, target: Path, *, force: bool = False) -> Result:
    """Replace the database ``target`` with the backup ``source``, all at once. Refused when the
    backup is damaged, and when ``target`` holds data unless ``force``."""
    started = time.monotonic()
    backup_conn = check_backup(source)
    try:
        filled = holds_data(target)
        if filled and not force:
            raise BackupError(
                f"the database at {target} holds data ({len(filled)} tables with rows, e.g. {', '.join(filled[:3])}); "
                "restoring replaces all of it. Stop the site, then run restore again with --force "
                "(or restore into a new, empty TATHMINI_DATA_DIR)."
            )
        connections.close_all()  # this process's own connections must not hold the old database
        live = sqlite3.connect(target, timeout=60)
        try:
            try:
                # One write transaction on the live database: a crash midway leaves it as it was.
                backup_conn.backup(live)
            except sqlite3.OperationalError as e:
                raise BackupError(f"the database at {target} could not be replaced: {e}") from None
            live.execute("PRAGMA journal_mode=WAL")  # as the site runs it (settings.DATABASES)
            problems = _problems(live)
            if problems:
                raise BackupError(f"the restored database failed its integrity check: {'; '.join(problems[:5])}")
            tables, rows = _tally(live)
        finally:
            live.close()
    finally:
        backup_conn.close()
    result = Result(target, target.stat().st_size, time.monotonic() - started, tables, rows)
    log.warning("database %s restored from %s (%d rows)%s", target, source, rows, " over its data" if filled else "")
    return result
