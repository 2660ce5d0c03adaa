"""Progress and status of objectives as pages show them, computed in Python from rows already
loaded (no query here): a page loads its objectives with their key results in a fixed number of
queries, then this module fills in the numbers.

Each key result gets ``progress`` (0…1), ``percent`` and ``display_status``; each objective gets
the same, its progress the weighted mean of its key results (and, when the organisation says so,
of its initiatives and aligned child objectives), its status the weakest of its key results'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from okrplatform.tenancy.models import Team

from .models import GoalSettings, InitiativeStatus, KeyResultStatus, Objective
from .objective_rows import ObjectiveRow
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
    """Fill in progress and status; ``edges`` (child, parent) let aligned children count.
    The objectives come with their cycle, key results and initiatives loaded."""
    _annotate(
        objectives,
        lambda o: (o.cycle.start_date, o.cycle.end_date, o.key_results.all(), o.initiatives.all()),
        settings,
        edges,
        today,
    )
    return objectives


def annotate_rows(
    rows: Sequence[ObjectiveRow],
    settings: GoalSettings,
    *,
    edges: Iterable[tuple[int, int]] = (),
    today: date | None = None,
) -> Sequence[ObjectiveRow]:
    """The same for the plain rows of ``goals.objective_rows``."""
    _annotate(
        rows,
        lambda r: (r.cycle_start, r.cycle_end, r.key_results, r.initiatives),
        settings,
        edges,
        today,
    )
    return rows


# An objective's cycle start and end, its key results and its initiatives.
_Parts = Callable[[Any], tuple[date, date, Iterable[Any], Iterable[Any]]]


def _annotate(
    objectives: Sequence[Any],
    parts: _Parts,
    settings: GoalSettings,
    edges: Iterable[tuple[int, int]],
    today: date | None,
) -> None:
    today = today or timezone.localdate()
    by_pk = {objective.pk: objective for objective in objectives}
    for objective in objectives:
        start, end, key_results, initiatives = parts(objective)
        expected = expected_progress(start, end, today)
        items: list[tuple[float, Decimal | float]] = []
        statuses: list[str] = []
        for key_result in key_results:
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
                for initiative in initiatives
                if initiative.status != InitiativeStatus.BLOCKED or initiative.progress
            )
        objective.own_items = items
        objective.own_status = weakest_status(statuses)
        objective.expected_percent = percent(expected)
    children: dict[int, list[int]] = {}
    if settings.children_count_towards_progress:
        for child_id, parent_id in edges:
            if child_id in by_pk and parent_id in by_pk:
                children.setdefault(parent_id, []).append(child_id)
    done: dict[int, float | None] = {}
    for objective in objectives:
        _objective_progress(objective, by_pk, children, done, set())


def _objective_progress(
    objective: Any,
    by_pk: dict[int, Any],
    children: dict[int, list[int]],
    done: dict[int, float | None],
    visiting: set[int],
) -> float | None:
    if objective.pk in done:
        return done[objective.pk]
    visiting.add(objective.pk)
    items: list[tuple[float, Decimal | float]] = list(objective.own_items)
    for child_id in children.get(objective.pk, []):
        if child_id in visiting:  # the services refuse loops; never recurse forever regardless
            continue
        child_progress = _objective_progress(by_pk[child_id], by_pk, children, done, visiting)
        if child_progress is not None:
            items.append((child_progress, 1.0))
    visiting.discard(objective.pk)
    value = weighted_mean(items)
    _set(objective, value, objective.own_status)
    objective.has_progress = value is not None
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


def group_rows_by_owner(
    rows: Iterable[ObjectiveRow],
) -> list[tuple[str | None, list[ObjectiveRow], int]]:
    """``group_by_owner`` for plain rows: (team name or None for the company, rows, percent)."""
    company: list[ObjectiveRow] = []
    teams: dict[int, tuple[str, list[ObjectiveRow]]] = {}
    for row in rows:
        if row.owner_team_id is None:
            company.append(row)
        else:
            teams.setdefault(row.owner_team_id, (row.team_name or "", []))[1].append(row)
    owners: list[tuple[str | None, list[ObjectiveRow]]] = [(None, company)] if company else []
    by_name = sorted(teams.values(), key=lambda pair: pair[0].lower())
    owners.extend(by_name)
    return [
        (name, members, percent(weighted_mean((row.progress, 1.0) for row in members)))
        for name, members in owners
    ]
