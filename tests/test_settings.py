"""Configuration: typed environment readers that fail loudly, the database URL, the production
mode's refusals and its `check --deploy`, and the embedded SQLite database's durability settings."""

from __future__ import annotations

import copy
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from tathmini.env import database_from_url, env_bool, env_choice, env_int, env_list

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_HOST = "tathmini.example.go.tz"


# --- Typed environment readers --------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("yes", True),
        ("On", True),
        (" TRUE ", True),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("TATHMINI_TEST_FLAG", raw)
    assert env_bool("TATHMINI_TEST_FLAG", default=not expected) is expected


def test_env_bool_unset_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TATHMINI_TEST_FLAG", raising=False)
    assert env_bool("TATHMINI_TEST_FLAG", True) is True
    assert env_bool("TATHMINI_TEST_FLAG", False) is False


def test_env_bool_refuses_a_value_it_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TATHMINI_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="TATHMINI_TEST_FLAG") as exc:
        env_bool("TATHMINI_TEST_FLAG", True)
    assert "maybe" in str(exc.value)


def test_env_int_reads_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TATHMINI_TEST_NUMBER", "42")
    assert env_int("TATHMINI_TEST_NUMBER", 5) == 42
    monkeypatch.setenv("TATHMINI_TEST_NUMBER", "")
    assert env_int("TATHMINI_TEST_NUMBER", 5) == 5
    monkeypatch.delenv("TATHMINI_TEST_NUMBER")
    assert env_int("TATHMINI_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "5 minutes"])
def test_env_int_refuses_what_is_not_a_whole_number(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("TATHMINI_TEST_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="TATHMINI_TEST_NUMBER"):
        env_int("TATHMINI_TEST_NUMBER", 5)


def test_env_int_refuses_a_value_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TATHMINI_TEST_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match=r"TATHMINI_TEST_NUMBER=0 must be at least 1"):
        env_int("TATHMINI_TEST_NUMBER", 5, minimum=1)
    monkeypatch.setenv("TATHMINI_TEST_NUMBER", "1")
    assert env_int("TATHMINI_TEST_NUMBER", 5, minimum=1) == 1


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TATHMINI_TEST_LIST", " a.go.tz, b.go.tz ,, ")
    assert env_list("TATHMINI_TEST_LIST") == ["a.go.tz", "b.go.tz"]


def test_env_choice_refuses_an_unknown_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TATHMINI_TEST_CHOICE", "loud")
    with pytest.raises(ImproperlyConfigured, match="TATHMINI_TEST_CHOICE"):
        env_choice("TATHMINI_TEST_CHOICE", ("quiet", "normal"), "normal")


# --- DATABASE_URL ---------------------------------------------------------------------------
def test_database_url_gives_every_connection_part() -> None:
    db = database_from_url("postgres://tathmini:s%40cret%2F1@db.example.go.tz:6432/tathmini_prod?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["NAME"] == "tathmini_prod"
    assert db["USER"] == "tathmini"
    assert db["PASSWORD"] == "s@cret/1"  # percent-escapes decoded
    assert db["HOST"] == "db.example.go.tz"
    assert db["PORT"] == "6432"
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_database_url_postgresql_scheme_and_defaults() -> None:
    db = database_from_url("postgresql://localhost/tathmini%20test")
    assert db["NAME"] == "tathmini test"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == ("", "", "localhost", "")
    assert db["OPTIONS"] == {}


@pytest.mark.parametrize(
    "url", ["mysql://user:pw@localhost:3306/tathmini", "sqlite:///data/tathmini.sqlite3", "db.example.go.tz/tathmini"]
)
def test_database_url_refuses_other_databases(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="not supported"):
        database_from_url(url)


@pytest.mark.parametrize("url", ["postgres://user@db.example.go.tz:5432/", "postgres://user@db.example.go.tz"])
def test_database_url_refuses_a_url_without_a_database_name(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        database_from_url(url)


def test_database_url_refuses_a_bad_port() -> None:
    with pytest.raises(ImproperlyConfigured, match="port"):
        database_from_url("postgres://user@db.example.go.tz:fivefour/tathmini")


# --- Production mode (a fresh process, as the server starts) -------------------------------
def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a clean environment: only PATH is passed through, so the developer's own
    DATABASE_URL or DEBUG cannot leak in; the embedded database goes to a temporary directory."""
    full_env = {"PATH": os.environ.get("PATH", ""), "TATHMINI_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides: str) -> dict[str, str]:
    env = {"TATHMINI_PRODUCTION": "1", "SECRET_KEY": secrets.token_urlsafe(45), "ALLOWED_HOSTS": PRODUCTION_HOST}
    env.update(overrides)
    return {key: value for key, value in env.items() if value != "<unset>"}


def test_production_mode_passes_the_deployment_checklist(tmp_path: Path) -> None:
    env = production_env()
    assert len(env["SECRET_KEY"]) == 60
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_turns_debug_off_even_when_asked_for_it(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.ALLOWED_HOSTS)"
    )
    result = run_manage(tmp_path, "shell", "--no-imports", "-c", code, **production_env(DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"False True ['{PRODUCTION_HOST}']"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": "<unset>"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 49}, "SECRET_KEY"),  # too short to be a real key
        ({"SECRET_KEY": "dev-only-insecure-key-never-used-in-production"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": "<unset>"}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({"TATHMINI_PRODUCTION": "perhaps"}, "TATHMINI_PRODUCTION"),
    ],
)
def test_production_mode_refuses_to_start_without_its_settings(
    tmp_path: Path, overrides: dict[str, str], named: str
) -> None:
    result = run_manage(tmp_path, "check", **production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.strip().splitlines()[-1]


def test_development_mode_starts_with_no_variables_set(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])"
    result = run_manage(tmp_path, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True django.db.backends.sqlite3"


# --- The embedded SQLite database -----------------------------------------------------------
def test_embedded_database_is_a_file_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    """Without DATABASE_URL the product runs on a SQLite file in TATHMINI_DATA_DIR, configured for
    concurrent readers (WAL) and durable commits (synchronous=FULL). Runs on either suite database."""
    code = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "out = []\n"
        "for pragma in ('journal_mode', 'synchronous', 'foreign_keys'):\n"
        "    c.execute('PRAGMA ' + pragma)\n"
        "    out.append(str(c.fetchone()[0]))\n"
        "print(' '.join(out), connection.transaction_mode)\n"
    )
    result = run_manage(tmp_path, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal 2 1 IMMEDIATE"
    assert (tmp_path / "data" / "tathmini.sqlite3").is_file()


@pytest.fixture
def sqlite_file_settings(tmp_path: Path) -> dict[str, Any]:
    """The suite's own database settings, pointed at a temporary file (the test database itself is
    in memory, where journal_mode can only be 'memory')."""
    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL; the embedded-database test above covers SQLite")
    configured = copy.deepcopy(connection.settings_dict)
    configured["NAME"] = str(tmp_path / "tathmini.sqlite3")
    configured["OPTIONS"] = copy.deepcopy(settings.DATABASES["default"]["OPTIONS"])
    return configured


def test_sqlite_connection_runs_in_wal_mode_with_full_sync_and_foreign_keys(
    sqlite_file_settings: dict[str, Any], django_db_blocker: Any
) -> None:
    wrapper = DatabaseWrapper(sqlite_file_settings, alias="wal_check")
    with django_db_blocker.unblock():
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                cursor.execute("PRAGMA synchronous")
                assert cursor.fetchone()[0] == 2  # FULL
                cursor.execute("PRAGMA foreign_keys")
                assert cursor.fetchone()[0] == 1
            assert getattr(wrapper, "transaction_mode", None) == "IMMEDIATE"
        finally:
            wrapper.close()
    # WAL is a property of the file: a plain connection, with no init command, sees it too.
    with sqlite3.connect(sqlite_file_settings["NAME"]) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plain.close()


def test_sqlite_transactions_take_the_write_lock_when_they_begin(
    sqlite_file_settings: dict[str, Any], django_db_blocker: Any
) -> None:
    """IMMEDIATE: a second writer waits at BEGIN (not midway through its work), while readers go on."""
    impatient = copy.deepcopy(sqlite_file_settings)
    impatient["OPTIONS"]["timeout"] = 0.1  # do not wait the configured 20 s for the lock
    writer = DatabaseWrapper(sqlite_file_settings, alias="lock_check_writer")
    other = DatabaseWrapper(impatient, alias="lock_check_other")
    with django_db_blocker.unblock():
        try:
            with writer.cursor() as cursor:
                cursor.execute("CREATE TABLE note (text TEXT)")
                cursor.execute("INSERT INTO note VALUES ('before')")
            # Begin as transaction.atomic() does; no write has happened yet.
            writer.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            with other.cursor() as cursor:
                cursor.execute("SELECT text FROM note")
                assert cursor.fetchall() == [("before",)]  # a reader is not blocked
            with pytest.raises(OperationalError, match="locked"):
                other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        finally:
            writer.close()
            other.close()
