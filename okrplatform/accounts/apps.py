from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "okrplatform.accounts"
    label = "accounts"
    verbose_name = "Accounts"
