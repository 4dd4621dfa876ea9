from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def _sync_roles(sender: Any, **kwargs: Any) -> None:
    # Runs once per migrated app; only the last app's run matters, each is cheap and idempotent.
    if getattr(sender, "label", None) == "accounts":
        from tathmini.accounts.roles import sync_role_groups

        sync_role_groups()
