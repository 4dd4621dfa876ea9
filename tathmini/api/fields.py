"""The API's serializer fields: each takes exactly the JSON the schema documents for it.

DRF's own fields are lenient on input: a text field takes a number (``7`` becomes ``"7"``), an
integer field a string or ``12.0``, a boolean field ``"yes"``, ``"on"`` or ``1``, a decimal field a
number or ``"1e3"``, a date field ``20140630`` and a time without an offset. The schema promises
strings, integers, booleans, decimal strings of a pattern, RFC 3339 dates and times; so these
fields refuse anything else with a 400, instead of guessing what a client meant.
"""

from __future__ import annotations

import re
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers

# How many whole numbers a bounded decimal's pattern lists one by one (a score of 0–100, 1–5).
_MAX_LISTED = 1000
DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# RFC 3339 (the schema's date-time): seconds and an offset are required.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)


def _refuse_other_json_types(field: serializers.Field, data: Any, *types: type) -> None:
    if (isinstance(data, bool) and bool not in types) or not isinstance(data, types):
        field.fail("invalid")


class _Text(serializers.Field):
    """Text as sent: a string, and not trimmed (DRF trims by default, so " tra " would pass for the
    code tra and a value could pass its length only once trimmed)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        _refuse_other_json_types(self, data, str)
        return super().to_internal_value(data)


class CharField(_Text, serializers.CharField):
    pass


class EmailField(_Text, serializers.EmailField):
    pass


class URLField(_Text, serializers.URLField):
    pass


class SlugField(_Text, serializers.SlugField):
    pass


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> Any:
        _refuse_other_json_types(self, data, int)
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> Any:
        _refuse_other_json_types(self, data, bool)
        return data


class DecimalField(serializers.DecimalField):
    """A decimal written as a string of digits (``"75.50"``), matching ``pattern``: no exponent,
    no sign where the value cannot be negative, at most the field's digits and places, and within
    its bounds where they are whole numbers close enough to list."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        # DRF reads "" (or blanks) as null for a nullable decimal; the schema says null is null.
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(self.pattern, data, re.ASCII):
            self.fail("invalid")
        return super().to_internal_value(data)

    @property
    def pattern(self) -> str:
        places = self.decimal_places or 0
        fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
        zero_fraction = rf"(?:\.0{{1,{places}}})?" if places else ""
        low, high = self.min_value, self.max_value
        if _whole(low) and _whole(high) and 0 <= low < high and high - low <= _MAX_LISTED:
            listed = "|".join(str(n) for n in range(int(low), int(high)))
            return rf"^(?:(?:{listed}){fraction}|{int(high)}{zero_fraction})$"
        sign = "" if low is not None and low >= 0 else "-?"
        whole_digits = self.max_whole_digits if self.max_whole_digits is not None else ""
        return rf"^{sign}\d{{1,{whole_digits}}}{fraction}$"


def _whole(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool) and value == int(value)


class DateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+03:00")
        return super().to_internal_value(value.upper())

    def to_representation(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        local = self.enforce_timezone(value)
        offset = local.utcoffset()
        # Until 1930 Dar es Salaam kept local mean time, +02:37:08 in the time zone database;
        # an RFC 3339 offset is whole minutes, so such a time is given in UTC instead.
        if offset is not None and offset.seconds % 60:
            local = local.astimezone(UTC)
        text = local.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


class ManyRelatedField(serializers.ManyRelatedField):
    """A list, and only a list (DRF would read an object's keys as the list)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


# ModelSerializer.serializer_field_mapping, with the fields above in place of DRF's.
FIELD_MAPPING: dict[type[models.Field[Any, Any]], type[serializers.Field]] = {
    **serializers.ModelSerializer.serializer_field_mapping,
    models.CharField: CharField,
    models.TextField: CharField,
    models.EmailField: EmailField,
    models.URLField: URLField,
    models.SlugField: SlugField,
    models.IntegerField: IntegerField,
    models.BigIntegerField: IntegerField,
    models.SmallIntegerField: IntegerField,
    models.PositiveIntegerField: IntegerField,
    models.PositiveSmallIntegerField: IntegerField,
    models.PositiveBigIntegerField: IntegerField,
    models.BooleanField: BooleanField,
    models.DecimalField: DecimalField,
    models.DateField: DateField,
    models.DateTimeField: DateTimeField,
}
