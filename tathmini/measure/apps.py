from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasureConfig(AppConfig):
    name = "tathmini.measure"
    label = "measure"
    verbose_name = _("Indicator engine")

    def ready(self) -> None:
        from tathmini.core.signals import records_changed
        from tathmini.measure import checks, sources, triggers  # noqa: F401  (checks registers itself)

        sources.register_defaults()
        records_changed.connect(triggers.on_records_changed, dispatch_uid="measure-auto-refresh")
