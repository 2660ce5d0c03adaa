"""The integrations pages' objects and URL kwargs in the tenant-isolation suite."""

from __future__ import annotations

from typing import Any

from integrations.crypto import secret_encrypt
from integrations.tests.factories import DataSourceFactory, IntegrationFactory, SyncRunFactory
from tests.factories import KPIFactory


def extend_world(world: Any, marker: str) -> None:
    """A connection with credentials, a data source bound to a KPI, and a failed run."""
    organization = world.organization
    integration = IntegrationFactory(
        organization=organization,
        name=f"{marker} Warehouse API",
        settings={"url": f"https://{marker.lower()}.example.com/stats", "auth": "bearer"},
        credentials_ciphertext=secret_encrypt(
            organization_id=organization.pk, data={"token": f"{marker}-token"}
        ),
    )
    kpi = KPIFactory(organization=organization, name=f"{marker} Synced KPI")
    source = DataSourceFactory(
        organization=organization,
        integration=integration,
        kpi=kpi,
        status="needs_attention",
        last_error=f"{marker} upstream error",
    )
    run = SyncRunFactory(data_source=source, status="failed", error=f"{marker} run error")
    world.extra.update(integration=integration, data_source=source, sync_run=run)


OBJECT_KWARGS = {
    "integrations:integration-detail": lambda w: {"pk": w.integration.pk},
    "integrations:integration-edit": lambda w: {"pk": w.integration.pk},
    "integrations:integration-delete": lambda w: {"pk": w.integration.pk},
    "integrations:integration-test": lambda w: {"pk": w.integration.pk},
    "integrations:source-create": lambda w: {"pk": w.integration.pk},
    "integrations:source-detail": lambda w: {"pk": w.data_source.pk},
    "integrations:source-edit": lambda w: {"pk": w.data_source.pk},
    "integrations:source-delete": lambda w: {"pk": w.data_source.pk},
    "integrations:source-sync": lambda w: {"pk": w.data_source.pk},
    "integrations:source-secret": lambda w: {"pk": w.data_source.pk},
    "integrations:run-status": lambda w: {"pk": w.sync_run.pk},
}
