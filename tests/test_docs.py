"""The documentation keeps up with the code (STYLE.md habit 10)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_environment_variable_is_in_the_readme() -> None:
    sources = (ROOT / "tathmini" / "settings.py").read_text() + (ROOT / "tathmini" / "core" / "demo.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z_]+)"', sources))
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', sources))
    names |= set(
        re.findall(
            r'os\.environ\.get\(\s*"([A-Z_]+)"', (ROOT / "tathmini/core/management/commands/bootstrap.py").read_text()
        )
    )
    assert len(names) > 10
    undocumented = sorted(name for name in names if f"`{name}`" not in README)
    assert undocumented == [], "add these to the README's configuration table"


def test_every_management_command_is_documented() -> None:
    commands = {p.stem for p in ROOT.glob("tathmini/*/management/commands/*.py") if not p.stem.startswith("_")}
    docs = README + "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    missing = sorted(c for c in commands if f"manage.py {c}" not in docs)
    assert commands and missing == []


def test_architecture_doc_names_every_app() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    apps = {p.parent.name for p in ROOT.glob("tathmini/*/apps.py")}
    missing = sorted(a for a in apps if f"`{a}/`" not in architecture)
    assert apps and missing == []
