"""Reads of platform health: is every queue's canary being answered?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat


@dataclass(frozen=True)
class QueueHealth:
    queue: str
    answered_at: datetime | None
    age_seconds: float | None  # None: never answered
    healthy: bool


def canary_queues() -> list[str]:
    return list(settings.WORKER_CANARY_QUEUES)


def max_heartbeat_age() -> timedelta:
    return timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)


def worker_health(*, now: datetime | None = None) -> list[QueueHealth]:
    """One entry per probed queue; healthy when its canary was answered recently enough."""
    now = now or timezone.now()
    rows = WorkerHeartbeat.objects.filter(queue__in=canary_queues())
    answered = dict(rows.values_list("queue", "answered_at"))
    health = []
    for queue in canary_queues():
        answered_at = answered.get(queue)
        age = (now - answered_at).total_seconds() if answered_at else None
        healthy = age is not None and age <= max_heartbeat_age().total_seconds()
        health.append(QueueHealth(queue, answered_at, age, healthy))
    return health
