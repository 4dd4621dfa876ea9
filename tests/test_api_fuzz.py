"""The REST API against its own OpenAPI schema, with generated requests (schemathesis).

Every operation of the schema the site serves, as the M&E token (which reads and writes every
record type) and as institution A's token, with valid and invalid path ids, query strings,
headers and bodies, and every check schemathesis has: no server error; status codes, content
types, headers and bodies as documented; invalid requests refused, valid reads accepted; a
request without the token or with a wrong one refused; plus ``records_stay_in_scope``
(tests/api_fuzz_data.py). The checks left out, and why, are in tests/api_fuzz_data.py and
docs/reliability.md; bench/api_fuzz.py is the same with many more examples per operation.

A few examples per operation keep this file near a minute; the generation is derandomized, so a
run is the same every time.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client

from tathmini.api.schema import TEXT
from tathmini.core import safeinput
from tests import api_fuzz_data as data

# Examples per operation of the random phase. The coverage phase adds its own, the same every
# run, built when the tests are collected: a few for a read, a few dozen for a write (each field's
# boundaries and wrong types), so here it runs for every read and a sample of writes that between
# them hold every kind of field the generic serializers handle (text, codes, choices, e-mail,
# URL, boolean, integer, decimal, date, time, nullable and many-to-many relations).
# bench/api_fuzz.py runs every phase for every operation, with many more examples.
EXAMPLES = 3
SCOPE_EXAMPLES = 5
SAMPLE = "/api/v1/(complaints|assessments|eservices|focal-persons|workforce-returns)/$"
THOROUGH = rf"^(GET .*|POST {SAMPLE})"
OTHER_WRITES = rf"^((PUT|PATCH) .*|POST (?!{SAMPLE}).*)$"

APP = get_wsgi_application()


def _schema(examples: int, seed: int, phases: list[str]) -> Any:
    loaded = schemathesis.openapi.from_wsgi(
        data.SCHEMA_PATH, APP, config=data.config(max_examples=examples, seed=seed, phases=phases)
    )
    data.install_hooks(loaded, SEEDED)
    return loaded


SEEDED: dict[str, list[int]] = {}
# (exclude, not include: schemathesis 4.32 ignores an include when the configuration names operations)
thorough = _schema(EXAMPLES, 1, ["coverage", "fuzzing"]).exclude(name_regex=OTHER_WRITES)
quick = _schema(EXAMPLES, 1, ["fuzzing"]).exclude(name_regex=THOROUGH)
# Institution A's token: random requests only, its ids steered to A's and B's records alike.
scoped = _schema(SCOPE_EXAMPLES, 2, ["fuzzing"])


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The seed records, once for the module; each test's own writes are rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        SEEDED.update(data.seed())
        yield
        transaction.set_rollback(True)
    SEEDED.clear()


@pytest.fixture(autouse=True)
def _unthrottled(seeded: None, db: Any, settings: Any) -> Iterator[None]:
    settings.API_RATE_LIMIT = "100000/min"  # a few hundred requests a test, all from one token
    cache.clear()
    yield
    cache.clear()


def _as(case: Any, token: str) -> None:
    # The site's own WSGI handler closes the database connection after each request, which is
    # in the test's transaction: Django's test client stops that for its own requests, and so
    # must this, or PostgreSQL loses the connection at the first request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        # Each request starts from the seed records: otherwise the first record a body creates
        # would make every later body with the same natural key a 400, whatever else is wrong.
        with transaction.atomic():
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# As the M&E token, which may read and write every record type.
@thorough.parametrize()
def test_each_read_and_a_sample_of_writes_meet_the_schema(case: Any) -> None:
    _as(case, data.ME_TOKEN)


@quick.parametrize()
def test_every_other_write_meets_the_schema(case: Any) -> None:
    _as(case, data.ME_TOKEN)


@scoped.parametrize()
def test_an_institution_token_meets_the_schema_within_its_scope(case: Any) -> None:
    _as(case, data.INSTITUTION_TOKEN)


def test_the_schema_text_rule_is_the_stored_text_rule() -> None:
    """A request field's pattern refuses exactly the characters the API refuses."""
    pattern = re.compile(TEXT)
    disagree = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF  # unpaired surrogates: not text, and no JSON schema regex takes them
        and (pattern.fullmatch(chr(code)) is None) != (safeinput.problem(chr(code)) is not None)
    ]
    assert disagree == []


# --- what the fuzzing found, pinned down ---------------------------------------------------------


def _send(method: str, path: str, body: Any = None) -> Any:
    return getattr(Client(), method)(
        path,
        json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers={"Authorization": f"Bearer {data.ME_TOKEN}"},
    )


@pytest.mark.parametrize(("page_size", "status"), [("1", 200), ("500", 200), ("0", 400), ("501", 400), ("ten", 400)])
def test_page_size_is_a_whole_number_from_1_to_500(page_size: str, status: int) -> None:
    response = _send("get", f"/api/v1/standards/?page_size={page_size}")
    assert response.status_code == status
    if status == 400:
        assert list(response.json()["errors"]) == ["page_size"]


@pytest.mark.parametrize("fiscal_year", ["0000/01", "9999/00"])
def test_a_fiscal_year_the_calendar_cannot_hold_is_refused_not_a_server_error(fiscal_year: str) -> None:
    body = {"fiscal_year": fiscal_year, "code": "X-1", "category": "other", "amount": "1.00"}
    response = _send("post", "/api/v1/budget-lines/", body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["fiscal_year"]


VALID: dict[str, dict[str, Any]] = {
    "focal-persons": {"institution": "fuzz-a", "name": "Juma", "position": "ICT", "email": "j@a.go.tz", "active": True},
    "workforce-returns": {"institution": "fuzz-a", "as_of": "2015-06-30", "ict_staff": 5, "qualified_ict_staff": 4},
    "eservices": {
        "code": "fuzz-new",
        "institution": "fuzz-a",
        "name_sw": "Huduma",
        "name_en": "Service",
        "life_event": "tax",
        "channels": "web",
        "launched_on": "2014-01-01",
        "fee": "1500.00",
    },
    "complaints": {
        "about": "institution",
        "institution": "fuzz-a",
        "eservice": "fuzz-portal-1",
        "category": "delay",
        "subject": "Slow",
        "received_at": "2014-03-01T08:00:00Z",
    },
    "assessments": {"institution": "fuzz-a", "assessed_on": "2015-01-05", "standards": ["fuzz-web"], "score": "80.00"},
}
# One wrong value each, of a kind DRF's own fields would have read as something else.
WRONG = [
    ("focal-persons", "name", 12345),
    ("focal-persons", "active", "yes"),
    ("focal-persons", "active", 1),
    ("focal-persons", "institution", " fuzz-a"),
    ("workforce-returns", "ict_staff", "5"),
    ("workforce-returns", "ict_staff", 5.0),
    ("eservices", "fee", ""),
    ("eservices", "fee", 1500),
    ("eservices", "fee", "1.5e3"),
    ("eservices", "fee", "-1.00"),
    ("eservices", "code", " fuzz-new"),
    ("eservices", "launched_on", "20140101"),
    ("complaints", "eservice", ""),
    ("complaints", "received_at", "2014-03-01T08:00:00"),
    ("complaints", "received_at", "2014-03-01"),
    ("assessments", "standards", {"fuzz-web": 1}),
    ("assessments", "score", "100.01"),
]


@pytest.mark.parametrize("key", sorted(VALID))
def test_the_valid_bodies_below_are_accepted(key: str) -> None:
    assert _send("post", f"/api/v1/{key}/", VALID[key]).status_code == 201


@pytest.mark.parametrize(("key", "field", "value"), WRONG)
def test_a_value_of_another_json_type_or_form_is_refused(key: str, field: str, value: Any) -> None:
    response = _send("post", f"/api/v1/{key}/", {**VALID[key], field: value})
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("sent", "answered"),
    [("2014-03-01T08:00:00Z", "2014-03-01T11:00:00+03:00"), ("1900-03-01T08:00:00Z", "1900-03-01T08:00:00Z")],
)
def test_times_come_back_with_an_offset_of_whole_minutes(sent: str, answered: str) -> None:
    response = _send("post", "/api/v1/complaints/", {**VALID["complaints"], "received_at": sent})
    assert response.json()["received_at"] == answered


def test_an_address_with_a_line_break_is_a_404_problem() -> None:
    response = _send("patch", "/api/v1/complaints/1%0A/", {})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
