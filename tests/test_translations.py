"""Swahili is the default language and its translation is complete.

The extraction runs on a copy of the source tree, so a string added to a template or to the
code without a Swahili translation fails here, not in front of a user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "sw" / "LC_MESSAGES" / "django.po"


def _problems(po: polib.POFile) -> list[str]:
    out = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            out.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            out.append(f"untranslated: {entry.msgid!r}")
    return out


def test_the_swahili_catalogue_is_complete() -> None:
    po = polib.pofile(str(CATALOGUE))
    assert len(po) > 100
    assert _problems(po) == []
    assert "fuzzy" not in po.metadata_as_entry().flags


def test_the_compiled_catalogue_matches_the_source() -> None:
    po = {e.msgid: e.msgstr or e.msgstr_plural for e in polib.pofile(str(CATALOGUE)) if not e.obsolete}
    mo = {e.msgid: e.msgstr or e.msgstr_plural for e in polib.mofile(str(CATALOGUE.with_suffix(".mo"))) if e.msgid}
    assert po == mo, "run `make messages` to recompile locale/sw/LC_MESSAGES/django.mo"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is installed by `make test-deps`")
def test_every_string_in_the_code_is_in_the_catalogue_and_translated(tmp_path: Path) -> None:
    for name in ("tathmini", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tathmini.settings", "TATHMINI_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sw", "--no-obsolete", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = polib.pofile(str(tmp_path / "locale" / "sw" / "LC_MESSAGES" / "django.po"))
    assert _problems(extracted) == [], "run `make messages` and translate the new strings"


def test_swahili_is_the_default_and_english_is_beside_it(db: Any) -> None:
    sw = Client().get("/")
    assert b'<html lang="sw">' in sw.content
    en_client = Client()
    en_client.cookies["tathmini_language"] = "en"
    en = en_client.get("/")
    assert b'<html lang="en">' in en.content
    with translation.override("sw"):
        sign_in = translation.gettext("Sign in")
    assert sign_in != "Sign in"
    assert sign_in.encode() in sw.content and b"Sign in" in en.content


def test_the_language_switch_works_without_javascript(db: Any) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/plans/"})
    assert response.status_code == 302 and response["Location"] == "/plans/"
    assert b'<html lang="en">' in client.get("/plans/").content
