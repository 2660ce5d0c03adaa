"""The OKRs a KPI's page lists: objectives aligned to the KPI (directly, or through one of their
key results) and the key results that follow it, as plain rows; and the board cards' count of
open objectives aligned to each KPI.

PostgreSQL: one hand-written statement each, filtered on the organisation in every table.
Building and compiling the selector querysets cost more than running them (``make bench``, KPI
page and board). Elsewhere (SQLite): the selectors. ``kpis/tests/test_page_data.py`` and
``boards/tests/test_board_page.py`` run both on PostgreSQL and check they agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from kpis.models import KPI
from okrplatform.tenancy.scope import current_organization_id

from . import selectors
from .models import ObjectiveStatus

SHOWN = 20


@dataclass(frozen=True, slots=True)
class AlignedObjective:
    pk: int
    title: str
    team_name: str  # "" for a company objective
    cycle_name: str
    status_label: str


@dataclass(frozen=True, slots=True)
class FollowingKeyResult:
    title: str
    objective_pk: int
    objective_title: str
    cycle_name: str


@dataclass(frozen=True)
class KPIOKRs:
    objectives: list[AlignedObjective]  # newest cycle first, then by title
    key_results: list[FollowingKeyResult]  # by position


SQL = """
SELECT
  (SELECT coalesce(json_agg(json_build_array(id, title, team_name, cycle_name, status)
      ORDER BY start_date DESC, title), '[]')
   FROM (SELECT o.id, o.title, coalesce(t.name, '') AS team_name, c.name AS cycle_name,
           c.start_date, o.status
         FROM goals_objective o
         JOIN goals_cycle c ON c.id = o.cycle_id AND c.organization_id = %(org)s
         LEFT JOIN tenancy_team t ON t.id = o.owner_team_id AND t.organization_id = %(org)s
         WHERE o.organization_id = %(org)s
           AND (EXISTS (SELECT 1 FROM goals_objectivekpi ok WHERE ok.organization_id = %(org)s
                          AND ok.objective_id = o.id AND ok.kpi_id = %(kpi)s)
             OR EXISTS (SELECT 1 FROM goals_keyresult k WHERE k.organization_id = %(org)s
                          AND k.objective_id = o.id AND k.kpi_id = %(kpi)s))
         ORDER BY c.start_date DESC, o.title LIMIT %(shown)s) aligned),
  (SELECT coalesce(json_agg(json_build_array(title, objective_id, objective_title, cycle_name)
      ORDER BY position, id), '[]')
   FROM (SELECT k.id, k.position, k.title, k.objective_id, o.title AS objective_title,
           c.name AS cycle_name
         FROM goals_keyresult k
         JOIN goals_objective o ON o.id = k.objective_id AND o.organization_id = %(org)s
         JOIN goals_cycle c ON c.id = o.cycle_id AND c.organization_id = %(org)s
         WHERE k.organization_id = %(org)s AND k.kpi_id = %(kpi)s
         ORDER BY k.position, k.id LIMIT %(shown)s) following)
"""

STATUS_LABELS = dict(ObjectiveStatus.choices)


def _status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def kpi_okrs_postgresql(kpi: KPI) -> KPIOKRs:
    params = {"org": current_organization_id(), "kpi": kpi.pk, "shown": SHOWN}
    with connection.cursor() as cursor:
        cursor.execute(SQL, params)
        objectives, key_results = cursor.fetchone()
    return KPIOKRs(
        objectives=[
            AlignedObjective(pk, title, team_name, cycle_name, _status_label(status))
            for pk, title, team_name, cycle_name, status in objectives
        ],
        key_results=[FollowingKeyResult(*row) for row in key_results],
    )


def kpi_okrs_portable(kpi: KPI) -> KPIOKRs:
    return KPIOKRs(
        objectives=[
            AlignedObjective(
                objective.pk,
                objective.title,
                objective.owner_team.name if objective.owner_team else "",
                objective.cycle.name,
                objective.get_status_display(),
            )
            for objective in selectors.objectives_of_kpi(kpi)[:SHOWN]
        ],
        key_results=[
            FollowingKeyResult(
                key_result.title,
                key_result.objective_id,
                key_result.objective.title,
                key_result.objective.cycle.name,
            )
            for key_result in selectors.key_results_of_kpi(kpi)[:SHOWN]
        ],
    )


def kpi_okrs(kpi: KPI) -> KPIOKRs:
    """Objectives aligned to ``kpi`` and key results that follow it (at most ``SHOWN`` each)."""
    read = kpi_okrs_postgresql if connection.vendor == "postgresql" else kpi_okrs_portable
    return read(kpi)


# A board's 200 KPI ids go as ONE array parameter: as an ``IN`` list of 200 placeholders the ORM
# query cost ~10 % of the board page (compiling it, binding each id, planning the list).
OPEN_COUNTS_SQL = """
SELECT ok.kpi_id, count(DISTINCT ok.objective_id)
FROM goals_objectivekpi ok
JOIN goals_objective o ON o.id = ok.objective_id AND o.organization_id = %(org)s
WHERE ok.organization_id = %(org)s AND ok.kpi_id = ANY(%(kpis)s) AND o.status <> %(closed)s
GROUP BY ok.kpi_id
"""


def open_objective_counts_postgresql(kpi_ids: Sequence[int]) -> dict[int, int]:
    params: dict[str, Any] = {
        "org": current_organization_id(),
        "kpis": list(kpi_ids),
        "closed": ObjectiveStatus.CLOSED.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(OPEN_COUNTS_SQL, params)
        return dict(cursor.fetchall())


def open_objective_counts(kpi_ids: Sequence[int]) -> dict[int, int]:
    """``{kpi_id: number of draft or active objectives aligned to it}`` in one query (zeros
    omitted), for the "aligned OKRs" figure on board cards (registered in ``GoalsConfig``)."""
    if connection.vendor == "postgresql":
        return open_objective_counts_postgresql(kpi_ids)
    return selectors.open_objective_counts_by_kpi(kpi_ids)
