"""Syncs notify through the platform's notifications: a KPI a sync turns unhealthy, once however
many runs follow; a failing data source, once per change, with no secret in the email."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations import sync
from integrations.crypto import secret_encrypt
from integrations.models import DataSource, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Reply, fake_server
from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.scope import organization_scope
from tests.factories import KPITargetFactory

pytestmark = pytest.mark.django_db

TOKEN = "tok-SECRET-4242"  # a test credential that must never reach a person


def _run(source: DataSource, offset: int) -> SyncRun:
    return SyncRun.unscoped.create(
        organization_id=source.organization_id,
        data_source=source,
        scheduled_for=timezone.now().replace(microsecond=0) + timedelta(minutes=offset),
    )


def _execute(run: SyncRun) -> str:
    with organization_scope(run.organization_id):
        return sync.sync_run_execute(run_id=run.pk).status


def _source(org: Organization, url: str) -> DataSource:
    integration = IntegrationFactory(
        organization=org,
        name="Billing API",
        settings={"url": url, "method": "GET", "auth": "bearer"},
        credentials_ciphertext=secret_encrypt(organization_id=org.pk, data={"token": TOKEN}),
    )
    return DataSourceFactory(
        organization=org,
        integration=integration,
        extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
    )


def test_repeated_syncs_of_an_unhealthy_kpi_notify_once(
    org: Organization,
    owner: Membership,
    admin: Membership,
    member: Membership,
    django_capture_on_commit_callbacks,
) -> None:
    series = {"items": [{"t": "2025-01-01", "v": 10}, {"t": "2025-02-01", "v": 40}]}
    reply = Reply(200, json.dumps(series).encode(), {"Content-Type": "application/json"})
    with fake_server({"/": reply}) as server:
        source = _source(org, server.url("/"))
        kpi = source.kpi
        with organization_scope(org.pk):
            kpi.owner = member.user
            kpi.save()
        KPITargetFactory(
            kpi=kpi, kind="at_most", lower=None, upper=20, effective_from=date(2024, 1, 1)
        )
        for offset in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                assert _execute(_run(source, offset)) == "succeeded"
    notices = Notification.unscoped.filter(kind=NotificationKind.KPI_UNHEALTHY)
    expected = sorted([owner.user_id, admin.user_id, member.user_id])
    assert sorted(notices.values_list("recipient_id", flat=True)) == expected
    assert len(mail.outbox) == 3


def test_a_failing_source_emails_without_secrets(
    org: Organization, owner: Membership, django_capture_on_commit_callbacks
) -> None:
    with fake_server({"/": Reply(401, b'{"error": "bad token"}')}) as server:
        source = _source(org, server.url(f"/stats?api_key={TOKEN}"))
        for offset in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                assert _execute(_run(source, offset)) == "failed"
    [notice] = Notification.unscoped.filter(kind=NotificationKind.SOURCE_FAILING)
    assert notice.link == f"/{org.slug}/integrations/sources/{source.pk}/"
    [message] = mail.outbox
    assert "needs attention" in message.subject
    assert "Billing API" in message.body
    assert TOKEN not in message.body
    assert TOKEN not in message.subject
    assert TOKEN not in notice.body
