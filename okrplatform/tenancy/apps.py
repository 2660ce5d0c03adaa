from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "okrplatform.tenancy"
    label = "tenancy"
    verbose_name = "Organisations and members"
