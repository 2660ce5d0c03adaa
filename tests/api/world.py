"""Every kind of object the API serves, for one organisation, with the marker in its text."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from boards.models import Board, BoardItem, BoardSection
from goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective, StrategicPillar
from kpis.models import KPI, Health, KPITarget, KPIValue
from okrplatform.api.models import APIKeyScope
from okrplatform.api.services import api_key_create


def api_world_extend(world, marker: str) -> None:
    organization = world.organization
    slug = organization.slug
    made = {"organization": organization}

    def create(model, **fields):
        return model.unscoped.create(**made, **fields)

    kpi = create(
        KPI,
        name=f"{marker} API reply time",
        key=f"{slug}-{marker.lower()}-reply-time",
        health=Health.UNHEALTHY,
        health_since=timezone.now() - timedelta(days=3),
        latest_value=Decimal("52"),
        latest_value_at=timezone.now() - timedelta(days=1),
        owner_team=world.team,
    )
    create(KPITarget, kpi=kpi, kind="at_most", upper=Decimal("30"), effective_from=date(2020, 1, 1))
    value = create(
        KPIValue,
        kpi=kpi,
        timestamp=timezone.now() - timedelta(days=1),
        value=52,
        note=f"{marker} note",
    )
    board = create(Board, name=f"{marker} API Board", description=f"{marker} board")
    section = create(BoardSection, board=board, title=f"{marker} Section")
    create(BoardItem, board=board, kpi=kpi, section=section)
    pillar = create(StrategicPillar, name=f"{marker} API Pillar")
    today = timezone.localdate()
    cycle = create(
        Cycle,
        name=f"{marker} API Q",
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=60),
    )
    objective = create(Objective, title=f"{marker} API Objective", cycle=cycle, pillar=pillar)
    key_result = create(
        KeyResult,
        objective=objective,
        title=f"{marker} KR",
        start_value=0,
        target_value=10,
        current_value=4,
    )
    initiative = create(
        Initiative, objective=objective, key_result=key_result, title=f"{marker} Work"
    )
    check_in = create(
        CheckIn,
        key_result=key_result,
        value=4,
        comment=f"{marker} check-in",
        created_at=timezone.now(),
    )
    issued = api_key_create(actor=world.owner, name=f"{marker} key", scope=APIKeyScope.READ_WRITE)
    world.extra.update(
        api_kpi=kpi,
        api_value=value,
        api_board=board,
        api_pillar=pillar,
        api_cycle=cycle,
        api_objective=objective,
        api_key_result=key_result,
        api_initiative=initiative,
        api_check_in=check_in,
        api_key=issued.api_key,
        api_secret=issued.secret,
    )
