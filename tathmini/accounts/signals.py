from typing import Any

from django.apps import apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def _sync_roles(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app, and each app's permissions are created in its own turn:
    # only after the last app are all permissions there to hand out.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:
        from tathmini.accounts.roles import sync_role_groups

        sync_role_groups()
