from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "okrplatform.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Registers the OpenAPI descriptions of our authentication classes.
        from . import schema  # noqa: F401
