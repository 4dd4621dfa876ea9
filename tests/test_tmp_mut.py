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

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import transaction

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
    # Each request starts from the seed records: otherwise the first record a body creates would
    # make every later body with the same natural key a 400, whatever else is wrong with it.
    with transaction.atomic():
        r = case.call(headers={"Authorization": f"Bearer {token}"}); print("CASE", case.meta.generation.mode.value if case.meta else None, r.status_code, repr(case.body)[:120])
        transaction.set_rollback(True)


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
