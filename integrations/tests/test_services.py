"""Services validate per provider whoever calls them, and only admins may write."""

from __future__ import annotations

import pytest

from integrations import services
from integrations.models import DataSource, SyncRun
from integrations.tests.factories import IntegrationFactory
from okrplatform.errors import DomainError, PermissionDeniedError
from tests.factories import KPIFactory


def test_settings_are_validated_by_the_provider_form(admin, scope) -> None:
    with pytest.raises(DomainError) as caught:
        services.integration_create(
            actor=admin,
            provider="sql",
            name="DB",
            fields={
                "engine": "postgresql",
                "host": "h; drop",
                "database": "d",
                "user": "u",
                "tls": "verify",
            },
        )
    assert caught.value.field == "host"


def test_members_cannot_create(member, scope) -> None:
    with pytest.raises(PermissionDeniedError):
        services.integration_create(actor=member, provider="push", name="P", fields={})


def test_extraction_is_validated_and_a_foreign_kpi_refused(admin, scope, other_org) -> None:
    integration = IntegrationFactory(organization=admin.organization)
    kpi = KPIFactory(organization=admin.organization)
    with pytest.raises(DomainError) as caught:
        services.data_source_create(
            actor=admin, integration=integration, kpi=kpi, extraction={"expression": "a.[b"}
        )
    assert caught.value.field == "expression"
    with pytest.raises(DomainError):
        services.data_source_create(
            actor=admin,
            integration=integration,
            kpi=KPIFactory(organization=other_org),
            extraction={"expression": "v"},
        )
    assert not DataSource.unscoped.exists()
    assert not SyncRun.unscoped.exists()


def test_push_sources_have_no_schedule_and_sync_now_is_refused(admin, scope) -> None:
    integration = IntegrationFactory(organization=admin.organization, provider="push", settings={})
    source, secret = services.data_source_create(
        actor=admin,
        integration=integration,
        kpi=KPIFactory(organization=admin.organization),
        extraction={},
    )
    assert secret
    assert source.next_run_at is None
    assert services.push_secret(source) == secret
    with pytest.raises(DomainError):
        services.sync_now(actor=admin, source=source)
    assert services.push_secret_regenerate(actor=admin, source=source) != secret
