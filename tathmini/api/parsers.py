"""The API's JSON parser: DRF's, stricter.

Python's JSON decoder recurses once per level of nesting, and keeps the last of two values for
the same key without a word. This parser answers 400 for nesting too deep to decode and for an
object that names a key twice. (The body's size is bounded before parsing: Django refuses one
over DATA_UPLOAD_MAX_MEMORY_SIZE, which ``problems`` answers with 413.)
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from tathmini.core.safeinput import shown


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
        except _DuplicateKey as exc:
            raise exceptions.ParseError(
                _("The key “%(key)s” appears twice in one object.") % {"key": shown(str(exc), 100)}
            ) from None
        except RecursionError:
            raise exceptions.ParseError(_("The JSON is nested too deeply.")) from None
        except ValueError as exc:  # UnicodeDecodeError too
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
