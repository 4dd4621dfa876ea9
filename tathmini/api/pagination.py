"""Cursor pages of a record list, and the two query parameters that walk them."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
# A query string value may hold any character but NUL, which tathmini.core.safeinput refuses
# before any view runs.
NO_NUL = "^[^\\x00]*$"


class RecordPagination(CursorPagination):
    """Cursor pages in primary-key order: stable while records are added, one query per page.

    A ``page_size`` that is not a whole number from 1 to ``max_page_size`` is a 400, like any other
    bad query parameter (DRF would silently use the default page instead)."""

    ordering = "pk"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if not all(_WHOLE_NUMBER.fullmatch(v) and len(v) < 10 and 1 <= int(v) <= self.max_page_size for v in values):
            message = _("Use a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return int(values[-1])

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": _("The page to read: the cursor in the address of next or previous."),
                "schema": {"type": "string", "pattern": NO_NUL},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": _("Records per page (%(default)d when left out).") % {"default": self.page_size},
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
