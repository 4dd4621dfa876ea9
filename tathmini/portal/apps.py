from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "tathmini.portal"
    label = "portal"
    verbose_name = _("Public portal")

    def ready(self) -> None:
        from tathmini.portal import checks  # noqa: F401  (registers the start-up checks)
