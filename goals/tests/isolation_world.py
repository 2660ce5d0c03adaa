"""The OKR objects in the tenant-isolation suite's world (tests/isolation/world.py), and how to
fill the goals URLs' kwargs with them (merged into OBJECT_KWARGS in test_isolation.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from goals.models import CycleStatus, ObjectiveAlignment, ObjectiveKPI
from goals.tests.factories import (
    CheckInFactory,
    CycleFactory,
    GoalsKPIFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    PillarFactory,
)


def extend_world(world: Any, marker: str) -> None:
    """A current cycle with a company objective and a team objective aligned to it and to an
    unhealthy KPI, with a key result, a check-in and an initiative, all carrying ``marker``."""
    organization = world.organization
    today = date.today()
    cycle = CycleFactory(
        organization=organization,
        name=f"{marker} Quarter",
        start_date=date(today.year, 1, 1),
        end_date=date(today.year, 12, 31),
        status=CycleStatus.ACTIVE,
    )
    pillar = PillarFactory(organization=organization, name=f"{marker} Pillar")
    company = ObjectiveFactory(
        organization=organization, cycle=cycle, title=f"{marker} Company objective", pillar=pillar
    )
    objective = ObjectiveFactory(
        organization=organization,
        cycle=cycle,
        title=f"{marker} Team objective",
        owner_team=world.team,
        lead=world.member.user,
    )
    ObjectiveAlignment.unscoped.create(organization=organization, child=objective, parent=company)
    kpi = GoalsKPIFactory(
        organization=organization,
        name=f"{marker} OKR KPI",
        owner_team=world.team,
        health="unhealthy",
        latest_value=52,
    )
    ObjectiveKPI.unscoped.create(organization=organization, objective=objective, kpi=kpi)
    key_result = KeyResultFactory(
        objective=objective, title=f"{marker} Key result", current_value=20
    )
    CheckInFactory(
        key_result=key_result,
        value=20,
        comment=f"{marker} check-in",
        created_at=datetime(today.year, 1, 15, tzinfo=UTC),
    )
    initiative = InitiativeFactory(
        objective=objective, key_result=key_result, title=f"{marker} Initiative"
    )
    world.extra.update(
        okr_cycle=cycle,
        okr_pillar=pillar,
        okr_objective=objective,
        okr_key_result=key_result,
        okr_initiative=initiative,
        okr_kpi=kpi,
    )


OBJECT_KWARGS: dict[str, Any] = {
    "goals:objective-detail": lambda w: {"pk": w.okr_objective.pk},
    "goals:objective-edit": lambda w: {"pk": w.okr_objective.pk},
    "goals:objective-delete": lambda w: {"pk": w.okr_objective.pk},
    "goals:key-result-create": lambda w: {"pk": w.okr_objective.pk},
    "goals:initiative-create": lambda w: {"pk": w.okr_objective.pk},
    "goals:key-result-edit": lambda w: {"pk": w.okr_key_result.pk},
    "goals:key-result-delete": lambda w: {"pk": w.okr_key_result.pk},
    "goals:check-in": lambda w: {"pk": w.okr_key_result.pk},
    "goals:initiative-edit": lambda w: {"pk": w.okr_initiative.pk},
    "goals:initiative-delete": lambda w: {"pk": w.okr_initiative.pk},
    "goals:draft-from-kpi": lambda w: {"kpi_pk": w.okr_kpi.pk},
    "goals:pillar-edit": lambda w: {"pk": w.okr_pillar.pk},
    "goals:pillar-move": lambda w: {"pk": w.okr_pillar.pk},
    "goals:pillar-delete": lambda w: {"pk": w.okr_pillar.pk},
    "goals:cycle-edit": lambda w: {"pk": w.okr_cycle.pk},
    "goals:cycle-close": lambda w: {"pk": w.okr_cycle.pk},
}
