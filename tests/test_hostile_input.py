"""Hostile input through every entry point (docs/reliability.md, "Hostile input").

Bad files (wrong encodings, BOMs, ragged rows, 100,000-column lines, formula cells, zip bombs,
billion laughs, external entities, files over the limits, duplicate keys) and bad text (markup,
control characters, direction overrides, very long strings, zero-width characters, emoji) sent to
the spreadsheet import (synchronous and background), the plan file, manual values and their
evidence, the record forms, the REST API, the public portal and the definition editor.

Each is refused with a message naming the row and column or the field, or stored exactly as sent
and shown escaped; a refused import writes nothing (records and audit events counted before and
after); the memory the import needs for the largest and most hostile files is measured in a
separate process and held to a generous bound.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tathmini.api.services import token_create
from tathmini.core.models import AuditEvent
from tathmini.core.safeinput import problem
from tathmini.feedback.models import Complaint, InformationRequest, SurveyResponse
from tathmini.measure import manual
from tathmini.measure.models import Definition, ManualValue
from tathmini.portal import services, testing
from tathmini.records import exports, imports, types
from tathmini.records.models import ImportJob
from tathmini.strategy import plan_io
from tathmini.strategy.models import Indicator, OrgUnit, Plan
from tests.conftest import Persona
from tests.hostile import corpus

ROOT = Path(__file__).resolve().parent.parent
COMPLAINTS = types.get("complaints")

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "invoice" + RLO + "fdp.exe" reads "invoiceexe.pdf"
ZERO_WIDTH = "Huduma\u200bya\u200dkodi\u2060"  # zero-width space, joiner, word joiner: stored as they are
EMOJI = "Asante 👍🏾 sana 𝕋 🇹🇿"  # astral-plane characters, a skin-tone modifier and a flag


@pytest.fixture(autouse=True)
def _english_and_fresh_rates() -> Any:
    cache.clear()  # the API's rate counts live in the cache, which outlives a test's transaction
    with translation.override("en"):
        yield
    cache.clear()


def english(persona: Persona) -> Client:
    client = persona.client()
    client.cookies["tathmini_language"] = "en"
    return client


def counts() -> tuple[int, int]:
    return Complaint.objects.count(), AuditEvent.objects.count()


def run(user: Any, filename: str, data: bytes, dry_run: bool = False) -> imports.Report:
    return imports.run_import(COMPLAINTS, user, filename, data, dry_run=dry_run)


def refused(report: imports.Report) -> str:
    """The one file-level reason of a refused import."""
    assert [(p.row, p.column) for p in report.problems] == [(None, "")], report.problems
    assert not report.written
    return report.problems[0].reason


def problems(report: imports.Report) -> list[tuple[int | None, str]]:
    return [(p.row, p.column) for p in report.problems]


@pytest.fixture
def officer(personas: dict[str, Persona]) -> Any:
    return personas["me_officer"].user


# --- The one rule -----------------------------------------------------------------------------------
def test_the_text_rule_refuses_controls_and_direction_overrides_and_keeps_everything_else() -> None:
    for bad, code in (("a\x00b", "U+0000"), ("a\x07", "U+0007"), ("\x1b[31m", "U+001B"), ("x\x7f", "U+007F")):
        reason = problem(bad)
        assert reason is not None and code in reason and "control character" in reason
    assert "Character 4 is an invisible text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)" in str(
        problem(f"abc{RLO}fdp.exe")
    )
    assert "U+2066" in str(problem("\u2066isolated\u2069"))
    assert "U+D800" in str(problem("broken \ud800"))
    for good in ("line\nbreak\ttab\r\n", MARKUP, ZERO_WIDTH, EMOJI, "مرحبا\u200f 123", "x" * 100_000, ""):
        assert problem(good) is None, good


# --- Spreadsheet import: encodings and shapes --------------------------------------------------------
def test_a_utf8_csv_with_a_byte_order_mark_is_accepted(officer: Any) -> None:
    """Excel's "CSV UTF-8" starts with a BOM: it must not end up in the first column's name."""
    report = run(officer, "bom.csv", corpus.sample("bom_utf8.csv"))
    assert report.ok and report.created == 1, report.problems
    assert Complaint.objects.get(reference="H-BOM-1").subject == "Mtandao hauna kasi"


@pytest.mark.parametrize(
    ("name", "filename", "reason"),
    [
        ("latin1.csv", "latin1.csv", "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
        ("invalid_utf8.csv", "bad.csv", "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
        ("utf16.csv", "utf16.csv", "The file is not a CSV text file. Save it as “CSV UTF-8” and try again."),
        (
            "renamed_pdf.xlsx",
            "report.xlsx",
            "The file is not a real XLSX workbook. Save it as “Excel Workbook (.xlsx)”.",
        ),
        (
            "renamed_html.xlsx",
            "page.xlsx",
            "The file is not a real XLSX workbook. Save it as “Excel Workbook (.xlsx)”.",
        ),
    ],
)
def test_files_in_the_wrong_encoding_or_format_are_refused_whole(
    officer: Any, name: str, filename: str, reason: str
) -> None:
    before = counts()
    assert refused(run(officer, filename, corpus.sample(name))) == reason
    assert counts() == before


def test_nul_bytes_are_refused_at_the_start_as_binary_and_later_by_row_and_column(officer: Any) -> None:
    before = counts()
    assert "not a CSV text file" in refused(run(officer, "nul.csv", corpus.nul_early_csv()))
    late = corpus.nul_late_csv()
    assert late.index(b"\x00") > 65536  # past where the binary check looks
    report = run(officer, "nul.csv", late)
    assert problems(report) == [(702, "subject")] and not report.written
    assert "control character (U+0000)" in report.problems[0].reason
    assert counts() == before


def test_ragged_rows_name_the_missing_cells_and_the_stray_column(officer: Any) -> None:
    before = counts()
    report = run(officer, "ragged.csv", corpus.sample("ragged.csv"))
    assert problems(report) == [(3, "")]  # the stray cell is checked first, as it would be lost
    assert report.problems[0].reason == "Column 8 has a value but no name in the header row."
    rows = corpus.sample("ragged.csv").decode().splitlines()
    del rows[2]  # without the long row: the short row lacks its subject and time
    report = run(officer, "ragged.csv", "\n".join(rows).encode())
    assert sorted(problems(report)) == [(2, "received_at"), (2, "subject")] and not report.written
    assert counts() == before


def test_a_key_twice_in_one_file_refuses_the_file_at_the_second(officer: Any) -> None:
    before = counts()
    report = run(officer, "dup.csv", corpus.sample("duplicate_keys.csv"))
    assert problems(report) == [(4, "reference")] and not report.written
    assert report.problems[0].reason == "The same reference as row 2."
    assert counts() == before


def test_a_header_without_rows_writes_nothing(officer: Any) -> None:
    before = counts()
    report = run(officer, "empty.csv", corpus.sample("header_only.csv"))
    assert (report.ok, report.total_rows, report.created) == (True, 0, 0)
    assert counts() == before
    assert refused(run(officer, "nothing.csv", b"")) == "The file is empty."


def test_formula_cells_are_stored_as_text_and_exported_escaped(personas: dict[str, Persona], officer: Any) -> None:
    report = run(officer, "f.csv", corpus.sample("formulas.csv"))
    assert report.ok and report.created == 2, report.problems
    first, second = Complaint.objects.get(reference="H-FX-1"), Complaint.objects.get(reference="H-FX-2")
    assert first.subject == "=cmd|' /C calc'!A0"
    assert first.description == '=HYPERLINK("http://x.example","click")'
    assert (first.complainant_name, first.complainant_contact) == ("@SUM(A1:A9)", "+255712345678")
    # A leading tab is trimmed like any space; the apostrophe our exports add is taken off again.
    assert (second.subject, second.description) == ("-2+3", "=1+1")
    assert (second.complainant_name, second.complainant_contact) == ("=already escaped", "=1")

    client = english(personas["me_officer"])
    exported = client.get(reverse("records:export_csv", args=["complaints"]) + "?q=H-FX").content
    assert b",'=cmd|' /C calc'!A0," in exported and b"'@SUM(A1:A9)" in exported and b"'+255712345678" in exported
    assert b",=" not in exported and b',"=' not in exported  # no cell starts with a live formula
    sheet = load_workbook(io.BytesIO(client.get(reverse("records:export_xlsx", args=["complaints"])).content)).active
    assert sheet is not None
    typed = [c for line in sheet.iter_rows() for c in line if isinstance(c.value, str) and c.value.startswith("=")]
    assert typed and all(c.data_type == "s" for c in typed)  # text cells: no spreadsheet evaluates them
    # Both exports import back as exactly what is stored.
    for name, data in (("e.csv", exported), ("e.xlsx", exports.to_xlsx(exports.rows(COMPLAINTS, [first, second])))):
        again = run(officer, name, data)
        assert (again.ok, again.unchanged, again.updated) == (True, 2, 0), (name, again.problems)


def test_text_that_starts_with_an_apostrophe_and_a_formula_character_survives_an_export(officer: Any) -> None:
    stored = Complaint.objects.create(
        reference="H-APOS-1",
        about="agency",
        category="delay",
        subject="'=not a formula",
        received_at="2014-03-01T08:15Z",
    )
    data = exports.to_csv(exports.rows(COMPLAINTS, [stored]))
    assert b"''=not a formula" in data
    assert run(officer, "a.csv", data).unchanged == 1
    stored.refresh_from_db()
    assert stored.subject == "'=not a formula"


# --- Spreadsheet import: bombs and sizes --------------------------------------------------------------
def test_xml_and_zip_bombs_and_external_entities_are_refused_whole(officer: Any) -> None:
    before = counts()
    bomb = corpus.zip_bomb_xlsx()
    assert len(bomb) < 1_000_000
    assert "zip bomb" in refused(run(officer, "bomb.xlsx", bomb))
    unsafe = "The workbook cannot be read: it is damaged, not an XLSX file, or contains unsafe XML."
    assert refused(run(officer, "lol.xlsx", corpus.billion_laughs_xlsx())) == unsafe
    xxe = run(officer, "xxe.xlsx", corpus.external_entity_xlsx())
    assert refused(xxe) == unsafe and "root:" not in json.dumps([p.reason for p in xxe.problems])
    assert "past row 1048576" in refused(run(officer, "far.xlsx", corpus.far_row_xlsx()))
    assert counts() == before


def test_a_100000_column_line_is_refused_or_reported_without_keeping_the_columns(officer: Any) -> None:
    before = counts()
    assert refused(run(officer, "wide.csv", corpus.wide_csv())) == (
        "The header row has 100000 columns; a file may have at most 100."
    )
    report = run(officer, "wide.csv", corpus.wide_row_csv())
    assert problems(report) == [(2, "")] and not report.written
    assert report.problems[0].reason == "Column 100000 has a value but no name in the header row."
    report = run(officer, "wide.xlsx", corpus.wide_xlsx(16_000))
    assert report.problems[0].reason == "Column 16000 has a value but no name in the header row."
    assert refused(run(officer, "long.csv", corpus.long_line_csv())) == "Row 2 is longer than 1000000 characters."
    assert counts() == before


def test_files_over_the_size_or_row_limit_are_refused(officer: Any) -> None:
    before = counts()
    with override_settings(IMPORT_MAX_BYTES=50_000):
        data = corpus.oversized_csv(50_000)
        assert len(data) == 50_001
        assert refused(run(officer, "big.csv", data)) == (
            "The file is larger than 0.0476837 MB. Split it into smaller files."
        )
    with override_settings(IMPORT_MAX_ROWS=40):
        assert run(officer, "forty.csv", corpus.many_rows_csv(40), dry_run=True).created == 40
        assert refused(run(officer, "more.csv", corpus.many_rows_csv(41))) == (
            "The file has more than 40 rows. Split it into smaller files."
        )
        xlsx = corpus.xlsx_bytes([corpus.row(f"H-X-{n}") for n in range(41)])
        assert "more than 40 rows" in refused(run(officer, "more.xlsx", xlsx))
    assert counts() == before


# --- Spreadsheet import: bad text in cells -------------------------------------------------------------
def test_bad_text_in_cells_is_refused_by_row_and_column_and_good_text_kept_as_written(
    personas: dict[str, Persona], officer: Any
) -> None:
    before = counts()
    bad = [
        corpus.row("H-T-1", f"invoice{RLO}fdp.exe"),
        corpus.row("H-T-2", "bell\x07"),
        corpus.row("H-T-3", "x" * 201),
        [*corpus.row("H-T-4")[:4], "9" * 50_000],  # not a date, and too long to quote whole
        # Past the first 64 kB, where a NUL no longer makes the file "binary": each is a cell's problem.
        *(corpus.row(f"H-P-{n}", "x" * 100) for n in range(700)),
        corpus.row("H-T-6\x00", "NUL in the key"),
        [*corpus.row("H-T-7"), "inst\x00"],  # a NUL where a lookup (institution by code) would read it
    ]
    header = [*corpus.HEADER, "institution"]
    report = run(officer, "t.csv", corpus.csv_bytes(bad, header))
    found = {(p.row, p.column): p.reason for p in report.problems}
    assert "invisible text-direction control (U+202E" in found[(2, "subject")]
    assert "control character (U+0007)" in found[(3, "subject")]
    assert found[(4, "subject")] == "Ensure this value has at most 200 characters (it has 201)."
    assert found[(5, "received_at")].startswith("“99999") and found[(5, "received_at")].endswith("…")
    assert len(found[(5, "received_at")]) == 1000
    assert "U+0000" in found[(706, "reference")] and "U+0000" in found[(707, "institution")]
    assert len(found) == 6 and not report.written
    assert not any(problem(p.reason) for p in report.problems)  # no reason carries the character itself
    # XLSX cannot hold a control character at all; an override and a long text it can.
    report = run(officer, "t.xlsx", corpus.xlsx_bytes([bad[0], bad[2]], header))
    assert problems(report) == [(2, "subject"), (3, "subject")] and not report.written
    assert counts() == before

    good = [corpus.row("H-G-1", MARKUP), corpus.row("H-G-2", ZERO_WIDTH), corpus.row("H-G-3", EMOJI)]
    report = run(officer, "g.xlsx", corpus.xlsx_bytes(good))
    assert report.ok and report.created == 3, report.problems
    stored = dict(Complaint.objects.filter(reference__startswith="H-G-").values_list("reference", "subject"))
    assert stored == {"H-G-1": MARKUP, "H-G-2": ZERO_WIDTH, "H-G-3": EMOJI}
    client = english(personas["me_officer"])
    page = client.get(reverse("records:list", args=["complaints"]) + "?q=H-G-").content.decode()
    assert ESCAPED in page and MARKUP not in page and "<img src=x" not in page
    assert EMOJI in page and ZERO_WIDTH in page


def _upload(client: Client, name: str, data: bytes, key: str = "complaints") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("imports:upload", args=[key]), {"file": upload})


def test_the_upload_page_reports_refused_text_without_storing_it(personas: dict[str, Persona]) -> None:
    """The job's report is kept in the database as JSON: a NUL or an override quoted from the file
    would break it (PostgreSQL refuses \\u0000 in JSON) and leave the job unfinished."""
    client = english(personas["me_officer"])
    before = counts()
    header = [f"subject{RLO}", "reference", "about", "category", "received_at"]
    response = _upload(client, "h.csv", corpus.csv_bytes([["x", "H-J-1", "agency", "delay", "2014-03-01"]], header))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    assert (job.status, job.written) == ("done", False)
    assert [1, "subject\ufffd"] in [p[:2] for p in job.problems]
    page = client.get(response["Location"]).content.decode()
    assert "subject\ufffd" in page and RLO not in page
    assert counts() == before


@override_settings(IMPORT_BACKGROUND_ROWS=5)
def test_the_background_path_refuses_a_bad_file_whole_and_writes_nothing(
    personas: dict[str, Persona], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[ImportJob] = []

    def inline_start(job: ImportJob, data: bytes) -> None:
        # The thread's work, run here: the test database is not visible to another connection.
        started.append(job)
        imports.process(ImportJob.objects.get(pk=job.pk), data)

    monkeypatch.setattr(imports, "start_in_background", inline_start)
    client = english(personas["me_officer"])
    rows = [corpus.row(f"H-BG-{n}") for n in range(20)]
    rows[17] = corpus.row("H-BG-17", f"bad{RLO}")
    rows[18] = corpus.row("H-BG-1")  # the key of row 3 again
    before = counts()
    _upload(client, "bg.csv", corpus.csv_bytes(rows))
    assert len(started) == 1
    job = ImportJob.objects.get()
    assert (job.status, job.written, job.problem_count) == ("done", False, 2)
    assert sorted(p[:2] for p in job.problems) == [[19, "subject"], [20, "reference"]]
    assert counts() == before
    # The same file without the two bad rows goes through the same path and writes every row.
    del rows[17:19]
    _upload(client, "bg.csv", corpus.csv_bytes(rows))
    latest = ImportJob.objects.order_by("-started_at").first()
    assert latest is not None and (latest.status, latest.written, latest.created) == ("done", True, 18)


MEASURE = r"""
import json, sys, tracemalloc
import django
django.setup()
from django.utils import translation
translation.activate("en")
from tathmini.records import imports
out = []
tracemalloc.start()
for path, name in zip(sys.argv[1::2], sys.argv[2::2]):
    with open(path, "rb") as f:
        data = f.read()  # held as the upload page holds it: not part of what reading costs
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        table = imports.read_table(name, data)
        outcome = f"read {len(table.rows)} rows"
        del table
    except imports.FileRefused as e:
        outcome = str(e)
    peak = tracemalloc.get_traced_memory()[1]
    del data
    out.append({"file": name, "outcome": outcome, "peak_mb": round((peak - before) / (1 << 20), 1)})
print(json.dumps(out))
"""


def _xlsx_rows(count: int) -> bytes:
    """A workbook of ``count`` complaint rows written as raw sheet XML (quick to build)."""

    def cell(column: str, n: int, text: str) -> str:
        return f'<c r="{column}{n}" t="inlineStr"><is><t>{text}</t></is></c>'

    cells = "".join(
        f'<row r="{n}">{cell("A", n, f"H-M-{n}")}{cell("B", n, "agency")}{cell("C", n, "delay")}'
        f"{cell('D', n, f'Huduma {n}')}{cell('E', n, '2014-03-01')}</row>"
        for n in range(2, count + 2)
    )
    base = corpus.xlsx_bytes([])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace("</row></sheetData>", "</row>" + cells + "</sheetData>").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def test_reading_hostile_files_stays_within_bounded_memory(tmp_path: Path) -> None:
    """Each file read in a separate process that traces its allocations (tracemalloc): the peak
    above what the file itself takes is held to a bound that is generous next to what reading
    needs. 20 MB of tiny rows used to take gigabytes by the end of the check; now reading stops
    at IMPORT_MAX_ROWS (here 5,000: tracing is slow)."""
    limit = 20 << 20
    tiny_rows = corpus.many_rows_csv(400_000, prefix="R")[:limit]  # 20 MB, refused at row 5,001
    files = {
        "bomb.xlsx": corpus.zip_bomb_xlsx(),
        "lol.xlsx": corpus.billion_laughs_xlsx(),
        "wide.csv": corpus.wide_csv(),
        "wide-row.csv": corpus.wide_row_csv(),
        "long.csv": corpus.long_line_csv(),
        "rows.csv": tiny_rows,
        "rows.xlsx": _xlsx_rows(6_000),
        "over.csv": corpus.oversized_csv(limit),
    }
    args: list[str] = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        args += [str(path), name]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tathmini.settings_test",
        "TATHMINI_DATA_DIR": str(tmp_path / "data"),
        "IMPORT_MAX_ROWS": "5000",
        "IMPORT_MAX_BYTES": str(limit),
    }
    env.pop("DATABASE_URL", None)  # reading needs no database
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    results = {r["file"]: r for r in json.loads(done.stdout)}
    expected = {
        "bomb.xlsx": "zip bomb",
        "lol.xlsx": "unsafe XML",
        "wide.csv": "The header row has 100000 columns",
        "wide-row.csv": "read 1 rows",
        "long.csv": "longer than 1000000 characters",
        "rows.csv": "more than 5000 rows",
        "rows.xlsx": "more than 5000 rows",
        "over.csv": "larger than 20 MB",
    }
    for name, outcome in expected.items():
        assert outcome in results[name]["outcome"], results[name]
        assert results[name]["peak_mb"] < 64, results[name]


# --- The plan file ---------------------------------------------------------------------------------------
def _plan_problems(text: str) -> list[str]:
    with pytest.raises(plan_io.PlanFileError) as caught:
        plan_io.parse_plan(text, "p.yaml", org_unit_codes=set())
    return [str(p) for p in caught.value.problems]


def test_the_plan_file_refuses_yaml_bombs_tags_control_characters_and_huge_files(plan: Plan, tmp_path: Path) -> None:
    plans = Plan.objects.count()
    assert _plan_problems(corpus.sample("plan_alias_bomb.yaml").decode()) == [
        "line 3: (file): not valid YAML: aliases (*name) are not allowed: write the value out"
    ]
    assert _plan_problems(corpus.sample("plan_python_tag.yaml").decode()) == [
        "line 2: plan: the tag tag:yaml.org,2002:python/object/apply:os.system is not allowed"
    ]
    assert _plan_problems("format: tathmini-plan/1\nplan: !!python/name:os.system\n")[0].startswith(
        "line 2: (file): not valid YAML: could not determine a constructor"
    )
    nested = "format: tathmini-plan/1\nplan: " + "[" * 10_000 + "]" * 10_000 + "\n"
    assert "nested more than 50 levels deep" in _plan_problems(nested)[0]
    shipped = (ROOT / "plans" / "ega-2012-2017.yaml").read_text()
    escaped = shipped.replace("  vision:\n    sw: Kuwa", '  vision:\n    sw: "Kuwa\\0"\n    #', 1)
    assert any("control character (U+0000)" in p for p in _plan_problems(escaped))
    bidi = shipped.replace("  vision:\n    sw: ", f"  vision:\n    sw: Dira{RLO} ", 1)
    assert _plan_problems(bidi) == [
        "line 24: plan.vision.sw: Character 5 is an invisible text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE), "
        "which can disguise what the text says; remove it."
    ]
    raw = shipped.replace("  vision:\n    sw: ", "  vision:\n    sw: Dira\x07 ", 1)
    assert "not valid YAML: character U+0007" in _plan_problems(raw)[0]
    assert "larger than 5,000,000 bytes" in _plan_problems("#" * 5_000_001)[0]
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * 5_000_001)
    with pytest.raises(CommandError, match="larger than 5,000,000 bytes"):
        call_command("plan", "import", str(huge))
    assert Plan.objects.count() == plans


# --- Manual values and their evidence --------------------------------------------------------------------
@pytest.fixture
def manual_indicator(plan: Plan, settings: Any, tmp_path: Path) -> Indicator:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Indicator.objects.create(
        plan=plan,
        code="ZH1",
        name_sw="Kiashiria cha mkono",
        name_en="Hand-reported indicator",
        unit=Indicator.Unit.PERCENT,
        responsible_unit=OrgUnit.objects.get(code="huduma-ushauri"),
    )


def _manual_form(indicator: Indicator, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"indicator": indicator.pk, "period": "2013/14", "org_unit": "", "value": "72.5"}
    data.update({"narrative": "Surveyed 40 institutions", "evidence_link": "", **changes})
    return data


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_manual_values_refuse_disguised_file_names_and_control_characters(
    personas: dict[str, Persona], manual_indicator: Indicator
) -> None:
    client = english(personas["agency_officer"])
    spoofed = SimpleUploadedFile(f"report{RLO}fdp.exe", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError, match="invisible text-direction control") as caught:
        manual.validate_evidence(spoofed)
    assert RLO not in str(caught.value)
    # Through the page, Django has already dropped the override from the name: the real extension shows.
    response = client.post(reverse("manual:create"), _manual_form(manual_indicator, evidence_file=spoofed))
    assert response.context["form"].errors["evidence_file"] == [
        "“reportfdp.exe” is not accepted as evidence: use a PDF, PNG, JPG, DOCX, XLSX or CSV file."
    ]
    response = client.post(reverse("manual:create"), _manual_form(manual_indicator, narrative="Ripoti\x1b[31m"))
    assert "control character (U+001B)" in response.context["form"].errors["narrative"][0]
    assert ManualValue.objects.count() == 0

    upload = SimpleUploadedFile(f"{EMOJI} ripoti.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("manual:create"), _manual_form(manual_indicator, narrative=MARKUP, evidence_file=upload)
    )
    assert response.status_code == 302
    mv = ManualValue.objects.get()
    assert (mv.narrative, mv.evidence_name) == (MARKUP, f"{EMOJI} ripoti.pdf")
    page = client.get(reverse("manual:detail", args=[mv.pk])).content.decode()
    assert ESCAPED in page and MARKUP not in page and EMOJI in page


# --- Record forms -------------------------------------------------------------------------------------------
def _complaint_form(**changes: str) -> dict[str, str]:
    data = {
        "reference": "H-F-1",
        "channel": "web",
        "about": "agency",
        "institution": "",
        "eservice": "",
        "category": "delay",
        "subject": "Mtandao",
        "description": "",
        "complainant_name": "",
        "complainant_contact": "",
        "received_at": "2014-05-06T09:30",
        "resolved_at": "",
        "status": "open",
        "resolution": "",
    }
    data.update(changes)
    return data


def test_record_forms_refuse_bad_text_beside_the_field_and_keep_good_text(personas: dict[str, Persona]) -> None:
    client = english(personas["me_officer"])
    create = reverse("records:create", args=["complaints"])
    before = counts()
    cases = {
        "subject": f"Mtandao{RLO}",
        "description": "Line\x0bbreak",
        "complainant_contact": "\u202a+255 712 345 678\u202c",
        "resolution": "o\x85k",
    }
    for field, value in cases.items():
        response = client.post(create, _complaint_form(**{field: value}))
        assert response.status_code == 200, field
        assert list(response.context["form"].errors) == [field]
        assert "Character" in response.context["form"].errors[field][0]
    response = client.post(create, _complaint_form(subject="x" * 201))
    assert response.context["form"].errors["subject"] == ["Ensure this value has at most 200 characters (it has 201)."]
    response = client.post(create, _complaint_form(subject="a\x00b", eservice="\x00"))
    assert sorted(response.context["form"].errors) == ["eservice", "subject"]
    # In a query string a NUL is refused before any view reads it: a query with it fails on PostgreSQL.
    response = client.get(reverse("records:list", args=["complaints"]) + "?q=%00")
    assert response.status_code == 400 and "NUL character" in response.content.decode()
    assert counts() == before

    response = client.post(create, _complaint_form(subject=MARKUP, description=f"{ZERO_WIDTH}\n{EMOJI}"))
    assert response.status_code == 302
    complaint = Complaint.objects.get(reference="H-F-1")
    assert (complaint.subject, complaint.description) == (MARKUP, f"{ZERO_WIDTH}\n{EMOJI}")
    page = client.get(reverse("records:detail", args=["complaints", complaint.pk])).content.decode()
    assert ESCAPED in page and MARKUP not in page and EMOJI in page


# --- The REST API --------------------------------------------------------------------------------------------
def _api(function: str = "complaints") -> dict[str, str]:
    _token, raw = token_create(f"{function} system", agency_function=function)
    return {"Authorization": f"Bearer {raw}"}


def _body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": "H-API-1",
        "about": "agency",
        "category": "delay",
        "subject": "Mtandao",
        "received_at": "2014-03-01T08:00:00Z",
    }
    data.update(changes)
    return data


def test_the_api_refuses_bad_text_by_field_and_stores_good_text_as_sent(db: Any) -> None:
    client, auth = Client(), _api()
    url = reverse("api:records", kwargs={"key": "complaints"})
    before = counts()

    def post(body: str | dict[str, Any]) -> Any:
        text = body if isinstance(body, str) else json.dumps(body)
        # In English: the messages below are compared as written (Swahili is the default).
        return client.post(url, text, content_type="application/json", headers={**auth, "Accept-Language": "en"})

    for field, value, says in (
        ("subject", f"Mtandao{RLO}", "U+202E"),
        ("description", "bell\x07", "U+0007"),
        ("complainant_name", "a\x00b", "Null characters are not allowed."),
        ("subject", "x" * 201, "Ensure this field has no more than 200 characters."),
    ):
        response = post(_body(**{field: value}))
        assert response.status_code == 400 and response["Content-Type"] == "application/problem+json", field
        assert list(response.json()["errors"]) == [field]
        assert says in " ".join(response.json()["errors"][field]), response.json()
    # An unpaired surrogate, as JSON can spell one, and a NUL in a lookup (institution by code).
    response = post(
        '{"reference": "H-API-2", "about": "agency", "category": "delay", "subject": "\\ud800", '
        '"received_at": "2014-03-01T08:00:00Z"}'
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["subject"]
    response = post(_body(about="institution", institution="inst\x00"))
    assert response.status_code == 400 and "institution" in response.json()["errors"]
    response = post(corpus.duplicate_key_json())
    assert response.status_code == 400 and response.json()["detail"] == "The key “subject” appears twice in one object."
    response = post(corpus.deeply_nested_json())
    assert response.status_code == 400 and response.json()["detail"] == "The JSON is nested too deeply."
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100_000):
        response = post(corpus.huge_json(200_000))
        assert response.status_code == 413
        assert response.json()["detail"] == "The request body is too large: send fewer or shorter values."
    response = client.get(url + "?status=%00", headers=auth)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert counts() == before

    response = post(_body(subject=MARKUP, description=f"{ZERO_WIDTH} {EMOJI}", complainant_name="مرحبا\u200f"))
    assert response.status_code == 201, response.json()
    assert response["Content-Type"] == "application/json"
    stored = Complaint.objects.get(reference="H-API-1")
    assert (stored.subject, stored.description, stored.complainant_name) == (
        MARKUP,
        f"{ZERO_WIDTH} {EMOJI}",
        "مرحبا\u200f",
    )
    assert client.get(response["Location"], headers=auth).json()["subject"] == MARKUP


# --- The public portal -------------------------------------------------------------------------------------------
@pytest.fixture
def place(db: Any) -> Any:
    return testing.institution("h-tra", "Mamlaka ya Mapato", "Revenue Authority")


def test_public_forms_refuse_bad_text_beside_the_field_and_show_markup_escaped(place: Any) -> None:
    client = Client()
    client.cookies["tathmini_language"] = "en"
    complaint = {
        "about": "institution",
        "institution": "h-tra",
        "category": "delay",
        "subject": "Malipo",
        "description": "Nililipa.",
        "name": "",
        "contact": "",
        "website": "",
    }
    response = client.post(reverse("portal:complaint_new"), {**complaint, "subject": f"Malipo{RLO}"})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["subject"]
    assert "invisible text-direction control" in response.content.decode()
    assert f"Malipo{RLO}" not in response.content.decode() or 'value="Malipo' in response.content.decode()
    response = client.post(reverse("portal:complaint_new"), {**complaint, "description": "Nili\x08lipa"})
    assert list(response.context["form"].errors) == ["description"]
    response = client.post(reverse("portal:complaint_new"), {**complaint, "description": "x" * 5001})
    assert response.context["form"].errors["description"] == [
        "Ensure this value has at most 5000 characters (it has 5001)."
    ]
    response = client.post(reverse("portal:complaint_new"), {**complaint, "eservice": "\x00"})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["eservice"]
    request = {"institution": "h-tra", "subject": "Takwimu", "question": f"Swali{RLO}", "website": ""}
    response = client.post(reverse("portal:request_new"), request)
    assert response.status_code == 400 and list(response.context["form"].errors) == ["question"]
    assert (Complaint.objects.count(), InformationRequest.objects.count()) == (0, 0)

    response = client.post(
        reverse("portal:complaint_new"), {**complaint, "subject": MARKUP, "description": f"{EMOJI}\n{ZERO_WIDTH}"}
    )
    assert response.status_code == 302
    filed = Complaint.objects.get()
    assert (filed.subject, filed.description) == (MARKUP, f"{EMOJI}\n{ZERO_WIDTH}")
    page = client.get(response["Location"]).content.decode()
    assert ESCAPED in page and MARKUP not in page


def test_a_survey_comment_follows_the_same_rule(db: Any) -> None:
    survey = testing.survey("h-survey", questions=1)
    question = survey.questions.get()
    link = services.open_link_create(survey, respondent="citizen", per_device=5, eservice=None)
    client = Client()
    url = reverse("portal:survey_link", args=[link.token])
    response = client.post(url, {f"q{question.pk}": "4", "comment": f"Nzuri{RLO}", "website": ""})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["comment"]
    assert SurveyResponse.objects.count() == 0
    response = client.post(url, {f"q{question.pk}": "4", "comment": f"{MARKUP} {EMOJI}", "website": ""})
    assert response.status_code == 302
    assert SurveyResponse.objects.get().comment == f"{MARKUP} {EMOJI}"


def test_the_catalogue_search_takes_any_text_and_shows_it_escaped(place: Any) -> None:
    client = Client()
    for query in (MARKUP, f"kodi{RLO}", "x" * 10_000, EMOJI, ZERO_WIDTH):
        response = client.get(reverse("portal:catalogue"), {"q": query})
        assert response.status_code == 200, query
        assert MARKUP not in response.content.decode()
    assert client.get(reverse("portal:catalogue"), {"q": "kodi\x00"}).status_code == 400
    assert client.get(reverse("portal:catalogue_json"), {"q": MARKUP}).json()["query"] == MARKUP[:200]
    assert client.get("/huduma/e/%00/").status_code in (400, 404)


# --- The definition editor ------------------------------------------------------------------------------------------
def test_the_definition_editor_refuses_yaml_bombs_and_control_characters(
    plan: Plan, personas: dict[str, Persona]
) -> None:
    indicator = plan.indicators.get(code="K05")
    versions = Definition.objects.count()
    client = english(personas["me_officer"])
    url = reverse("measure:definition_edit", args=[indicator.pk])

    def errors(text: str) -> list[str]:
        response = client.post(url, {"definition": text, "note": "", "by": "category", "action": "save"})
        assert response.status_code == 200
        return [str(e) for e in response.context["form"].errors.get("definition", [])]

    bomb = errors(corpus.sample("definition_alias_bomb.yaml").decode())
    assert bomb == ["Not valid YAML at line 2, column 8: aliases (*name) are not allowed: write the value out"]
    assert "nested more than 50 levels deep" in errors("numerator: " + "[" * 5000 + "]" * 5000)[0]
    assert "control character (U+0007)" in " ".join(errors("numerator:\n  source: eservices\x07\n"))
    assert "invisible text-direction control" in " ".join(errors(f"numerator:\n  source: e{RLO}services\n"))
    assert errors("#" * 50_001) == ["Ensure this value has at most 50000 characters (it has 50001)."]
    assert Definition.objects.count() == versions
