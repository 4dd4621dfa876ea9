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

# Examples per operation of the random phase; the coverage phase adds its own, a few dozen for a
# write (each field's boundaries and wrong types), the same every run.
EXAMPLES = 3
SCOPE_EXAMPLES = 5

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi(
    data.SCHEMA_PATH,
    APP,
    config=data.config(max_examples=EXAMPLES, seed=1, phases=["examples", "coverage", "fuzzing"]),
)
# Institution A's token: random requests only, as many again with its ids steered to B's records.
scoped_schema = schemathesis.openapi.from_dict(
    schema.raw_schema, config=data.config(max_examples=SCOPE_EXAMPLES, seed=2, phases=["fuzzing"])
)
scoped_schema.app = APP
SEEDED: dict[str, list[int]] = {}
data.install_hooks(schema, SEEDED)
data.install_hooks(scoped_schema, SEEDED)


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


@schema.parametrize()
def test_every_operation_meets_its_schema(case: Any) -> None:
    """As the M&E token, which may read and write every record type."""
    case.call_and_validate(headers={"Authorization": f"Bearer {data.ME_TOKEN}"})


@scoped_schema.parametrize()
def test_an_institution_token_meets_the_schema_within_its_scope(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {data.INSTITUTION_TOKEN}"})


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
