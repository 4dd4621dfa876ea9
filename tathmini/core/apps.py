from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tathmini.core"
    label = "core"
