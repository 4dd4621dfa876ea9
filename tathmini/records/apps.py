from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "tathmini.records"
    label = "records"
    verbose_name = _("Operational records")

    def ready(self) -> None:
        # Each app declares its record types in <app>/records.py.
        autodiscover_modules("records")
