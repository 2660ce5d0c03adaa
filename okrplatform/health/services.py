"""Writes of platform health rows."""

from __future__ import annotations

from django.utils import timezone

from .models import WorkerHeartbeat


def worker_heartbeat_record(*, queue: str, hostname: str = "") -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"answered_at": timezone.now(), "hostname": hostname[:255]}
    )
    return heartbeat
