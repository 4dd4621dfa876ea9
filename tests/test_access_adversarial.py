"""Access control, adversarially: a focal person of institution A goes after institution B's records
through every channel that reaches them: the staff pages, the REST API and the spreadsheet import.
They enumerate ids, swap foreign keys in what they send for B's objects and add fields the form or
the API does not offer (``institution``, ``status``, ``approved_by`` …). Every attempt is refused,
or the extra field ignored, and after each one the database is as it was: every record table and
the count of audit events.

The record kinds come from the registry (``tathmini.records.types``): a newly declared kind is
attacked here at once (its test data is MAKE and VALID in tests/test_records_ui.py, which fails for
a kind without any). The other pages that write something tied to an institution or an approval
follow: manual indicator values, the portal desks, the monitor's checks, API tokens, survey links
and report publishing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from django import forms
from django.core.cache import cache
from django.db import models, transaction
from django.test import Client
from django.urls import resolve, reverse
from openpyxl import load_workbook

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.api.authentication import TokenActor
from tathmini.api.models import ApiToken
from tathmini.api.serializers import serializer_for
from tathmini.api.services import token_create
from tathmini.core.models import AuditEvent
from tathmini.feedback.models import ComplaintUpdate, Survey
from tathmini.measure import manual
from tathmini.measure.models import ManualValue
from tathmini.monitor.models import Check
from tathmini.monitor.services import shard_key_of
from tathmini.portal.models import SurveyInvitation, SurveyLink
from tathmini.records import exports, imports, types
from tathmini.records.selectors import scope_field
from tathmini.records.types import RecordType
from tathmini.registry.models import EService, Initiative, Institution
from tathmini.reports.models import Report
from tathmini.strategy.models import Indicator, Plan
from tests import test_records_ui
from tests.conftest import PLAN_CODE, Persona
from tests.test_api import Api, record_url, records_url
from tests.test_records_ui import MAKE, VALID, World, eservice_of, sample, signed_in

world = test_records_ui.world  # the fixture: A (the focal person's institution), B and what records point at

KEYS = [rt.key for rt in types.all_types()]
RECORD_MODELS = sorted({rt.model for rt in types.all_types()}, key=lambda m: m._meta.label)


@pytest.fixture(autouse=True)
def _fresh_rate_counts(settings: Any) -> Iterator[None]:
    # Enumerating ids sends hundreds of requests with one token: the rate limit is not under test.
    settings.API_RATE_LIMIT = "100000/min"
    cache.clear()
    yield
    cache.clear()


# --- The database, before and after ---------------------------------------------------------------


def database_state(*extra: type[models.Model]) -> dict[str, Any]:
    """Every row of every record table (and of ``extra``), many-to-many links, and how many audit
    events there are: what a refused attempt must leave exactly as it was."""
    state: dict[str, Any] = {"audit events": AuditEvent.objects.count()}
    for model in [*RECORD_MODELS, *extra]:
        names = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*names))
        for m2m in model._meta.many_to_many:
            through: Any = m2m.remote_field.through
            ends = (f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id")
            state[f"{model._meta.label}.{m2m.name}"] = sorted(through._default_manager.values_list(*ends))
    return state


class Unchanged:
    """The database as it was when made; ``check`` names what changed since."""

    def __init__(self, *extra: type[models.Model]) -> None:
        self.extra = extra
        self.before = database_state(*extra)

    def check(self, attempt: str) -> None:
        after = database_state(*self.extra)
        changed = [name for name in self.before if self.before[name] != after[name]]
        assert changed == [], f"{attempt} changed {changed}"


# --- One kind of record, A's and B's --------------------------------------------------------------


@dataclass
class Scene:
    rt: RecordType
    world: World
    focal: User  # focal person of A
    a: Institution
    b: Institution
    own: models.Model  # A's record; for a kind no institution owns, any record of it
    theirs: models.Model | None  # B's record; None for a kind no institution owns

    @property
    def model(self) -> type[models.Model]:
        return self.rt.model

    def visible(self) -> set[Any]:
        return set(self.rt.visible(self.focal).values_list("pk", flat=True))

    def all_pks(self) -> list[Any]:
        return list(self.model._default_manager.order_by("pk").values_list("pk", flat=True))

    def missing_pk(self) -> int:
        return max(self.all_pks(), default=0) + 1000

    def b_object(self, related_rt: RecordType) -> models.Model:
        """A record of ``related_rt`` that B owns (B itself for institutions)."""
        if related_rt.scope == "":
            return self.b
        found = related_rt.model._default_manager.filter(related_rt.institution_filter(self.b.pk)).first()
        return found if found is not None else MAKE[related_rt.key](self.world, self.b, 3)

    def scoped_filters(self) -> dict[str, models.Model]:
        """Each declared list filter on an institution's records, with an object of B's for it."""
        out = {}
        for name in self.rt.filters:
            related = self.rt.model_field(name).related_model
            related_rt = types.for_model(related) if related is not None else None
            if related_rt is not None and related_rt.scope is not None:
                out[name] = self.b_object(related_rt)
        return out

    def swaps(self) -> dict[str, models.Model]:
        """Each declared relation to an institution's records, with an object of B's to put there."""
        out = {}
        for name in self.rt.fields:
            related = self.rt.model_field(name).related_model
            related_rt = types.for_model(related) if related is not None else None
            if related_rt is not None and related_rt.scope is not None:
                out[name] = self.b_object(related_rt)
        return out

    def lookup(self, name: str, obj: models.Model) -> Any:
        """How the API and files write ``obj`` in the field ``name``: B's institution by its code."""
        return getattr(obj, self.rt.lookups.get(name, "pk"))

    def fresh(self, inst: Institution, i: int = 9) -> tuple[dict[str, Any], list[Any]]:
        """A new record of ``inst`` (numbered ``i``) as the API takes it and as a file row, none of
        it stored."""
        with transaction.atomic():
            made = MAKE[self.rt.key](self.world, inst, i)
            record = exports.prefetched(self.rt, self.model._default_manager.filter(pk=made.pk)).get()
            body = dict(serializer_for(self.rt)(record).data)
            row = list(exports.rows(self.rt, [record]))[1]
            transaction.set_rollback(True)
        body.pop("id")
        return body, row

    def file_row(self, record: models.Model) -> list[Any]:
        record = exports.prefetched(self.rt, self.model._default_manager.filter(pk=record.pk)).get()
        return list(exports.rows(self.rt, [record]))[1]

    def api_body(self, record: models.Model) -> dict[str, Any]:
        record = exports.prefetched(self.rt, self.model._default_manager.filter(pk=record.pk)).get()
        body = dict(serializer_for(self.rt)(record).data)
        body.pop("id")
        return body


def make_scene(key: str, personas: dict[str, Persona], world: World) -> Scene:
    rt = types.get(key)
    focal = personas["focal_person"].user
    assert focal is not None
    scoped = rt.scope is not None
    theirs = sample(key, world, world.other) if scoped else None
    own = sample(key, world, world.institution)
    eservice_of(world.institution)  # what A's usage returns point at, stored before any rollback
    eservice_of(world.other)
    scene = Scene(rt, world, focal, world.institution, world.other, own, theirs)
    scene.swaps(), scene.scoped_filters()  # B's objects exist before any snapshot is taken
    if scoped:
        assert theirs is not None and theirs.pk not in scene.visible()
        assert rt.readable_by(focal) is (own.pk in scene.visible())
    if rt.agency_record:
        # The Agency's own record that names A (a complaint about the Agency filed via A's desk):
        # A does not see it, so every id enumeration below also tries it.
        agency_own = MAKE[key](world, world.institution, 5)
        rt.model._default_manager.filter(pk=agency_own.pk).update(**rt.agency_record)
        assert agency_own.pk not in scene.visible()
    return scene


def undeclared_extras(s: Scene, channel: str) -> dict[str, Any]:
    """Fields a form or the API does not offer for this kind, aimed at B's records or at an
    approval: posted alongside a valid body, each must be ignored."""
    b_eservice = eservice_of(s.b)
    theirs_pk = s.theirs.pk if s.theirs is not None else s.own.pk
    api = channel == "api"
    candidates: dict[str, Any] = {
        "id": theirs_pk,
        "pk": theirs_pk,
        "institution": s.b.code if api else s.b.pk,
        "institution_id": s.b.pk,
        "eservice": b_eservice.code if api else b_eservice.pk,
        "eservice_id": b_eservice.pk,
        "status": "approved",
        "review_status": "approved",
        "approved_by": s.world.officer.pk,
        "reviewed_by": s.world.officer.pk,
        "created_by": s.world.officer.pk,
        "owner": s.world.officer.pk,
        "reference": "MAL-ZQZQ-ZQZQ",
    }
    # Every stored field of the model that the kind does not declare (e.g. an e-service's
    # "illustrative" flag, which keeps it off the monitor), flipped where it is a flag.
    for f in s.model._meta.concrete_fields:
        if f.name not in s.rt.fields and isinstance(f, models.BooleanField):
            flipped = not getattr(s.own, f.attname)
            candidates[f.name] = flipped if api else ("on" if flipped else "")
    return {name: value for name, value in candidates.items() if name not in s.rt.fields}


# --- The staff pages ------------------------------------------------------------------------------


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    """What a browser posts back for a form as the page shows it."""
    data: dict[str, Any] = {}
    for bound in form:
        value, widget = bound.value(), bound.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.name] = "on"
        elif isinstance(widget, forms.widgets.ChoiceWidget):
            chosen = [str(v) for v in widget.format_value(value)]
            data[bound.name] = chosen if widget.allow_multiple_selected else (chosen[0] if chosen else "")
        else:
            shown = widget.format_value(value)
            data[bound.name] = "" if shown is None else str(shown)
    return data


def _ui(name: str, key: str, pk: Any = None) -> str:
    return reverse(f"records:{name}", args=[key] if pk is None else [key, pk])


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("key", KEYS)
def test_the_pages_never_give_a_focal_person_another_institutions_records(
    key: str, personas: dict[str, Persona], world: World
) -> None:
    s = make_scene(key, personas, world)
    rt, client = s.rt, signed_in(s.focal)
    readable, editable = rt.readable_by(s.focal), rt.editable_by(s.focal)
    visible = s.visible()
    unchanged = Unchanged()

    # Lists and exports hold exactly what the focal person may see, whatever the filters name.
    if not readable:
        for name in ("list", "export_csv", "export_xlsx", "create"):
            assert client.get(_ui(name, key)).status_code == 403, name
    else:
        assert {row.pk for row in client.get(_ui("list", key)).context["rows"]} == visible
        expected = _csv_rows(exports.to_csv(exports.rows(rt, exports.prefetched(rt, rt.visible(s.focal)))))
        assert sorted(_csv_rows(client.get(_ui("export_csv", key)).content)) == sorted(expected)
        workbook = load_workbook(io.BytesIO(client.get(_ui("export_xlsx", key)).content))
        assert workbook.active is not None and workbook.active.max_row == len(visible) + 1
        # Searching for B, or filtering on B's institution or e-service, finds nothing of B's.
        hostile = [{"q": s.b.code}, {"q": str(s.theirs or s.b)}]
        hostile += [{name: obj.pk} for name, obj in s.scoped_filters().items()]
        for params in hostile:
            shown = {row.pk for row in client.get(_ui("list", key), params).context["rows"]}
            assert shown <= visible, params
            exported = _csv_rows(client.get(_ui("export_csv", key), params).content)
            assert exported[0] == expected[0] and all(row in expected for row in exported), params

    # Every id in the table: a record one may not see answers exactly as one that does not exist.
    missing = s.missing_pk()
    valid_a = VALID[key](world, s.a)

    def answers(pk: Any) -> list[int]:
        return [
            client.get(_ui("detail", key, pk)).status_code,
            client.get(_ui("edit", key, pk)).status_code,
            client.get(_ui("delete", key, pk)).status_code,
            client.post(_ui("edit", key, pk), valid_a).status_code,
            client.post(_ui("delete", key, pk)).status_code,
        ]

    nobody = answers(missing)
    assert set(nobody) <= {403, 404}
    for pk in s.all_pks():
        if pk in visible:
            assert client.get(_ui("detail", key, pk)).status_code == 200
        else:
            assert answers(pk) == nobody, f"{key} #{pk} answers unlike a missing id"
    unchanged.check("enumerating ids")

    if not editable:
        assert client.get(_ui("create", key)).status_code == 403
        assert client.post(_ui("create", key), valid_a).status_code == 403
        assert client.post(_ui("edit", key, s.own.pk), valid_a).status_code == 403
        assert client.post(_ui("delete", key, s.own.pk)).status_code == 403
        unchanged.check("writing a kind the focal person may not change")
        return

    scope = scope_field(rt)
    assert scope is not None
    # A new record naming B's institution (or B's e-service): the choice is refused.
    response = client.post(_ui("create", key), VALID[key](world, s.b))
    assert response.status_code == 200 and scope in response.context["form"].errors
    unchanged.check("creating a record of B")

    own_data = form_data(client.get(_ui("edit", key, s.own.pk)).context["form"])
    for name, obj in s.swaps().items():
        value: Any = [str(obj.pk)] if rt.model_field(name).many_to_many else str(obj.pk)
        for url, data in ((_ui("edit", key, s.own.pk), own_data), (_ui("create", key), valid_a)):
            response = client.post(url, {**data, name: value})
            assert response.status_code == 200, (url, name)
            assert name in response.context["form"].errors, (url, name)
            unchanged.check(f"{url} with {name} of B")

    # Fields the Agency sets: a focal person's form shows them but does not take them.
    for name in rt.agency_fields:
        response = client.post(_ui("edit", key, s.own.pk), {**own_data, name: _other_value(rt, s.own, name)})
        assert response.status_code == 302, name
        unchanged.check(f"setting the Agency's {name}")

    # Values that make a record the Agency's own (a complaint about the Agency) are not A's to give.
    for url, data in ((_ui("edit", key, s.own.pk), own_data), (_ui("create", key), valid_a)):
        if not rt.agency_record:
            break
        response = client.post(url, {**data, **rt.agency_record})
        assert response.status_code == 200, url
        assert set(rt.agency_record) & set(response.context["form"].errors), url
        unchanged.check(f"{url} making the Agency's own record")

    # Fields the form does not offer are ignored: an unchanged record stays unchanged.
    extras = undeclared_extras(s, "web")
    assert client.post(_ui("edit", key, s.own.pk), {**own_data, **extras}).status_code == 302
    unchanged.check(f"editing with {sorted(extras)}")

    # A new record with the same extras is A's, with the model's own values for what it left out.
    assert s.theirs is not None
    theirs_before = row_of(s.theirs)
    response = client.post(_ui("create", key), {**valid_a, **extras})
    assert response.status_code == 302
    new = rt.model._default_manager.get(pk=resolve(urlparse(response["Location"]).path).kwargs["pk"])
    assert_made_by_a(s, new, extras)
    assert row_of(s.theirs) == theirs_before


def row_of(record: models.Model) -> tuple[Any, ...]:
    names = [f.attname for f in record._meta.concrete_fields]
    return tuple(type(record)._default_manager.filter(pk=record.pk).values_list(*names).get())


def assert_made_by_a(s: Scene, new: models.Model, extras: dict[str, Any]) -> None:
    assert s.theirs is not None and new.pk != s.theirs.pk
    assert s.rt.institution_of(new) == s.a
    for f in new._meta.concrete_fields:
        if f.name in extras and not f.primary_key:
            assert getattr(new, f.attname) == f.get_default(), f.name


def _other_value(rt: RecordType, record: models.Model, name: str) -> Any:
    """A value of ``name`` unlike the record's, as a form posts it."""
    field = rt.model_field(name)
    current = getattr(record, field.attname)
    if field.choices:
        return next(str(code) for code, _label in field.flatchoices if code != current)
    if isinstance(field, models.DateField):
        return "2014-01-02" if current != date(2014, 1, 2) else "2014-01-03"
    return f"{current or ''} changed"


# --- The REST API ---------------------------------------------------------------------------------


def _listed(api: Api, url: str, params: str = "") -> set[Any]:
    got: set[Any] = set()
    page: str | None = f"{url}?page_size=500{params}"
    while page:
        response = api.get(page)
        assert response.status_code == 200, response.content
        body = response.json()
        got |= {r["id"] for r in body["results"]}
        page = body["next"]
    return got


@pytest.mark.parametrize("key", KEYS)
def test_an_institution_token_never_reaches_another_institutions_records(
    key: str, personas: dict[str, Persona], world: World
) -> None:
    s = make_scene(key, personas, world)
    rt = s.rt
    token, raw = token_create("A's system", institution=s.a)
    api = Api(raw, "A's system")
    actor = TokenActor(token)
    readable, editable = rt.readable_by(actor), rt.editable_by(actor)
    assert (readable, editable) == (rt.readable_by(s.focal), rt.editable_by(s.focal))
    visible = s.visible()
    unchanged = Unchanged()

    if not readable:
        assert api.get(records_url(key)).status_code == 403
    else:
        assert _listed(api, records_url(key)) == visible
        hostile = [f"&q={s.b.code}"]
        hostile += [f"&{name}={s.lookup(name, obj)}" for name, obj in s.scoped_filters().items()]
        for params in hostile:
            assert _listed(api, records_url(key), params) <= visible, params
        if s.theirs is not None:
            assert api.get(f"{records_url(key)}?id={s.theirs.pk}").status_code == 400

    missing = s.missing_pk()
    put_body = s.api_body(s.own)

    def answers(pk: Any) -> list[int]:
        url = record_url(key, pk)
        return [
            api.get(url).status_code,
            api.patch(url, {}).status_code,
            api.put(url, put_body).status_code,
            api.send("delete", url, {}).status_code,
        ]

    nobody = answers(missing)
    assert set(nobody) <= {403, 404, 405}
    for pk in s.all_pks():
        if pk in visible:
            assert api.get(record_url(key, pk)).status_code == 200
        else:
            assert answers(pk) == nobody, f"{key} #{pk} answers unlike a missing id"
    unchanged.check("enumerating ids")

    fresh_a, _row = s.fresh(s.a)
    if not editable:
        assert api.post(records_url(key), fresh_a).status_code == 403
        assert api.patch(record_url(key, s.own.pk), {}).status_code in (403, 404)
        unchanged.check("writing a kind the token may not change")
        return

    scope = scope_field(rt)
    assert scope is not None and s.theirs is not None
    own_url = record_url(key, s.own.pk)
    # Each attack goes in a new record, a change to A's own, and A's own sent whole.
    writes = [("post", records_url(key), fresh_a), ("patch", own_url, {}), ("put", own_url, put_body)]
    for name, obj in s.swaps().items():
        value = [s.lookup(name, obj)] if rt.model_field(name).many_to_many else s.lookup(name, obj)
        for method, url, body in writes:
            response = api.send(method, url, {**body, name: value})
            assert response.status_code in (400, 403), (method, name, response.content)
            unchanged.check(f"{method} with {name} of B")

    for name in rt.agency_fields:
        field = rt.model_field(name)
        value = _other_value(rt, s.own, name)
        for method, url, body in writes:
            response = api.send(method, url, {**body, name: value})
            assert response.status_code in (400, 403), (method, name, response.content)
            if response.status_code == 400:
                assert name in response.json()["errors"]
            unchanged.check(f"{method} setting the Agency's {field.name}")
        assert api.put(own_url, put_body).status_code == 200  # unchanged, it may be sent back
        unchanged.check("sending the Agency's fields back unchanged")

    if rt.agency_record:
        for method, url, body in writes:
            response = api.send(method, url, {**body, **rt.agency_record})
            assert response.status_code == 403, (method, response.content)
            unchanged.check(f"{method} making the Agency's own record")

    extras = undeclared_extras(s, "api")
    assert api.patch(own_url, extras).status_code == 200
    assert api.put(own_url, {**put_body, **extras}).status_code == 200
    unchanged.check(f"changing {sorted(extras)}")

    theirs_before = row_of(s.theirs)
    created = api.post(records_url(key), {**fresh_a, **extras})
    assert created.status_code == 201, created.content
    assert_made_by_a(s, rt.model._default_manager.get(pk=created.json()["id"]), extras)
    assert row_of(s.theirs) == theirs_before


# --- The spreadsheet import -----------------------------------------------------------------------


def _import(s: Scene, rows: list[list[Any]]) -> imports.Report:
    data = exports.to_csv([list(s.rt.fields), *rows])
    return imports.run_import(s.rt, s.focal, f"{s.rt.key}.csv", data, dry_run=False)


@pytest.mark.parametrize("key", KEYS)
def test_a_focal_persons_file_naming_another_institution_is_refused_whole(
    key: str, personas: dict[str, Persona], world: World
) -> None:
    s = make_scene(key, personas, world)
    rt = s.rt
    _body, fresh_row = s.fresh(s.a)  # row 2 of every file: a new record of A's, fine on its own
    unchanged = Unchanged()

    if not rt.editable_by(s.focal):
        report = _import(s, [fresh_row])
        assert not report.ok and not report.written and [p.row for p in report.problems] == [None]
        unchanged.check("importing a kind the focal person may not change")
        return

    assert s.theirs is not None
    scope = scope_field(rt)
    assert scope is not None
    columns = list(rt.fields)

    def with_value(row: list[Any], name: str, value: Any) -> list[Any]:
        changed = list(row)
        changed[columns.index(name)] = value
        return changed

    own_row, theirs_row = s.file_row(s.own), s.file_row(s.theirs)
    natural = ", ".join(rt.natural_key)
    b_scope = s.b_object(_related_rt(rt, scope))
    attacks: list[tuple[str, list[Any], set[str]]] = [
        ("A's record moved to B", with_value(own_row, scope, s.lookup(scope, b_scope)), {scope}),
        ("B's record as it is", theirs_row, {scope, natural}),
    ]
    if scope not in rt.natural_key:
        a_value = s.lookup(scope, s.a if rt.scope == scope else eservice_of(s.a))
        attacks.append(("B's record claimed for A", with_value(theirs_row, scope, a_value), {natural}))
    for name, obj in s.swaps().items():
        if name != scope:
            attacks.append((f"{name} of B", with_value(own_row, name, s.lookup(name, obj)), {name}))
    _body, another_row = s.fresh(s.a, 8)
    for name in rt.agency_fields:
        other = _other_value(rt, s.own, name)
        attacks.append((f"the Agency's {name}", with_value(own_row, name, other), {name}))
        attacks.append((f"the Agency's {name} on a new record", with_value(another_row, name, other), {name}))

    if rt.agency_record:
        agency_row, agency_new_row = list(own_row), list(another_row)
        for name, value in rt.agency_record.items():
            agency_row, agency_new_row = with_value(agency_row, name, value), with_value(agency_new_row, name, value)
        agency_columns = {", ".join(rt.agency_record)}
        attacks.append(("A's record made the Agency's", agency_row, agency_columns))
        attacks.append(("a new record of the Agency's", agency_new_row, agency_columns))

    for what, bad_row, want_columns in attacks:
        report = _import(s, [fresh_row, bad_row])
        assert not report.ok and not report.written, what
        assert {p.row for p in report.problems} == {3}, (what, report.problems)
        assert want_columns & {p.column for p in report.problems}, (what, report.problems)
        unchanged.check(what)


def _related_rt(rt: RecordType, name: str) -> RecordType:
    related_rt = types.for_model(rt.model_field(name).related_model)
    assert related_rt is not None
    return related_rt


def test_another_users_import_job_is_not_found(personas: dict[str, Persona], world: World) -> None:
    theirs = personas["other_focal_person"].client()
    data = exports.to_csv([["institution", "as_of", "ict_staff", "qualified_ict_staff"], [world.other.code, "x", 1, 1]])
    upload = io.BytesIO(data)
    upload.name = "workforce.csv"
    response = theirs.post(reverse("imports:upload", args=["workforce-returns"]), {"file": upload})
    job = response["Location"]
    assert theirs.get(job).status_code == 200
    assert personas["focal_person"].client().get(job).status_code == 404


# --- A focal person who also holds a staff role ----------------------------------------------------

FOCAL_EDITS = [rt.key for rt in types.all_types() if rt.focal_edits]


@pytest.mark.parametrize("key", FOCAL_EDITS)
def test_a_focal_person_with_a_staff_role_still_writes_only_their_institutions_records(
    key: str, personas: dict[str, Persona], world: World
) -> None:
    """A manager who is also A's focal person reads every institution's records, but may change
    them only as A's focal person: only A's."""
    mixed = User.objects.create_user(username="zq-mixed", password="x", institution=world.institution)
    user_set_roles(mixed, [Role.FOCAL_PERSON, Role.MANAGER])
    s = make_scene(key, personas, world)
    s.focal = mixed
    rt, client = s.rt, signed_in(mixed)
    assert s.theirs is not None and rt.writes_as_institution(mixed) and s.visible() >= {s.own.pk, s.theirs.pk}
    scope = scope_field(rt)
    assert scope is not None
    unchanged = Unchanged()

    response = client.post(_ui("create", key), VALID[key](world, s.b))
    assert response.status_code == 200 and scope in response.context["form"].errors
    own_data = form_data(client.get(_ui("edit", key, s.own.pk)).context["form"])
    for name, obj in s.swaps().items():
        response = client.post(_ui("edit", key, s.own.pk), {**own_data, name: str(obj.pk)})
        assert response.status_code == 200 and name in response.context["form"].errors, name
    for name in rt.agency_fields:
        assert client.get(_ui("edit", key, s.own.pk)).context["form"].fields[name].disabled
    taken = VALID[key](world, s.a)
    if "reference" in taken:
        taken["reference"] = s.theirs.reference  # type: ignore[attr-defined]  # required once issued
    assert client.post(_ui("edit", key, s.theirs.pk), taken).status_code == 403
    assert client.post(_ui("delete", key, s.theirs.pk)).status_code == 403
    report = _import(s, [s.file_row(s.theirs)])
    assert not report.ok and not report.written and {p.row for p in report.problems} == {2}
    unchanged.check("a focal person with a staff role writing B's records")


# --- What the declarations say about the Agency's fields ---------------------------------------------


def test_what_only_the_agency_writes_is_declared() -> None:
    assert {rt.key: rt.agency_fields for rt in types.all_types() if rt.agency_fields} == {
        "initiatives": ("review_status", "reviewed_on", "review_notes")
    }
    assert {rt.key: rt.agency_record for rt in types.all_types() if rt.agency_record} == {
        "complaints": {"about": "agency"}
    }


def test_a_focal_persons_initiative_keeps_the_agencys_review(personas: dict[str, Persona], world: World) -> None:
    """By hand, through the form: the review fields are shown, not taken, and a new initiative
    starts "not submitted"; the compliance officer still reviews it."""
    client = signed_in(personas["focal_person"].user)  # type: ignore[arg-type]
    data = {
        **VALID["initiatives"](world, world.institution),
        "review_status": "approved",
        "reviewed_on": "2014-06-30",
        "review_notes": "Approved by ourselves",
    }
    response = client.post(_ui("create", "initiatives"), data)
    assert response.status_code == 302
    made = Initiative.objects.get(code="zq-new-ini")
    assert (made.review_status, made.reviewed_on, made.review_notes) == ("not_submitted", None, "")
    form = client.get(_ui("edit", "initiatives", made.pk)).context["form"]
    assert all(form.fields[name].disabled for name in ("review_status", "reviewed_on", "review_notes"))

    compliance = User.objects.create_user(username="zq-compliance", password="x", agency_function="compliance")
    user_set_roles(compliance, [Role.AGENCY_OFFICER])
    officer = signed_in(compliance)
    review = {**form_data(officer.get(_ui("edit", "initiatives", made.pk)).context["form"])}
    review.update({"review_status": "approved", "reviewed_on": "2014-06-30", "review_notes": "Fine"})
    assert officer.post(_ui("edit", "initiatives", made.pk), review).status_code == 302
    made.refresh_from_db()
    assert (made.review_status, made.reviewed_on) == ("approved", date(2014, 6, 30))

    # Once reviewed, the focal person's own changes keep the review as the Agency left it.
    own = form_data(client.get(_ui("edit", "initiatives", made.pk)).context["form"])
    own.update({"title": "e-Office, phase 2", "review_status": "rejected", "review_notes": "Changed"})
    assert client.post(_ui("edit", "initiatives", made.pk), own).status_code == 302
    made.refresh_from_db()
    assert (made.title, made.review_status, made.review_notes) == ("e-Office, phase 2", "approved", "Fine")


# --- Manual indicator values -----------------------------------------------------------------------


def test_only_a_reviewer_approves_a_manual_value_and_posted_approvals_are_ignored(
    personas: dict[str, Persona], plan: Plan
) -> None:
    officer, me = personas["agency_officer"].user, personas["me_officer"].user
    assert officer is not None and me is not None
    indicator = Indicator.objects.get(plan=plan, code="R01")
    mv = manual.manual_value_create(
        manual.Entry(indicator, "2013/14", value=Decimal(97), evidence_link="https://example.tz/evidence"),
        actor=officer,
    )
    manual.manual_value_submit(mv, actor=officer)
    unchanged = Unchanged(ManualValue)

    urls = {name: reverse(f"manual:{name}", args=[mv.pk]) for name in ("edit", "delete", "submit", "return")}
    urls["approve"] = reverse("manual:approve", args=[mv.pk])
    posted = {"reason": "no", "status": "approved", "reviewed_by": me.pk, "approved_by": me.pk}
    focal = personas["focal_person"].client()
    for url in [reverse("manual:list"), reverse("manual:create"), reverse("manual:detail", args=[mv.pk])]:
        assert focal.get(url).status_code == 403, url
    for url in [reverse("manual:create"), *urls.values()]:
        assert focal.post(url, posted).status_code == 403, url
    # Staff who enter values (the officer who wrote it, a manager) may not review it either.
    for persona in ("agency_officer", "manager"):
        client = personas[persona].client()
        for name in ("return", "approve"):
            assert client.post(urls[name], posted).status_code == 403, (persona, name)
    unchanged.check("approving without being a reviewer")
    mv.refresh_from_db()
    assert (mv.status, mv.reviewed_by) == ("submitted", None)

    # A new value with its approval filled in by hand is a draft like any other.
    client = personas["agency_officer"].client()
    response = client.post(
        reverse("manual:create"),
        {
            "indicator": indicator.pk,
            "period": "2013/14-Q1",
            "value": "99",
            "narrative": "",
            "evidence_link": "",
            "status": "approved",
            "approved_by": me.pk,
            "reviewed_by": me.pk,
            "reviewed_at": "2014-01-01T00:00",
            "created_by": me.pk,
            "submitted_by": me.pk,
            "supersedes": mv.pk,
            "authors": [me.pk],
        },
    )
    assert response.status_code == 302
    new = ManualValue.objects.exclude(pk=mv.pk).get(indicator=indicator, period="2013/14-Q1")
    assert (new.status, new.created_by, new.reviewed_by, new.submitted_by, new.supersedes) == (
        "draft",
        officer,
        None,
        None,
        None,
    )
    assert list(new.authors.all()) == [officer]


# --- The portal desks ------------------------------------------------------------------------------


def test_a_focal_persons_desk_never_answers_for_another_institution(personas: dict[str, Persona], world: World) -> None:
    theirs_complaint = MAKE["complaints"](world, world.other, 1)
    theirs_request = MAKE["information-requests"](world, world.other, 1)
    own_complaint = MAKE["complaints"](world, world.institution, 1)
    client = personas["focal_person"].client()
    unchanged = Unchanged(ComplaintUpdate)

    desk = client.get(reverse("portal:desk")).content.decode()
    assert own_complaint.reference in desk  # type: ignore[attr-defined]
    assert theirs_complaint.reference not in desk and theirs_request.reference not in desk  # type: ignore[attr-defined]
    missing = 999_999_999
    for name, record, data in (
        ("portal:desk_complaint", theirs_complaint, {"status": "resolved", "note": "Done"}),
        ("portal:desk_request", theirs_request, {"status": "answered", "answer": "Here"}),
    ):
        for pk in (record.pk, missing):
            assert client.get(reverse(name, args=[pk])).status_code == 404
            assert client.post(reverse(name, args=[pk]), data).status_code == 404
    unchanged.check("answering for B")

    # On their own complaint, fields the desk does not offer are ignored.
    response = client.post(
        reverse("portal:desk_complaint", args=[own_complaint.pk]),
        {
            "status": "in_progress",
            "note": "Looking into it",
            "institution": world.other.pk,
            "eservice": eservice_of(world.other).pk,
            "reference": "MAL-ZQZQ-ZQZQ",
            "about": "agency",
            "author": personas["me_officer"].user.pk,  # type: ignore[union-attr]
        },
    )
    assert response.status_code == 302
    own_complaint.refresh_from_db()
    assert (own_complaint.status, own_complaint.institution, own_complaint.eservice, own_complaint.about) == (  # type: ignore[attr-defined]
        "in_progress",
        world.institution,
        None,
        "institution",
    )
    assert own_complaint.reference.startswith("MAL-ZQ-1-")  # type: ignore[attr-defined]
    assert ComplaintUpdate.objects.get(complaint_id=own_complaint.pk).author == personas["focal_person"].user


# --- The monitor's checks --------------------------------------------------------------------------


def _check_of(eservice: EService) -> Check:
    return Check.objects.create(
        eservice=eservice,
        url="https://huduma.example.go.tz/",
        shard_key=shard_key_of(eservice.pk),
        next_due=datetime(2014, 1, 1, tzinfo=UTC),
    )


def test_a_focal_person_cannot_pause_or_change_any_check(personas: dict[str, Persona], world: World) -> None:
    own, theirs = _check_of(eservice_of(world.institution)), _check_of(eservice_of(world.other))
    unchanged = Unchanged(Check)
    focal = personas["focal_person"].client()
    settings_data = {"interval_seconds": "10", "expect_status_min": "200", "expect_status_max": "299"}
    for check in (own, theirs):
        code = check.eservice.code
        for name, data in (("monitor:pause", {"action": "pause"}), ("monitor:edit", settings_data)):
            assert focal.get(reverse(name, args=[code])).status_code == 403
            assert focal.post(reverse(name, args=[code]), data).status_code == 403
    # Staff who see probe details but may not change checks are refused the settings too.
    officer = personas["agency_officer"].client()
    assert officer.post(reverse("monitor:edit", args=[theirs.eservice.code]), settings_data).status_code == 403
    unchanged.check("pausing or changing a check")

    # An administrator's settings form takes the settings only: not the address, the e-service,
    # or the flags the worker keeps.
    admin = personas["administrator"].client()
    response = admin.post(
        reverse("monitor:edit", args=[theirs.eservice.code]),
        {
            **settings_data,
            "expect_keyword": "",
            "max_response_ms": "",
            "url": "http://127.0.0.1:8000/",
            "eservice": own.eservice.pk,
            "paused": "on",
            "active": "",
            "illustrative": "on",
            "shard_key": "0",
        },
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.interval_seconds == 10
    assert (theirs.url, theirs.eservice_id, theirs.paused, theirs.active, theirs.illustrative) == (
        "https://huduma.example.go.tz/",
        eservice_of(world.other).pk,
        False,
        True,
        False,
    )


# --- API tokens ------------------------------------------------------------------------------------


def test_only_administrators_make_or_revoke_tokens(personas: dict[str, Persona], world: World) -> None:
    theirs, _raw = token_create("B's system", institution=world.other)
    _own, raw = token_create("A's system", institution=world.institution)
    unchanged = Unchanged(ApiToken)
    url = reverse("api:tokens")
    for persona in ("focal_person", "me_officer", "agency_officer", "manager", "outsider"):
        client = personas[persona].client()
        assert client.get(url).status_code == 403, persona
        assert client.post(url, {"action": "revoke", "token": theirs.pk}).status_code == 403, persona
        assert client.post(url, {"name": "mine", "institution": world.other.pk}).status_code == 403, persona
    # A token is no key to the page either: it is not a signed-in session.
    with_token = Client().post(
        url, {"action": "revoke", "token": theirs.pk}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert with_token.status_code == 302 and with_token["Location"].startswith(reverse("accounts:login"))
    unchanged.check("making or revoking a token")
    assert Api(raw).get(reverse("api:index")).json()["token"]["institution"] == world.institution.code


# --- Survey links ----------------------------------------------------------------------------------


def test_only_the_me_unit_issues_survey_links(personas: dict[str, Persona]) -> None:
    survey = Survey.objects.create(
        code="zq-links", kind="other", name_sw="Utafiti", name_en="Survey", opens_on=date(2014, 1, 1)
    )
    unchanged = Unchanged(SurveyInvitation, SurveyLink)
    url = reverse("portal:survey_links", args=[survey.code])
    for persona in ("focal_person", "agency_officer", "manager", "outsider"):
        client = personas[persona].client()
        assert client.get(reverse("portal:survey_list")).status_code == 403, persona
        assert client.get(url).status_code == 403, persona
        assert client.post(url, {"action": "invite", "respondent": "staff", "labels": "x"}).status_code == 403
        assert client.post(url, {"action": "link", "respondent": "citizen", "per_device": "5"}).status_code == 403
    unchanged.check("issuing survey links")


# --- Report publishing -----------------------------------------------------------------------------


def test_only_the_me_officer_publishes_and_posted_states_are_ignored(personas: dict[str, Persona]) -> None:
    report = Report.objects.create(
        plan=Plan.objects.get(code=PLAN_CODE), kind="annual", period="2013/14", language="en"
    )
    unchanged = Unchanged(Report)
    posted = {"language": "en", "achievements": "Everything", "is_public": "on", "status": "published"}
    for persona in ("focal_person", "other_focal_person", "agency_officer", "manager", "administrator", "outsider"):
        client = personas[persona].client()
        for name, data in (("publish", {}), ("edit", posted), ("delete", {})):
            assert client.post(reverse(f"reports:{name}", args=[report.pk]), data).status_code == 403, (persona, name)
    unchanged.check("publishing without being the M&E officer")

    me = personas["me_officer"].client()
    response = me.post(
        reverse("reports:edit", args=[report.pk]),
        {
            **posted,
            "achievements": "Much",
            "published_by": personas["manager"].user.pk,  # type: ignore[union-attr]
            "published_at": "2014-07-01T00:00",
            "snapshot": '{"forged": true}',
            "plan": "0",
            "period": "2012/13",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.achievements, report.status, report.published_by, report.snapshot, report.period) == (
        "Much",
        "draft",
        None,
        {},
        "2013/14",
    )
