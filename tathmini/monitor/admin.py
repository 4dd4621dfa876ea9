from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from tathmini.monitor import models as m
from tathmini.monitor import services
from tathmini.monitor.forms import CheckSettingsForm
from tathmini.monitor.worker import utc_now


@admin.register(m.Check)
class CheckAdmin(admin.ModelAdmin):
    form = CheckSettingsForm  # the same validation as the status page's settings form
    list_display = ["url", "eservice", "state", "state_since", "paused", "active", "interval_seconds", "last_probe_at"]
    list_filter = ["state", "paused", "active"]
    search_fields = ["url", "eservice__code"]
    # The worker owns these: edit the expectations and the interval, not the probe results.
    readonly_fields = [
        "eservice",
        "url",
        "shard_key",
        "state",
        "state_since",
        "last_probe_at",
        "last_status",
        "last_response_ms",
        "last_cause",
        "last_detail",
        "next_due",
        "active",
        "paused",
        "illustrative",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the worker's sync creates checks, one per live e-service with an address

    def save_model(self, request: HttpRequest, obj: m.Check, form: ModelForm, change: bool) -> None:
        # The same audited write as the status page's settings form.
        values = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        services.check_update(obj, values, actor=request.user, now=utc_now())


@admin.register(m.Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["owner", "started_at", "ended_at", "cause"]
    list_filter = ["cause"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
