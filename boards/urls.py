"""Board pages, mounted under ``/<org_slug>/boards/``."""

from django.urls import path

from .views import entry, manage, pages

app_name = "boards"

urlpatterns = [
    path("", pages.board_list, name="board-list"),
    path("all/", pages.all_kpis, name="all-kpis"),
    path("all/values/", entry.all_grid_entry, name="all-grid-entry"),
    path("<int:pk>/", pages.board_detail, name="board-detail"),
    path("<int:pk>/edit/", manage.board_edit, name="board-edit"),
    path("<int:pk>/delete/", manage.board_delete, name="board-delete"),
    path("<int:pk>/items/", manage.board_items, name="board-items"),
    path("<int:pk>/values/", entry.grid_entry, name="grid-entry"),
]
