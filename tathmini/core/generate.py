"""A synthetic national-scale data set, for benchmarks: ``manage.py generate --scale N --seed S``.

Scale 1.0 is a large country's worth of records (``BASE_COUNTS``: 1,000 institutions, 50,000
e-services, a million complaints, two million usage returns …); any scale multiplies every count.
The same scale and seed give the same rows, value for value.

Everything written is marked: codes start with ``gen-`` and public reference numbers with ``GEN-``,
so generated rows never clash with the demo data and ``--replace`` can find and delete them.

Rows are built as plain tuples in chunks and written with the database's bulk path: ``COPY`` on
PostgreSQL, ``executemany`` of one prepared INSERT on SQLite (``docs/benchmarks.md`` compares them
with ``bulk_create``). Primary keys are assigned here, past the highest id each table gave out, so
child rows can point at their parents without reading anything back; the generator therefore assumes
nobody else writes to these tables while it runs. No audit events are written: this is benchmark
input that no person entered, and an audit row per generated record would double what is measured.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import islice
from time import perf_counter
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from tathmini.core import demo, periods
from tathmini.core import demo_records as vocab
from tathmini.feedback.models import (
    Complaint,
    ComplaintUpdate,
    InformationRequest,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from tathmini.registry.models import (
    ComplianceAssessment,
    EService,
    FocalPerson,
    Initiative,
    Institution,
    Region,
    ResourceSubscription,
    SharedResource,
    Standard,
    UsageReturn,
    WorkforceReturn,
)
from tathmini.services.models import BudgetLine, Engagement, PostRecord, Revenue
from tathmini.strategy.models import OrgUnit

GEN = "gen-"
GEN_REFERENCE = "GEN"  # complaint and request numbers: GEN-XXXX-XXXX

# Rows per table at scale 1.0. Every count scales linearly, at least one row each.
BASE_COUNTS: dict[str, int] = {
    "org_units": 50,
    "institutions": 1_000,
    "focal_persons": 1_000,
    "eservices": 50_000,
    "usage_returns": 2_000_000,
    "subscriptions": 4_000,
    "workforce_returns": 5_000,
    "initiatives": 20_000,
    "assessments": 10_000,
    "engagements": 100_000,
    "budget_lines": 1_000,
    "revenue": 50_000,
    "posts": 5_000,
    "complaints": 1_000_000,
    "information_requests": 500_000,
    "survey_responses": 200_000,
}
STANDARDS_PER_ASSESSMENT = 2
QUESTIONS_PER_SURVEY = 5
SQLITE_CACHE_KIB = 512 * 1024  # page cache while generating (see Writer.session)
POSITIONS_PER_UNIT = 4

FIRST_YEAR, LAST_YEAR = vocab.FIRST_YEAR, vocab.LAST_YEAR
FISCAL_YEARS = vocab.FISCAL_YEARS
PLAN_START, PLAN_END = vocab.PLAN_START, vocab.PLAN_END
# Usage returns reach two years before the plan, so services launched earlier have a history.
USAGE_START = date(2010, 7, 1)
MONTHS = periods.months_of(periods.Period(USAGE_START, PLAN_END, "year", "usage"))
QUARTER_ENDS = [q.end for fy in FISCAL_YEARS for q in periods.quarters_of(fy)]

# Share of each institution category, as in DEMO-FACTS.md (about 200 MDAs : 26 RS : 185 LGAs).
CATEGORY_SHARES = [
    (Institution.Category.MINISTRY, 6),
    (Institution.Category.INDEPENDENT_DEPARTMENT, 7),
    (Institution.Category.AGENCY, 22),
    (Institution.Category.PUBLIC_CORPORATION, 13),
    (Institution.Category.REGIONAL_SECRETARIAT, 7),
    (Institution.Category.LGA, 45),
]

# The three surveys of each fiscal year, five Likert questions each.
SURVEY_KINDS: list[tuple[str, str, str, str, list[tuple[str, str]]]] = [
    (
        kind,
        stem,
        sw,
        en,
        [*texts, ("Ninaamini huduma za Serikali mtandaoni", "I trust online government services")][:5],
    )
    for kind, stem, sw, en, _opens, _closes, texts in vocab.SURVEYS
]


def planned_counts(scale: float) -> dict[str, int]:
    """Rows each table receives at ``scale``: the formula the tests and the docs rely on."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    counts = {key: max(1, round(base * scale)) for key, base in BASE_COUNTS.items()}
    counts["shared_resources"] = len(vocab.SHARED_RESOURCES)
    counts["standards"] = len(vocab.STANDARDS)
    counts["assessment_standards"] = counts["assessments"] * STANDARDS_PER_ASSESSMENT
    counts["surveys"] = len(SURVEY_KINDS) * len(FISCAL_YEARS)
    counts["survey_questions"] = counts["surveys"] * QUESTIONS_PER_SURVEY
    counts["survey_answers"] = counts["survey_responses"] * QUESTIONS_PER_SURVEY
    return counts


@dataclass
class TableResult:
    key: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def _split(total: int, parts: int, capacity: int, what: str) -> list[int]:
    """``total`` spread evenly over ``parts`` (the first ones take the remainder)."""
    q, r = divmod(total, parts)
    if q + (r > 0) > capacity:
        raise ValueError(f"{total:,} {what} do not fit: at most {capacity} each over {parts:,}")
    return [q + (i < r) for i in range(parts)]


def _lookup(pairs: list[tuple[Any, int]]) -> list[Any]:
    """A 100-slot table for weighted choices at the cost of one ``random()`` call."""
    total = sum(w for _, w in pairs)
    out: list[Any] = []
    for value, weight in pairs:
        # Plain strings: database drivers should never have to guess how to write an enum.
        out += [str(value) if isinstance(value, str) else value] * round(100 * weight / total)
    return (out + [pairs[0][0]] * 100)[:100]


class Writer:
    """Writes row tuples to one table through the fastest path the database offers."""

    def __init__(self, using: str, method: str = "auto") -> None:
        self.using = using
        self.connection = connections[using]
        vendor = self.connection.vendor
        if method == "auto":
            method = {"postgresql": "copy", "sqlite": "executemany"}.get(vendor, "orm")
        if (method == "copy" and vendor != "postgresql") or (method == "executemany" and vendor != "sqlite"):
            raise ValueError(f"{method} is not available on {vendor}")
        self.method = method

    @property
    def tz(self) -> tzinfo | None:
        # Django keeps SQLite datetimes as naive UTC text; an aware value would be written with
        # an offset and then compare wrongly as text. Everywhere else, aware UTC.
        return None if self.method == "executemany" else UTC

    @contextmanager
    def session(self) -> Iterator[None]:
        """Settings for the whole run. On SQLite, a page cache large enough for the indexes of a
        million-row table: with the default 2 MB, random keys (reference numbers) keep evicting
        index pages mid-transaction and the run becomes a stream of page writes."""
        if self.connection.vendor != "sqlite":
            yield
            return
        with self.connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")

    def write(self, model: type[models.Model], fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        meta = model._meta
        if self.method == "orm":
            model._default_manager.using(self.using).bulk_create(
                [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
            )
            return
        qn = self.connection.ops.quote_name
        column_of = {f.attname: f.column or f.attname for f in meta.concrete_fields}
        columns = ", ".join(qn(column_of[f]) for f in fields)
        if self.method == "copy":
            with (
                self.connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            self.connection.ensure_connection()
            marks = ", ".join("?" * len(fields))
            # Names come from the model, values are bound: nothing from input reaches the SQL text.
            sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
            self.connection.connection.executemany(sql, rows)


# Every table the generator fills: its model and the columns of its rows, in order. The columns
# must be exactly the model's: a schema change then fails loudly here, not with half a data set.
TABLES: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "org_units": (
        OrgUnit,
        ("id", "code", "kind", "parent_id", "name_sw", "name_en", "valid_from", "valid_to", "illustrative"),
    ),
    "institutions": (
        Institution,
        (
            "id",
            "code",
            "name_sw",
            "name_en",
            "category",
            "region_id",
            "parent_id",
            "established_on",
            "dissolved_on",
            "illustrative",
        ),
    ),
    "focal_persons": (FocalPerson, ("id", "institution_id", "name", "position", "email", "phone", "active")),
    "shared_resources": (SharedResource, ("id", "code", "name_sw", "name_en", "kind", "offered_from", "offered_to")),
    "standards": (Standard, ("id", "code", "version", "title_sw", "title_en", "issued_on")),
    "surveys": (Survey, ("id", "code", "kind", "name_sw", "name_en", "opens_on", "closes_on")),
    "survey_questions": (SurveyQuestion, ("id", "survey_id", "order", "text_sw", "text_en")),
    "eservices": (
        EService,
        (
            "id",
            "institution_id",
            "code",
            "name_sw",
            "name_en",
            "description_sw",
            "description_en",
            "how_to_sw",
            "how_to_en",
            "life_event",
            "channels",
            "url",
            "fee",
            "launched_on",
            "retired_on",
            "illustrative",
        ),
    ),
    "usage_returns": (UsageReturn, ("id", "eservice_id", "period_start", "period_end", "transactions", "users")),
    "subscriptions": (ResourceSubscription, ("id", "institution_id", "resource_id", "started_on", "ended_on")),
    "workforce_returns": (WorkforceReturn, ("id", "institution_id", "as_of", "ict_staff", "qualified_ict_staff")),
    "initiatives": (
        Initiative,
        (
            "id",
            "institution_id",
            "code",
            "title",
            "budget",
            "status",
            "start_on",
            "end_on",
            "review_status",
            "reviewed_on",
            "review_notes",
        ),
    ),
    "assessments": (ComplianceAssessment, ("id", "institution_id", "assessed_on", "score", "pass_mark", "findings")),
    "assessment_standards": (ComplianceAssessment.standards.through, ("id", "complianceassessment_id", "standard_id")),
    "engagements": (
        Engagement,
        (
            "id",
            "reference",
            "institution_id",
            "kind",
            "service",
            "status",
            "requested_on",
            "started_on",
            "completed_on",
            "officer_id",
            "org_unit_id",
            "fee",
            "satisfaction",
            "notes",
        ),
    ),
    "budget_lines": (BudgetLine, ("id", "fiscal_year", "code", "category", "org_unit_id", "description", "amount")),
    "revenue": (Revenue, ("id", "reference", "received_on", "source", "amount", "payer_id", "description")),
    "posts": (PostRecord, ("id", "org_unit_id", "position", "as_of", "approved", "filled")),
    "complaints": (
        Complaint,
        (
            "id",
            "reference",
            "channel",
            "about",
            "institution_id",
            "eservice_id",
            "category",
            "subject",
            "description",
            "complainant_name",
            "complainant_contact",
            "received_at",
            "resolved_at",
            "status",
            "resolution",
        ),
    ),
    "information_requests": (
        InformationRequest,
        (
            "id",
            "reference",
            "institution_id",
            "subject",
            "question",
            "requester_name",
            "requester_contact",
            "submitted_at",
            "deadline",
            "answered_at",
            "status",
            "answer",
        ),
    ),
    "survey_responses": (
        SurveyResponse,
        ("id", "survey_id", "submitted_at", "respondent", "institution_id", "score", "comment"),
    ),
    "survey_answers": (SurveyAnswer, ("id", "response_id", "question_id", "value")),
}


def check_tables() -> None:
    for key, (model, fields) in TABLES.items():
        columns = {f.attname for f in model._meta.concrete_fields}
        if columns != set(fields) or len(fields) != len(set(fields)):
            raise RuntimeError(
                f"generator table {key!r} is out of date with {model._meta.label}: "
                f"missing {sorted(columns - set(fields))}, unknown {sorted(set(fields) - columns)}"
            )


class Generator:
    def __init__(
        self, scale: float, seed: int, *, using: str = "default", method: str = "auto", chunk: int = 100_000
    ) -> None:
        check_tables()
        self.scale = scale
        self.seed = seed
        self.using = using
        self.writer = Writer(using, method)
        self.tz = self.writer.tz
        self.chunk = chunk
        self.counts = planned_counts(scale)
        self.base: dict[str, int] = {}

    # --- plumbing ------------------------------------------------------------------------------
    def rng(self, key: str) -> random.Random:
        # One stream per table: a table's rows do not depend on how many numbers another drew.
        return random.Random(f"{self.seed}/{key}")  # noqa: S311  (reproducible, not secret)

    def ids(self, key: str) -> range:
        return range(self.base[key], self.base[key] + self.counts[key])

    def _next_id(self, model: type[models.Model]) -> int:
        """Past the highest id the table ever gave out, not only the highest there now: ids are
        never reused, so anything that follows a table by its highest id (the portal's search
        index) also sees the rows written after a --replace."""
        top = model._default_manager.using(self.using).aggregate(top=models.Max("pk"))["top"] or 0
        connection = connections[self.using]
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            elif connection.vendor == "postgresql":
                column = model._meta.pk.column or "id"
                cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s))", [table, column])
            else:
                return top + 1
            row = cursor.fetchone()
        return max(top, (row[0] if row and row[0] is not None else 0)) + 1

    def run(self, report: Callable[[TableResult], None] | None = None) -> list[TableResult]:
        for key, (model, _fields) in TABLES.items():
            self.base[key] = self._next_id(model)
        self.region_ids = list(Region.objects.using(self.using).order_by("name").values_list("pk", flat=True))
        if not self.region_ids:
            if self.using != DEFAULT_DB_ALIAS:
                raise ValueError(f"database {self.using!r} has no regions: run manage.py bootstrap on it first")
            demo.load_regions()
            self.region_ids = list(Region.objects.using(self.using).order_by("name").values_list("pk", flat=True))
        results = []
        with self.writer.session():
            for key, (model, fields) in TABLES.items():
                start = perf_counter()
                rows = getattr(self, f"rows_{key}")()
                written = self._write_all(model, fields, rows)
                if written != self.counts[key]:
                    raise RuntimeError(f"{key}: wrote {written:,} rows, planned {self.counts[key]:,}")
                result = TableResult(key, written, perf_counter() - start)
                results.append(result)
                if report:
                    report(result)
        self._reset_sequences()
        return results

    def _write_all(self, model: type[models.Model], fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        written = 0
        it = iter(rows)
        while batch := list(islice(it, self.chunk)):
            with transaction.atomic(using=self.using):
                self.writer.write(model, fields, batch)
            written += len(batch)
        return written

    def _reset_sequences(self) -> None:
        # Explicit ids bypass PostgreSQL's sequences; move them past the rows just written.
        connection = connections[self.using]
        statements = connection.ops.sequence_reset_sql(no_style(), [model for model, _ in TABLES.values()])
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    def _dt(self, seconds: float) -> datetime:
        return datetime(2012, 7, 1, tzinfo=self.tz) + timedelta(seconds=int(seconds))

    # --- structure -----------------------------------------------------------------------------
    def rows_org_units(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("org_units")
        ids = self.ids("org_units")
        n = len(ids)
        departments = max(1, n // 10)
        units = min(n, max(departments + 1, int(n * 0.4)))  # rows [departments, units) are units
        self.unit_ids = list(ids)
        names = {"department": ("Idara", "Department"), "unit": ("Kitengo", "Unit"), "section": ("Sehemu", "Section")}
        for i, pk in enumerate(ids):
            if i < departments:
                kind, parent = OrgUnit.Kind.DEPARTMENT, None
            elif i < units:
                kind, parent = OrgUnit.Kind.UNIT, ids[rng.randrange(departments)]
            else:
                kind, parent = OrgUnit.Kind.SECTION, ids[departments + rng.randrange(units - departments)]
            sw, en = names[kind]
            yield (
                pk,
                f"{GEN}ou-{i + 1:04d}",
                str(kind),
                parent,
                f"{sw} ya Mfano {i + 1}",
                f"Sample {en} {i + 1}",
                None,
                None,
                True,
            )

    def rows_institutions(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("institutions")
        ids = self.ids("institutions")
        lookup = _lookup(CATEGORY_SHARES)
        names = {
            Institution.Category.MINISTRY: [(r[5], r[6]) for r in vocab.MINISTRIES],
            Institution.Category.INDEPENDENT_DEPARTMENT: [(r[5], r[6]) for r in vocab.INDEPENDENT_DEPARTMENTS],
            Institution.Category.AGENCY: [(r[5], r[6]) for r in vocab.AGENCIES],
            Institution.Category.PUBLIC_CORPORATION: [(r[5], r[6]) for r in vocab.CORPORATIONS],
            Institution.Category.REGIONAL_SECRETARIAT: [
                (f"Sekretarieti ya Mkoa wa {n}", f"{n} Regional Secretariat") for n, z in demo.REGIONS
            ],
            Institution.Category.LGA: [
                (vocab.LGA_KINDS[k][0].format(n), vocab.LGA_KINDS[k][1].format(n)) for _r, n, k, _e in vocab.LGAS
            ],
        }
        # Categories in a fixed order, ministries first, so parents come before their children.
        categories = sorted((lookup[int(rng.random() * 100)] for _ in ids), key=[c for c, _ in CATEGORY_SHARES].index)
        self.inst_category = categories
        self.inst_established: list[date | None] = []
        self.inst_dissolved: list[date | None] = []
        ministries = [pk for pk, c in zip(ids, categories, strict=True) if c == Institution.Category.MINISTRY]
        secretariats = [
            pk for pk, c in zip(ids, categories, strict=True) if c == Institution.Category.REGIONAL_SECRETARIAT
        ]
        for i, (pk, category) in enumerate(zip(ids, categories, strict=True)):
            sw, en = names[category][i % len(names[category])]
            established = dissolved = None
            r = rng.random()
            if r < 0.05:
                established = PLAN_START + timedelta(days=rng.randrange(1400))
            elif r < 0.06:
                dissolved = PLAN_START + timedelta(days=rng.randrange(300, 1500))
            self.inst_established.append(established)
            self.inst_dissolved.append(dissolved)
            if category in (Institution.Category.AGENCY, Institution.Category.PUBLIC_CORPORATION) and ministries:
                parent = ministries[rng.randrange(len(ministries))]
            elif category == Institution.Category.LGA and secretariats:
                parent = secretariats[rng.randrange(len(secretariats))]
            else:
                parent = None
            yield (
                pk,
                f"{GEN}inst-{i + 1:06d}",
                f"{sw} ({i + 1})",
                f"{en} ({i + 1})",
                category,
                self.region_ids[rng.randrange(len(self.region_ids))],
                parent,
                established,
                dissolved,
                True,
            )

    def rows_focal_persons(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("focal_persons")
        inst = list(self.ids("institutions"))
        for i, pk in enumerate(self.ids("focal_persons")):
            first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.SURNAMES)
            owner = inst[i % len(inst)]
            yield (
                pk,
                owner,
                f"{first} {last}",
                rng.choice(vocab.FOCAL_POSITIONS),
                f"{first}.{last}.{i + 1}@{GEN}inst-{owner - inst[0] + 1:06d}.example.go.tz".lower(),
                "",
                True,
            )

    def rows_shared_resources(self) -> Iterator[tuple[Any, ...]]:
        for pk, (code, sw, en, kind, offered) in zip(self.ids("shared_resources"), vocab.SHARED_RESOURCES, strict=True):
            yield (pk, f"{GEN}{code}", sw, en, str(kind), offered, None)

    def rows_standards(self) -> Iterator[tuple[Any, ...]]:
        for pk, (code, version, sw, en, issued) in zip(self.ids("standards"), vocab.STANDARDS, strict=True):
            yield (pk, f"{GEN}{code}", version, sw, en, issued)

    def rows_surveys(self) -> Iterator[tuple[Any, ...]]:
        ids = iter(self.ids("surveys"))
        self.survey_meta: list[tuple[int, str, date, date]] = []
        for (kind, stem, sw, en, _q), (_k, _s, _sw, _en, opens, closes, _t) in zip(
            SURVEY_KINDS, vocab.SURVEYS, strict=True
        ):
            for fy in FISCAL_YEARS:
                pk = next(ids)
                y = fy.end.year
                self.survey_meta.append((pk, str(kind), date(y, *opens), date(y, *closes)))
                yield (
                    pk,
                    f"{GEN}{stem}-{fy.code.replace('/', '-')}",
                    str(kind),
                    f"{sw} {fy.code}",
                    f"{en} {fy.code}",
                    date(y, *opens),
                    date(y, *closes),
                )

    def rows_survey_questions(self) -> Iterator[tuple[Any, ...]]:
        ids = iter(self.ids("survey_questions"))
        self.question_ids: dict[int, list[int]] = {}
        surveys = iter(self.survey_meta)
        for _kind, _stem, _sw, _en, texts in SURVEY_KINDS:
            for _fy in FISCAL_YEARS:
                survey = next(surveys)[0]
                for order, (q_sw, q_en) in enumerate(texts, start=1):
                    pk = next(ids)
                    self.question_ids.setdefault(survey, []).append(pk)
                    yield (pk, survey, order, q_sw, q_en)

    # --- the registry --------------------------------------------------------------------------
    def rows_eservices(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("eservices")
        rand = rng.random
        inst = self.ids("institutions")
        n_inst = len(inst)
        catalogue = [s for offers in vocab.SPECIFIC_ESERVICES.values() for s in offers]
        catalogue += vocab.GENERIC_ESERVICES + vocab.LGA_ESERVICES
        per = _split(self.counts["usage_returns"], self.counts["eservices"], len(MONTHS), "usage returns")
        self.es_inst: list[int] = []
        self.es_first_month: list[int] = []
        self.es_returns = per
        channel_sets = ["web", "web,mobile_app", "web,ussd", "web,sms", "web,mobile_app,ussd,sms", "web,service_centre"]
        for i, pk in enumerate(self.ids("eservices")):
            owner = inst[int(rand() * n_inst)]
            sw, en, event, path = catalogue[int(rand() * len(catalogue))]
            k = per[i]
            # More services launch later in the period: the start month leans towards the end.
            first = int((len(MONTHS) - k) * rand() ** 0.7)
            launched = MONTHS[first].start - timedelta(days=int(rand() * 28))
            last = first + k - 1
            retired = MONTHS[last].end + timedelta(days=1 + int(rand() * 25)) if last < len(MONTHS) - 1 else None
            self.es_inst.append(owner)
            self.es_first_month.append(first)
            host = f"{GEN}inst-{owner - inst[0] + 1:06d}"
            yield (
                pk,
                owner,
                f"{GEN}es-{i + 1:07d}",
                sw,
                en,
                "",
                "",
                "",
                "",
                event,
                channel_sets[int(rand() * len(channel_sets))],
                f"https://{host}.example.go.tz/{path}",
                (1000 * (1 + int(rand() * 50))) if rand() < 0.4 else None,
                launched,
                retired,
                True,
            )

    def rows_usage_returns(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("usage_returns")
        rand = rng.random
        pk = self.base["usage_returns"]
        for i, es in enumerate(self.ids("eservices")):
            level = math.exp(5 + 4 * rand())
            growth = 1.0 + 0.04 * rand()
            share = 0.25 + 0.55 * rand()
            first = self.es_first_month[i]
            for m in range(first, first + self.es_returns[i]):
                level *= growth
                tx = int(level * (0.85 + 0.3 * rand())) + 1
                month = MONTHS[m]
                yield (pk, es, month.start, month.end, tx, int(tx * share) + 1)
                pk += 1

    def rows_subscriptions(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("subscriptions")
        resources = list(zip(self.ids("shared_resources"), (r[4] for r in vocab.SHARED_RESOURCES), strict=True))
        inst = self.ids("institutions")
        per = _split(self.counts["subscriptions"], len(inst), len(resources), "subscriptions")
        pk = self.base["subscriptions"]
        for i, owner in enumerate(inst):
            for resource, offered in rng.sample(resources, per[i]):
                start = max(offered, self.inst_established[i] or offered) + timedelta(days=rng.randrange(30, 900))
                dissolved = self.inst_dissolved[i]
                end = dissolved if dissolved and dissolved > start else None
                yield (pk, owner, resource, start, end)
                pk += 1

    def rows_workforce_returns(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("workforce_returns")
        inst = self.ids("institutions")
        per = _split(self.counts["workforce_returns"], len(inst), len(QUARTER_ENDS), "workforce returns")
        pk = self.base["workforce_returns"]
        for i, owner in enumerate(inst):
            staff = 1 + rng.randrange(40)
            for as_of in sorted(rng.sample(QUARTER_ENDS, per[i])):
                ratio = min(1.0, 0.3 + 0.1 * vocab.year_index(as_of) + 0.3 * rng.random())
                staff += rng.randrange(3)
                yield (pk, owner, as_of, staff, int(staff * ratio))
                pk += 1

    def rows_initiatives(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("initiatives")
        rand = rng.random
        inst = self.ids("institutions")
        span = (PLAN_END - PLAN_START).days
        statuses = _lookup(
            [("completed", 45), ("in_progress", 30), ("planned", 8), ("suspended", 10), ("cancelled", 7)]
        )
        reviews = _lookup([("approved", 72), ("pending", 10), ("rejected", 6), ("not_submitted", 12)])
        for i, pk in enumerate(self.ids("initiatives")):
            start = PLAN_START + timedelta(days=int(span * rand()))
            end = start + timedelta(days=180 + int(720 * rand()))
            review = reviews[int(rand() * 100)]
            reviewed = start + timedelta(days=int(rand() * 150) - 110) if review in ("approved", "rejected") else None
            yield (
                pk,
                inst[int(rand() * len(inst))],
                f"{GEN}ini-{i + 1:07d}",
                vocab.INITIATIVE_TITLES[int(rand() * len(vocab.INITIATIVE_TITLES))],
                10_000_000 * (2 + int(rand() * 300)),
                statuses[int(rand() * 100)],
                start,
                end,
                review,
                reviewed,
                "",
            )

    def rows_assessments(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("assessments")
        inst = self.ids("institutions")
        # From the week the second standard was out, so that each assessment can name two.
        first = sorted(s[4] for s in vocab.STANDARDS)[STANDARDS_PER_ASSESSMENT - 1] + timedelta(days=7)
        span = (PLAN_END - first).days
        per = _split(self.counts["assessments"], len(inst), span, "assessments")
        pk = self.base["assessments"]
        self.assessment_days: list[date] = []
        for i, owner in enumerate(inst):
            for offset in sorted(rng.sample(range(span), per[i])):
                day = first + timedelta(days=offset)
                mean = vocab.ASSESSMENT_MEANS[vocab.year_index(day)]
                score = min(99.0, max(20.0, rng.gauss(mean, 12)))
                self.assessment_days.append(day)
                yield (pk, owner, day, round(score, 2), 70, "")
                pk += 1

    def rows_assessment_standards(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("assessment_standards")
        standards = list(zip(self.ids("standards"), (s[4] for s in vocab.STANDARDS), strict=True))
        pk = self.base["assessment_standards"]
        for assessment, day in zip(self.ids("assessments"), self.assessment_days, strict=True):
            issued = [s for s, on in standards if on <= day]
            for standard in rng.sample(issued, STANDARDS_PER_ASSESSMENT):
                yield (pk, assessment, standard)
                pk += 1

    # --- the Agency's work ---------------------------------------------------------------------
    def rows_engagements(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("engagements")
        rand = rng.random
        inst, units = self.ids("institutions"), self.unit_ids
        span = (PLAN_END - PLAN_START).days
        # Dates rise with the id, as records are entered over the years: one stratum (i + u) / n
        # per row keeps the lean towards later years, and the date indexes fill in order.
        n = self.counts["engagements"]
        kinds = _lookup(vocab.ENGAGEMENT_KINDS)
        services = {str(k): _lookup([(s, int(w)) for s, w in v]) for k, v in vocab.ENGAGEMENT_SERVICES.items()}
        ratings = _lookup([(5, 42), (4, 36), (3, 12), (2, 6), (1, 4)])
        for i, pk in enumerate(self.ids("engagements")):
            requested = PLAN_START + timedelta(days=int(span * ((i + rand()) / n) ** 0.8))
            kind = kinds[int(rand() * 100)]
            started = requested + timedelta(days=int(rand() * 10))
            completed: date | None = started + timedelta(days=int(rand() * 60))
            status = "completed"
            if completed is not None and completed > PLAN_END:
                status, completed = "in_progress", None
            elif rand() < 0.03:
                status, completed = "cancelled", None
            yield (
                pk,
                f"{GEN}eng-{i + 1:07d}",
                inst[int(rand() * len(inst))],
                kind,
                services[kind][int(rand() * 100)],
                status,
                requested,
                started,
                completed,
                None,
                units[int(rand() * len(units))],
                50_000 * (10 + int(rand() * 290)) if kind == "advisory" else None,
                ratings[int(rand() * 100)] if completed and rand() < 0.7 else None,
                "",
            )

    def rows_budget_lines(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("budget_lines")
        categories = _lookup(
            [("shared_resources", 20), ("personnel", 30), ("operations", 25), ("development", 20), ("other", 5)]
        )
        for i, pk in enumerate(self.ids("budget_lines")):
            fy = FISCAL_YEARS[i % len(FISCAL_YEARS)]
            yield (
                pk,
                fy.code,
                f"{GEN}bl-{i + 1:06d}",
                categories[int(rng.random() * 100)],
                self.unit_ids[rng.randrange(len(self.unit_ids))],
                "",
                1_000_000 * (10 + rng.randrange(990)),
            )

    def rows_revenue(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("revenue")
        rand = rng.random
        inst = self.ids("institutions")
        span = (PLAN_END - PLAN_START).days
        n = self.counts["revenue"]
        sources = _lookup([("advisory_services", 35), ("egov_services", 50), ("subvention", 10), ("other", 5)])
        for i, pk in enumerate(self.ids("revenue")):
            source = sources[int(rand() * 100)]
            amount = 1000 * int((1_000_000_000 if source == "subvention" else 10_000_000) * rand() / 1000 + 1)
            yield (
                pk,
                f"{GEN}rct-{i + 1:07d}",
                PLAN_START + timedelta(days=int(span * ((i + rand()) / n) ** 0.8)),
                source,
                amount,
                None if source == "subvention" else inst[int(rand() * len(inst))],
                "",
            )

    def rows_posts(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("posts")
        titles = [t for positions in vocab.POSITIONS.values() for t, _ in positions][:POSITIONS_PER_UNIT]
        combos = [(u, t) for u in self.unit_ids for t in titles]
        span = (PLAN_END - PLAN_START).days + 1
        per = _split(self.counts["posts"], len(combos), span, "establishment records")
        pk = self.base["posts"]
        for (unit, title), k in zip(combos, per, strict=True):
            approved = 1 + rng.randrange(12)
            fill = 0.5 + 0.2 * rng.random()
            for offset in sorted(rng.sample(range(span), k)):
                fill = min(1.0, fill + 0.02 * rng.random())
                yield (pk, unit, title, PLAN_START + timedelta(days=offset), approved, int(approved * fill))
                pk += 1

    # --- feedback ------------------------------------------------------------------------------
    def rows_complaints(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("complaints")
        rand = rng.random
        reference = vocab.ReferenceMaker(GEN_REFERENCE, rng.randrange(1 << 40))
        inst = self.ids("institutions")
        es_ids, es_inst = self.ids("eservices"), self.es_inst
        span = (PLAN_END - PLAN_START).days * 86400
        n = self.counts["complaints"]
        categories = _lookup(vocab.COMPLAINT_CATEGORY_WEIGHTS)
        subjects_of = {str(k): v for k, v in vocab.COMPLAINT_SUBJECTS.items()}
        channels = _lookup(vocab.COMPLAINT_CHANNEL_WEIGHTS)
        statuses = _lookup([("resolved", 85), ("rejected", 6), ("in_progress", 5), ("open", 4)])
        names = [f"{f} {s}" for f in vocab.FIRST_NAMES for s in vocab.SURNAMES[:8]]
        log = math.log
        for i, pk in enumerate(self.ids("complaints")):
            r = rand()
            if r < 0.1:
                about, institution, eservice = "agency", None, None
            elif r < 0.55:
                about, institution, eservice = "institution", inst[int(rand() * len(inst))], None
            else:
                e = int(rand() * len(es_ids))
                about, institution, eservice = "eservice", es_inst[e], es_ids[e]
            category = categories[int(rand() * 100)]
            subjects = subjects_of[category]
            received = self._dt(span * ((i + rand()) / n) ** 0.85)
            status = statuses[int(rand() * 100)]
            resolved = None
            if status in ("resolved", "rejected"):
                resolved = received + timedelta(seconds=int(-log(1.0 - rand()) * 6 * 86400))
            named = rand() < 0.5
            name = names[int(rand() * len(names))] if named else ""
            yield (
                pk,
                reference(i),
                channels[int(rand() * 100)],
                about,
                institution,
                eservice,
                category,
                subjects[int(rand() * len(subjects))],
                "",
                name,
                f"{name.replace(' ', '.').lower()}@example.com" if named else "",
                received,
                resolved,
                status,
                "Tatizo limetatuliwa." if status == "resolved" else "",
            )

    def rows_information_requests(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("information_requests")
        rand = rng.random
        reference = vocab.ReferenceMaker(GEN_REFERENCE, rng.randrange(1 << 40))
        inst = self.ids("institutions")
        days = (PLAN_END - PLAN_START).days
        span = days * 86400
        n = self.counts["information_requests"]
        # 20 working days from each possible day of submission (East Africa Time), computed once.
        deadlines = [vocab.add_working_days(PLAN_START + timedelta(days=d), 20) for d in range(days + 2)]
        statuses = _lookup([("answered", 82), ("refused", 6), ("withdrawn", 4), ("awaiting", 8)])
        subjects = vocab.REQUEST_SUBJECTS
        log = math.log
        for i, pk in enumerate(self.ids("information_requests")):
            offset = int(span * ((i + rand()) / n) ** 0.85)
            submitted = self._dt(offset)
            status = statuses[int(rand() * 100)]
            answered = None
            if status in ("answered", "refused"):
                answered = submitted + timedelta(seconds=int(-log(1.0 - rand()) * 14 * 86400))
            subject = subjects[int(rand() * len(subjects))]
            yield (
                pk,
                reference(i),
                inst[int(rand() * len(inst))],
                subject,
                subject,
                "",
                "",
                submitted,
                deadlines[(offset + 3 * 3600) // 86400],
                answered,
                status,
                "Taarifa imetolewa." if status == "answered" else "",
            )

    def rows_survey_responses(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("survey_responses")
        rand = rng.random
        inst = self.ids("institutions")
        gauss = rng.gauss
        means = {str(k): v[1] for k, v in vocab.SURVEY_RESPONSES.items()}
        respondents: dict[str, str] = {
            Survey.Kind.INSTITUTION_SATISFACTION: "institution",
            Survey.Kind.STAKEHOLDER_AWARENESS: "stakeholder",
            Survey.Kind.STAFF_SATISFACTION: "staff",
        }
        # Each response's answers are kept (one byte each) for the answers table that follows.
        self.answer_values = bytearray()
        self.response_surveys: list[int] = []
        for pk in self.ids("survey_responses"):
            survey, kind, opens, closes = self.survey_meta[int(rand() * len(self.survey_meta))]
            mean = means[kind][vocab.year_index(opens)]
            values = [min(5, max(1, round(gauss(mean, 0.8)))) for _ in range(QUESTIONS_PER_SURVEY)]
            self.answer_values.extend(values)
            self.response_surveys.append(survey)
            seconds = ((closes - opens).days + 1) * 86400 * rand()
            submitted = datetime(opens.year, opens.month, opens.day, tzinfo=self.tz) + timedelta(seconds=int(seconds))
            respondent = respondents[kind]
            institution = inst[int(rand() * len(inst))] if respondent == "institution" else None
            yield (pk, survey, submitted, respondent, institution, round(sum(values) / QUESTIONS_PER_SURVEY, 3), "")

    def rows_survey_answers(self) -> Iterator[tuple[Any, ...]]:
        pk = self.base["survey_answers"]
        values = self.answer_values
        for i, (response, survey) in enumerate(zip(self.ids("survey_responses"), self.response_surveys, strict=True)):
            for j, question in enumerate(self.question_ids[survey]):
                yield (pk, response, question, values[i * QUESTIONS_PER_SURVEY + j])
                pk += 1


# --- finding and deleting generated rows ----------------------------------------------------------


def generated_exists(using: str = "default") -> bool:
    return (
        Institution.objects.using(using).filter(code__startswith=GEN).exists()
        or OrgUnit.objects.using(using).filter(code__startswith=GEN).exists()
        or Complaint.objects.using(using).filter(reference__startswith=f"{GEN_REFERENCE}-").exists()
    )


def delete_generated(using: str = "default") -> int:
    """Delete every generated row; returns how many.

    The large tables go by one DELETE each (an ORM delete would first load a million objects to
    follow their cascades); the small ones by the ORM, which also follows cascades that other
    apps may declare onto institutions, org units or e-services.
    """
    connection = connections[using]
    qn = connection.ops.quote_name
    refs = f"{GEN_REFERENCE}-"
    bulk: list[tuple[type[models.Model], dict[str, str]]] = [
        (SurveyAnswer, {"response__survey__code__startswith": GEN}),
        (SurveyResponse, {"survey__code__startswith": GEN}),
        (InformationRequest, {"reference__startswith": refs}),
        (ComplaintUpdate, {"complaint__reference__startswith": refs}),
        (Complaint, {"reference__startswith": refs}),
        (PostRecord, {"org_unit__code__startswith": GEN}),
        (Revenue, {"reference__startswith": GEN}),
        (BudgetLine, {"code__startswith": GEN}),
        (Engagement, {"reference__startswith": GEN}),
        (ComplianceAssessment.standards.through, {"complianceassessment__institution__code__startswith": GEN}),
        (ComplianceAssessment, {"institution__code__startswith": GEN}),
        (Initiative, {"code__startswith": GEN}),
        (WorkforceReturn, {"institution__code__startswith": GEN}),
        (ResourceSubscription, {"institution__code__startswith": GEN}),
        (UsageReturn, {"eservice__code__startswith": GEN}),
    ]
    deleted = 0
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            for model, lookup in bulk:
                sql, params = model._default_manager.using(using).filter(**lookup).values("pk").query.sql_with_params()
                table, pk = qn(model._meta.db_table), qn(model._meta.pk.column or "id")
                # Names come from the models and the condition from the ORM: nothing from input.
                cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)  # noqa: S608
                deleted += max(cursor.rowcount, 0)
        # Parents point at each other within the generated set: unlink first, so PROTECT holds.
        Institution.objects.using(using).filter(code__startswith=GEN).update(parent=None)
        OrgUnit.objects.using(using).filter(code__startswith=GEN).update(parent=None)
        for model, field in (
            (EService, "code"),
            (SurveyQuestion, "survey__code"),
            (Survey, "code"),
            (Standard, "code"),
            (SharedResource, "code"),
            (FocalPerson, "institution__code"),
            (Institution, "code"),
            (OrgUnit, "code"),
        ):
            deleted += model._default_manager.using(using).filter(**{f"{field}__startswith": GEN}).delete()[0]
    return deleted
