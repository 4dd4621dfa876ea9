"""The OpenAPI 3 schema: one path, one tag and one component per record type.

The URL configuration has one generic list and one generic detail route (``/api/v1/{key}/``);
``expand_record_endpoints`` (a drf-spectacular preprocessing hook) turns each into one endpoint
per declared record type, so the schema documents every type's fields, filters and rules while
the code stays generic.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from tathmini.api import fields as api_fields
from tathmini.api import idempotency
from tathmini.api.pagination import NO_NUL
from tathmini.api.problems import PROBLEM_JSON
from tathmini.core.periods import FISCAL_YEAR_PATTERN
from tathmini.records import types
from tathmini.records.types import RecordType
from tathmini.registry.models import Channel, validate_channels


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tathmini.api.authentication.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)


class Problem(serializers.Serializer):
    """An error (RFC 9457 problem document)."""

    type = serializers.CharField(help_text=gettext_lazy("Always about:blank: the status says what went wrong."))
    title = serializers.CharField(help_text=gettext_lazy("The HTTP status phrase."))
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, in the request's language."))
    instance = serializers.CharField(help_text=gettext_lazy("The path requested."))
    code = serializers.CharField(
        required=False, help_text=gettext_lazy("A stable name for the problem: not_found, invalid, throttled …")
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy("Validation errors: {field: [messages]}."),
    )


# The problems each operation can answer with, besides 401 (no token), 406 (an Accept without
# JSON) and 429 (rate limit); 413 is a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
_ERRORS = {
    "GET": (400, 403, 404),
    "POST": (400, 403, 404, 409, 413, 415, 422),
    "PUT": (400, 403, 404, 409, 412, 413, 415),
    "PATCH": (400, 403, 404, 409, 412, 413, 415),
}
ALWAYS = (401, 406, 429)

# Text the API stores: any character but those tathmini.core.safeinput refuses (control
# characters, the invisible direction controls, U+FFFE and U+FFFF; an unpaired surrogate is not
# text at all). tests/test_api_fuzz.py checks that both rules agree on every character. One
# character at least: drf-spectacular offers "" as a branch of its own where a field allows it.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]+$"
# What the model validators that are plain functions accept, for the schema to say so.
_VALIDATOR_PATTERNS: list[tuple[Any, str]] = [
    (validate_channels, "^(?:{0})?(?:,(?:{0})?)*$".format("|".join(re.escape(c) for c in Channel.values))),
    # 2013/14: the second year is the one after the first (years 0 and 9999 aside).
    (FISCAL_YEAR_PATTERN, "^[0-9]{2}(?:" + "|".join(f"{y:02d}/{(y + 1) % 100:02d}" for y in range(100)) + ")$"),
]


def problems(*statuses: int) -> dict[Any, Any]:
    """``responses`` entries: a problem document for each status."""
    return {(status, PROBLEM_JSON): Problem for status in statuses}


class RecordSchema(AutoSchema):
    def _record_type(self) -> RecordType:
        return self.view.record_type

    def _is_list(self) -> bool:
        return self.method == "GET" and "{id}" not in self.path

    def get_tags(self) -> list[str]:
        return [self._record_type().key]

    def get_summary(self) -> str | None:
        rt = self._record_type()
        names = {"record": rt.label, "records": rt.label_plural}
        if self.method == "GET":
            return (_("List: %(records)s") if self._is_list() else _("Read one: %(record)s")) % names
        summaries = {"POST": _("Add: %(record)s"), "PUT": _("Replace: %(record)s"), "PATCH": _("Change: %(record)s")}
        return summaries[self.method] % names if self.method in summaries else None

    def get_description(self) -> str:
        rt = self._record_type()
        writers = [
            *(["institution"] if rt.focal_edits and rt.scope is not None else []),
            *sorted(rt.editor_functions),
            *(["me"] if "me_officer" in rt.editor_roles else []),
        ]
        parts = [
            _("Natural key: %(fields)s.") % {"fields": ", ".join(rt.natural_key) or "—"},
            _("Tokens that write it: %(kinds)s.") % {"kinds": ", ".join(writers) or "—"},
        ]
        if rt.scope is not None:
            parts.append(_("An institution token reads and writes its own institution's records only."))
        if not rt.focal_reads:
            parts.append(_("Institution tokens cannot read it."))
        return " ".join(parts)

    def get_override_parameters(self) -> list[Any]:
        rt = self._record_type()
        params: list[Any] = []
        if self._is_list():
            for name in rt.filters:
                params.append(self._filter_parameter(rt, name))
            if rt.search:
                params.append(
                    OpenApiParameter(
                        "q",
                        OpenApiTypes.STR,
                        pattern=NO_NUL,
                        description=_("Text contained in any of: %(fields)s.") % {"fields": ", ".join(rt.search)},
                    )
                )
        if self.method == "POST":
            params.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    pattern=idempotency.KEY_PATTERN,
                    description=_(
                        "Makes a retry safe: the same key and body replay the first response; the same key with "
                        "another body is a 422. Kept 24 hours."
                    ),
                )
            )
        if self.method in ("PUT", "PATCH"):
            params.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description=_("The ETag last read: the write is refused with 412 if the record changed since."),
                )
            )
        if not self._is_list():
            params.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description=_("The record's current version, for If-Match."),
                )
            )
        return params

    @staticmethod
    def _filter_parameter(rt: RecordType, name: str) -> OpenApiParameter:
        field = rt.model_field(name)
        if field.is_relation:
            lookup = rt.lookups.get(name, "pk")
            return OpenApiParameter(
                name,
                OpenApiTypes.STR,
                many=True,
                explode=True,
                pattern=NO_NUL,
                description=_("%(field)s, by %(lookup)s; repeat for any of several.")
                % {"field": field.verbose_name, "lookup": lookup},
            )
        if isinstance(field, models.BooleanField):
            return OpenApiParameter(name, OpenApiTypes.BOOL, description=str(field.verbose_name))
        enum = [str(value) for value, _label in field.flatchoices] if field.choices else None
        return OpenApiParameter(
            name,
            OpenApiTypes.STR,
            many=True,
            explode=True,
            enum=enum,
            pattern=None if enum else NO_NUL,
            description=_("%(field)s; repeat for any of several.") % {"field": field.verbose_name},
        )

    def get_request_serializer(self) -> Any:
        serializer = super().get_request_serializer()
        rt = self._record_type()
        if self.method in ("PUT", "PATCH") and rt.new_reference is not None:
            return _change_serializer(rt, type(serializer))
        return serializer

    def get_response_serializers(self) -> Any:
        serializer = self._get_serializer()
        success = 201 if self.method == "POST" else 200
        return {success: serializer, **problems(*_ERRORS.get(self.method, ()), *ALWAYS)}

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, api_fields.DecimalField):
            schema["pattern"] = field.pattern  # the one the field enforces, not DRF's looser one
        if direction == "request" and isinstance(field, serializers.ManyRelatedField) and not field.allow_empty:
            schema["minItems"] = 1
        if direction != "request" or not isinstance(field, (serializers.CharField, serializers.RelatedField)):
            return schema
        for validator, pattern in _VALIDATOR_PATTERNS:
            if any(v is validator for v in field.validators):
                schema["pattern"] = pattern
        if not any(isinstance(v, RegexValidator) for v in field.validators):  # a code's own pattern is stricter
            schema.setdefault("pattern", TEXT)
        return schema


_CHANGE_SERIALIZERS: dict[str, type[serializers.Serializer]] = {}


def _change_serializer(rt: RecordType, create: type[Any]) -> type[serializers.Serializer]:
    """The request body of a change to a type that numbers new records: the same, except that a
    reference may be left out but not blank (a blank one asks for a new number, which only a new
    record gets). Its own component, ``<Model>ChangeRequest``."""
    if rt.key not in _CHANGE_SERIALIZERS:
        meta = type("Meta", (create.Meta,), {"extra_kwargs": {"reference": {"required": False}}})
        _CHANGE_SERIALIZERS[rt.key] = type(f"{rt.model.__name__}Change", (create,), {"Meta": meta})
    return _CHANGE_SERIALIZERS[rt.key]


_KEY_IN_ROUTE = re.compile(r"<slug:key>|\(\?P<key>[^)]*\)")


def expand_record_endpoints(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """PREPROCESSING_HOOKS: the generic ``{key}`` routes become one endpoint per record type."""
    from tathmini.api.views import RecordDetail, RecordList

    expanded: list[tuple[str, str, str, Any]] = []
    for path, path_regex, method, callback in endpoints:
        view_class = getattr(callback, "cls", None)
        if view_class not in (RecordList, RecordDetail) or "{key}" not in path:
            expanded.append((path, path_regex, method, callback))
            continue
        for rt in types.all_types():
            per_type = view_class.as_view(record_type_key=rt.key)
            expanded.append((path.replace("{key}", rt.key), _KEY_IN_ROUTE.sub(rt.key, path_regex), method, per_type))
    return expanded
