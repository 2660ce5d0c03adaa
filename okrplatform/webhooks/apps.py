from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "okrplatform.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
