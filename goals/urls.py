"""OKR pages, mounted under ``/<org_slug>/okrs/`` by the project's urls."""

from django.urls import path

from .views import alignment, drafting, objectives, strategy

app_name = "goals"

urlpatterns = [
    path("", objectives.objective_list, name="objective-list"),
    path("new/", objectives.objective_create, name="objective-create"),
    path("<int:pk>/", objectives.objective_detail, name="objective-detail"),
    path("<int:pk>/edit/", objectives.objective_edit, name="objective-edit"),
    path("<int:pk>/delete/", objectives.objective_delete, name="objective-delete"),
    path("<int:pk>/key-results/new/", drafting.key_result_create, name="key-result-create"),
    path("<int:pk>/initiatives/new/", drafting.initiative_create, name="initiative-create"),
    path("key-results/<int:pk>/edit/", drafting.key_result_edit, name="key-result-edit"),
    path("key-results/<int:pk>/delete/", drafting.key_result_delete, name="key-result-delete"),
    path("key-results/<int:pk>/check-in/", drafting.check_in, name="check-in"),
    path("initiatives/<int:pk>/edit/", drafting.initiative_edit, name="initiative-edit"),
    path("initiatives/<int:pk>/delete/", drafting.initiative_delete, name="initiative-delete"),
    path("draft-from-kpi/<int:kpi_pk>/", objectives.draft_from_kpi, name="draft-from-kpi"),
    path("map/", alignment.alignment_map, name="alignment-map"),
    path("strategy/", strategy.strategy, name="strategy"),
    path("strategy/pillars/", strategy.pillar_create, name="pillar-create"),
    path("strategy/pillars/<int:pk>/edit/", strategy.pillar_edit, name="pillar-edit"),
    path("strategy/pillars/<int:pk>/move/", strategy.pillar_move, name="pillar-move"),
    path("strategy/pillars/<int:pk>/delete/", strategy.pillar_delete, name="pillar-delete"),
    path("cycles/", strategy.cycle_list, name="cycle-list"),
    path("cycles/<int:pk>/edit/", strategy.cycle_edit, name="cycle-edit"),
    path("cycles/<int:pk>/close/", strategy.cycle_close, name="cycle-close"),
]
