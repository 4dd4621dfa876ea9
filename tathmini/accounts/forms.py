from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from tathmini.accounts import services
from tathmini.core.logs import client_address, loggable, security_log


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
            self._log_failure(username, "locked until " + until.isoformat(timespec="seconds"))
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"until": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError as refused:
            # "invalid_login" (unknown name or wrong password, not told apart) or "inactive".
            self._log_failure(username, refused.code or "invalid_login")
            if username and services.login_failed(username):
                self._log_failure(username, f"locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes now")
            raise
        services.login_succeeded(username)
        return cleaned

    def _log_failure(self, username: str, reason: str) -> None:
        # The name as typed, cut short (a password typed into it stays mostly out); never the password.
        security_log.warning(
            'Sign-in failed: username "%s" from %s: %s',
            loggable(username, 32),
            client_address(self.request),
            reason,
        )
