from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "okrplatform.health"
    label = "health"
    verbose_name = "Platform health"
