"""Lists as CSV and XLSX, in the import templates' columns, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) would run as a formula in Excel
or LibreOffice. In CSV such a cell gets a leading apostrophe (the import removes exactly that
apostrophe again); in XLSX it is written as a typed text cell, which no spreadsheet evaluates.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

from tathmini.records.types import RecordType

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def escape_csv_cell(value: str) -> str:
    # Text that already starts with apostrophes before a formula character gets one more, so
    # that the import, which removes one, gives back exactly what was stored.
    return "'" + value if is_formula_like(value.lstrip("'")) else value


def unescape_csv_cell(value: str) -> str:
    """Undo ``escape_csv_cell``: one apostrophe before (apostrophes and) a formula character is ours."""
    return value[1:] if value.startswith("'") and is_formula_like(value.lstrip("'")) else value


def safe_filename(name: str) -> str:
    """A file name without path separators, quotes or control characters."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return cleaned[:100] or "export"


def cell_value(rt: RecordType, instance: models.Model, name: str) -> Any:
    field = rt.model_field(name)
    if field.many_to_many:
        lookup = rt.lookups.get(name, "pk")
        return ";".join(str(getattr(o, lookup)) for o in getattr(instance, name).all())
    value = getattr(instance, name)
    if field.is_relation:
        return "" if value is None else getattr(value, rt.lookups.get(name, "pk"))
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def rows(rt: RecordType, queryset: Iterable[models.Model]) -> Iterator[list[Any]]:
    yield list(rt.fields)
    for instance in queryset:
        yield [cell_value(rt, instance, name) for name in rt.fields]


def prefetched(rt: RecordType, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    related = [n for n in rt.fields if rt.model_field(n).is_relation and not rt.model_field(n).many_to_many]
    many = [n for n in rt.fields if rt.model_field(n).many_to_many]
    return queryset.select_related(*related).prefetch_related(*many)


def to_csv(data: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in data:
        writer.writerow([escape_csv_cell(_text(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def to_xlsx(data: Iterable[list[Any]], title: str = "records") -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = safe_filename(title)[:31]
    for r, row in enumerate(data, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, Decimal):
                value = float(value) if value != value.to_integral() else int(value)
            if isinstance(value, str):
                # XLSX cannot hold control characters; text stored before the input rule
                # (tathmini/core/safeinput.py) may have them, and must not fail the export.
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
