"""Bilingual content: every user-facing text stored twice, ``<field>_sw`` and ``<field>_en``.

Two plain columns (not a translation table) keep queries, exports and the plan file simple;
the product has exactly two languages. ``bilingual("name")`` gives a model a ``name``
property that reads the active language, falling back to the other one when empty.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def current_language() -> str:
    return "en" if (get_language() or "sw").startswith("en") else "sw"


def pick(obj: Any, base: str, language: str | None = None) -> str:
    lang = language or current_language()
    other = "en" if lang == "sw" else "sw"
    return getattr(obj, f"{base}_{lang}") or getattr(obj, f"{base}_{other}")


def bilingual(base: str) -> property:
    return property(lambda self: pick(self, base), doc=f"{base} in the active language")


def text_fields(verbose: Any, *, long: bool = False, blank: bool = False) -> tuple[Any, Any]:
    """The Swahili and English columns of one text: ``name_sw, name_en = text_fields(_("name"))``."""
    cls = models.TextField if long else models.CharField
    kwargs: dict[str, Any] = {"blank": blank}
    if not long:
        kwargs["max_length"] = 500
    return (
        cls(format_lazy("{} ({})", verbose, _("Kiswahili")), **kwargs),
        cls(format_lazy("{} ({})", verbose, _("English")), **kwargs),
    )
