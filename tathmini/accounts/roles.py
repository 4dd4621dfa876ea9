"""The roles of DESIGN.md as Django groups, with the model permissions each one holds.

Groups are (re)synchronised after every migrate, so a role's permissions are code-reviewed here
rather than clicked together in the admin. Access to pages is declared per view with
``tathmini.core.access`` using the same role names.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    ME_OFFICER = "me_officer", _("M&E officer")
    AGENCY_OFFICER = "agency_officer", _("Agency officer")
    FOCAL_PERSON = "focal_person", _("Institution focal person")
    MANAGER = "manager", _("Unit or department head")


ALL_ROLES = tuple(Role.values)
STAFF_ROLES = (Role.ADMINISTRATOR, Role.ME_OFFICER)  # may use the admin site

# app_label.model → actions, per role. Unlisted means no model permission at all.
PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMINISTRATOR: {
        "accounts.user": ("view", "add", "change", "delete"),
        "auth.group": ("view",),
        "registry.institution": ("view", "add", "change"),
        "registry.region": ("view", "add", "change"),
        "strategy.orgunit": ("view", "add", "change"),
        "accounts.loginthrottle": ("view", "change", "delete"),
        # The Agency's ICT operations: each availability check's interval and expectations
        # (the status page's settings form and the admin; the worker owns the rest).
        "monitor.check": ("view", "change"),
    },
    Role.ME_OFFICER: {
        f"strategy.{model}": ("view", "add", "change", "delete")
        for model in (
            "plan",
            "fiscalyear",
            "client",
            "mandate",
            "corevalue",
            "objective",
            "strategy",
            "expectedresult",
            "challenge",
            "alignmentitem",
            "strategicresult",
            "approachrule",
            "indicator",
            "baseline",
            "target",
        )
    }
    | {"strategy.orgunit": ("view",)},
    Role.AGENCY_OFFICER: {},
    Role.FOCAL_PERSON: {},
    Role.MANAGER: {},
}


def sync_role_groups() -> None:
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted: list[Permission] = []
        for model_label, actions in PERMISSIONS[role].items():
            app_label, model_name = model_label.split(".")
            wanted.extend(
                Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model_name}" for action in actions],
                )
            )
        group.permissions.set(wanted)
