from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tathmini.api import services
from tathmini.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are made by ``manage.py api_token create`` or on /api/tokens/ (their text
    is shown once there); here they can only be revoked."""

    list_display = ["name", "prefix", "institution", "agency_function", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["agency_function"]
    search_fields = ["name", "prefix", "institution__code"]
    readonly_fields = [
        "name",
        "prefix",
        "institution",
        "agency_function",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay, so the audit trail's "API: <name>" can be traced

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(services.token_revoke(token) for token in queryset)
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": revoked}, messages.SUCCESS)
