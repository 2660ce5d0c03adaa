from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "okrplatform.notifications"
    label = "notifications"
    verbose_name = "Notifications"
