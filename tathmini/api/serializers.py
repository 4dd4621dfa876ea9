"""One serializer per record type, built from its declaration (no per-type code).

Foreign keys are written with the type's declared lookup (an institution by its code), many-to-
many fields as lists of those; a relation offers only records the token may see, except the
field that ties the record to an institution: naming another institution there is refused with
403 by the write path (``check_can_write``), not hidden as "does not exist". Validation is the
model's own: field validators, ``clean()``, unique and check constraints (``full_clean``).
Serializers validate; ``tathmini.records.services.save_record`` writes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import MANY_RELATION_KWARGS

from tathmini.api import fields as api_fields
from tathmini.core.safeinput import validate_text
from tathmini.records import types
from tathmini.records.selectors import scope_field
from tathmini.records.services import agency_field_refusal, agency_fields_changed, check_can_write, field_values
from tathmini.records.types import RecordType


class LookupRelatedField(serializers.SlugRelatedField):
    """A related record by the declared lookup; only records the actor may see (see module doc)."""

    default_error_messages = {
        "ambiguous": _("More than one record has {slug_name}={value}."),
    }

    def __init__(self, *, everything: bool = False, **kwargs: Any) -> None:
        self.everything = everything
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        actor = self.context.get("actor")
        if actor is None or self.everything:
            return qs
        related_rt = types.for_model(qs.model)
        return related_rt.visible(actor) if related_rt is not None else qs

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> Any:
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return api_fields.ManyRelatedField(**list_kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        # DRF reads "" as null; the schema documents a code, so "" names no record.
        if data == "":
            self.fail("does_not_exist", slug_name=self.slug_field, value="")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):  # a code, as the schema says: 5 is not "5"
            self.fail("invalid")
        validate_text(data)  # before it reaches a query
        try:
            found = list(self.get_queryset().filter(**{self.slug_field: data})[:2])
        except (TypeError, ValueError):
            self.fail("invalid")
        if not found:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        if len(found) > 1:
            self.fail("ambiguous", slug_name=self.slug_field, value=str(data))
        return found[0]


class RecordSerializer(serializers.ModelSerializer):
    serializer_field_mapping = api_fields.FIELD_MAPPING
    record_type: ClassVar[RecordType]
    # Set by validate(): the model instance with the validated values applied, and the many-to-many
    # values that save_record sets after saving it.
    record: models.Model
    many_to_many: dict[str, Any]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField):  # the text rule (tathmini/core/safeinput.py)
                field.validators = [*field.validators, validate_text]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        rt = self.record_type
        actor = self.context["actor"]
        stored = field_values(rt, self.instance, rt.agency_fields) if self.instance is not None else None
        refused = agency_fields_changed(rt, actor, attrs, stored)
        record = self.instance if self.instance is not None else rt.model()
        many: dict[str, Any] = {}
        for name, value in attrs.items():
            if rt.model_field(name).many_to_many:
                many[name] = value
            else:
                setattr(record, name, value)
        if self.instance is None and rt.new_reference is not None and not getattr(record, "reference", ""):
            setattr(record, "reference", rt.new_reference())  # noqa: B010  # as the web form gives one
        # The scope check comes before the model's checks, so uniqueness errors never tell a
        # token about another institution's records.
        check_can_write(rt, actor, record)
        if refused:
            raise serializers.ValidationError({name: [agency_field_refusal(rt, name)] for name in refused})
        try:
            record.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        self.record = record
        self.many_to_many = many
        return attrs


_CLASSES: dict[str, type[RecordSerializer]] = {}


def serializer_for(rt: RecordType) -> type[RecordSerializer]:
    """The record type's serializer class, made once; its name names the schema component."""
    if rt.key not in _CLASSES:
        attrs: dict[str, Any] = {"record_type": rt}
        for name in rt.fields:
            field = rt.model_field(name)
            if not field.is_relation:
                continue
            kwargs: dict[str, Any] = {
                "slug_field": rt.lookups.get(name, "pk"),
                "queryset": field.related_model._default_manager.all(),
                "everything": name == scope_field(rt),
                "label": capfirst(field.verbose_name),
                "required": not field.blank,
            }
            if field.help_text:
                kwargs["help_text"] = field.help_text
            if field.many_to_many:
                kwargs["many"] = True
                kwargs["allow_empty"] = field.blank
            else:
                kwargs["allow_null"] = field.null
            attrs[name] = LookupRelatedField(**kwargs)
        attrs["Meta"] = type(
            "Meta",
            (),
            # No DRF-made uniqueness validators: full_clean checks them, after the scope check.
            {
                "model": rt.model,
                "fields": ("id", *rt.fields),
                "read_only_fields": ("id",),
                "validators": [],
                # Left out or empty on a new record: the Agency gives the number.
                "extra_kwargs": {"reference": {"required": False, "allow_blank": True}} if rt.new_reference else {},
            },
        )
        _CLASSES[rt.key] = type(rt.model.__name__, (RecordSerializer,), attrs)
    return _CLASSES[rt.key]
