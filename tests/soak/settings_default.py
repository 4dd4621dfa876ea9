"""The product's settings with Django's own defaults for SQLite: deferred transactions, the rollback
journal and a 5-second busy timeout. The soak runs under them (``--mode default``) to show what the
configured transaction mode, WAL and timeout prevent."""

from tathmini.settings import *  # noqa: F403
from tathmini.settings import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {}
