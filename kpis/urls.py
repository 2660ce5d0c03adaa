from django.urls import URLPattern, URLResolver, path

from . import views, views_candidates, views_import

app_name = "kpis"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.kpi_list, name="kpi-list"),
    path("new/", views.kpi_create, name="kpi-create"),
    path("<int:pk>/", views.kpi_detail, name="kpi-detail"),
    path("<int:pk>/edit/", views.kpi_edit, name="kpi-edit"),
    path("<int:pk>/archive/", views.kpi_archive, name="kpi-archive"),
    path("<int:pk>/targets/", views.target_set, name="target-set"),
    path("<int:pk>/values/", views.value_record, name="value-record"),
    path("<int:pk>/values/<int:value_pk>/", views.value_edit, name="value-edit"),
    path("<int:pk>/values/<int:value_pk>/delete/", views.value_delete, name="value-delete"),
]

# CSV import / export of history, and OKR candidates (kpis/views_import.py, views_candidates.py).
urlpatterns += [
    path("import/", views_import.import_upload, name="import"),
    path("imports/<int:pk>/", views_import.import_preview, name="import-preview"),
    path("imports/<int:pk>/confirm/", views_import.import_confirm, name="import-confirm"),
    path("export.csv", views_import.kpis_export, name="export"),
    path("<int:pk>/import/", views_import.kpi_import_upload, name="kpi-import"),
    path("<int:pk>/export.csv", views_import.kpi_export, name="kpi-export"),
    path("candidates/", views_candidates.candidate_list, name="candidate-list"),
    path(
        "candidates/<int:pk>/dismiss/", views_candidates.candidate_dismiss, name="candidate-dismiss"
    ),
    path("candidates/<int:pk>/snooze/", views_candidates.candidate_snooze, name="candidate-snooze"),
    path(
        "candidates/<int:pk>/restore/", views_candidates.candidate_restore, name="candidate-restore"
    ),
]
