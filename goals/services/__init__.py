"""Writes for OKRs: keyword-only, atomic, raising ``DomainError`` (naming the field) or
``PermissionDeniedError``. Who may change what: ``goals.services.permissions``."""

from .cycles import cycle_close, cycle_create, cycle_update
from .drafting import objective_draft_from_kpi
from .key_results import (
    check_in_create,
    initiative_create,
    initiative_delete,
    initiative_update,
    key_result_create,
    key_result_delete,
    key_result_repeats_last_cycle,
    key_result_update,
    key_results_follow_kpi,
)
from .objectives import (
    objective_align,
    objective_align_kpi,
    objective_create,
    objective_delete,
    objective_update,
)
from .permissions import objective_can_edit, objective_editor, team_ids_of
from .strategy import (
    goal_settings_update,
    pillar_create,
    pillar_delete,
    pillar_move,
    pillar_update,
)

__all__ = [
    "check_in_create",
    "cycle_close",
    "cycle_create",
    "cycle_update",
    "goal_settings_update",
    "initiative_create",
    "initiative_delete",
    "initiative_update",
    "key_result_create",
    "key_result_delete",
    "key_result_repeats_last_cycle",
    "key_result_update",
    "key_results_follow_kpi",
    "objective_align",
    "objective_align_kpi",
    "objective_can_edit",
    "objective_create",
    "objective_delete",
    "objective_draft_from_kpi",
    "objective_editor",
    "objective_update",
    "pillar_create",
    "pillar_delete",
    "pillar_move",
    "pillar_update",
    "team_ids_of",
]
