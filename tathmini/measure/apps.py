from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasureConfig(AppConfig):
    name = "tathmini.measure"
    label = "measure"
    verbose_name = _("Indicator engine")

    def ready(self) -> None:
        from tathmini.measure import sources

        sources.register_defaults()
