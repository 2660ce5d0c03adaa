from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "okrplatform.api"
    label = "api"
    verbose_name = "API"
