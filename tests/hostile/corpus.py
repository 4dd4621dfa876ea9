"""The hostile-input corpus: the small samples committed beside this module, and the large or
binary ones built here at test time (a zip bomb is 20 kB packed, but nobody wants a 100,000-column
line or a file over the size limit in the repository).

Every builder returns bytes (or text for JSON bodies); none writes to disk. The CSV files are for
the complaints record type, with the columns of ``HEADER``.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = ["reference", "about", "category", "subject", "received_at"]


def sample(name: str) -> bytes:
    """A committed sample file, as bytes."""
    return (HERE / name).read_bytes()


def row(reference: str, subject: str = "Huduma imechelewa") -> list[str]:
    return [reference, "agency", "delay", subject, "2014-03-01 08:15"]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    """CSV as a spreadsheet saves it (quotes only where needed, CRLF kept out for simplicity)."""
    out = io.StringIO()
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[object]], header: list[str] = HEADER) -> bytes:
    """A workbook whose text cells are typed text (never formulas)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for cells in rows:
        ws.append(cells)
    for line in ws.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _parts(workbook: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


# --- XLSX attacks -------------------------------------------------------------------------------
@functools.cache
def zip_bomb_xlsx(inflated_mb: int = 190) -> bytes:
    """A real workbook whose sheet inflates to ``inflated_mb`` MB of XML from about 0.1 % of that:
    one row followed by that much padding (whitespace between elements is valid XML). Under the
    200 MB unpacked limit, so only the compression ratio gives it away. Built once per run."""
    parts = _parts(xlsx_bytes([row("H-ZIP-1")]))
    head, tail = parts.pop("xl/worksheets/sheet1.xml").split(b"</sheetData>", 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head)
            padding = b" " * (1 << 20)
            for _ in range(inflated_mb):
                sheet.write(padding)
            sheet.write(b"</sheetData>" + tail)
    return out.getvalue()


def billion_laughs_xlsx() -> bytes:
    """Nested internal entities: 10 levels of 10 expand to 10^9 "lol"s (3 GB) if a parser lets them."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    parts = _parts(xlsx_bytes([]))
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    return _zip(parts)


def external_entity_xlsx(target: str = "file:///etc/passwd") -> bytes:
    """An external entity in the shared strings: a parser that follows it reads a local file into a cell."""
    parts = _parts(xlsx_bytes([]))
    parts["xl/worksheets/sheet1.xml"] = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{target}">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>reference</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
    ).encode()
    return _zip(parts)


def far_row_xlsx(row_number: int = 2_000_000_000) -> bytes:
    """A sheet whose second row claims a row number no spreadsheet has: a reader that fills the
    rows in between would loop two billion times."""
    parts = _parts(xlsx_bytes([]))
    parts["xl/worksheets/sheet1.xml"] = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>reference</t></is></c></row>'
        f'<row r="{row_number}"><c r="A{row_number}" t="inlineStr"><is><t>H-FAR-1</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    return _zip(parts)


def wide_xlsx(columns: int = 16_000) -> bytes:
    """A data row with a value in its last of ``columns`` cells, under the five named columns."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    ws.append([*row("H-WIDE-1"), *([None] * (columns - len(HEADER) - 1)), "stray"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- CSV attacks --------------------------------------------------------------------------------
def wide_csv(columns: int = 100_000) -> bytes:
    """A header of ``columns`` names: 100,000 columns on one line."""
    return (",".join(f"c{n}" for n in range(columns)) + "\n" + ",".join("x" for _ in range(columns)) + "\n").encode()


def wide_row_csv(columns: int = 100_000) -> bytes:
    """The right header, then a row of ``columns`` cells: the extra ones carry a value at the end."""
    cells = [*row("H-WIDE-2"), *([""] * (columns - len(HEADER) - 1)), "stray"]
    return csv_bytes([cells])


def long_line_csv(characters: int = 2_000_000) -> bytes:
    """One quoted cell longer than any line a spreadsheet writes."""
    return csv_bytes([row("H-LONG-1", "x" * characters)])


def oversized_csv(limit: int) -> bytes:
    """Valid rows, one byte over ``limit``."""
    head = ",".join(HEADER).encode() + b"\n"
    line = ",".join(row("H-BIG-000000")).encode() + b"\n"
    count = (limit - len(head)) // len(line)
    data = head + b"".join(",".join(row(f"H-BIG-{n:06d}")).encode() + b"\n" for n in range(count))
    return data + b"\n" * (limit + 1 - len(data))  # blank lines, which a reader skips


def many_rows_csv(count: int, prefix: str = "H-ROW") -> bytes:
    """``count`` valid complaints: the largest file the row limit lets through, or one more."""
    head = ",".join(HEADER) + "\n"
    return (head + "".join(f"{prefix}-{n},agency,delay,Huduma {n},2014-03-01 08:15\n" for n in range(count))).encode()


def nul_late_csv() -> bytes:
    """A NUL byte in a cell past the first 64 kB (where a binary sniff stops looking)."""
    rows = [row(f"H-NUL-{n}", "x" * 100) for n in range(700)]
    rows.append(row("H-NUL-LATE", "before\x00after"))
    return csv_bytes(rows)


def nul_early_csv() -> bytes:
    return b"reference,about\x00,category\nH-NUL-1,agency,delay\n"


# --- JSON bodies --------------------------------------------------------------------------------
def deeply_nested_json(depth: int = 100_000) -> str:
    return '{"subject": ' + "[" * depth + "]" * depth + "}"


def huge_json(size: int) -> str:
    """A record body whose description alone is ``size`` characters."""
    return json.dumps({"reference": "H-HUGE-1", "description": "x" * size})


def duplicate_key_json() -> str:
    return '{"reference": "H-DUPKEY-1", "subject": "first", "subject": "second"}'
