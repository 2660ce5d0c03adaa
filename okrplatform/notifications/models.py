"""In-app notices to one person of one organisation, also sent by email.

A platform feature: any app tells people something through ``notifications.services``. Each
notice carries the change it reports as ``dedupe_key`` (e.g. "kpi-unhealthy:12:2026-03-01"), unique
per recipient, so the same change is never announced twice however many runs or writes see it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from okrplatform.tenancy.scope import TenantModel


class NotificationKind(models.TextChoices):
    KPI_UNHEALTHY = "kpi_unhealthy", "KPI turned unhealthy"
    SOURCE_FAILING = "source_failing", "Data source needs attention"


class Notification(TenantModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # The page the notice is about: a URL name of the organisation's pages and its arguments
    # after the organisation's slug, made a path on render (``link``), so a renamed
    # organisation's notices still lead somewhere.
    link_name = models.CharField(max_length=100, blank=True)
    link_args = models.JSONField(default=list, blank=True)
    dedupe_key = models.CharField(max_length=200, help_text="The change this notice reports")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the email task claims the notice: an email goes out at most once per notice.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # When the email sweeper should next look at the notice if it is still unsent (its message
    # lost to a broker outage, or its retries spent): creation, then pushed back by each sweep.
    email_due_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recipient", "dedupe_key"],
                name="notification_once_per_change",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "recipient", "-created_at"], name="notification_inbox_idx"
            ),
            # The bell in the top bar counts these on every page.
            models.Index(
                fields=["organization", "recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The email sweeper's scan (every minute): only unsent notices are in it.
            models.Index(
                fields=["email_due_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link(self) -> str:
        """The page's path under the organisation's slug as it is now ("" when there is none,
        or when the page no longer exists). Select the organisation with the notices."""
        if not self.link_name:
            return ""
        try:
            return reverse(self.link_name, args=[self.organization.slug, *self.link_args])
        except NoReverseMatch:
            return ""
