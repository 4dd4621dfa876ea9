"""Record types: one declaration per kind of operational record, read by every channel.

The web pages, the spreadsheet import and export, and the REST API are generic: each asks the
declaration which fields a record has, how a row finds an existing record (its natural key),
how foreign keys are written in a file (an institution by its code …), whose institution a
record belongs to, and who may edit it. Apps declare their types in ``<app>/records.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from tathmini.accounts.roles import Role

STAFF_READERS = frozenset({Role.ADMINISTRATOR, Role.ME_OFFICER, Role.AGENCY_OFFICER, Role.MANAGER})
# The only records the public (no account) may create, through ``services.public_create``: what a
# citizen files on the public site. The public never changes or deletes a record.
PUBLIC_CREATES = frozenset({"complaints", "information-requests", "survey-responses"})


@dataclass(frozen=True)
class RecordType:
    key: str  # URL slug, API path and import-template name: "eservices"
    model: type[models.Model]
    fields: tuple[str, ...]  # editable fields, in form / file / API order
    natural_key: tuple[str, ...]  # a file row with these values updates the record instead of adding one
    # Path from the record to the Institution it belongs to ("institution", "eservice__institution");
    # "" for the Institution itself; None for the Agency's own records.
    scope: str | None = None
    editor_roles: frozenset[str] = frozenset({Role.ME_OFFICER})
    editor_functions: frozenset[str] = frozenset()  # Agency functions (User.Function) that edit it
    focal_edits: bool = False  # focal persons edit their own institution's records
    focal_reads: bool = True  # focal persons read it (their own institution's, when scoped)
    # How a foreign key (or many-to-many) is written in files and the API: field → related field.
    lookups: dict[str, str] = field(default_factory=dict)
    search: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    list_columns: tuple[str, ...] = ()
    date_field: str | None = None  # the field the list's date range filters on
    ordering: tuple[str, ...] = ()
    # Fields only the Agency writes, though an institution keeps the record (the Agency's review of
    # an initiative): an institution-bound user's forms show them without taking them, and every
    # channel refuses a write of theirs that changes them (a new record keeps the defaults).
    agency_fields: tuple[str, ...] = ()
    # Values that make a record the Agency's own whatever institution it names (a complaint about
    # the Agency, which the Agency's indicators count): no institution reads or writes it.
    agency_record: dict[str, Any] = field(default_factory=dict)
    # Gives a new record's ``reference`` when it is left empty, on every channel that creates one
    # (the form, the API): complaint and request numbers are the Agency's to issue.
    new_reference: Callable[[], str] | None = None

    @property
    def label(self) -> Any:
        return self.model._meta.verbose_name

    @property
    def label_plural(self) -> Any:
        return self.model._meta.verbose_name_plural

    def model_field(self, name: str) -> Any:
        return self.model._meta.get_field(name)

    def institution_filter(self, institution_id: int | None) -> Q:
        if self.scope is None:
            return Q()
        return Q(**{"pk" if self.scope == "" else f"{self.scope}_id": institution_id}) & ~Q(**self.agency_record)

    def is_agency_record(self, record: Any) -> bool:
        """True when ``record`` (a model instance, or field → value) is the Agency's own (``agency_record``)."""
        if not self.agency_record:
            return False
        values = record if isinstance(record, Mapping) else {k: getattr(record, k, None) for k in self.agency_record}
        return all(values.get(name) == value for name, value in self.agency_record.items())

    def institution_of(self, instance: models.Model) -> Any:
        if self.scope is None:
            return None
        if self.scope == "":
            return instance
        obj: Any = instance
        for part in self.scope.split("__"):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj

    # --- who may do what ----------------------------------------------------------------------
    def readable_by(self, user: Any) -> bool:
        if not user.is_authenticated:
            return False
        if user.is_superuser or STAFF_READERS.intersection(user.roles):
            return True
        return Role.FOCAL_PERSON in user.roles and self.focal_reads and user.institution_id is not None

    def editable_by(self, user: Any) -> bool:
        if not user.is_authenticated:
            return False
        return self._edits_for_the_agency(user) or self._edits_as_focal_person(user)

    def _edits_for_the_agency(self, user: Any) -> bool:
        if user.is_superuser or self.editor_roles.intersection(user.roles):
            return True
        return Role.AGENCY_OFFICER in user.roles and user.agency_function in self.editor_functions

    def _edits_as_focal_person(self, user: Any) -> bool:
        return (
            self.focal_edits
            and self.scope is not None
            and Role.FOCAL_PERSON in user.roles
            and user.institution_id is not None
        )

    def is_institution_bound(self, user: Any) -> bool:
        """True when the user only ever sees and writes their own institution's records."""
        return not user.is_superuser and not STAFF_READERS.intersection(user.roles)

    def writes_as_institution(self, user: Any) -> bool:
        """True when the user writes only their own institution's records of this type: a focal
        person, and also one who holds a staff role besides (they read everything) when being a
        focal person is their only right to change this type."""
        if self.is_institution_bound(user):
            return True
        return user.is_authenticated and not self._edits_for_the_agency(user) and self._edits_as_focal_person(user)

    def visible(self, user: Any) -> QuerySet[Any]:
        """Every record of this type the user may read: a focal person's own institution's only."""
        qs = self.model._default_manager.all()
        if not self.readable_by(user):
            return qs.none()
        if self.is_institution_bound(user):
            if self.scope is None:
                return qs  # reference data (focal_reads) such as shared resources and standards
            return qs.filter(self.institution_filter(user.institution_id))
        return qs


_REGISTRY: dict[str, RecordType] = {}


def register(*types: RecordType) -> None:
    for rt in types:
        if rt.key in _REGISTRY and _REGISTRY[rt.key] is not rt:
            raise ValueError(f"record type {rt.key!r} registered twice")
        _REGISTRY[rt.key] = rt


def get(key: str) -> RecordType:
    return _REGISTRY[key]


def all_types() -> list[RecordType]:
    return list(_REGISTRY.values())


def for_model(model: type[models.Model]) -> RecordType | None:
    return next((rt for rt in _REGISTRY.values() if rt.model is model), None)
