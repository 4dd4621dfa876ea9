from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from tathmini.accounts import services


class LockoutAuthenticationForm(AuthenticationForm):
    """Sign-in that refuses a user name after too many failures in a row, for a while."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-in attempts. This account is locked until %(until)s; "
            "try again then or ask an administrator."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        until = services.login_locked_until(username) if username else None
        if until is not None:
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"until": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                services.login_failed(username)
            raise
        services.login_succeeded(username)
        return cleaned
