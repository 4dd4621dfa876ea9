"""What the API fuzzing (tests/test_api_fuzz.py, bench/api_fuzz.py) runs against and checks besides
schemathesis' own checks.

- Tokens with known texts: the M&E token (reads and writes every record type) and the tokens of
  two institutions, A and B (each reads and writes its own institution's records only).
- One record of every type, and for the types an institution keeps one of A's and one of B's,
  written through the API itself; generated ids are steered to them (``install_hooks``), so reads
  and writes of one record reach a record, and A's token is sent to B's records.
- Generated bodies mostly name seeded records in their relations (``RELATIONS``), so writes get
  past "does not exist" to the model's own rules and, often enough, to a 201.
- ``records_stay_in_scope``: every record an institution's token reads or writes is its own.

Needs the demo structure (``manage.py bootstrap``: regions, the Agency's org units and users).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

import schemathesis
from django.test import Client
from django.urls import reverse
from schemathesis.core.parameters import ParameterLocation

from tathmini.api.idempotency import KEY_PATTERN
from tathmini.api.models import ApiToken
from tathmini.api.schema import TEXT
from tathmini.api.services import hash_token
from tathmini.records import types
from tathmini.registry.models import Institution

SCHEMA_PATH = "/api/schema/?format=json"
TEXT_RULE = re.compile(TEXT)
KEY_RULE = re.compile(KEY_PATTERN)

# Fixed texts, so that a configuration can name them before the database exists; the database
# keeps only their hashes, as for any token.
ME_TOKEN = "fuzzMeToken00000000000000000000000000000"
INSTITUTION_TOKEN = "fuzzInsA00000000000000000000000000000000"
OTHER_TOKEN = "fuzzInsB00000000000000000000000000000000"
INSTITUTION = "fuzz-a"
OTHER_INSTITUTION = "fuzz-b"
TOKENS = {"me": ME_TOKEN, "institution": INSTITUTION_TOKEN}


def _records_of(institution: str, n: int) -> list[tuple[str, dict[str, Any]]]:
    """One record of each type an institution keeps (``n`` keeps codes apart)."""
    eservice = f"fuzz-portal-{n}"
    return [
        ("focal-persons", {"institution": institution, "name": "Asha", "position": "ICT", "email": f"a{n}@x.go.tz"}),
        (
            "eservices",
            {
                "code": eservice,
                "institution": institution,
                "name_sw": "Lango",
                "name_en": "Portal",
                "life_event": "tax",
                "channels": "web",
                "launched_on": "2013-01-01",
            },
        ),
        ("resource-use", {"institution": institution, "resource": "fuzz-govnet", "started_on": "2013-09-01"}),
        (
            "workforce-returns",
            {"institution": institution, "as_of": "2014-06-30", "ict_staff": 12, "qualified_ict_staff": 9},
        ),
        ("initiatives", {"code": f"fuzz-erp-{n}", "institution": institution, "title": "ERP", "status": "in_progress"}),
        (
            "assessments",
            {"institution": institution, "assessed_on": "2014-05-20", "standards": ["fuzz-web"], "score": "75.50"},
        ),
        (
            "usage-returns",
            {
                "eservice": eservice,
                "period_start": "2014-07-01",
                "period_end": "2014-09-30",
                "transactions": 5,
                "users": 2,
            },
        ),
        (
            "engagements",
            {
                "reference": f"ush-fuzz-{n}",
                "institution": institution,
                "kind": "technical_support",
                "service": "security_assessment",
                "status": "requested",
                "requested_on": "2014-01-10",
            },
        ),
        (
            "complaints",
            {
                "channel": "email",
                "about": "institution",
                "institution": institution,
                "category": "delay",
                "subject": "Slow",
                "received_at": "2014-03-01T08:00:00Z",
            },
        ),
        (
            "information-requests",
            {
                "institution": institution,
                "subject": "Budget",
                "question": "What was spent?",
                "requester_name": "Neema",
                "submitted_at": "2014-04-01T06:00:00Z",
                "deadline": "2014-05-01",
            },
        ),
        (
            "survey-responses",
            {
                "survey": "fuzz-survey",
                "submitted_at": "2014-05-03T10:15:00Z",
                "respondent": "institution",
                "institution": institution,
                "score": "4.250",
            },
        ),
    ]


# In an order where every relation names a record made before it.
SEED: list[tuple[str, dict[str, Any]]] = [
    ("institutions", {"code": INSTITUTION, "name_sw": "A", "name_en": "A", "category": "agency", "region": "dodoma"}),
    ("institutions", {"code": OTHER_INSTITUTION, "name_sw": "B", "name_en": "B", "category": "ministry"}),
    (
        "shared-resources",
        {
            "code": "fuzz-govnet",
            "name_sw": "GovNet",
            "name_en": "GovNet",
            "kind": "network",
            "offered_from": "2012-07-01",
        },
    ),
    ("standards", {"code": "fuzz-web", "version": "1.0", "title_sw": "Tovuti", "title_en": "Websites"}),
    (
        "surveys",
        {
            "code": "fuzz-survey",
            "kind": "institution_satisfaction",
            "name_sw": "U",
            "name_en": "S",
            "opens_on": "2013-07-01",
        },
    ),
    ("survey-questions", {"survey": "fuzz-survey", "order": 1, "text_sw": "Huduma ni nzuri", "text_en": "Good"}),
    (
        "budget-lines",
        {"fiscal_year": "2013/14", "code": "FUZZ-01", "category": "shared_resources", "amount": "1200000000.00"},
    ),
    (
        "revenue",
        {"reference": "rct-fuzz-1", "received_on": "2014-03-31", "source": "advisory_services", "amount": "5.00"},
    ),
    (
        "posts",
        {"org_unit": "huduma-ushauri", "position": "ICT officer", "as_of": "2014-06-30", "approved": 3, "filled": 2},
    ),
    *_records_of(INSTITUTION, 1),
    *_records_of(OTHER_INSTITUTION, 2),
]

# Codes of seeded records for the relation fields of generated bodies: a generated code almost
# never names a record, and almost every write would stop at "does not exist".
RELATIONS = {
    "institution": [INSTITUTION, OTHER_INSTITUTION],
    "parent": [INSTITUTION],
    "payer": [OTHER_INSTITUTION],
    "region": ["dar-es-salaam"],
    "eservice": ["fuzz-portal-1", "fuzz-portal-2"],
    "resource": ["fuzz-govnet"],
    "standards": ["fuzz-web"],
    "org_unit": ["huduma", "huduma-ushauri"],
    "officer": ["afisa.ushauri"],
    "survey": ["fuzz-survey"],
}


def seed() -> dict[str, list[int]]:
    """Write the tokens and the seed records (through the API, as the M&E token); the ids made, by
    type: institution A's record first, B's second."""
    ApiToken.objects.create(name="fuzz: M&E", prefix=ME_TOKEN[:8], key_hash=hash_token(ME_TOKEN), agency_function="me")
    client = Client()
    ids: dict[str, list[int]] = {}
    for key, body in SEED:
        response = client.post(
            reverse("api:records", kwargs={"key": key}),
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {ME_TOKEN}"},
        )
        assert response.status_code == 201, (key, response.content)
        ids.setdefault(key, []).append(response.json()["id"])
    for name, raw, code in (("A", INSTITUTION_TOKEN, INSTITUTION), ("B", OTHER_TOKEN, OTHER_INSTITUTION)):
        institution = Institution.objects.get(code=code)
        ApiToken.objects.create(name=f"fuzz: {name}", prefix=raw[:8], key_hash=hash_token(raw), institution=institution)
    return ids


def config(
    *, max_examples: int, seed: int, phases: list[str], headers: dict[str, str] | None = None, **extra: Any
) -> schemathesis.Config:
    """Every check schemathesis has, and ``records_stay_in_scope``; the statuses widened and the
    check turned off for writes are justified below. Three checks never have anything to check
    here: ``use_after_free`` needs a DELETE, which the API does not have; ``max_response_time``
    has no limit set (timings belong to bench/, not to checks); ``object_level_authorization``
    needs several identities in a Web Fuzzing Commons file, and ``records_stay_in_scope`` checks
    the same rule for institution A's token directly. ``ensure_resource_availability`` acts in
    the stateful phase only (bench/api_fuzz.py)."""
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            # No state kept between runs (by default in .schemathesis/ of the working directory):
            # a run must not depend on the ones before it.
            "cache": {"enabled": False},
            **({"headers": headers} if headers else {}),
            "generation": {"max-examples": max_examples, "deterministic": True, "mode": "all", "database": "none"},
            "phases": {name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing", "stateful")},
            "checks": {
                # If-Match is any string to the schema, and any but the record's current ETag is a
                # 412 by design; RFC 9110 (13.2.1) has preconditions evaluated before the body is
                # read, so a write with a stale If-Match and an invalid body is a 412 too.
                "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 412, 429]},
                "negative_data_rejection": {
                    "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 429]
                },
            },
            "operations": [
                {
                    # A body the schema allows can still break a rule no schema states: a unique
                    # natural key, a rule across fields (qualified staff within ICT staff), a
                    # relation that names no record, a score within 0–100; each is a 400 with
                    # the field named. So only reads must accept every valid request.
                    "include-method-regex": "^(POST|PUT|PATCH)$",
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                }
            ],
            **extra,
        }
    )


def install_hooks(schema: Any, ids: Mapping[str, list[int]]) -> None:
    """Steer generated requests to the seeded records (schemathesis then checks each case against
    the schema again, so a case stays negative only if what is sent is still invalid):

    - a record id (not one a stateful step takes from the step before): by the generated id and
      the body, one in four to A's (or the only) record, one in four to B's; the rest stay as
      generated (almost always a 404);
    - a relation's code in a body, if it is a valid code at all: four in five to a seeded record's
      code (``RELATIONS``); the rest stay, and get "does not exist";
    - an If-Match header: three in four become ``*`` (any version); a generated one is a 412, and
      the body behind it would never be read;
    - a valid Idempotency-Key: three in four become a digest of the body, so that the same key
      goes with the same body (a generated key is reused with other bodies: a 422 every time).
    """

    @schema.hook
    def map_case(context: Any, case: Any) -> Any:
        params = case.path_parameters
        negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
        # A stateful step takes its id from the step before (the record a POST just made).
        linked = case.meta is not None and case.meta.phase.name.value == "stateful"
        generated = params.get("id") if params else None
        # An int, or its digits (the engine's coverage phase sends path values as text).
        if isinstance(generated, (int, str)) and str(generated).isdigit() and not (negative_path or linked):
            seeded = ids.get(case.operation.path.split("/")[3], [])
            # By the id and the body: the coverage phase sends one id with many bodies.
            pick = zlib.crc32(f"{generated} {_text(case.body)}".encode()) % 4
            if pick < len(seeded):
                params["id"] = type(generated)(seeded[pick])
        if_match = case.headers.get("If-Match") if case.headers else None
        if isinstance(if_match, str) and (not if_match or zlib.crc32(if_match.encode()) % 4):
            case.headers["If-Match"] = "*"
        key = case.headers.get("Idempotency-Key") if case.headers else None
        if isinstance(key, str) and KEY_RULE.fullmatch(key) and zlib.crc32(key.encode()) % 4:
            case.headers["Idempotency-Key"] = f"fuzz-{zlib.crc32(_text(case.body).encode()):08x}"
        if isinstance(case.body, dict):
            for name, codes in RELATIONS.items():
                value = case.body.get(name)
                if isinstance(value, list):
                    case.body[name] = [_seeded_code(v, codes) for v in value]
                elif value is not None:
                    case.body[name] = _seeded_code(value, codes)
        return case


def _text(body: Any) -> str:
    return json.dumps(body, sort_keys=True, default=str) if isinstance(body, (dict, list, str, int, float)) else ""


def _seeded_code(value: Any, codes: list[str]) -> Any:
    if not isinstance(value, str) or not TEXT_RULE.fullmatch(value) or zlib.crc32(value.encode()) % 5 == 0:
        return value
    return codes[len(value) % len(codes)]


def _institution_code(rt: Any, record: Mapping[str, Any]) -> str | None:
    """The code of the institution a record belongs to, read from its body along the type's
    declared scope (``eservice__institution``: the e-service's code, then its institution)."""
    if rt.scope == "":
        return record.get("code")
    first, *rest = rt.scope.split("__")
    value = record.get(first)
    if value is None:
        return None
    if not rest:
        return str(value)
    related = rt.model_field(first).related_model._default_manager.get(**{rt.lookups.get(first, "pk"): value})
    for name in rest:
        related = getattr(related, name)
    return str(related.code) if related is not None else None


@schemathesis.check
def records_stay_in_scope(ctx: Any, response: Any, case: Any) -> bool | None:
    """An institution's token reads and writes its own institution's records only (docs/api.md,
    "Scope"): every record in a successful answer to it belongs to that institution."""
    sent = response.request.headers.get("Authorization", "")
    if sent != f"Bearer {INSTITUTION_TOKEN}" or not 200 <= response.status_code < 300:
        return None
    parts = case.operation.path.split("/")
    if len(parts) < 4 or not parts[3]:
        return None
    rt = types.get(parts[3])
    if rt.scope is None:
        return None  # reference data, the same for every token
    body = response.json()
    for record in body.get("results", [body]):
        owner = _institution_code(rt, record)
        if owner != INSTITUTION or rt.is_agency_record(record):
            raise AssertionError(f"institution {INSTITUTION}'s token got a record of {owner!r}: {record}")
    return None
