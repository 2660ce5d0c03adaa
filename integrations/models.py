"""Integrations: connections an admin configures once, data sources binding a KPI to one, and the
runs that pull values on a schedule.

Credentials are stored only as ciphertext bound to the organisation (see ``crypto``); no field
here ever holds a secret in clear.
"""

from __future__ import annotations

import uuid

from django.conf import settings as django_settings
from django.db import models

from okrplatform.tenancy.scope import TenantModel


class Provider(models.TextChoices):
    HTTP_JSON = "http_json", "HTTP JSON API"
    CSV = "csv", "CSV over HTTP"
    SQL = "sql", "SQL database"
    PROMETHEUS = "prometheus", "Prometheus"
    PUSH = "push", "Inbound push"


class Integration(TenantModel):
    provider = models.CharField(max_length=20, choices=Provider.choices)
    name = models.CharField(max_length=120)
    settings = models.JSONField(default=dict, blank=True, help_text="Validated per provider")
    # Fernet token over {organization id, credentials}; write-only from the UI's point of view.
    credentials_ciphertext = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="integration_name_unique_per_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"

    def __repr__(self) -> str:  # never the ciphertext, not even in a debug page or a log line
        return f"<Integration {self.pk} {self.provider} {self.name!r}>"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_ciphertext)


class ScheduleKind(models.TextChoices):
    INTERVAL = "interval", "Every N minutes"
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily at a time (UTC)"
    CRON = "cron", "Cron expression (UTC)"
    NONE = "none", "Never (push or manual only)"


class SourceStatus(models.TextChoices):
    OK = "ok", "OK"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"


class DataSource(TenantModel):
    """Binds one KPI to an integration: what to extract, when, and how it has been going."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="data_sources"
    )
    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="data_sources")
    extraction = models.JSONField(default=dict, blank=True, help_text="Validated per provider")

    schedule_kind = models.CharField(
        max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.HOURLY
    )
    schedule_interval_minutes = models.PositiveIntegerField(default=60)
    schedule_time = models.TimeField(null=True, blank=True)
    schedule_cron = models.CharField(max_length=120, blank=True)
    enabled = models.BooleanField(default=True)

    next_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=SourceStatus.choices, default=SourceStatus.OK)

    # Inbound push: the public URL carries this id; the secret (encrypted like credentials)
    # authenticates the sender by bearer token or HMAC signature.
    push_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    push_secret_ciphertext = models.TextField(blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kpi__name", "pk"]
        indexes = [
            models.Index(fields=["organization", "integration"], name="source_org_integration_idx"),
            models.Index(fields=["organization", "kpi"], name="source_org_kpi_idx"),
            # The dispatcher's claim runs across all organisations (it is the scheduler), so this
            # one index leads with the due time rather than the organisation.
            models.Index(
                fields=["next_run_at"], condition=models.Q(enabled=True), name="source_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} ← {self.integration.name}"

    def __repr__(self) -> str:
        return f"<DataSource {self.pk} kpi={self.kpi_id} integration={self.integration_id}>"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Sync now"
    BACKFILL = "backfill", "Backfill"


class SyncRun(TenantModel):
    """One attempt-set at one scheduled slot of one data source (unique per slot)."""

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField()
    trigger = models.CharField(
        max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    values_written = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "data_source", "scheduled_for"],
                name="sync_run_unique_per_slot",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "data_source", "-scheduled_for"], name="sync_run_log_idx"
            ),
            # The sweeper looks across organisations for runs whose lease ran out.
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="sync_run_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Run {self.pk} of source {self.data_source_id} at {self.scheduled_for:%Y-%m-%d %H:%M}"
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
