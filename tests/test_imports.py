"""Spreadsheet import: all rows or none, natural keys, scope, file guards (docs/import-formats.md)."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import UniqueConstraint
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tathmini.core.models import AuditEvent
from tathmini.feedback.models import Complaint
from tathmini.records import exports, imports, types
from tathmini.records.models import ImportJob
from tathmini.registry.models import ComplianceAssessment, EService, Institution, Standard, UsageReturn, WorkforceReturn
from tests.conftest import Persona

ROOT = Path(__file__).resolve().parent.parent
USAGE = types.get("usage-returns")


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """The reports' reasons are translated; these tests read the English ones."""
    with translation.override("en"):
        yield


def csv_file(rows: list[list[Any]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def xlsx_file(rows: list[list[Any]], formulas: bool = False) -> bytes:
    """A workbook as a spreadsheet program saves it: text starting with = is a formula cell."""
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if not formulas:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def problems(report: imports.Report) -> list[tuple[int | None, str]]:
    return [(p.row, p.column) for p in report.problems]


@pytest.fixture
def focal(personas: dict[str, Persona]) -> Any:
    return personas["focal_person"].user


@pytest.fixture
def officer(personas: dict[str, Persona]) -> Any:
    return personas["me_officer"].user


@pytest.fixture
def eservices(focal: Any) -> list[EService]:
    institution = focal.institution
    return EService.objects.bulk_create(
        EService(
            institution=institution,
            code=f"huduma-{n}",
            name_sw=f"Huduma {n}",
            name_en=f"Service {n}",
            life_event="tax",
            channels="web",
            launched_on=date(2012, 7, 1),
        )
        for n in range(1, 6)
    )


def usage_rows(n: int, services: list[EService]) -> list[list[Any]]:
    """n usage returns: months from July 2000 onwards, cycling over the services."""
    rows: list[list[Any]] = [["eservice", "period_start", "period_end", "transactions", "users"]]
    for i in range(n):
        service = services[i % len(services)]
        year, month = 2000 + (6 + i // len(services)) // 12, (6 + i // len(services)) % 12 + 1
        start = date(year, month, 1)
        rows.append([service.code, start.isoformat(), start.replace(day=28).isoformat(), 100 + i, 10 + i])
    return rows


# --- The templates --------------------------------------------------------------------------------
def test_every_record_types_template_imports_its_own_example(personas: dict[str, Persona]) -> None:
    """In registration order, so a type's example can name the records an earlier example made."""
    officer = personas["me_officer"]
    client = officer.client()
    for rt in types.all_types():
        response = client.get(reverse("imports:template_csv", args=[rt.key]))
        assert response.status_code == 200, rt.key
        template = response.content
        xlsx = client.get(reverse("imports:template_xlsx", args=[rt.key])).content
        checked = imports.run_import(rt, officer.user, "t.xlsx", xlsx, dry_run=True)
        assert checked.ok and checked.created == 1, (rt.key, checked.problems)

        report = imports.run_import(rt, officer.user, "t.csv", template, dry_run=False)
        assert report.ok, (rt.key, report.problems)
        assert (report.created, report.updated, report.written) == (1, 0, True), rt.key
        created = rt.model._default_manager.order_by("-pk").first()
        assert created is not None
        # The record exports as exactly the template's rows: every example value arrived as written.
        assert exports.to_csv(exports.rows(rt, [created])) == template, rt.key
        event = AuditEvent.objects.get(object_id=str(created.pk), content_type__model=rt.model._meta.model_name)
        assert (event.channel, event.action, event.batch) == ("import", "create", report.batch)


def test_xlsx_template_documents_every_column(officer: Any) -> None:
    rt = types.get("initiatives")
    wb = load_workbook(io.BytesIO(imports.template_xlsx(rt, officer)))
    assert len(wb.worksheets) == 2
    header = [c.value for c in next(wb.worksheets[0].iter_rows())]
    assert header == list(rt.fields)
    documented = [row[0].value for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert documented == list(rt.fields)
    status = next(row for row in wb.worksheets[1].iter_rows(min_row=2) if row[0].value == "status")
    assert "planned" in status[4].value and "in_progress" in status[4].value


def test_the_format_doc_lists_every_column_of_every_type() -> None:
    doc = (ROOT / "docs" / "import-formats.md").read_text(encoding="utf-8")
    for rt in types.all_types():
        heading = f"### `{rt.key}`"
        assert heading in doc, rt.key
        section = doc.split(heading, 1)[1].split("\n### ", 1)[0]
        missing = [name for name in rt.fields if f"| `{name}` |" not in section]
        assert missing == [], (rt.key, missing)


def test_natural_keys_cover_every_unique_rule() -> None:
    """The bulk check of natural keys is the whole uniqueness check only if no other unique rule exists."""
    for rt in types.all_types():
        model = rt.model
        unique_sets: set[tuple[str, ...]] = {
            (f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key
        }
        unique_sets |= {tuple(c.fields) for c in model._meta.constraints if isinstance(c, UniqueConstraint)}
        unique_sets |= {tuple(u) for u in model._meta.unique_together}
        assert all(set(u) == set(rt.natural_key) for u in unique_sets), rt.key


# --- All or nothing -------------------------------------------------------------------------------
def test_one_bad_row_among_ten_thousand_writes_nothing(focal: Any, eservices: list[EService]) -> None:
    rows = usage_rows(10_000, eservices)
    rows[7_345 - 1][4] = "abc"  # spreadsheet row 7,345 (the header is row 1), column "users"
    report = imports.run_import(USAGE, focal, "usage.csv", csv_file(rows), dry_run=False)
    assert report.total_rows == 10_000
    assert problems(report) == [(7_345, "users")]
    assert "abc" in report.problems[0].reason
    assert not report.written
    assert UsageReturn.objects.count() == 0
    assert not AuditEvent.objects.filter(batch=report.batch).exists()


def test_a_dry_run_writes_nothing_and_reports_what_a_real_run_does(focal: Any, eservices: list[EService]) -> None:
    data = csv_file(usage_rows(30, eservices))
    dry = imports.run_import(USAGE, focal, "usage.csv", data, dry_run=True)
    assert (dry.ok, dry.written, dry.created, dry.updated, dry.unchanged) == (True, False, 30, 0, 0)
    assert UsageReturn.objects.count() == 0
    real = imports.run_import(USAGE, focal, "usage.csv", data, dry_run=False)
    assert (real.written, real.created, real.updated, real.unchanged) == (True, 30, 0, 0)
    assert UsageReturn.objects.count() == 30
    assert AuditEvent.objects.filter(batch=real.batch, action="create", channel="import").count() == 30


def test_reimporting_changes_nothing_and_one_changed_cell_updates_one_record(
    focal: Any, eservices: list[EService]
) -> None:
    rows = usage_rows(20, eservices)
    first = imports.run_import(USAGE, focal, "usage.csv", csv_file(rows), dry_run=False)
    assert first.created == 20
    again = imports.run_import(USAGE, focal, "usage.csv", csv_file(rows), dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 20)
    assert UsageReturn.objects.count() == 20
    assert not AuditEvent.objects.filter(batch=again.batch).exists()

    rows[5][3] = 999_999  # row 6: huduma-5, July 2000 … its transactions were 104
    changed = imports.run_import(USAGE, focal, "usage.xlsx", xlsx_file(rows), dry_run=False)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 19)
    record = UsageReturn.objects.get(eservice__code=rows[5][0], period_start=rows[5][1])
    assert record.transactions == 999_999
    event = AuditEvent.objects.get(batch=changed.batch)
    assert (event.action, event.object_id, event.actor) == ("update", str(record.pk), focal)
    assert event.changes == {"transactions": [104, 999_999]}


def test_the_same_key_twice_in_a_file_is_an_error_on_the_second_row(focal: Any, eservices: list[EService]) -> None:
    rows = usage_rows(3, eservices)
    rows.append(list(rows[2]))
    report = imports.run_import(USAGE, focal, "usage.csv", csv_file(rows), dry_run=False)
    assert problems(report) == [(5, "eservice, period_start")]
    assert "3" in report.problems[0].reason
    assert UsageReturn.objects.count() == 0


def test_check_constraints_are_reported_by_row_and_columns(officer: Any) -> None:
    rt = types.get("workforce-returns")
    rows = [
        ["institution", "as_of", "ict_staff", "qualified_ict_staff"],
        ["demo-wizara-fedha", "2014-06-30", "10", "8"],
        ["demo-wizara-fedha", "2015-06-30", "10", "12"],
    ]
    report = imports.run_import(rt, officer, "w.csv", csv_file(rows), dry_run=False)
    assert problems(report) == [(3, "ict_staff, qualified_ict_staff")]
    assert "qualified_ict_staff ≤ ict_staff" in report.problems[0].reason
    assert WorkforceReturn.objects.count() == 0


# --- Scope ----------------------------------------------------------------------------------------
def test_a_focal_persons_row_for_another_institution_refuses_the_whole_file(
    personas: dict[str, Persona], eservices: list[EService]
) -> None:
    focal: Any = personas["focal_person"].user
    other: Any = personas["other_focal_person"].user
    theirs = EService.objects.create(
        institution=other.institution,
        code="yao",
        name_sw="Yao",
        name_en="Theirs",
        life_event="tax",
        channels="web",
        launched_on=date(2012, 7, 1),
    )
    rows = usage_rows(4, eservices)
    rows[3][0] = theirs.code  # row 4
    report = imports.run_import(USAGE, focal, "usage.csv", csv_file(rows), dry_run=False)
    assert problems(report) == [(4, "eservice")]
    assert UsageReturn.objects.count() == 0


def test_a_focal_person_cannot_change_another_institutions_record_by_its_key(
    personas: dict[str, Persona],
) -> None:
    focal: Any = personas["focal_person"].user
    other: Any = personas["other_focal_person"].user
    theirs = EService.objects.create(
        institution=other.institution,
        code="yao",
        name_sw="Yao",
        name_en="Theirs",
        life_event="tax",
        channels="web",
        launched_on=date(2012, 7, 1),
    )
    rt = types.get("eservices")
    # Their own institution in the row, the other institution's code: a move, refused.
    rows = [
        ["code", "institution", "name_sw", "name_en", "life_event", "channels", "launched_on"],
        ["yao", focal.institution.code, "Imetekwa", "Taken", "tax", "web", "2013-01-01"],
    ]
    report = imports.run_import(rt, focal, "e.csv", csv_file(rows), dry_run=True)
    assert problems(report) == [(2, "code")]
    assert report.updated == 1 and "Theirs" not in report.problems[0].reason  # nothing of theirs is shown
    imports.run_import(rt, focal, "e.csv", csv_file(rows), dry_run=False)
    theirs.refresh_from_db()
    assert (theirs.institution_id, theirs.name_en) == (other.institution_id, "Theirs")


def test_an_importer_without_the_right_is_refused(personas: dict[str, Persona]) -> None:
    manager = personas["manager"].user
    report = imports.run_import(types.get("eservices"), manager, "e.csv", b"code\n", dry_run=False)
    assert problems(report) == [(None, "")]


# --- Cells ----------------------------------------------------------------------------------------
FORMULAS = {"name_sw": "=1+1", "name_en": "@SUM(A1)", "description_sw": "+255712345678", "description_en": "-5"}


def test_formula_like_cells_round_trip_as_text(focal: Any) -> None:
    rt = types.get("eservices")
    header = ["code", "institution", "life_event", "channels", "launched_on", *FORMULAS]
    rows = [header, ["fomula", focal.institution.code, "tax", "web", "2013-01-01", *FORMULAS.values()]]
    # A workbook with real formula cells: their formula text is stored, never a computed value.
    first = imports.run_import(rt, focal, "f.xlsx", xlsx_file(rows, formulas=True), dry_run=False)
    assert first.ok and first.created == 1, first.problems
    service = EService.objects.get(code="fomula")
    assert {name: getattr(service, name) for name in FORMULAS} == FORMULAS

    exported_csv = exports.to_csv(exports.rows(rt, [service]))
    assert b"'=1+1" in exported_csv  # escaped for spreadsheets …
    again = imports.run_import(rt, focal, "f.csv", exported_csv, dry_run=False)
    assert (again.ok, again.unchanged) == (True, 1)  # … and read back as the same text
    exported_xlsx = exports.to_xlsx(exports.rows(rt, [service]))
    again = imports.run_import(rt, focal, "f.xlsx", exported_xlsx, dry_run=False)
    assert (again.ok, again.unchanged) == (True, 1)
    service.refresh_from_db()
    assert {name: getattr(service, name) for name in FORMULAS} == FORMULAS


def test_headers_in_any_order_semicolons_a_bom_and_labels_are_understood(officer: Any) -> None:
    rt = types.get("complaints")
    with translation.override("sw"):
        resolved_sw = str(Complaint.Status.RESOLVED.label).upper()  # a label in Swahili, in any case
    rows = [
        ["status", "received_at", "subject", "category", "about", "reference", "channel"],
        [resolved_sw, "2014-03-01 08:15", "  Hakuna mtandao ", "delay", "The Agency", "K-1", "SMS"],
    ]
    data = "\ufeff".encode() + csv_file(rows, delimiter=";")
    report = imports.run_import(rt, officer, "c.csv", data, dry_run=False)
    assert report.ok, report.problems
    complaint = Complaint.objects.get(reference="K-1")
    assert (complaint.status, complaint.about, complaint.channel) == ("resolved", "agency", "sms")
    assert complaint.subject == "Hakuna mtandao"
    assert complaint.received_at == datetime(2014, 3, 1, 8, 15, tzinfo=ZoneInfo("Africa/Dar_es_Salaam"))


def test_unknown_and_missing_columns_are_reported(officer: Any) -> None:
    rows = [["eservice", "period_start", "transactions", "users", "wateja"], ["x", "2014-01-01", "1", "1", "2"]]
    report = imports.run_import(USAGE, officer, "u.csv", csv_file(rows), dry_run=False)
    assert sorted(problems(report)) == [(1, "period_end"), (1, "wateja")]


def test_cells_convert_by_type_and_bad_ones_are_named(officer: Any) -> None:
    rt = types.get("focal-persons")
    rows = [
        ["institution", "name", "email", "active"],
        ["demo-wizara-fedha", "Asha", "asha@example.go.tz", "ndiyo"],
        ["demo-wizara-fedha", "Juma", "juma@example.go.tz", "hapana"],
        ["hakuna-taasisi", "Neema", "not-an-email", "labda"],
    ]
    report = imports.run_import(rt, officer, "f.csv", csv_file(rows), dry_run=True)
    assert sorted(problems(report)) == [(4, "active"), (4, "email"), (4, "institution")]
    rows.pop()
    report = imports.run_import(rt, officer, "f.csv", csv_file(rows), dry_run=False)
    assert report.ok
    assert dict(rt.model._default_manager.values_list("name", "active")) == {"Asha": True, "Juma": False}


def test_many_to_many_columns_take_codes_separated_by_semicolons(officer: Any) -> None:
    Standard.objects.bulk_create(
        [
            Standard(code="s1", version="1", title_sw="a", title_en="a"),
            Standard(code="s2", version="1", title_sw="b", title_en="b"),
        ]
    )
    rt = types.get("assessments")
    rows = [["institution", "assessed_on", "standards", "score"], ["demo-wizara-fedha", "2014-05-01", "s1; s2", "80"]]
    assert imports.run_import(rt, officer, "a.csv", csv_file(rows), dry_run=False).created == 1
    assessment = ComplianceAssessment.objects.get()
    assert sorted(s.code for s in assessment.standards.all()) == ["s1", "s2"]
    rows[1][2] = "s2"
    report = imports.run_import(rt, officer, "a.csv", csv_file(rows), dry_run=False)
    assert report.updated == 1
    assert [s.code for s in assessment.standards.all()] == ["s2"]
    standards = dict(Standard.objects.values_list("code", "pk"))
    changes = AuditEvent.objects.get(batch=report.batch).changes
    assert changes == {"standards": [[standards["s1"], standards["s2"]], [standards["s2"]]]}
    rows[1][2] = "s3"
    assert problems(imports.run_import(rt, officer, "a.csv", csv_file(rows), dry_run=True)) == [(2, "standards")]


# --- File guards ----------------------------------------------------------------------------------
def _refused(report: imports.Report) -> str:
    assert problems(report) == [(None, "")] and not report.written
    return report.problems[0].reason


def test_a_file_over_the_size_limit_is_refused(officer: Any, eservices: list[EService]) -> None:
    data = csv_file(usage_rows(100, eservices))
    with override_settings(IMPORT_MAX_BYTES=len(data) - 1):
        assert "MB" in _refused(imports.run_import(USAGE, officer, "u.csv", data, dry_run=False))
    with override_settings(IMPORT_MAX_BYTES=len(data)):
        assert imports.run_import(USAGE, officer, "u.csv", data, dry_run=True).ok


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return out.getvalue()


def test_workbooks_with_too_many_parts_or_a_zip_bomb_are_refused_before_unpacking(officer: Any) -> None:
    real = xlsx_file([list(USAGE.fields)])
    with zipfile.ZipFile(io.BytesIO(real)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    many = parts | {f"xl/media/image{n}.png": b"x" for n in range(200)}
    assert "parts" in _refused(imports.run_import(USAGE, officer, "many.xlsx", _zip(many), dry_run=True))
    bomb = parts | {"xl/media/bomb.bin": b"\0" * (20 << 20)}  # 20 MB of zeros pack into ~20 kB
    assert len(_zip(bomb)) < 100_000
    assert "zip bomb" in _refused(imports.run_import(USAGE, officer, "bomb.xlsx", _zip(bomb), dry_run=True))
    with override_settings(IMPORT_MAX_UNCOMPRESSED_BYTES=10 << 20):
        assert "MB" in _refused(imports.run_import(USAGE, officer, "bomb.xlsx", _zip(bomb), dry_run=True))


def test_files_that_are_not_what_their_name_says_are_refused(officer: Any) -> None:
    text = csv_file([list(USAGE.fields)])
    assert "XLSX" in _refused(imports.run_import(USAGE, officer, "u.xlsx", text, dry_run=True))
    assert "CSV" in _refused(imports.run_import(USAGE, officer, "u.csv", xlsx_file([["a"]]), dry_run=True))
    assert "XLSX" in _refused(imports.run_import(USAGE, officer, "u.xlsx", _zip({"a.txt": b"a"}), dry_run=True))
    assert "UTF-8" in _refused(imports.run_import(USAGE, officer, "u.csv", "é".encode("latin-1"), dry_run=True))
    assert ".xlsx" in _refused(imports.run_import(USAGE, officer, "u.ods", text, dry_run=True))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def test_a_workbook_with_an_entity_expansion_payload_is_refused_quickly(officer: Any) -> None:
    real = xlsx_file([list(USAGE.fields)])
    with zipfile.ZipFile(io.BytesIO(real)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = BILLION_LAUGHS
    started = time.monotonic()
    reason = _refused(imports.run_import(USAGE, officer, "lol.xlsx", _zip(parts), dry_run=True))
    assert time.monotonic() - started < 5
    assert "unsafe XML" in reason


# --- Cost -----------------------------------------------------------------------------------------
def test_checking_costs_the_same_queries_for_100_and_1000_rows(focal: Any, eservices: list[EService]) -> None:
    small, large = csv_file(usage_rows(100, eservices)), csv_file(usage_rows(1000, eservices))
    assert focal.roles  # the user's roles are read once per request, not per import
    with CaptureQueriesContext(connection) as hundred:
        assert imports.run_import(USAGE, focal, "u.csv", small, dry_run=True).created == 100
    with CaptureQueriesContext(connection) as thousand:
        assert imports.run_import(USAGE, focal, "u.csv", large, dry_run=True).created == 1000
    assert len(thousand) == len(hundred) <= 5
    imports.run_import(USAGE, focal, "u.csv", small, dry_run=False)
    with CaptureQueriesContext(connection) as updating:  # 100 unchanged, 900 new
        assert imports.run_import(USAGE, focal, "u.csv", large, dry_run=True).unchanged == 100
    assert len(updating) == len(hundred)


# --- Pages and jobs -------------------------------------------------------------------------------
def test_the_index_lists_only_the_types_the_user_may_import(personas: dict[str, Persona]) -> None:
    page = personas["focal_person"].client().get(reverse("imports:index")).content.decode()
    assert reverse("imports:upload", args=["usage-returns"]) in page
    assert reverse("imports:upload", args=["engagements"]) not in page
    assert personas["manager"].client().get(reverse("imports:upload", args=["usage-returns"])).status_code == 403
    assert personas["focal_person"].client().get(reverse("imports:upload", args=["posts"])).status_code == 403
    assert personas["focal_person"].client().get(reverse("imports:template_csv", args=["posts"])).status_code == 403


def test_uploading_a_small_file_shows_its_report_by_row_and_column(
    personas: dict[str, Persona], eservices: list[EService]
) -> None:
    client = personas["focal_person"].client()
    rows = usage_rows(3, eservices)
    rows[2][2] = "2000-06-30"  # before its start (2000-07-01): row 3
    upload = io.BytesIO(csv_file(rows))
    upload.name = "matumizi.csv"
    response = client.post(reverse("imports:upload", args=["usage-returns"]), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    assert (job.status, job.problem_count, job.written) == ("done", 1, False)
    assert job.problems[0][:2] == [3, "period_start, period_end"]
    page = client.get(response["Location"]).content.decode()
    assert "<td>3</td>" in page and "period_start, period_end" in page
    assert UsageReturn.objects.count() == 0
    # Someone else's job is not found.
    assert personas["other_focal_person"].client().get(response["Location"]).status_code == 404


@override_settings(IMPORT_BACKGROUND_ROWS=100)
def test_a_large_file_runs_as_a_job_that_reports_progress_and_completes(
    personas: dict[str, Persona], eservices: list[EService], monkeypatch: pytest.MonkeyPatch
) -> None:
    persona = personas["focal_person"]
    client = persona.client()
    seen: list[tuple[int, int, int, str]] = []
    pages: list[str] = []
    started: list[ImportJob] = []
    real_run = imports.run_import

    def spying_run(*args: Any, progress: imports.Progress, **kwargs: Any) -> imports.Report:
        def watched(done: int, total: int) -> None:
            progress(done, total)
            stored = ImportJob.objects.get()
            seen.append((done, total, stored.processed_rows, stored.status))

        return real_run(*args, progress=watched, **kwargs)

    def inline_start(job: ImportJob, data: bytes) -> None:
        # The thread's work, run here: the test database is not visible to another connection.
        started.append(job)
        pages.append(client.get(reverse("imports:job", args=[job.pk])).content.decode())
        imports.process(ImportJob.objects.get(pk=job.pk), data)

    monkeypatch.setattr(imports, "run_import", spying_run)
    monkeypatch.setattr(imports, "start_in_background", inline_start)
    upload = io.BytesIO(csv_file(usage_rows(500, eservices)))
    upload.name = "kubwa.csv"
    response = client.post(reverse("imports:upload", args=["usage-returns"]), {"file": upload})
    assert len(started) == 1 and response.status_code == 302
    assert '<meta http-equiv="refresh" content="2">' in pages[0] and "<progress" in pages[0]
    assert seen[0] == (0, 500, 0, "checking") and seen[-1] == (500, 500, 500, "checking")
    assert len(seen) > 10 and all(stored == done for done, _total, stored, _status in seen)
    job = ImportJob.objects.get()
    assert (job.status, job.written, job.created, job.processed_rows) == ("done", True, 500, 500)
    finished = client.get(response["Location"])
    assert "refresh" not in finished.content.decode() and not finished.has_header("Refresh")
    assert UsageReturn.objects.count() == 500


def test_the_job_page_shows_progress_while_running(personas: dict[str, Persona]) -> None:
    persona = personas["focal_person"]
    job = ImportJob.objects.create(
        owner=cast(Any, persona.user),
        record_type="usage-returns",
        filename="x.csv",
        status="checking",
        total_rows=4000,
        processed_rows=1000,
    )
    response = persona.client().get(reverse("imports:job", args=[job.pk]))
    page = response.content.decode()
    assert '<progress id="import-progress" max="4000" value="1000">25%</progress>' in page
    assert response["Refresh"] == "2"


def test_the_command_imports_and_reports(focal: Any, eservices: list[EService], tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    rows = usage_rows(4, eservices)
    path.write_bytes(csv_file(rows))
    out = io.StringIO()
    call_command("import_records", "usage-returns", str(path), "--dry-run", "--user", focal.username, stdout=out)
    assert "4 rows checked" in out.getvalue() and UsageReturn.objects.count() == 0
    call_command("import_records", "usage-returns", str(path), "--user", focal.username, stdout=out)
    assert UsageReturn.objects.count() == 4
    rows[1][3] = "-1"
    path.write_bytes(csv_file(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_records", "usage-returns", str(path), "--user", focal.username, stderr=err)
    assert "row 2 [transactions]" in err.getvalue()


def test_institutions_are_matched_by_code(officer: Any) -> None:
    rt = types.get("institutions")
    rows = [["code", "name_sw", "name_en", "category", "region"], ["mpya", "Taasisi Mpya", "New", "lga", ""]]
    assert imports.run_import(rt, officer, "i.csv", csv_file(rows), dry_run=False).created == 1
    rows[1][2] = "New Institution"
    assert imports.run_import(rt, officer, "i.csv", csv_file(rows), dry_run=False).updated == 1
    assert Institution.objects.get(code="mpya").name_en == "New Institution"


def test_a_job_whose_process_stopped_is_closed_when_its_owner_looks(personas: dict[str, Persona]) -> None:
    """A restart loses a background job's thread: after ten minutes without progress its page
    and the import index say what happened instead of "checking" for ever."""
    from datetime import timedelta

    from django.utils import timezone

    from tathmini.core import audit
    from tathmini.core.models import AuditEvent

    officer = personas["me_officer"]
    assert officer.user is not None
    long_ago = timezone.now() - timedelta(minutes=11)
    lost = ImportJob.objects.create(owner=officer.user, record_type="complaints", filename="a.csv", language="en")
    written = ImportJob.objects.create(owner=officer.user, record_type="complaints", filename="b.csv")
    alive = ImportJob.objects.create(owner=officer.user, record_type="complaints", filename="c.csv")
    ImportJob.objects.filter(pk=lost.pk).update(status="checking", heartbeat=long_ago)
    ImportJob.objects.filter(pk=written.pk).update(status="writing", heartbeat=long_ago)
    ImportJob.objects.filter(pk=alive.pk).update(status="checking", heartbeat=timezone.now() - timedelta(minutes=2))
    # The write of "b.csv" had committed (2 new records, 1 change) before the process stopped.
    complaint = Complaint.objects.create(
        reference="K-9", about="agency", category="delay", subject="x", received_at=timezone.now()
    )
    for action in (AuditEvent.Action.CREATE, AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE):
        audit.event(
            action, complaint, actor=officer.user, channel=AuditEvent.Channel.IMPORT, changes={}, batch=str(written.pk)
        ).save()

    page = officer.client().get(reverse("imports:job", args=[lost.pk])).content.decode()
    lost.refresh_from_db()
    assert (lost.status, lost.written) == ("failed", False)
    assert "the server was restarted" in lost.problems[0][2]  # in the uploader's language, English
    assert "the server was restarted" in page  # the job's report, kept in its language

    officer.client().get(reverse("imports:index"))
    written.refresh_from_db()
    alive.refresh_from_db()
    assert (written.status, written.written, written.created, written.updated) == ("done", True, 2, 1)
    assert alive.status == "checking" and alive.finished_at is None


def test_an_empty_required_related_cell_is_reported_on_its_row(focal: Any, eservices: list[EService]) -> None:
    # A row without its e-service (the natural key's related part) is one problem on that cell;
    # it once stopped the whole import with an error instead of a report.
    rows = usage_rows(3, eservices)
    rows[2][0] = ""
    report = imports.run_import(USAGE, focal, "usage.csv", csv_file(rows), dry_run=False)
    assert [(p.row, p.column, p.reason) for p in report.problems] == [(3, "eservice", "This field cannot be blank.")]
    assert not report.written
    assert UsageReturn.objects.count() == 0
