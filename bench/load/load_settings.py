"""The production settings for the load run, with its collected static files in the run's own
folder (``LOAD_STATIC_ROOT``) so that a run never writes into the checkout.

With ``LOAD_STATIC_COMPRESS=0`` (run.py --quick-static, for the smoke test) the static files are
hashed as in production but not compressed: compressing every file takes most of a minute.
"""

import os
from pathlib import Path

from tathmini.settings import *  # noqa: F403
from tathmini.settings import STORAGES

STATIC_ROOT = Path(os.environ["LOAD_STATIC_ROOT"])
if os.environ.get("LOAD_STATIC_COMPRESS") == "0":
    STORAGES = {
        **STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
