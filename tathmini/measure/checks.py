"""System checks: what the indicator engine's SQL needs of the database."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.core import checks
from django.db import connections

# The term queries name their common table expressions MATERIALIZED (compiler._with), which
# SQLite understands from 3.35 and PostgreSQL from 12.
SQLITE_MINIMUM = (3, 35, 0)


def sqlite_version_ok(version: tuple[int, ...] = sqlite3.sqlite_version_info) -> bool:
    return tuple(version) >= SQLITE_MINIMUM


@checks.register(checks.Tags.database)
def check_sqlite_version(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if connections["default"].vendor != "sqlite" or sqlite_version_ok():
        return []
    return [
        checks.Error(
            f"SQLite {sqlite3.sqlite_version} is too old for the indicator engine, which needs 3.35 or later.",
            hint="Use a Python built against a newer SQLite, or PostgreSQL 12 or later (DATABASE_URL).",
            id="measure.E001",
        )
    ]
