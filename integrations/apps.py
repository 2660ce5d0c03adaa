from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from django.core import checks

        from .checks import credential_keys_check

        checks.register(credential_keys_check)
