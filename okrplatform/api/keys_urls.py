"""API key pages, mounted under ``/<org_slug>/settings/api-keys/``."""

from django.urls import path

from . import keys_views

app_name = "api-keys"

urlpatterns = [
    path("", keys_views.api_key_list, name="list"),
    path("<int:pk>/revoke/", keys_views.api_key_revoke, name="revoke"),
]
