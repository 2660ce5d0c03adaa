"""Platform health, not tenant data: no organisation, nothing a tenant can see."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """When a worker last answered the canary on one queue.

    Beat sends a canary to every queue each interval; whichever worker consumes it stamps this
    row. A worker that is alive (it answers pings) but no longer consuming leaves it to age,
    which is what ``/healthz/worker`` reports.
    """

    queue = models.CharField(max_length=200, unique=True)
    answered_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["queue"]

    def __str__(self) -> str:
        return f"{self.queue} answered at {self.answered_at:%Y-%m-%d %H:%M:%S}"
