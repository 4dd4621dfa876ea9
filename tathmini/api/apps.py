from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "tathmini.api"
    label = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        # Registers the configuration check and the schema's bearer-token security scheme.
        from tathmini.api import checks, schema  # noqa: F401
