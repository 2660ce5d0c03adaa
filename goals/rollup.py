"""Progress and status of objectives as pages show them, computed in Python from rows already
loaded (no query here): a page loads its objectives with their key results in a fixed number of
queries, then this module fills in the numbers.

Each key result gets ``progress`` (0…1), ``percent`` and ``display_status``; each objective gets
the same, its progress the weighted mean of its key results (and, when the organisation says so,
of its initiatives and aligned child objectives), its status the weakest of its key results'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from okrplatform.tenancy.models import Team

from .models import GoalSettings, InitiativeStatus, KeyResultStatus, Objective
from .progress import (
    expected_progress,
    key_result_pace_status,
    key_result_progress,
    percent,
    weakest_status,
    weighted_mean,
)

STATUS_LABELS = dict(KeyResultStatus.choices)


def annotate_objectives(
    objectives: Sequence[Objective],
    settings: GoalSettings,
    *,
    edges: Iterable[tuple[int, int]] = (),
    today: date | None = None,
) -> Sequence[Objective]:
    """Fill in progress and status; ``edges`` (child, parent) let aligned children count."""
    today = today or timezone.localdate()
    by_pk = {objective.pk: objective for objective in objectives}
    for objective in objectives:
        cycle = objective.cycle
        expected = expected_progress(cycle.start_date, cycle.end_date, today)
        items: list[tuple[float, Decimal | float]] = []
        statuses: list[str] = []
        for key_result in objective.key_results.all():
            value = key_result_progress(key_result)
            status = (
                key_result_pace_status(key_result, expected)
                if settings.automatic_status
                else key_result.status
            )
            _set(key_result, value, status)
            items.append((value, key_result.weight))
            statuses.append(status)
        if settings.initiatives_count_towards_progress:
            items.extend(
                (initiative.progress / 100, 1.0)
                for initiative in objective.initiatives.all()
                if initiative.status != InitiativeStatus.BLOCKED or initiative.progress
            )
        objective.own_items = items  # type: ignore[attr-defined]
        objective.own_status = weakest_status(statuses)  # type: ignore[attr-defined]
        objective.expected_percent = percent(expected)  # type: ignore[attr-defined]
    children: dict[int, list[int]] = {}
    if settings.children_count_towards_progress:
        for child_id, parent_id in edges:
            if child_id in by_pk and parent_id in by_pk:
                children.setdefault(parent_id, []).append(child_id)
    done: dict[int, float | None] = {}
    for objective in objectives:
        _objective_progress(objective, by_pk, children, done, set())
    return objectives


def _objective_progress(
    objective: Objective,
    by_pk: dict[int, Objective],
    children: dict[int, list[int]],
    done: dict[int, float | None],
    visiting: set[int],
) -> float | None:
    if objective.pk in done:
        return done[objective.pk]
    visiting.add(objective.pk)
    items: list[tuple[float, Decimal | float]] = list(objective.own_items)  # type: ignore[attr-defined]
    for child_id in children.get(objective.pk, []):
        if child_id in visiting:  # the services refuse loops; never recurse forever regardless
            continue
        child_progress = _objective_progress(by_pk[child_id], by_pk, children, done, visiting)
        if child_progress is not None:
            items.append((child_progress, 1.0))
    visiting.discard(objective.pk)
    value = weighted_mean(items)
    _set(objective, value, objective.own_status)  # type: ignore[attr-defined]
    objective.has_progress = value is not None  # type: ignore[attr-defined]
    done[objective.pk] = value
    return value


def _set(item: Any, value: float | None, status: str) -> None:
    item.progress = value or 0.0
    item.percent = percent(value)
    item.display_status = status
    item.display_status_label = STATUS_LABELS.get(status, "No status")


def group_by_owner(objectives: Iterable[Objective]) -> list[dict[str, Any]]:
    """Company objectives first, then each team's, teams by name."""
    company: list[Objective] = []
    teams: dict[int, tuple[Team, list[Objective]]] = {}
    for objective in objectives:
        if objective.owner_team is None:
            company.append(objective)
        else:
            teams.setdefault(objective.owner_team.pk, (objective.owner_team, []))[1].append(
                objective
            )
    owners: list[tuple[Team | None, list[Objective]]] = [(None, company)] if company else []
    team_groups = sorted(teams.values(), key=lambda pair: pair[0].name.lower())
    owners.extend(team_groups)
    return [
        {
            "team": team,
            "objectives": members,
            "percent": percent(weighted_mean((getattr(o, "progress", 0.0), 1.0) for o in members)),
        }
        for team, members in owners
    ]
