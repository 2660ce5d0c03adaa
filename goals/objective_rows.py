"""The one read behind the OKR cycle page and the alignment map: objectives with everything their
cards and map nodes show, as plain rows. Two implementations return the same rows.

- PostgreSQL: one hand-written query; key results, aligned KPIs, parents and initiatives come as
  a ``json_agg`` per objective. Why not the ORM: a cycle of 300 objectives and 1,000 key results
  built ≈ 3,250 model instances through five prefetches, a third of the page's time
  (``make bench``, README "What the profiles found").
- Anywhere else (SQLite): the ORM's ``values_list``, one query per relation (five in all), so
  the number of queries stays constant there too.

``goals/tests/test_objective_rows.py`` runs both on PostgreSQL and checks they agree. Tenancy
fails closed in both: the SQL takes the organisation from ``current_organization_id()``, which
raises when none is bound, and filters every table it reads on it.

Progress and status are not here: ``goals.rollup.annotate_rows`` fills them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from kpis.models import KPI
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.scope import current_organization_id

from .models import (
    Cycle,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveAlignment,
    ObjectiveKPI,
    ObjectiveStatus,
    StrategicPillar,
)


@dataclass(slots=True)
class KeyResultRow:
    pk: int
    title: str
    kind: str
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal | None
    weight: Decimal
    status: str
    control_direction: str
    kpi_name: str | None
    # Filled in by goals.rollup:
    progress: float = 0.0
    percent: int = 0
    display_status: str = ""
    display_status_label: str = ""


@dataclass(slots=True)
class KPIChip:
    pk: int
    name: str
    health: str


@dataclass(slots=True)
class ParentLink:
    pk: int
    title: str


@dataclass(slots=True)
class InitiativeRow:
    status: str
    progress: int


@dataclass(slots=True)
class ObjectiveRow:
    pk: int
    title: str
    status: str
    cycle_id: int
    cycle_status: str
    cycle_start: date
    cycle_end: date
    owner_team_id: int | None
    team_name: str | None
    lead_id: int | None
    lead_name: str | None
    pillar_id: int | None
    pillar_name: str | None
    key_results: list[KeyResultRow] = field(default_factory=list)
    kpis: list[KPIChip] = field(default_factory=list)  # by name
    parents: list[ParentLink] = field(default_factory=list)  # by title
    initiatives: list[InitiativeRow] = field(default_factory=list)
    # Filled in by goals.rollup:
    progress: float = 0.0
    percent: int = 0
    display_status: str = ""
    display_status_label: str = ""
    has_progress: bool = False
    expected_percent: int = 0
    own_items: list[tuple[float, Decimal | float]] = field(default_factory=list)
    own_status: str = ""

    @property
    def is_open(self) -> bool:
        return self.cycle_status != "closed"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which objectives: of these cycles, or these primary keys (None: any; empty: none); then
    the cycle page's filters."""

    cycle_ids: Sequence[int] | None = None
    pks: Sequence[int] | None = None
    team_id: int | None = None
    company_only: bool = False
    lead_id: int | None = None
    status: str | None = None


def edges_of(rows: Sequence[ObjectiveRow]) -> list[tuple[int, int]]:
    """(child, parent) pairs of the rows' own alignments: what ``annotate_rows`` needs when every
    objective that counts is among the rows (the cycle page), without another query."""
    return [(row.pk, parent.pk) for row in rows for parent in row.parents]


# --- PostgreSQL ---------------------------------------------------------------------------------

_TABLES = {
    "objective": Objective._meta.db_table,
    "cycle": Cycle._meta.db_table,
    "team": Team._meta.db_table,
    "user": get_user_model()._meta.db_table,
    "pillar": StrategicPillar._meta.db_table,
    "key_result": KeyResult._meta.db_table,
    "kpi": KPI._meta.db_table,
    "objective_kpi": ObjectiveKPI._meta.db_table,
    "alignment": ObjectiveAlignment._meta.db_table,
    "initiative": Initiative._meta.db_table,
}

# Numbers go into JSON as text so that they come back as exact Decimals (a float would shift a
# percentage at a rounding edge). Users are not tenant rows; the lead is joined by id alone.
_SQL = """
SELECT o.id, o.title, o.status, o.cycle_id, c.status, c.start_date, c.end_date,
       o.owner_team_id, t.name, o.lead_id, u.full_name, o.pillar_id, p.name,
  (SELECT json_agg(json_build_array(kr.id, kr.title, kr.kind, kr.start_value::text,
                                    kr.target_value::text, kr.current_value::text,
                                    kr.weight::text, kr.status, kr.control_direction, kk.name)
                   ORDER BY kr.position, kr.id)
   FROM {key_result} kr
   LEFT JOIN {kpi} kk ON kk.id = kr.kpi_id AND kk.organization_id = %(org)s
   WHERE kr.organization_id = %(org)s AND kr.objective_id = o.id),
  (SELECT json_agg(json_build_array(k.id, k.name, k.health) ORDER BY k.name, k.id)
   FROM {objective_kpi} ok JOIN {kpi} k ON k.id = ok.kpi_id AND k.organization_id = %(org)s
   WHERE ok.organization_id = %(org)s AND ok.objective_id = o.id),
  (SELECT json_agg(json_build_array(po.id, po.title) ORDER BY po.title, po.id)
   FROM {alignment} oa JOIN {objective} po ON po.id = oa.parent_id AND po.organization_id = %(org)s
   WHERE oa.organization_id = %(org)s AND oa.child_id = o.id),
  (SELECT json_agg(json_build_array(i.status, i.progress) ORDER BY i.id)
   FROM {initiative} i
   WHERE i.organization_id = %(org)s AND i.objective_id = o.id)
FROM {objective} o
JOIN {cycle} c ON c.id = o.cycle_id AND c.organization_id = %(org)s
LEFT JOIN {team} t ON t.id = o.owner_team_id AND t.organization_id = %(org)s
LEFT JOIN {user} u ON u.id = o.lead_id
LEFT JOIN {pillar} p ON p.id = o.pillar_id AND p.organization_id = %(org)s
WHERE o.organization_id = %(org)s {filters}
ORDER BY t.name, o.title, o.id
"""


def _sql_filters(filters: Filters, params: dict[str, Any]) -> str:
    clauses = []
    if filters.cycle_ids is not None:
        params["cycles"] = list(filters.cycle_ids)
        clauses.append("o.cycle_id = ANY(%(cycles)s)")
    if filters.pks is not None:
        params["pks"] = list(filters.pks)
        clauses.append("o.id = ANY(%(pks)s)")
    if filters.company_only:
        clauses.append("o.owner_team_id IS NULL")
    elif filters.team_id is not None:
        params["team"] = filters.team_id
        clauses.append("o.owner_team_id = %(team)s")
    if filters.lead_id is not None:
        params["lead"] = filters.lead_id
        clauses.append("o.lead_id = %(lead)s")
    if filters.status in ObjectiveStatus.values:
        params["status"] = filters.status
        clauses.append("o.status = %(status)s")
    return "".join(f" AND {clause}" for clause in clauses)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _key_result(item: list[Any]) -> KeyResultRow:
    """A key result from its JSON array (numbers as text, see ``_SQL``)."""
    pk, title, kind, start, target, current, weight, status, control, kpi_name = item
    return KeyResultRow(
        pk, title, kind, Decimal(start), Decimal(target), _decimal(current), Decimal(weight),
        status, control, kpi_name,
    )  # fmt: skip


def rows_postgresql(filters: Filters) -> list[ObjectiveRow]:
    params: dict[str, Any] = {"org": current_organization_id()}
    sql = _SQL.format(filters=_sql_filters(filters, params), **_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = []
    for *columns, key_results, kpis, parents, initiatives in fetched:
        row = ObjectiveRow(*columns)
        row.key_results = [_key_result(item) for item in key_results or []]
        row.kpis = [KPIChip(*kpi) for kpi in kpis or []]
        row.parents = [ParentLink(*parent) for parent in parents or []]
        row.initiatives = [InitiativeRow(*initiative) for initiative in initiatives or []]
        rows.append(row)
    return rows


# --- Portable -----------------------------------------------------------------------------------


def _orm_filter(filters: Filters) -> Q:
    condition = Q()
    if filters.cycle_ids is not None:
        condition &= Q(cycle_id__in=list(filters.cycle_ids))
    if filters.pks is not None:
        condition &= Q(pk__in=list(filters.pks))
    if filters.company_only:
        condition &= Q(owner_team__isnull=True)
    elif filters.team_id is not None:
        condition &= Q(owner_team_id=filters.team_id)
    if filters.lead_id is not None:
        condition &= Q(lead_id=filters.lead_id)
    if filters.status in ObjectiveStatus.values:
        condition &= Q(status=filters.status)
    return condition


def rows_portable(filters: Filters) -> list[ObjectiveRow]:
    objectives = Objective.objects.filter(_orm_filter(filters))
    rows = [
        ObjectiveRow(*columns)
        for columns in objectives.order_by("owner_team__name", "title", "pk").values_list(
            "pk", "title", "status", "cycle_id", "cycle__status", "cycle__start_date",
            "cycle__end_date", "owner_team_id", "owner_team__name", "lead_id", "lead__full_name",
            "pillar_id", "pillar__name",
        )
    ]  # fmt: skip
    if not rows:
        return rows
    by_pk = {row.pk: row for row in rows}
    ids = objectives.values("pk")
    for objective_id, *columns in (
        KeyResult.objects.filter(objective__in=ids)
        .order_by("position", "pk")
        .values_list(
            "objective_id", "pk", "title", "kind", "start_value", "target_value",
            "current_value", "weight", "status", "control_direction", "kpi__name",
        )
    ):  # fmt: skip
        by_pk[objective_id].key_results.append(KeyResultRow(*columns))
    for objective_id, *columns in (
        ObjectiveKPI.objects.filter(objective__in=ids)
        .order_by("kpi__name", "kpi_id")
        .values_list("objective_id", "kpi_id", "kpi__name", "kpi__health")
    ):
        by_pk[objective_id].kpis.append(KPIChip(*columns))
    for objective_id, *columns in (
        ObjectiveAlignment.objects.filter(child__in=ids)
        .order_by("parent__title", "parent_id")
        .values_list("child_id", "parent_id", "parent__title")
    ):
        by_pk[objective_id].parents.append(ParentLink(*columns))
    for objective_id, *columns in (
        Initiative.objects.filter(objective__in=ids)
        .order_by("pk")
        .values_list("objective_id", "status", "progress")
    ):
        by_pk[objective_id].initiatives.append(InitiativeRow(*columns))
    return rows


def objective_rows(filters: Filters) -> list[ObjectiveRow]:
    """The objectives ``filters`` select, ordered by owner team name (company last), title, pk."""
    query = rows_postgresql if connection.vendor == "postgresql" else rows_portable
    return query(filters)
