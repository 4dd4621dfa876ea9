"""Users, scoped to one institution (focal persons) or one Agency org unit (officers, heads).

Roles are Django groups (see ``roles.py``); the scope is on the user so that every query that
filters by it is one join away.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Function(models.TextChoices):
        ADVISORY = "advisory", _("Advisory and technical support")
        COMPLIANCE = "compliance", _("Standards and compliance")
        HR = "hr", _("Human resources")
        FINANCE = "finance", _("Finance")
        COMPLAINTS = "complaints", _("Complaints desk")

    institution = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("institution"),
        help_text=_("A focal person sees and edits only this institution's records."),
    )
    org_unit = models.ForeignKey(
        "strategy.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("org unit"),
        help_text=_("An officer's or head's place in the Agency."),
    )
    agency_function = models.CharField(_("Agency function"), max_length=20, choices=Function.choices, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def roles(self) -> frozenset[str]:
        if not hasattr(self, "_roles_cache"):
            self._roles_cache = frozenset(self.groups.values_list("name", flat=True))
        return self._roles_cache

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class LoginThrottle(models.Model):
    """Failed sign-ins per user name; too many in a row lock the name for a while."""

    username = models.CharField(_("user name"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return self.username
