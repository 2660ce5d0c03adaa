"""The organisation's strategy (ultimate goal, strategic pillars) and its OKR settings."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from goals.models import GoalSettings, StrategicPillar
from okrplatform.tenancy.models import Membership

from .checks import required_text
from .permissions import require_admin


def _clean_name(name: str) -> str:
    return required_text(name, "Give the pillar a name.", field="name")


@transaction.atomic
def pillar_create(*, actor: Membership, name: str, description: str = "") -> StrategicPillar:
    require_admin(actor, "change the strategy")
    last = StrategicPillar.objects.aggregate(last=Max("position"))["last"]
    return StrategicPillar.objects.create(
        organization_id=actor.organization_id,
        name=_clean_name(name),
        description=description.strip(),
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def pillar_update(
    *, actor: Membership, pillar: StrategicPillar, name: str, description: str = ""
) -> StrategicPillar:
    require_admin(actor, "change the strategy")
    pillar.name = _clean_name(name)
    pillar.description = description.strip()
    pillar.save(update_fields=["name", "description"])
    return pillar


@transaction.atomic
def pillar_move(*, actor: Membership, pillar: StrategicPillar, offset: int) -> None:
    """Move a pillar up (-1) or down (+1) in the order; positions are renumbered 0…n-1."""
    require_admin(actor, "change the strategy")
    pillars = list(StrategicPillar.objects.select_for_update().order_by("position", "name"))
    index = next(i for i, p in enumerate(pillars) if p.pk == pillar.pk)
    target = max(0, min(len(pillars) - 1, index + offset))
    pillars.insert(target, pillars.pop(index))
    for position, each in enumerate(pillars):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])


@transaction.atomic
def pillar_delete(*, actor: Membership, pillar: StrategicPillar) -> None:
    require_admin(actor, "change the strategy")
    pillar.delete()


@transaction.atomic
def goal_settings_update(
    *,
    actor: Membership,
    automatic_status: bool,
    initiatives_count_towards_progress: bool,
    children_count_towards_progress: bool,
) -> GoalSettings:
    require_admin(actor, "change the OKR settings")
    settings, _created = GoalSettings.objects.update_or_create(
        organization_id=actor.organization_id,
        defaults={
            "automatic_status": automatic_status,
            "initiatives_count_towards_progress": initiatives_count_towards_progress,
            "children_count_towards_progress": children_count_towards_progress,
        },
    )
    return settings
