"""API tokens (one per calling system) and the responses kept for Idempotency-Key replays.

A token is stored only as the SHA-256 of its text: the text is shown once, when the token is
made, and a stolen database does not yield usable tokens. Each token speaks for exactly one
institution (like that institution's focal person) or one Agency function (like an officer of
that function), never for a person; see docs/api.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tathmini.accounts.models import User


class ApiToken(models.Model):
    class Function(models.TextChoices):
        ADVISORY = User.Function.ADVISORY.value, User.Function.ADVISORY.label
        COMPLIANCE = User.Function.COMPLIANCE.value, User.Function.COMPLIANCE.label
        HR = User.Function.HR.value, User.Function.HR.label
        FINANCE = User.Function.FINANCE.value, User.Function.FINANCE.label
        COMPLAINTS = User.Function.COMPLAINTS.value, User.Function.COMPLAINTS.label
        # Not a User.Function: the M&E officer's records (institutions, shared resources,
        # surveys and their responses) are written through a token of this kind.
        ME = "me", _("Monitoring and evaluation")

    name = models.CharField(_("name"), max_length=100, help_text=_("The system that uses the token."))
    prefix = models.CharField(_("prefix"), max_length=8, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("institution"),
    )
    agency_function = models.CharField(_("Agency function"), max_length=20, choices=Function.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(institution__isnull=False) & Q(agency_function=""))
                | (Q(institution__isnull=True) & ~Q(agency_function="")),
                name="api_token_bound_to_one",
                violation_error_message=_("A token is bound to exactly one institution or one Agency function."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def binding(self) -> str:
        """What the token speaks for, as a person reads it."""
        if self.institution_id is not None:
            return str(self.institution)
        return str(self.get_agency_function_display())


class IdempotencyRecord(models.Model):
    """The response to a POST sent with an Idempotency-Key, replayed when the same key comes again.

    The row is inserted in the same transaction as the record it created, before the write: a
    second request with the same key waits on the unique constraint until the first commits, then
    replays its response, so a retried request never writes twice.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and the parsed body
    status = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(blank=True)  # the JSON exactly as first sent (jsonb would reorder keys)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_per_token")]

    def __str__(self) -> str:
        return f"{self.token_id}: {self.key}"
