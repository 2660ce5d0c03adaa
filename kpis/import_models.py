"""The server-side copy of a CSV import between its preview and its confirmation.

The confirm step posts nothing but this row's id: the points it writes are the ones parsed and
checked when the file was uploaded, never values sent back by the browser. The row belongs to
the organisation and to the person who uploaded it, and expires after a while.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from okrplatform.tenancy.scope import TenantModel

IMPORT_PREVIEW_LIFETIME = timedelta(hours=2)


def _preview_expiry() -> object:
    return timezone.now() + IMPORT_PREVIEW_LIFETIME


class KPIImport(TenantModel):
    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        APPLIED = "applied", "Imported"

    # Set for a file of one KPI's history (uploaded from its page); empty for a multi-KPI file.
    kpi = models.ForeignKey(
        "kpis.KPI", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    date_format = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows_read = models.PositiveIntegerField(default=0)
    rows_with_errors = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    create_count = models.PositiveIntegerField(default=0)
    update_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    # [[row, column, message], ...]: the first errors, for the preview.
    errors = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    # [[kpi_id, ISO timestamp, value as text, note], ...]: what the confirm step writes.
    points = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_preview_expiry)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "KPI import"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "expires_at"], name="kpi_import_org_expiry_idx")
        ]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"

    @property
    def point_count(self) -> int:
        return self.create_count + self.update_count + self.unchanged_count

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
