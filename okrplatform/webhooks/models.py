"""Outbound webhooks: an admin subscribes a URL to events; each event makes one delivery row
per subscription (the outbox), which a Celery task sends and logs.

The signing secret is stored encrypted (``integrations.crypto``, bound to the organisation):
it must be read back to sign, so it cannot be a hash; it is shown to the admin once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from okrplatform.tenancy.scope import TenantModel


class WebhookEvent(models.TextChoices):
    KPI_HEALTH_CHANGED = "kpi.health_changed", "A KPI's health changed"
    KPI_VALUE_RECORDED = "kpi.value_recorded", "KPI values were recorded"
    OBJECTIVE_CREATED = "objective.created", "An objective was created"
    OBJECTIVE_STATUS_CHANGED = "objective.status_changed", "An objective's status changed"
    CHECKIN_CREATED = "checkin.created", "A check-in was recorded"
    SYNC_FAILED = "sync.failed", "A sync run failed"


class WebhookSubscription(TenantModel):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event names (WebhookEvent values)")
    active = models.BooleanField(default=True)
    secret_ciphertext = models.TextField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "active"], name="webhook_sub_org_active_idx")
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def __repr__(self) -> str:  # never the ciphertext
        return f"<WebhookSubscription {self.pk} {self.url!r}>"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event sent (or being sent) to one subscription, with its attempts' outcome."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    # The event's id: a replay keeps it, so a receiver can tell a replay from a new event.
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due (a new row: now; after a transient failure: after the
    # backoff; during an attempt: the attempt's lease); None once final. The sweeper re-sends
    # unfinished deliveries left past it, so a message the broker lost delays a delivery only.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organization", "subscription", "-created_at"],
                name="webhook_delivery_log_idx",
            ),
            models.Index(fields=["organization", "-created_at"], name="webhook_delivery_org_idx"),
            # The sweeper's scan, across organisations (like integrations' source_due_idx).
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="webhook_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"
