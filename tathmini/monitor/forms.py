"""The staff form that edits one check's interval and expectations. It validates only; the write
(audited) is ``services.check_update``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tathmini.monitor.models import Check
from tathmini.monitor.services import EDITABLE_FIELDS


class CheckSettingsForm(forms.ModelForm):
    """The bounds come from the model's validators (interval 10 s – 1 day, statuses 100–599),
    reported against their fields; the form adds what involves two values or a setting."""

    class Meta:
        model = Check
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        low, high = data.get("expect_status_min"), data.get("expect_status_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "expect_status_max",
                _("The highest expected status cannot be below the lowest (%(low)s).") % {"low": low},
            )
        slowest = data.get("max_response_ms")
        limit = settings.MONITOR_TIMEOUT_SECONDS * 1000
        if slowest is not None and slowest > limit:
            # The probe is cut off at the timeout anyway, as a failure with its own cause.
            self.add_error(
                "max_response_ms",
                _("A probe stops waiting after %(limit)s ms: choose at most that.") % {"limit": limit},
            )
        return data
