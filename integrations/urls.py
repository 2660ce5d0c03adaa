"""Integration pages, mounted under ``/<org_slug>/integrations/``."""

from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.integration_list, name="integration-list"),
    path("new/", views.integration_create, name="integration-create"),
    path("<int:pk>/", views.integration_detail, name="integration-detail"),
    path("<int:pk>/edit/", views.integration_edit, name="integration-edit"),
    path("<int:pk>/delete/", views.integration_delete, name="integration-delete"),
    path("<int:pk>/test/", views.integration_test, name="integration-test"),
    path("<int:pk>/sources/new/", views.source_create, name="source-create"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source-edit"),
    path("sources/<int:pk>/delete/", views.source_delete, name="source-delete"),
    path("sources/<int:pk>/sync/", views.source_sync, name="source-sync"),
    path("sources/<int:pk>/secret/", views.source_secret_regenerate, name="source-secret"),
    path("runs/<int:pk>/", views.run_status, name="run-status"),
]
