"""Spreadsheet import of operational records: all rows or none (docs/import-formats.md).

A file goes through four steps, each over the whole file before the next begins:

1. **Guards**, before anything parses it: its size, that it is what its name says, and for XLSX
   (a zip of XML) the number of entries, their uncompressed size and compression ratio. The XML
   itself is parsed by openpyxl through defusedxml, so entity tricks are refused, not expanded.
2. **Reading** the header (the template's columns, in any order) and the rows into plain values
   per field type; foreign keys resolve through the record type's lookups with one query per
   column for the whole file.
3. **Checking** every row: the model's field validation, its check constraints (evaluated here in
   Python, so that a file of any length costs the same few queries), natural keys (one query
   finds the existing records the file updates), and the importer's scope.
4. **Writing**, only when no row has a problem and it is not a dry run: one transaction with bulk
   inserts, bulk updates, many-to-many rows and the audit events.

The report names each problem by spreadsheet row (the header is row 1), column and reason.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING

from tathmini.core import audit
from tathmini.core.audit import plain as plain_value  # the trail's own rendering, so diffs compare alike
from tathmini.core.models import AuditEvent
from tathmini.core.safeinput import problem as text_problem
from tathmini.core.safeinput import shown
from tathmini.core.signals import records_changed
from tathmini.records import exports, selectors, services, types
from tathmini.records.models import ImportJob
from tathmini.records.types import RecordType

log = logging.getLogger(__name__)

MAX_PROBLEMS = 1000  # kept and shown; the count says how many there were in all
# A distinct-value list longer than this is not sent as an IN (...) list: the query loads the
# whole related table instead, which stays one query and within SQLite's parameter limit.
IN_LIMIT = 5000
# An XLSX entry that inflates more than this many times is a zip bomb, not a spreadsheet (real
# sheets of very repetitive rows stay well below 50); tiny entries are exempt.
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1 << 20
WRITE_BATCH = 1000
# Reading bounds, so that memory follows what a file can import rather than its bytes: no
# template has more than a few dozen columns, and no spreadsheet program writes a sheet row past
# XLSX_MAX_ROW or a CSV line longer than a few kilobytes.
MAX_COLUMNS = 100
MAX_LINE_CHARACTERS = 1_000_000
XLSX_MAX_ROW = 1_048_576
# bulk_update writes one CASE WHEN per field with a branch per row of the batch, so its cost per row
# grows with the batch: updates go in smaller batches than inserts.
UPDATE_BATCH = 100

TRUE_WORDS = {"1", "true", "yes", "ndiyo", "kweli"}
FALSE_WORDS = {"0", "false", "no", "hapana", "si kweli"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_INTEGER = re.compile(r"[+-]?\d+")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # as a file reads with newline=""


class FileRefused(Exception):
    """The file as a whole cannot be imported: the reason goes in the report as a file-level problem."""


@dataclass
class Problem:
    row: int | None  # as numbered in the spreadsheet (header = 1); None for the whole file
    column: str
    reason: str


@dataclass
class Report:
    key: str
    dry_run: bool
    batch: str = ""
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def add(self, row: int | None, column: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            # A reason may quote the cell: never more than a paragraph of it, nor a character that
            # the job's stored report (JSON in the database) or its page could not hold.
            self.problems.append(Problem(row, shown(column, 100), shown(reason, 1000)))

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


Progress = Callable[[int, int], None]


# --- Columns ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str
    field: Any
    kind: str  # text, integer, decimal, date, datetime, boolean, choice, fk, m2m
    required: bool
    lookup: str = ""  # fk / m2m: the related field a file writes


def _kind(model_field: Any) -> str:
    if model_field.many_to_many:
        return "m2m"
    if model_field.is_relation:
        return "fk"
    if model_field.choices:
        return "choice"
    internal = model_field.get_internal_type()
    if internal == "BooleanField":
        return "boolean"
    if internal == "DateTimeField":
        return "datetime"
    if internal == "DateField":
        return "date"
    if internal == "DecimalField":
        return "decimal"
    if internal.endswith("IntegerField"):
        return "integer"
    return "text"


def columns(rt: RecordType) -> list[Column]:
    """The file's columns, in template order. A column is required when the model needs a value
    and has no default, or when it is part of the natural key."""
    out = []
    for name in rt.fields:
        f = rt.model_field(name)
        kind = _kind(f)
        required = (not f.blank and not f.has_default()) or name in rt.natural_key
        lookup = rt.lookups.get(name, "pk") if kind in ("fk", "m2m") else ""
        out.append(Column(name, f, kind, required, lookup))
    return out


# --- Step 1: guards and reading -----------------------------------------------------------------
@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells up to the header's width)
    csv: bool
    # Row number → index of the first cell with a value beyond the header's columns (not kept).
    stray: dict[int, int] = field(default_factory=dict)

    def add_header(self, cells: list[Any]) -> None:
        names = ["" if v is None else str(v) for v in cells]
        while names and not names[-1].strip():
            names.pop()
        if len(names) > MAX_COLUMNS:
            raise FileRefused(
                _("The header row has %(count)d columns; a file may have at most %(limit)d.")
                % {"count": len(names), "limit": MAX_COLUMNS}
            )
        self.header = names

    def add_row(self, number: int, cells: list[Any]) -> None:
        if len(self.rows) >= settings.IMPORT_MAX_ROWS:
            raise FileRefused(
                _("The file has more than %(limit)d rows. Split it into smaller files.")
                % {"limit": settings.IMPORT_MAX_ROWS}
            )
        width = len(self.header)
        if len(cells) > width:
            extra = next((i for i in range(width, len(cells)) if cells[i] is not None and cells[i] != ""), None)
            if extra is not None:
                self.stray[number] = extra
            cells = cells[:width]
        self.rows.append((number, cells))


def _format_of(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx"
    raise FileRefused(_("Only .xlsx and .csv files can be imported."))


def check_file(filename: str, data: bytes) -> str:
    """The guards that run before any parser sees the file; returns "csv" or "xlsx"."""
    fmt = _format_of(filename)
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise FileRefused(
            _("The file is larger than %(limit)s MB. Split it into smaller files.") % {"limit": _megabytes(limit)}
        )
    is_zip = data[:4] == b"PK\x03\x04"
    if fmt == "csv":
        if is_zip or b"\x00" in data[:65536]:
            raise FileRefused(_("The file is not a CSV text file. Save it as “CSV UTF-8” and try again."))
        return fmt
    if not is_zip:
        raise FileRefused(_("The file is not a real XLSX workbook. Save it as “Excel Workbook (.xlsx)”."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(_("The file is not a real XLSX workbook. Save it as “Excel Workbook (.xlsx)”.")) from None
    if len(entries) > settings.IMPORT_MAX_XLSX_ENTRIES:
        raise FileRefused(
            _("The workbook has %(count)d parts, more than the %(limit)d allowed.")
            % {"count": len(entries), "limit": settings.IMPORT_MAX_XLSX_ENTRIES}
        )
    # Python's zipfile never inflates an entry past its declared size (it stops and fails the
    # CRC check), so the declared sizes are a safe bound on what parsing will unpack.
    total = sum(e.file_size for e in entries)
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise FileRefused(
            _("The workbook unpacks to more than %(limit)s MB.")
            % {"limit": _megabytes(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)}
        )
    for e in entries:
        if e.file_size > RATIO_FLOOR_BYTES and e.file_size > MAX_COMPRESSION_RATIO * max(e.compress_size, 1):
            raise FileRefused(_("The workbook is packed suspiciously tightly (a “zip bomb”) and was not opened."))
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(_("The file is not a real XLSX workbook. Save it as “Excel Workbook (.xlsx)”."))
    return fmt


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):g}"


def read_table(filename: str, data: bytes) -> Table:
    fmt = check_file(filename, data)
    return _read_csv(data) if fmt == "csv" else _read_xlsx(data)


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")) from None
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    # Spreadsheets set to a comma decimal separator (common in Swahili and French locales) save
    # with semicolons; the header has no commas or semicolons of its own, so it tells which.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    number = 0

    def lines() -> Iterator[str]:
        # One line at a time from the text itself: a StringIO would hold a second, four times
        # larger copy of the whole file.
        for match in _LINE.finditer(text):
            line = match.group()
            if len(line) > MAX_LINE_CHARACTERS:
                raise FileRefused(
                    _("Row %(row)d is longer than %(limit)d characters.")
                    % {"row": number + 1, "limit": MAX_LINE_CHARACTERS}
                )
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    table: Table | None = None
    try:
        for cells in reader:
            number += 1
            if table is None:
                table = Table([], [], csv=True)
                table.add_header(cells)
            elif any(c.strip() for c in cells):
                table.add_row(number, cells)
    except csv.Error as e:
        raise FileRefused(_("Row %(row)d cannot be read: %(error)s") % {"row": number + 1, "error": e}) from None
    if table is None:
        raise FileRefused(_("The file is empty."))
    return table


def _read_xlsx(data: bytes) -> Table:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as e:
        log.info("unreadable workbook: %r", e)
        raise FileRefused(
            _("The workbook cannot be read: it is damaged, not an XLSX file, or contains unsafe XML.")
        ) from None
    try:
        if not wb.worksheets:
            raise FileRefused(_("The workbook has no sheet."))
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # read every row there is, not what the file's own dimension tag claims
        table: Table | None = None
        for number, row in enumerate(ws.iter_rows(), start=1):
            if number > XLSX_MAX_ROW:  # a row number no spreadsheet program writes: not a real sheet
                raise FileRefused(
                    _("The sheet has rows past row %(limit)d, more than a spreadsheet holds.") % {"limit": XLSX_MAX_ROW}
                )
            cells = [_xlsx_value(c) for c in row]
            if table is None:
                table = Table([], [], csv=False)
                table.add_header(cells)
            elif any(v is not None and v != "" for v in cells):
                table.add_row(number, cells)
    except FileRefused:
        raise
    except Exception as e:
        log.info("unreadable sheet: %r", e)
        raise FileRefused(
            _("The workbook cannot be read: it is damaged, not an XLSX file, or contains unsafe XML.")
        ) from None
    finally:
        wb.close()
    if table is None:
        raise FileRefused(_("The file is empty."))
    return table


def _xlsx_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" and not isinstance(value, str):
        value = getattr(value, "text", None) or str(value)  # array and table formulas: their text
    return value


# --- Step 2: cells to values --------------------------------------------------------------------
class CellError(Exception):
    pass


def _as_text(raw: Any, from_csv: bool) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time(0) else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw)
    if from_csv:
        text = exports.unescape_csv_cell(text)
    return text.strip()


def _to_integer(raw: Any, text: str) -> int:
    if isinstance(raw, bool):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if _INTEGER.fullmatch(text):
        return int(text)
    raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})


def _to_decimal(raw: Any, text: str) -> Decimal:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text})
    return value


def _to_date(raw: Any, text: str) -> date:
    if isinstance(raw, datetime):
        if raw.time() != time(0):
            raise CellError(_("“%(value)s” has a time of day; this column takes a date only.") % {"value": text})
        return raw.date()
    if isinstance(raw, date):
        return raw
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise CellError(_("“%(value)s” is not a date written YYYY-MM-DD.") % {"value": text})


def _to_datetime(raw: Any, text: str) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0))
    elif _DATETIME.fullmatch(text):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CellError(_("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).") % {"value": text}) from None
    else:
        raise CellError(_("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).") % {"value": text})
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())  # the Agency's time zone
    return value


def _to_boolean(raw: Any, text: str) -> bool:
    if isinstance(raw, bool):
        return raw
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("“%(value)s” is not yes or no (use 1/0, true/false, yes/no, ndiyo/hapana).") % {"value": text})


def _choice_map(model_field: Any) -> dict[str, Any]:
    """Codes and both languages' labels, lower-cased, to the code."""
    out: dict[str, Any] = {}
    for language in ("en", "sw"):
        with translation.override(language):
            for code, label in model_field.flatchoices:
                out.setdefault(str(label).strip().lower(), code)
    for code, _label in model_field.flatchoices:
        out[str(code).lower()] = code
    return out


# --- Step 2b: lookups, one query per column -----------------------------------------------------
@dataclass
class Resolved:
    objects: dict[str, Any]  # the file's text → the related object
    label: str  # "institution", for messages


def _related_queryset(
    rt: RecordType, col: Column, keys: set[str], user: Any = None
) -> tuple[models.QuerySet[Any], dict[Any, str]]:
    related = col.field.related_model
    target = related._meta.pk if col.lookup == "pk" else related._meta.get_field(col.lookup)
    by_value: dict[Any, str] = {}
    for key in keys:
        try:
            by_value[target.to_python(key)] = key
        except ValidationError:
            continue  # "abc" for a numeric key: no object can match it
    qs = related._default_manager.all()
    scope_first, _sep, rest = (rt.scope or "").partition("__")
    related_rt = types.for_model(related)
    if user is not None and related_rt is not None and col.name != scope_first:
        # As the form's choices and the API's: another institution's e-service is "not found" (the
        # scope column itself resolves everything, so naming another institution is reported as such).
        qs = selectors.writable_related(rt, user, related_rt)
    if len(by_value) <= IN_LIMIT:
        qs = qs.filter(**{f"{target.name}__in": list(by_value)})
    if col.name == scope_first and rest:
        qs = qs.annotate(import_scope=F(rest))
    return qs, by_value


def resolve_lookups(
    rt: RecordType, cols: list[Column], texts: list[dict[str, str]], user: Any = None
) -> dict[str, Resolved]:
    """Each related column's texts → the objects they name, among what ``user`` may see."""
    out: dict[str, Resolved] = {}
    for col in cols:
        if col.kind not in ("fk", "m2m"):
            continue
        keys: set[str] = set()
        for row in texts:
            text = row.get(col.name, "")
            if col.kind == "m2m":
                keys.update(k.strip() for k in text.split(";") if k.strip())
            elif text:
                keys.add(text)
        objects: dict[str, Any] = {}
        if keys:
            qs, by_value = _related_queryset(rt, col, keys, user)
            attribute = col.field.related_model._meta.pk.attname if col.lookup == "pk" else col.lookup
            for obj in qs:
                key = by_value.get(getattr(obj, attribute))
                if key is not None:
                    objects[key] = obj
        out[col.name] = Resolved(objects, str(col.field.related_model._meta.verbose_name))
    return out


# --- Step 3: check constraints in Python --------------------------------------------------------
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
_SYMBOLS = {"exact": "=", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


class Unsupported(Exception):
    pass


def _split_lookup(model: Any, lookup: str) -> tuple[Any, str]:
    name, _sep, op = lookup.partition("__")
    if op and op not in _OPERATORS and op != "isnull":
        raise Unsupported(lookup)
    try:
        return model._meta.get_field(name), op or "exact"
    except Exception:
        raise Unsupported(lookup) from None


def holds(model: Any, condition: Any, instance: models.Model) -> bool | None:
    """A check constraint's condition on an unsaved instance, with SQL's three-valued logic:
    None ("unknown", a comparison with NULL) passes a CHECK, as in the database."""
    if isinstance(condition, Q):
        results = [holds(model, child, instance) for child in condition.children]
        if condition.connector == Q.AND:
            value = False if False in results else (None if None in results else True)
        else:
            value = True if True in results else (None if None in results else False)
        return value if not condition.negated or value is None else not value
    lookup, expected = condition
    model_field, op = _split_lookup(model, lookup)
    actual = getattr(instance, model_field.attname)
    if op == "isnull":
        return (actual is None) == bool(expected)
    if isinstance(expected, F):
        expected = getattr(instance, model._meta.get_field(_f_name(expected)).attname)
    elif hasattr(expected, "resolve_expression"):
        raise Unsupported(lookup)
    if actual is None or expected is None:
        return None
    return _OPERATORS[op](actual, expected)


def describe(model: Any, condition: Any) -> str:
    """A condition in a form a spreadsheet user can read: ``ended_on is empty or ended_on ≥ started_on``."""
    if isinstance(condition, Q):
        parts = [describe(model, child) for child in condition.children]
        joined = (" " + (_("and") if condition.connector == Q.AND else _("or")) + " ").join(parts)
        if condition.negated:
            return _("not (%(condition)s)") % {"condition": joined}
        return joined if len(parts) == 1 else f"({joined})" if condition.connector == Q.AND else joined
    lookup, expected = condition
    model_field, op = _split_lookup(model, lookup)
    if op == "isnull":
        return (_("%(column)s is empty") if expected else _("%(column)s is filled")) % {"column": model_field.name}
    other = _f_name(expected) if isinstance(expected, F) else f"“{expected}”"
    return f"{model_field.name} {_SYMBOLS[op]} {other}"


def _f_name(expression: Any) -> str:
    return str(expression.name)


def _constraint_fields(model: Any, condition: Any) -> list[str]:
    if isinstance(condition, Q):
        return [name for child in condition.children for name in _constraint_fields(model, child)]
    lookup, expected = condition
    names = [lookup.split("__")[0]]
    if isinstance(expected, F):
        names.append(_f_name(expected))
    return names


# --- Step 3: the whole check --------------------------------------------------------------------
@dataclass
class Row:
    number: int
    instance: models.Model
    creating: bool
    before: dict[str, Any]
    m2m: dict[str, list[Any]]  # field → related objects, for the many-to-many columns in the file
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Plan:
    """What a checked file would write."""

    rt: RecordType
    present: list[Column]
    rows: list[Row]


def _state(instance: models.Model, m2m: dict[str, list[Any]]) -> dict[str, Any]:
    """As ``audit.snapshot``, with many-to-many from the file instead of one query per record."""
    data = {
        f.name: plain_value(getattr(instance, f.attname)) for f in instance._meta.concrete_fields if not f.primary_key
    }
    for name, objs in m2m.items():
        data[name] = sorted(o.pk for o in objs)
    return data


def _scope_id(obj: Any) -> Any:
    return getattr(obj, "import_scope", obj.pk)


def check_header(rt: RecordType, header: list[str], report: Report) -> list[tuple[int, Column]]:
    by_name = {c.name: c for c in columns(rt)}
    present: list[tuple[int, Column]] = []
    seen: set[str] = set()
    for index, raw in enumerate(header):
        name = str(raw).strip().lower()
        if not name:
            continue
        col = by_name.get(name)
        if col is None:
            report.add(
                1,
                str(raw).strip(),
                _("Unknown column. The columns are: %(columns)s.") % {"columns": ", ".join(rt.fields)},
            )
        elif name in seen:
            report.add(1, name, _("The column appears twice."))
        else:
            seen.add(name)
            present.append((index, col))
    for col in by_name.values():
        if col.required and col.name not in seen:
            report.add(1, col.name, _("This required column is missing."))
    return present


def check(rt: RecordType, user: Any, table: Table, report: Report, progress: Progress | None = None) -> Plan | None:
    """Check every row of the table; returns what would be written (None when the header is wrong)."""
    present = check_header(rt, table.header, report)
    if not report.ok:
        return None
    model = rt.model
    named = {col.name: index for index, col in present}
    cols = [col for _index, col in present]
    report.total_rows = len(table.rows)

    # Cells with data beyond the named columns would be silently dropped: say so instead.
    for number, cells in table.rows:
        if number in table.stray:
            n = table.stray[number] + 1
            report.add(number, "", _("Column %(n)d has a value but no name in the header row.") % {"n": n})
            continue
        for index, value in enumerate(cells):
            if index not in named.values() and value not in (None, ""):
                report.add(number, "", _("Column %(n)d has a value but no name in the header row.") % {"n": index + 1})
                break
    if not report.ok:
        return None

    texts = [
        {c.name: _as_text(cells[i] if i < len(cells) else None, table.csv) for i, c in present}
        for _n, cells in table.rows
    ]
    # The text rule (tathmini/core/safeinput.py) before anything reads a cell: a refused cell is
    # reported and taken as empty, so it reaches no lookup, no message and no query.
    unsafe: list[set[str]] = []
    for (number, _cells), text_row in zip(table.rows, texts, strict=True):
        refused: set[str] = set()
        for name, text in text_row.items():
            reason = text_problem(text)
            if reason is not None:
                report.add(number, name, reason)
                text_row[name] = ""
                refused.add(name)
        unsafe.append(refused)
    resolved = resolve_lookups(rt, cols, texts, user)
    choice_maps = {c.name: _choice_map(c.field) for c in cols if c.kind == "choice"}

    # Pass 1: every cell to a value; remember the natural keys to look for.
    converted: list[tuple[dict[str, Any], set[str]]] = []
    for (number, cells), text_row, refused in zip(table.rows, texts, unsafe, strict=True):
        values: dict[str, Any] = {}
        failed: set[str] = set(refused)
        for index, col in present:
            if col.name in failed:
                continue
            raw = cells[index] if index < len(cells) else None
            try:
                values[col.name] = _convert(col, raw, text_row[col.name], resolved, choice_maps)
            except CellError as e:
                report.add(number, col.name, str(e))
                failed.add(col.name)
        converted.append((values, failed))

    existing = _existing(rt, cols, [v for v, failed in converted if not failed.intersection(rt.natural_key)])
    bound = rt.writes_as_institution(user)
    scope_first = rt.scope.split("__")[0] if rt.scope else None
    constraints = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
    fk_names = {c.name for c in cols if c.kind == "fk"}
    seen_keys: dict[tuple[Any, ...], int] = {}
    rows: list[Row] = []
    total = len(table.rows)
    step = max(total // 50, 1)

    # Pass 2: build, validate and match each row.
    for position, ((number, _cells), (values, failed)) in enumerate(zip(table.rows, converted, strict=True)):
        if progress is not None and position % step == 0:
            progress(position, total)
        key: tuple[Any, ...] | None = None
        if rt.natural_key and not failed.intersection(rt.natural_key):
            key = tuple(_key_part(values[name]) for name in rt.natural_key)
        stored = existing.get(key) if key is not None else None
        if key is not None:
            if key in seen_keys:
                report.add(
                    number,
                    ", ".join(rt.natural_key),
                    _("The same %(key)s as row %(row)d.") % {"key": ", ".join(rt.natural_key), "row": seen_keys[key]},
                )
                continue
            seen_keys[key] = number

        instance = stored if stored is not None else model()
        m2m: dict[str, list[Any]] = {}
        before: dict[str, Any] = {}
        if stored is not None:
            before = _state(stored, {c.name: list(getattr(stored, c.name).all()) for c in cols if c.kind == "m2m"})
        for col in cols:
            if col.name in failed:
                continue
            value = values[col.name]
            if col.kind == "m2m":
                m2m[col.name] = value
            elif col.kind == "fk":
                setattr(instance, col.name, value)
            else:
                setattr(instance, col.field.attname, value)

        row_failed = set(failed)
        try:
            instance.clean_fields(exclude=list(fk_names | failed | {c.name for c in cols if c.kind == "m2m"}))
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                report.add(number, "" if name == NON_FIELD_ERRORS else name, " ".join(messages))
                row_failed.add(name)
        for col in cols:
            if col.name in failed:
                continue
            empty = values[col.name] in (None, []) if col.kind in ("fk", "m2m") else False
            if empty and not col.field.blank:
                report.add(number, col.name, str(col.field.error_messages["blank"]))
                row_failed.add(col.name)
        try:
            instance.clean()
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                report.add(number, "" if name == NON_FIELD_ERRORS else name, " ".join(messages))
                row_failed.add(name)
        for constraint in constraints:
            involved = _constraint_fields(model, constraint.condition)
            if row_failed.intersection(involved):
                continue
            if not _constraint_holds(model, constraint, instance):
                ordered = [n for n in rt.fields if n in involved] or sorted(set(involved))
                report.add(number, ", ".join(dict.fromkeys(ordered)), _constraint_message(model, constraint))

        # Scope, as services.check_can_write: an institution-bound importer writes only rows of
        # their own institution, and never updates a record that belongs to another one.
        if bound:
            if scope_first is None:
                report.add(number, "", _("You may only change your own institution's records."))
            elif scope_first not in row_failed:  # an empty required cell is reported once, above
                mine = _row_scope(rt, instance, stored, values, scope_first)
                if mine != user.institution_id:
                    report.add(number, scope_first, _("You may only import your own institution's records."))
            if stored is not None and getattr(stored, "import_scope", None) != user.institution_id:
                report.add(
                    number, ", ".join(rt.natural_key), _("This key is already used by a record you may not change.")
                )
            if rt.is_agency_record(instance) or (stored is not None and rt.is_agency_record(before)):
                report.add(number, ", ".join(rt.agency_record), services.agency_record_refusal())
            given = {name: value for name, value in values.items() if name not in failed}
            for name in services.agency_fields_changed(rt, user, given, before if stored is not None else None):
                report.add(number, name, services.agency_field_refusal(rt, name))

        row = Row(number, instance, stored is None, before, m2m)
        if stored is not None:
            row.changes = audit.diff(before, _state(instance, m2m))
        rows.append(row)

    if progress is not None:
        progress(total, total)
    for row in rows:
        if row.creating:
            report.created += 1
        elif row.changes:
            report.updated += 1
        else:
            report.unchanged += 1
    return Plan(rt, cols, rows)


def _constraint_holds(model: Any, constraint: Any, instance: models.Model) -> bool:
    try:
        return holds(model, constraint.condition, instance) is not False
    except Unsupported:
        # A condition the evaluator does not know: let the database judge it (one query per row).
        try:
            constraint.validate(model, instance)
        except ValidationError:
            return False
        return True


def _constraint_message(model: Any, constraint: Any) -> str:
    if constraint.violation_error_message != constraint.default_violation_error_message:
        return str(constraint.get_violation_error_message())
    try:
        rule = describe(model, constraint.condition)
    except Unsupported:
        return str(constraint.get_violation_error_message())
    return _("The values break the rule: %(rule)s.") % {"rule": rule}


def _row_scope(rt: RecordType, instance: models.Model, stored: Any, values: dict[str, Any], scope_first: str) -> Any:
    """The institution a checked row belongs to: its own column's, or the stored record's when
    the file leaves that column out (an update that keeps it)."""
    if rt.scope == "":
        return instance.pk
    if scope_first in values:
        obj = values[scope_first]
        return None if obj is None else _scope_id(obj)
    return getattr(stored, "import_scope", None)


def _key_part(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _convert(
    col: Column, raw: Any, text: str, resolved: dict[str, Resolved], choice_maps: dict[str, dict[str, Any]]
) -> Any:
    f = col.field
    if col.kind == "m2m":
        keys = [k.strip() for k in text.split(";") if k.strip()]
        known = resolved[col.name].objects
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise CellError(
                _("No %(thing)s with %(lookup)s: %(values)s.")
                % {"thing": resolved[col.name].label, "lookup": col.lookup, "values": ", ".join(unknown)}
            )
        return list(dict.fromkeys(known[k] for k in keys))
    if text == "":
        if col.kind == "fk":
            return None  # names nothing: a required column's empty cell is reported in pass 2
        if f.has_default() and not f.blank:
            return f.get_default()
        return None if f.null else ""
    if col.kind == "fk":
        obj = resolved[col.name].objects.get(text)
        if obj is None:
            raise CellError(
                _("No %(thing)s with %(lookup)s “%(value)s”.")
                % {"thing": resolved[col.name].label, "lookup": col.lookup, "value": text}
            )
        return obj
    if col.kind == "choice":
        code = choice_maps[col.name].get(text.lower())
        if code is None:
            raise CellError(
                _("“%(value)s” is not one of: %(allowed)s.")
                % {"value": text, "allowed": ", ".join(str(c) for c, _label in f.flatchoices)}
            )
        return code
    if col.kind == "integer":
        return _to_integer(raw, text)
    if col.kind == "decimal":
        return _to_decimal(raw, text)
    if col.kind == "date":
        return _to_date(raw, text)
    if col.kind == "datetime":
        return _to_datetime(raw, text)
    if col.kind == "boolean":
        return _to_boolean(raw, text)
    return text


def _existing(rt: RecordType, cols: list[Column], rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], Any]:
    """The stored records the file's natural keys name, by key: one query for the whole file.

    Each key part filters with IN over its distinct values (or a range, or nothing, when there are
    more than IN_LIMIT): the query may return more than the file names, never less.
    """
    if not rt.natural_key or not rows:
        return {}
    model = rt.model
    qs = model._default_manager.all()
    for name in rt.natural_key:
        parts = {_key_part(r[name]) for r in rows if name in r} - {None}
        model_field = rt.model_field(name)
        attname = model_field.attname
        if len(parts) <= IN_LIMIT:
            qs = qs.filter(**{f"{attname}__in": list(parts)})
        elif _kind(model_field) in ("date", "datetime", "integer", "decimal"):
            qs = qs.filter(**{f"{attname}__gte": min(parts), f"{attname}__lte": max(parts)})
    related = [c.name for c in cols if c.kind == "fk"]
    many = [c.name for c in cols if c.kind == "m2m"]
    qs = qs.select_related(*related).prefetch_related(*many)
    if rt.scope:
        qs = qs.annotate(import_scope=F(rt.scope))
    elif rt.scope == "":
        qs = qs.annotate(import_scope=F("pk"))
    out = {}
    for obj in qs:
        out[tuple(getattr(obj, rt.model_field(n).attname) for n in rt.natural_key)] = obj
    return out


# --- Step 4: writing ----------------------------------------------------------------------------
def write(plan: Plan, user: Any, batch: str) -> None:
    """Write a checked plan in one transaction: bulk inserts and updates, many-to-many rows and the
    audit trail.

    The one write path that does not go through ``services.save_record`` (one query per record
    would make a national file take hours): ``check`` applied the same scope rules as
    ``services.check_can_write`` to every row, and this writes the same audit events, in bulk.
    """
    rt = plan.rt
    if not rt.editable_by(user):
        raise PermissionDenied
    model = rt.model
    creates = [r for r in plan.rows if r.creating]
    changed = [r for r in plan.rows if not r.creating and r.changes]
    m2m_cols = [c for c in plan.present if c.kind == "m2m"]
    concrete = {c.name for c in plan.present if c.kind != "m2m"}
    with transaction.atomic():
        model._default_manager.bulk_create([r.instance for r in creates], batch_size=WRITE_BATCH)
        update_fields = sorted({name for r in changed for name in r.changes if name in concrete})
        if update_fields:
            model._default_manager.bulk_update([r.instance for r in changed], update_fields, batch_size=UPDATE_BATCH)
        for col in m2m_cols:
            through = col.field.remote_field.through
            source, target = col.field.m2m_field_name(), col.field.m2m_reverse_field_name()
            touched = [r for r in creates + changed if r.creating or col.name in r.changes]
            stale = [r.instance.pk for r in touched if not r.creating]
            for start in range(0, len(stale), IN_LIMIT):
                through._default_manager.filter(**{f"{source}_id__in": stale[start : start + IN_LIMIT]}).delete()
            through._default_manager.bulk_create(
                [
                    through(**{f"{source}_id": r.instance.pk, f"{target}_id": o.pk})
                    for r in touched
                    for o in r.m2m.get(col.name, [])
                ],
                batch_size=WRITE_BATCH,
            )
        now = timezone.now()
        events = [
            audit.event(
                AuditEvent.Action.CREATE,
                r.instance,
                actor=user,
                channel=AuditEvent.Channel.IMPORT,
                changes=audit.diff({}, _state(r.instance, r.m2m)),
                batch=batch,
                at=now,
            )
            for r in creates
        ] + [
            audit.event(
                AuditEvent.Action.UPDATE,
                r.instance,
                actor=user,
                channel=AuditEvent.Channel.IMPORT,
                changes=r.changes,
                batch=batch,
                at=now,
            )
            for r in changed
        ]
        AuditEvent.objects.bulk_create(events, batch_size=WRITE_BATCH)
        # One notice for the whole file (the engine then refreshes once, after the commit): each
        # written row as it is now, and the old values of what an update changed.
        snapshots = [_state(r.instance, r.m2m) for r in creates + changed]
        snapshots += [{name: old for name, (old, _new) in r.changes.items()} for r in changed]
        services.notify_changed(model, snapshots)


def run_import(
    rt: RecordType,
    user: Any,
    filename: str,
    data: bytes,
    *,
    dry_run: bool,
    batch: str = "",
    progress: Progress | None = None,
    on_write: Callable[[], None] | None = None,
) -> Report:
    """Check a file and, when every row is right and it is not a dry run, write it. Synchronous:
    the management command, the upload page and the background jobs all call this."""
    report = Report(rt.key, dry_run, batch or str(uuid.uuid4()))
    if not rt.editable_by(user):
        report.add(None, "", _("You may not import %(records)s.") % {"records": rt.label_plural})
        return report
    try:
        table = read_table(filename, data)
    except FileRefused as e:
        report.add(None, "", str(e))
        return report
    plan = check(rt, user, table, report, progress)
    if plan is None or not report.ok or dry_run:
        return report
    if on_write is not None:
        on_write()
    try:
        write(plan, user, report.batch)
    except IntegrityError as e:
        log.warning("import %s failed on write: %s", report.batch, e)
        report.add(
            None,
            "",
            _(
                "Another change to these records was saved while the file was being checked. "
                "Nothing was written; import the file again."
            ),
        )
        return report
    report.written = True
    return report


# --- Background jobs ----------------------------------------------------------------------------
def estimate_rows(filename: str, data: bytes) -> int:
    """A cheap row count, to decide whether to check the file in the background. 0 when the
    guards refuse the file (then it is checked at once, which reports why)."""
    try:
        fmt = check_file(filename, data)
    except FileRefused:
        return 0
    if fmt == "csv":
        return max(data.count(b"\n") - 1, 0)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True)
        try:
            rows = wb.worksheets[0].max_row if wb.worksheets else 0
            # A workbook whose sheet does not state its size may be of any length: the background it is.
            return settings.IMPORT_BACKGROUND_ROWS + 1 if rows is None else int(rows) - 1
        finally:
            wb.close()
    except Exception:
        return 0


def process(job: ImportJob, data: bytes) -> Report:
    """Run a job and keep its report on it. Callable directly (tests, small files) or in a thread."""
    rt = types.get(job.record_type)
    jobs = ImportJob.objects.filter(pk=job.pk)

    def progress(done: int, total: int) -> None:
        jobs.update(status=ImportJob.Status.CHECKING, processed_rows=done, total_rows=total, heartbeat=timezone.now())

    def on_write() -> None:
        # The write transaction holds the database; progress inside it would not be seen anyway.
        jobs.update(status=ImportJob.Status.WRITING, heartbeat=timezone.now())

    with translation.override(job.language):
        try:
            report = run_import(
                rt,
                job.owner,
                job.filename,
                data,
                dry_run=job.dry_run,
                batch=job.batch,
                progress=progress,
                on_write=on_write,
            )
        except Exception:
            log.exception("import job %s failed", job.pk)
            jobs.update(
                status=ImportJob.Status.FAILED,
                finished_at=timezone.now(),
                problem_count=1,
                problems=[[None, "", _("The import failed unexpectedly. Nothing was written.")]],
            )
            raise
    jobs.update(
        status=ImportJob.Status.DONE,
        finished_at=timezone.now(),
        total_rows=report.total_rows,
        processed_rows=report.total_rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        written=report.written,
        problem_count=report.problem_count,
        problems=[[p.row, p.column, p.reason] for p in report.problems],
    )
    return report


def _run_in_thread(job_id: Any, data: bytes) -> None:
    try:
        process(ImportJob.objects.select_related("owner").get(pk=job_id), data)
    except Exception:  # noqa: S110  (logged and recorded on the job by process)
        pass
    finally:
        connections.close_all()  # this thread's connections only


def start_in_background(job: ImportJob, data: bytes) -> None:
    """Check and write a large file in a thread of this process; the job page follows it. The
    uploaded bytes live in memory only (at most IMPORT_MAX_BYTES), so a restart loses the job:
    ``settle_stalled`` then closes it."""
    threading.Thread(target=_run_in_thread, args=(job.pk, data), name=f"import-{job.pk}", daemon=True).start()


# Longer than any silence of a running job: progress comes every 2 % of the rows, and the write
# of the largest file allowed takes well under a minute.
STALLED_AFTER = timedelta(minutes=10)


def settle_stalled(jobs: QuerySet[ImportJob]) -> int:
    """Close the unfinished jobs among ``jobs`` whose process stopped (no progress for
    STALLED_AFTER): finished if their write had committed (its audit events, batched under the
    job's id, are there), failed with nothing written otherwise. Returns how many were closed."""
    silent = timezone.now() - STALLED_AFTER
    stalled = jobs.exclude(status__in=(ImportJob.Status.DONE, ImportJob.Status.FAILED)).filter(
        Q(heartbeat__lt=silent) | Q(heartbeat__isnull=True, started_at__lt=silent)
    )
    closed = 0
    for job in stalled:
        events = AuditEvent.objects.filter(batch=job.batch)
        if events.exists():
            counts = dict(events.values("action").annotate(n=Count("pk")).values_list("action", "n"))
            update: dict[str, Any] = {
                "status": ImportJob.Status.DONE,
                "written": True,
                "created": counts.get(AuditEvent.Action.CREATE, 0),
                "updated": counts.get(AuditEvent.Action.UPDATE, 0),
            }
        else:
            with translation.override(job.language):  # the report speaks the uploader's language
                reason = str(
                    _(
                        "The import stopped before it finished (the server was restarted). "
                        "Nothing was written: import the file again."
                    )
                )
            update = {"status": ImportJob.Status.FAILED, "problem_count": 1, "problems": [[None, "", reason]]}
        # Conditional on the status read: a job that moved on meanwhile is left to its process.
        settled = ImportJob.objects.filter(pk=job.pk, status=job.status).update(finished_at=timezone.now(), **update)
        if settled and update["status"] == ImportJob.Status.DONE:
            _resend_change(job)
        closed += settled
    return closed


def _resend_change(job: ImportJob) -> None:
    """A write that committed in a process that then stopped may have missed what follows its
    commit in that process: the indicator refresh. Tell the listeners again, naming no dates and
    no fields, so they recompute everything the model feeds."""
    try:
        rt = types.get(job.record_type)
    except KeyError:
        return
    records_changed.send(sender=rt.model, dates=set(), fields=None)


# --- Templates and the column reference ---------------------------------------------------------
# Values a field's type cannot suggest: a validator only a real example satisfies.
EXAMPLES: dict[str, Any] = {
    "registry.eservice.channels": "web,ussd",
    "services.budgetline.fiscal_year": "2014/15",
    "registry.standard.version": "1.0",
    "registry.focalperson.phone": "+255 22 212 0000",
}
ALLOWED_NOTES: dict[str, Callable[[], str]] = {
    "registry.eservice.channels": lambda: (
        _("one or more of %(codes)s, separated by commas") % {"codes": ", ".join(_channel_codes())}
    ),
    "services.budgetline.fiscal_year": lambda: _("a fiscal year such as 2014/15"),
}
EXAMPLE_DATE = date(2014, 7, 1)


def _channel_codes() -> list[str]:
    from tathmini.registry.models import Channel

    return list(Channel.values)


def _field_key(model_field: Any) -> str:
    return f"{model_field.model._meta.label_lower}.{model_field.name}"


def _bounds(model_field: Any) -> tuple[Any, Any]:
    low: Any = None
    high: Any = None
    for v in model_field.validators:
        if not isinstance(v, (MinValueValidator, MaxValueValidator)):
            continue
        limit: Any = v.limit_value
        if isinstance(limit, (int, float, Decimal)) and abs(float(limit)) > 1e12:
            continue  # the database's own range, not a rule worth telling
        if isinstance(v, MinValueValidator):
            low = limit if low is None else max(low, limit)
        elif isinstance(v, MaxValueValidator):
            high = limit if high is None else min(high, limit)
    if low is None and "Positive" in model_field.get_internal_type():
        low = 0
    return low, high


def _clamp(value: Any, model_field: Any) -> Any:
    low, high = _bounds(model_field)
    if low is not None and value < low:
        value = type(value)(low)
    if high is not None and value > high:
        value = type(value)(high)
    return value


def example_row(rt: RecordType, user: Any) -> list[Any]:
    """One row that imports as it is: valid values, lookups the user can see, and dates that rise
    from column to column, so every "ends after it starts" rule holds."""
    out: list[Any] = []
    day = 0
    for col in columns(rt):
        f = col.field
        override = EXAMPLES.get(_field_key(f))
        if override is not None:
            out.append(override)
        elif col.kind in ("fk", "m2m"):
            out.append(_example_lookup(col, user))
        elif col.kind == "choice":
            out.append(f.flatchoices[0][0])
        elif col.kind == "boolean":
            out.append(True)
        elif col.kind == "integer":
            out.append(_clamp(5, f))
        elif col.kind == "decimal":
            out.append(_clamp(Decimal("1500.50"), f).quantize(Decimal(1).scaleb(-f.decimal_places)))
        elif col.kind == "date":
            out.append(EXAMPLE_DATE + timedelta(days=day))
            day += 1
        elif col.kind == "datetime":
            out.append(datetime.combine(EXAMPLE_DATE + timedelta(days=day), time(9, 30)))
            day += 1
        else:
            out.append(_example_text(f))
    return out


def _example_text(model_field: Any) -> str:
    internal = model_field.get_internal_type()
    if isinstance(model_field, models.EmailField):
        return "jina@example.go.tz"
    if isinstance(model_field, models.URLField):
        return "https://www.example.go.tz/"
    value = "example" if internal == "SlugField" else "Example"
    return value[: model_field.max_length] if model_field.max_length else value


def _example_lookup(col: Column, user: Any) -> str:
    related = col.field.related_model
    attribute = related._meta.pk.attname if col.lookup == "pk" else col.lookup
    if related is get_user_model():
        return str(getattr(user, attribute))
    related_rt = types.for_model(related)
    qs = related_rt.visible(user) if related_rt is not None else related._default_manager.all()
    value = qs.order_by(attribute).values_list(attribute, flat=True).first()
    return "" if value is None else str(value)


def template_rows(rt: RecordType, user: Any) -> list[list[Any]]:
    return [list(rt.fields), example_row(rt, user)]


def template_csv(rt: RecordType, user: Any) -> bytes:
    return exports.to_csv(template_rows(rt, user))


def template_xlsx(rt: RecordType, user: Any) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = exports.safe_filename(rt.key)[:31]
    _fill(ws, template_rows(rt, user))
    doc = wb.create_sheet(_("columns")[:31])
    _fill(
        doc,
        [[_("column"), _("label"), _("required"), _("type"), _("allowed values"), _("written as")]]
        + [[d["name"], d["label"], d["required"], d["type"], d["allowed"], d["lookup"]] for d in column_docs(rt)],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill(ws: Any, data: Iterable[list[Any]]) -> None:
    for r, row in enumerate(data, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, Decimal):
                value = float(value) if value != value.to_integral() else int(value)
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with


def column_docs(rt: RecordType) -> list[dict[str, str]]:
    """Each column's name, label, whether it is required, its type, allowed values and lookup, in
    the active language: the template's second sheet, the upload page and the format doc."""
    out = []
    for col in columns(rt):
        f = col.field
        allowed = ""
        note = ALLOWED_NOTES.get(_field_key(f))
        if note is not None:
            allowed = note()
        elif col.kind == "choice":
            allowed = ", ".join(f"{code} ({label})" for code, label in f.flatchoices)
        elif col.kind in ("integer", "decimal"):
            low, high = _bounds(f)
            if low is not None and high is not None:
                allowed = _("%(low)s to %(high)s") % {"low": low, "high": high}
            elif low is not None:
                allowed = _("%(low)s or more") % {"low": low}
        lookup = ""
        if col.kind in ("fk", "m2m"):
            lookup = _("%(thing)s by %(field)s") % {"thing": f.related_model._meta.verbose_name, "field": col.lookup}
        out.append(
            {
                "name": col.name,
                "label": str(f.verbose_name),
                "required": _("yes") if col.required else _("no"),
                "type": _type_doc(col),
                "allowed": allowed,
                "lookup": lookup,
            }
        )
    return out


def _type_doc(col: Column) -> str:
    f = col.field
    kind = col.kind
    if kind == "m2m":
        return _("references separated by ;")
    if kind == "fk":
        return _("reference to another record")
    if kind == "choice":
        return _("code from the list (or its label)")
    if kind == "boolean":
        return _("yes/no: 1/0, true/false, yes/no, ndiyo/hapana")
    if kind == "integer":
        return _("whole number")
    if kind == "decimal":
        return _("number, up to %(places)d decimals") % {"places": f.decimal_places}
    if kind == "date":
        return _("date, YYYY-MM-DD")
    if kind == "datetime":
        return _("date and time, YYYY-MM-DD HH:MM (%(zone)s)") % {"zone": settings.TIME_ZONE}
    if isinstance(f, models.EmailField):
        return _("email address")
    if isinstance(f, models.URLField):
        return _("web address (https://…)")
    if f.get_internal_type() == "SlugField":
        return _("code: lower-case letters, digits and hyphens, up to %(n)d characters") % {"n": f.max_length}
    if f.max_length:
        return _("text, up to %(n)d characters") % {"n": f.max_length}
    return _("text")


def reference_markdown() -> str:
    """The column tables of docs/import-formats.md, generated from the declarations (in English)."""
    lines: list[str] = []
    with translation.override("en"):
        for rt in types.all_types():
            lines += [f"### `{rt.key}`: {rt.label_plural}", ""]
            natural = ", ".join(f"`{n}`" for n in rt.natural_key) or "none: every row adds a record"
            lines += [f"Natural key: {natural}.", ""]
            lines += ["| column | label | required | type | allowed values | written as |", "|---|---|---|---|---|---|"]
            for d in column_docs(rt):
                cells = [f"`{d['name']}`", d["label"], d["required"], d["type"], d["allowed"], d["lookup"]]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            lines.append("")
    return "\n".join(lines)


def iter_problems(report: Report) -> Iterator[tuple[str, str, str]]:
    for p in report.problems:
        yield ("" if p.row is None else str(p.row), p.column, p.reason)
