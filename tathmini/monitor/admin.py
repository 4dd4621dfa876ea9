from django.contrib import admin

from tathmini.monitor import models as m


@admin.register(m.Check)
class CheckAdmin(admin.ModelAdmin):
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
    ]


@admin.register(m.Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["owner", "started_at", "ended_at", "cause"]
    list_filter = ["cause"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
