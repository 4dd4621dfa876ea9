from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tathmini.api.models import ApiToken
from tathmini.registry.models import Institution


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("The system that will use the token, e.g. “TRA e-filing”.")
    )
    institution = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.all(),
        to_field_name="code",
        required=False,
        empty_label="—",
        help_text=_("The token acts as this institution's focal person."),
    )
    agency_function = forms.ChoiceField(
        label=_("or Agency function"),
        choices=[("", "—"), *ApiToken.Function.choices],
        required=False,
        help_text=_("The token acts as an Agency officer of this function (or the M&E officer)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}-help"  # the help text under each field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("institution")) == bool(cleaned.get("agency_function")):
            raise forms.ValidationError(_("Choose either an institution or an Agency function, not both."))
        return cleaned
