from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitorConfig(AppConfig):
    name = "tathmini.monitor"
    label = "monitor"
    verbose_name = _("Availability monitor")

    def ready(self) -> None:
        from tathmini.monitor import checks  # noqa: F401  (registers the system checks)
