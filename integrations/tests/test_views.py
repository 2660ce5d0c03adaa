"""The integration pages: admins manage, members read, secrets never come back out."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from integrations.crypto import secret_decrypt
from integrations.models import DataSource, Integration, RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory, SyncRunFactory
from integrations.tests.httpserver import Reply, fake_server
from kpis.models import KPIValue, ValueSource
from tests.factories import KPIFactory

SERIES = {"items": [{"t": "2026-01-01", "v": 10}, {"t": "2026-02-01", "v": 12}]}


def _url(name: str, org, **kwargs) -> str:
    return reverse(f"integrations:{name}", kwargs={"org_slug": org.slug, **kwargs})


def test_admin_creates_an_integration_and_the_secret_is_never_shown(org, admin_client_) -> None:
    response = admin_client_.post(
        _url("integration-create", org),
        {
            "provider": "http_json",
            "name": "Stats API",
            "url": "https://stats.example.com/v1",
            "method": "GET",
            "auth": "bearer",
            "token": "tok-SUPERSECRET-42",
        },
    )
    assert response.status_code == 302
    integration = Integration.unscoped.get(organization=org)
    assert "tok-SUPERSECRET-42" not in json.dumps(integration.settings)
    assert "SUPERSECRET" not in integration.credentials_ciphertext
    assert secret_decrypt(
        organization_id=org.pk, ciphertext=integration.credentials_ciphertext
    ) == {"token": "tok-SUPERSECRET-42"}
    for page in (
        _url("integration-detail", org, pk=integration.pk),
        _url("integration-edit", org, pk=integration.pk),
        _url("integration-list", org),
    ):
        body = admin_client_.get(page).content.decode()
        assert "SUPERSECRET" not in body
        assert integration.credentials_ciphertext not in body


def test_editing_with_a_blank_secret_keeps_the_stored_one(org, admin_client_) -> None:
    admin_client_.post(
        _url("integration-create", org),
        {
            "provider": "http_json",
            "name": "A",
            "url": "https://a.example.com",
            "method": "GET",
            "auth": "api_key",
            "api_key_header": "X-Key",
            "api_key": "k-1",
        },
    )
    integration = Integration.unscoped.get(organization=org)
    response = admin_client_.post(
        _url("integration-edit", org, pk=integration.pk),
        {
            "name": "A renamed",
            "url": "https://a.example.com/v2",
            "method": "GET",
            "auth": "api_key",
            "api_key_header": "X-Key",
            "api_key": "",
        },
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "A renamed"
    assert secret_decrypt(
        organization_id=org.pk, ciphertext=integration.credentials_ciphertext
    ) == {"api_key": "k-1"}


def test_members_read_but_cannot_manage(org, member_client) -> None:
    integration = IntegrationFactory(organization=org, name="Readable")
    assert member_client.get(_url("integration-list", org)).status_code == 200
    assert member_client.get(_url("integration-detail", org, pk=integration.pk)).status_code == 200
    assert member_client.get(_url("integration-create", org) + "?provider=csv").status_code == 403
    assert member_client.post(_url("integration-delete", org, pk=integration.pk)).status_code == 403
    assert Integration.unscoped.filter(pk=integration.pk).exists()


def test_connection_settings_show_labels_and_only_the_auth_settings_in_use(org, member_client):
    settings = {"url": "https://example.com/s", "method": "GET", "api_key_header": "X-API-Key"}
    plain = IntegrationFactory(organization=org, settings={**settings, "auth": "none"})
    keyed = IntegrationFactory(organization=org, settings={**settings, "auth": "api_key"})
    html = member_client.get(_url("integration-detail", org, pk=plain.pk)).content.decode()
    assert "<dd>No authentication</dd>" in html
    assert "<dd>none</dd>" not in html
    assert "API key header name" not in html
    html = member_client.get(_url("integration-detail", org, pk=keyed.pk)).content.decode()
    assert "<dd>API key in a header</dd>" in html
    assert "<dt>API key header name</dt><dd>X-API-Key</dd>" in html


def test_schedule_fields_all_render_for_use_without_javascript(org, admin_client_) -> None:
    integration = IntegrationFactory(organization=org)
    html = admin_client_.get(_url("integration-detail", org, pk=integration.pk)).content.decode()
    # The script only hides what the chosen kind does not use; without it, all stay usable.
    assert "js/integration-forms.js" in html
    assert "<script>" not in html
    for name in ("schedule_interval_minutes", "schedule_time", "schedule_cron"):
        assert f'name="{name}"' in html


def test_test_connection_shows_values_and_saves_nothing(org, admin_client_) -> None:
    body = json.dumps(SERIES).encode()
    with fake_server({"/s": Reply(200, body, {"Content-Type": "application/json"})}) as server:
        integration = IntegrationFactory(
            organization=org, settings={"url": server.url("/s"), "method": "GET", "auth": "none"}
        )
        response = admin_client_.post(
            _url("integration-test", org, pk=integration.pk),
            {"expression": "items", "timestamp_key": "t", "value_key": "v"},
        )
    html = response.content.decode()
    assert "2 values extracted" in html
    assert "2026-02-01" in html
    assert KPIValue.unscoped.count() == 0
    assert SyncRun.unscoped.count() == 0


def test_test_connection_shows_a_readable_error(org, admin_client_) -> None:
    integration = IntegrationFactory(
        organization=org,
        settings={"url": "http://localhost/", "method": "GET", "auth": "none"},
    )
    response = admin_client_.post(
        _url("integration-test", org, pk=integration.pk), {"expression": "v"}
    )
    assert "private or reserved network address" in response.content.decode()


def test_binding_a_kpi_queues_a_backfill_and_sync_now_polls(
    org, admin_client_, django_capture_on_commit_callbacks
) -> None:
    body = json.dumps(SERIES).encode()
    kpi = KPIFactory(organization=org, name="Signups")
    with fake_server({"/s": Reply(200, body, {"Content-Type": "application/json"})}) as server:
        integration = IntegrationFactory(
            organization=org, settings={"url": server.url("/s"), "method": "GET", "auth": "none"}
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_.post(
                _url("source-create", org, pk=integration.pk),
                {
                    "kpi": kpi.pk,
                    "schedule_kind": "interval",
                    "schedule_interval_minutes": 15,
                    "enabled": "on",
                    "expression": "items",
                    "timestamp_key": "t",
                    "value_key": "v",
                },
            )
        assert response.status_code == 302
        source = DataSource.unscoped.get(kpi=kpi)
        backfill = SyncRun.unscoped.get(data_source=source)
        assert backfill.trigger == "backfill"
        assert backfill.status == RunStatus.SUCCEEDED  # eager Celery ran it on commit
        assert KPIValue.unscoped.filter(kpi=kpi, source=ValueSource.INTEGRATION).count() == 2

        SyncRun.unscoped.all().delete()
        response = admin_client_.post(
            _url("source-sync", org, pk=source.pk), HTTP_HX_REQUEST="true"
        )
    run = SyncRun.unscoped.get(data_source=source)
    html = response.content.decode()
    assert 'hx-trigger="load delay:1s"' in html  # queued: the fragment keeps polling
    assert _url("run-status", org, pk=run.pk) in html
    SyncRun.unscoped.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, values_written=2)
    finished = admin_client_.get(_url("run-status", org, pk=run.pk)).content.decode()
    assert "hx-get" not in finished  # finished: polling stops
    assert "2 values written" in finished


def test_source_page_shows_the_run_log_and_attention(org, member_client) -> None:
    source = DataSourceFactory(
        organization=org, status="needs_attention", last_error="The server answered 404."
    )
    SyncRunFactory(data_source=source, status="failed", error="The server answered 404.")
    html = member_client.get(_url("source-detail", org, pk=source.pk)).content.decode()
    assert "Needs attention" in html
    assert "The server answered 404." in html
    assert 'data-testid="run-log"' in html
    assert "Sync now" not in html  # members read only
    assert "Test connection" not in html


def test_admins_get_sync_now_and_test_connection(org, admin_client_) -> None:
    source = DataSourceFactory(organization=org)
    html = admin_client_.get(_url("source-detail", org, pk=source.pk)).content.decode()
    assert "Sync now" in html
    assert "Test connection" in html
    detail = admin_client_.get(_url("integration-detail", org, pk=source.integration_id))
    assert "Test connection" in detail.content.decode()


def test_list_query_count_is_flat(org, admin_client_, django_assert_max_num_queries) -> None:
    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert admin_client_.get(_url("integration-list", org)).status_code == 200
        return len(captured)

    DataSourceFactory(organization=org)
    few = page_queries()
    for _ in range(6):
        DataSourceFactory(organization=org)
    with django_assert_max_num_queries(few):
        admin_client_.get(_url("integration-list", org))


@pytest.fixture
def push_source(org, admin_client_):
    integration = IntegrationFactory(organization=org, provider="push", settings={})
    kpi = KPIFactory(organization=org, name="Pushed KPI")
    response = admin_client_.post(
        _url("source-create", org, pk=integration.pk), {"kpi": kpi.pk, "enabled": "on"}
    )
    assert response.status_code == 201
    source = DataSource.unscoped.get(kpi=kpi)
    secret = response.context["new_secret"]
    assert secret in response.content.decode()  # shown once…
    page = admin_client_.get(_url("source-detail", org, pk=source.pk)).content.decode()
    assert secret not in page  # …and never again
    return source, secret


def test_push_accepts_a_bearer_token_and_an_hmac_signature(client, push_source) -> None:
    source, secret = push_source
    url = reverse("integration-push", args=[source.push_key])
    response = client.post(
        url,
        b'{"value": 7, "timestamp": "2026-01-15"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 202
    body = b'{"points": [{"timestamp": "2026-02-15", "value": 8}]}'
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        url, body, content_type="application/json", HTTP_X_SIGNATURE_256=signature
    )
    assert response.status_code == 202
    values = KPIValue.unscoped.filter(kpi=source.kpi).order_by("timestamp")
    assert [v.value for v in values] == [7, 8]


def test_push_rejects_bad_tokens_and_unknown_keys_alike(client, push_source) -> None:
    import uuid

    source, secret = push_source
    url = reverse("integration-push", args=[source.push_key])
    bad = [
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Bearer {secret}x"},
        {"HTTP_X_SIGNATURE_256": "sha256=" + "0" * 64},
        {},
    ]
    for headers in bad:
        response = client.post(url, b'{"value": 1}', content_type="application/json", **headers)
        assert response.status_code == 401
    unknown = client.post(
        reverse("integration-push", args=[uuid.uuid4()]),
        b'{"value": 1}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert unknown.status_code == 401
    assert unknown.content == response.content
    assert client.get(url).status_code == 405
    assert not KPIValue.unscoped.filter(kpi=source.kpi).exists()


def test_push_secret_of_another_organisation_does_not_work(client, push_source, other_org) -> None:
    """A ciphertext copied onto another tenant's source does not decrypt there."""
    source, secret = push_source
    other_source = DataSourceFactory(
        organization=other_org,
        integration=IntegrationFactory(organization=other_org, provider="push", settings={}),
        push_secret_ciphertext=DataSource.unscoped.get(pk=source.pk).push_secret_ciphertext,
    )
    response = client.post(
        reverse("integration-push", args=[other_source.push_key]),
        b'{"value": 1}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 401
