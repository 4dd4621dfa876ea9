"""Forms for every record type, built from the declarations: a model form per type and the list's
filter form. Forms validate; saving goes through ``tathmini.records.services``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tathmini.core.safeinput import SafeTextFormMixin
from tathmini.records import selectors
from tathmini.records.services import agency_record_refusal
from tathmini.records.types import RecordType


# Records whose public reference number the form gives when the person leaves it empty.
class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")  # the only format a date input accepts


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value: Any) -> Any:
        # Seconds are shown only when the stored time has them, so saving an unchanged form
        # never silently rounds a time that came from an import or the API.
        if isinstance(value, datetime):
            if value.microsecond:
                return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
            return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")
        return super().format_value(value)


def _formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("widget", DateTimeLocalInput)
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("widget", DateInput)
    elif isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")  # addresses typed without a scheme
    return db_field.formfield(**kwargs)


class RecordForm(SafeTextFormMixin, forms.ModelForm):
    """The base of every record type's form (see ``record_form_class``).

    For an institution-bound user (a focal person) each select offers only what they can see,
    and the field that ties the record to an institution offers only their own: a posted value
    naming another institution is an invalid choice, so nothing is written.
    """

    def __init__(self, *args: Any, rt: RecordType, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rt = rt
        self.user = user
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = selectors.related_choices(rt, user, name, writing=True)
        self.own_institution_field: str | None = None
        scope_field = selectors.scope_field(rt)
        if scope_field in self.fields and rt.writes_as_institution(user):
            field = self.fields[scope_field]
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = None
            if rt.scope == scope_field:
                # The record belongs to the user's institution whatever they leave in the field.
                self.own_institution_field = scope_field
                field.required = False
                if self.instance.pk is None:
                    self.initial[scope_field] = user.institution_id
            else:
                field.required = True
        if rt.writes_as_institution(user):
            for name in rt.agency_fields:
                if name in self.fields:
                    # Shown as the Agency left it; a disabled field takes nothing from the post.
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Set by the Agency.")
        self.new_reference = rt.new_reference if self.instance.pk is None else None
        if self.new_reference and "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Leave empty to give a new reference number.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in cleaned.items():
            cleaned[name] = _as_stored(self.rt.model_field(name), value)
        own = self.own_institution_field
        if own and own not in self.errors and not cleaned.get(own):
            cleaned[own] = self.fields[own].queryset.filter(pk=self.user.institution_id).first()  # type: ignore[attr-defined]
        wants_reference = self.new_reference and "reference" in self.fields and "reference" not in self.errors
        if wants_reference and not cleaned.get("reference"):
            cleaned["reference"] = self.new_reference()  # type: ignore[misc]
        if self.rt.writes_as_institution(self.user) and self.rt.is_agency_record(cleaned):
            self.add_error(next(iter(self.rt.agency_record)), agency_record_refusal())
        return cleaned

    def many_to_many(self) -> dict[str, Any]:
        """Validated many-to-many values, for ``save_record(..., m2m=...)``."""
        return {name: self.cleaned_data[name] for name in self.fields if self.rt.model_field(name).many_to_many}


def _as_stored(db_field: Any, value: Any) -> Any:
    """The value as the database will give it back: decimals to their places, times in UTC.

    The audit trail compares the stored row with the saved instance, so an unchanged "82.50"
    typed as "82.5", or a time typed in local time, must not show up as a change.
    """
    if isinstance(value, Decimal) and isinstance(db_field, models.DecimalField) and value.is_finite():
        return value.quantize(Decimal(1).scaleb(-db_field.decimal_places))
    if isinstance(value, datetime) and timezone.is_aware(value):
        return value.astimezone(UTC)
    return value


def record_form_class(rt: RecordType) -> type[RecordForm]:
    form_class: type[RecordForm] = forms.modelform_factory(  # type: ignore[assignment]
        rt.model, form=RecordForm, fields=list(rt.fields), formfield_callback=_formfield
    )
    return form_class


class RecordFilterForm(forms.Form):
    """The list's search, filters, date range and sort, read from the query string.

    Each field is optional and checked on its own: a value that does not validate (a date that is
    not a date, an institution the user cannot see) is reported and left out of the filter.
    """

    def __init__(self, data: Any, *, rt: RecordType, user: Any) -> None:
        super().__init__(data)
        self.rt = rt
        self.fields["q"] = forms.CharField(label=_("Search"), required=False, max_length=200)
        for name in rt.filters:
            self.fields[name] = self._filter_field(rt, user, name)
        if rt.date_field:
            label = rt.model_field(rt.date_field).verbose_name
            self.fields["from"] = forms.DateField(
                label=_("%(field)s: from") % {"field": label}, required=False, widget=DateInput
            )
            self.fields["to"] = forms.DateField(
                label=_("%(field)s: to") % {"field": label}, required=False, widget=DateInput
            )
        self.fields["sort"] = forms.ChoiceField(
            choices=[(s, s) for s in selectors.sort_choices(rt)], required=False, widget=forms.HiddenInput
        )

    @staticmethod
    def _filter_field(rt: RecordType, user: Any, name: str) -> forms.Field:
        db_field = rt.model_field(name)
        label = db_field.verbose_name
        everything = ("", _("All"))
        if db_field.is_relation:
            return forms.ModelChoiceField(
                queryset=selectors.related_choices(rt, user, name), label=label, required=False, empty_label=_("All")
            )
        if db_field.choices:
            return forms.ChoiceField(choices=[everything, *db_field.flatchoices], label=label, required=False)
        if isinstance(db_field, models.BooleanField):
            return forms.TypedChoiceField(
                choices=[everything, ("1", _("Yes")), ("0", _("No"))],
                coerce=lambda value: value == "1",
                empty_value=None,
                label=label,
                required=False,
            )
        values = selectors.distinct_values(rt, user, name)
        return forms.ChoiceField(choices=[everything, *((v, v) for v in values)], label=label, required=False)

    def values(self) -> dict[str, Any]:
        """The valid values only (``is_valid`` leaves out each field that failed)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value is not None and value != ""}

    @property
    def has_filters(self) -> bool:
        return any(name != "sort" for name in self.values())

    @property
    def visible_fields_list(self) -> list[forms.BoundField]:
        return [f for f in self if not f.is_hidden]
