"""The one rule for text that comes in, on every channel (docs/reliability.md, "Hostile input").

**Refused**, with a message that names the character and where it is: control characters (C0
except tab, line feed and carriage return; DEL; C1), the invisible text-direction controls that
reorder what a reader sees (embeddings, overrides and isolates, U+202A–U+202E and U+2066–U+2069:
"Trojan source" text), unpaired surrogates and the non-characters U+FFFE/U+FFFF. None of these is
ever typed on purpose, PostgreSQL cannot store NUL at all, and XLSX cannot hold C0 controls.

**Stored as written**: markup (every page escapes it), zero-width joiners and spaces, the
left-to-right and right-to-left marks (U+200E, U+200F, U+061C: harmless, and needed in mixed
Arabic and Latin text), emoji and every other character outside the basic plane.

The web forms (``SafeTextFormMixin``), the API serializers, the spreadsheet import, the plan file
and evidence file names all ask ``problem``/``validate_text``; ``UnstorableInputMiddleware``
refuses NUL in an address or a query string before any view can pass it to a query (posted
forms are the forms' to check, beside each field). YAML read from users goes through
``NoAliasLoader``, which refuses aliases (a few lines of them name billions of nodes: "billion
laughs") and deep nesting.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import yaml
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # what a database refuses outright
MAX_SHOWN = 300  # characters of a value or message echoed back


def problem(text: str) -> str | None:
    """Why ``text`` is refused (a sentence naming the first bad character), or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    params = {"position": found.start() + 1, "code": f"U+{ord(char):04X}", "name": unicodedata.name(char, "")}
    if _BIDI.match(char):
        return (
            _(
                "Character %(position)d is an invisible text-direction control (%(code)s %(name)s), "
                "which can disguise what the text says; remove it."
            )
            % params
        )
    if unicodedata.category(char) == "Cc":
        return (
            _("Character %(position)d is a control character (%(code)s), which cannot be stored; remove it.") % params
        )
    return _("Character %(position)d is not a valid character (%(code)s); remove it.") % params


def validate_text(value: Any) -> None:
    """A Django validator (forms, models, DRF) for the rule above."""
    if isinstance(value, str):
        reason = problem(value)
        if reason is not None:
            raise ValidationError(reason, code="forbidden_character")


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` safe to echo in a message and to store in a report: each refused character
    replaced by U+FFFD and at most ``limit`` characters (a long value ends with "…")."""
    cleaned = _FORBIDDEN.sub("\ufffd", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


# --- Web forms ------------------------------------------------------------------------------
class SafeTextFormMixin:
    """Every text field of the form (CharField and its kinds: email, URL, slug …) follows the
    rule; the error shows beside the field and what was typed stays in the form."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_text not in field.validators:
                field.validators.append(validate_text)  # a copy per form instance (Field.__deepcopy__)


# --- Every request ----------------------------------------------------------------------------
class UnstorableInputMiddleware:
    """Refuses, with 400, a request whose address or query string carries a character no database
    stores (NUL, an unpaired surrogate). Views read query parameters straight into queries (a
    code, a filter), and PostgreSQL answers such a query with an error, not "no match". A posted
    body is left alone: reading it here would parse every upload before the view, and take the
    API's body from DRF; the forms and serializers apply the whole rule, beside the field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._where(request)
        if where is not None:
            return self._refuse(request, where)
        return self.get_response(request)

    @staticmethod
    def _where(request: HttpRequest) -> str | None:
        if unstorable(request.path):
            return shown(request.path, 60)
        for key, values in request.GET.lists():
            if unstorable(key) or any(unstorable(v) for v in values):
                return shown(key, 60)
        return None

    @staticmethod
    def _refuse(request: HttpRequest, where: str) -> HttpResponse:
        detail = _(
            "The request was refused: “%(where)s” contains a NUL character (U+0000) or a broken character. "
            "Nothing was saved."
        ) % {"where": where}
        if request.path.startswith("/api/"):
            # The API's problem document (tathmini/api/problems.py), which core cannot import.
            body = {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail}
            return JsonResponse(
                {**body, "instance": shown(request.path), "code": "invalid"},
                status=400,
                content_type="application/problem+json",
                json_dumps_params={"ensure_ascii": False},
            )
        return render(request, "core/refused_input.html", {"detail": detail}, status=400)


# --- YAML ---------------------------------------------------------------------------------------
MAX_YAML_DEPTH = 50


class NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (``*a``), which a few nested lines turn into billions of
    nodes, and nesting deeper than MAX_YAML_DEPTH, which would exhaust the parser's recursion.
    Nothing users write needs either. The errors are ``MarkedYAMLError``s, so callers report
    them with their line like any syntax error."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed: write the value out", mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
