"""The worker canary: beat sends one to every queue, the worker that takes it stamps the time."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from . import services


@shared_task(bind=True, name="okrplatform.health.canary", ignore_result=True)
def canary(self: Task[Any, Any]) -> None:
    delivery = self.request.delivery_info or {}
    services.worker_heartbeat_record(
        queue=str(delivery.get("routing_key") or "default"),
        hostname=str(self.request.hostname or ""),
    )
