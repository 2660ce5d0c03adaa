"""Factories for integrations; one organisation flows down the graph."""

from __future__ import annotations

import factory
from django.utils import timezone

from integrations.models import DataSource, Integration, Provider, SyncRun
from tests.factories import KPIFactory, OrganizationFactory, TenantFactory


class IntegrationFactory(TenantFactory):
    class Meta:
        model = Integration

    organization = factory.SubFactory(OrganizationFactory)
    provider = Provider.HTTP_JSON
    name = factory.Sequence(lambda n: f"Integration {n}")
    settings = factory.LazyFunction(lambda: {"url": "http://127.0.0.1:9/", "method": "GET"})


class DataSourceFactory(TenantFactory):
    class Meta:
        model = DataSource

    organization = factory.SubFactory(OrganizationFactory)
    integration = factory.SubFactory(
        IntegrationFactory, organization=factory.SelfAttribute("..organization")
    )
    kpi = factory.SubFactory(KPIFactory, organization=factory.SelfAttribute("..organization"))
    extraction = factory.LazyFunction(lambda: {"expression": "value"})
    schedule_kind = "hourly"


class SyncRunFactory(TenantFactory):
    class Meta:
        model = SyncRun

    data_source = factory.SubFactory(DataSourceFactory)
    organization = factory.SelfAttribute("data_source.organization")
    scheduled_for = factory.LazyFunction(timezone.now)
