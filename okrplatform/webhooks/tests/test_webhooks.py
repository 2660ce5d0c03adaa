"""Webhooks end to end: a local receiver verifies the signature; retries follow the guarded
client (5xx retried with backoff, 4xx final); replay; private addresses refused; admins only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client

from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.services import kpi_target_set, kpi_value_record
from okrplatform.celery import app as celery_app
from okrplatform.errors import DomainError
from okrplatform.tenancy.scope import organization_scope
from okrplatform.webhooks import delivery as delivery_module
from okrplatform.webhooks.models import DeliveryStatus, WebhookDelivery
from okrplatform.webhooks.services import (
    webhook_delivery_replay,
    webhook_subscription_create,
)
from okrplatform.webhooks.signing import signature_verify
from tests.api.conftest import issue_key
from tests.factories import KPIFactory


@pytest.fixture(autouse=True)
def _local_receivers(settings) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def _eager_retries(monkeypatch) -> Iterator[None]:
    """Eager Celery runs a retry at once (the countdown is computed, not waited for), but only
    when it does not re-raise the task's Retry exception."""
    monkeypatch.setattr(delivery_module, "MAX_ATTEMPTS", 3)
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def _subscribe(admin, url: str, events=("kpi.health_changed", "kpi.value_recorded")):
    with organization_scope(admin.organization_id):
        return webhook_subscription_create(actor=admin, url=url, events=list(events))


def _unhealthy_value(admin, kpi) -> None:
    with organization_scope(admin.organization_id):
        kpi_target_set(
            actor=admin,
            kpi=kpi,
            kind="at_most",
            upper=30,
            effective_from=datetime(2024, 1, 1).date(),
        )
        kpi_value_record(actor=admin, kpi=kpi, timestamp=datetime(2024, 3, 1, tzinfo=UTC), value=52)


def _deliveries():
    return list(WebhookDelivery.unscoped.order_by("pk"))


def test_a_health_change_reaches_the_receiver_signed(
    admin, org, django_capture_on_commit_callbacks
):
    with fake_server({"/hook": Reply(204)}) as server:
        issued = _subscribe(admin, server.url("/hook"))
        kpi = KPIFactory(organization=org, update_frequency="daily", key="reply-time")
        with django_capture_on_commit_callbacks(execute=True):
            _unhealthy_value(admin, kpi)
    by_event = {json.loads(r.body)["type"]: r for r in server.requests}
    assert set(by_event) == {"kpi.health_changed", "kpi.value_recorded"}
    request: Recorded = by_event["kpi.health_changed"]
    assert signature_verify(issued.secret, request.headers["x-okr-signature"], request.body)
    assert not signature_verify("whsec_wrong", request.headers["x-okr-signature"], request.body)
    tampered = request.body.replace(b"unhealthy", b"healthy")
    assert not signature_verify(issued.secret, request.headers["x-okr-signature"], tampered)
    body = json.loads(request.body)
    assert body["data"]["kpi"]["key"] == "reply-time"
    assert (body["data"]["previous_health"], body["data"]["health"]) == ("no_data", "unhealthy")
    assert request.headers["x-okr-event"] == "kpi.health_changed"
    assert all(
        d.status == DeliveryStatus.SUCCEEDED and d.response_code == 204 for d in _deliveries()
    )


def test_nothing_is_sent_when_the_change_rolls_back(admin, org, django_capture_on_commit_callbacks):
    with fake_server({"/hook": Reply(200)}) as server:
        _subscribe(admin, server.url("/hook"))
        kpi = KPIFactory(organization=org)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(DomainError),
            organization_scope(org.pk),
        ):
            kpi_value_record(
                actor=admin, kpi=kpi, timestamp=datetime(2024, 1, 1, tzinfo=UTC), value="NaN"
            )
    assert server.requests == []
    assert _deliveries() == []


def test_a_500_is_retried_until_it_succeeds(admin, org, django_capture_on_commit_callbacks):
    answers = iter([Reply(500), Reply(503), Reply(200)])
    with fake_server({"/hook": lambda _r: next(answers)}) as server:
        _subscribe(admin, server.url("/hook"), events=["kpi.value_recorded"])
        kpi = KPIFactory(organization=org)
        with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
            kpi_value_record(
                actor=admin, kpi=kpi, timestamp=datetime(2024, 1, 1, tzinfo=UTC), value=1
            )
    assert len(server.requests) == 3
    (delivery,) = _deliveries()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 3, 200)


def test_retries_stop_after_the_last_attempt(admin, org, django_capture_on_commit_callbacks):
    with fake_server({"/hook": Reply(500)}) as server:
        _subscribe(admin, server.url("/hook"), events=["kpi.value_recorded"])
        kpi = KPIFactory(organization=org)
        with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
            kpi_value_record(
                actor=admin, kpi=kpi, timestamp=datetime(2024, 1, 1, tzinfo=UTC), value=1
            )
    (delivery,) = _deliveries()
    assert len(server.requests) == 3
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 500)
    assert "500" in delivery.last_error


def test_a_4xx_is_not_retried_and_replay_sends_it_again(
    admin, org, django_capture_on_commit_callbacks
):
    answers = iter([Reply(410), Reply(200)])
    with fake_server({"/hook": lambda _r: next(answers)}) as server:
        _subscribe(admin, server.url("/hook"), events=["kpi.value_recorded"])
        kpi = KPIFactory(organization=org)
        with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
            kpi_value_record(
                actor=admin, kpi=kpi, timestamp=datetime(2024, 1, 1, tzinfo=UTC), value=1
            )
        (failed,) = _deliveries()
        assert (failed.status, failed.attempts, failed.response_code) == ("failed", 1, 410)
        with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
            replay = webhook_delivery_replay(actor=admin, delivery=failed)
    replay.refresh_from_db()
    assert replay.status == "succeeded"
    assert replay.replay_of_id == failed.pk
    first, second = (json.loads(r.body) for r in server.requests)
    assert first["id"] == second["id"]  # the event's id: receivers can de-duplicate
    assert first["data"] == second["data"]


def test_backoff_grows_exponentially_with_jitter() -> None:
    for attempt in (1, 2, 3, 4):
        ceiling = delivery_module.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
        delays = {delivery_module.backoff_seconds(attempt) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
        "ftp://example.com/",
    ],
)
def test_private_addresses_are_refused(admin, settings, url) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(DomainError) as refused:
        _subscribe(admin, url)
    assert refused.value.field == "url"


def test_the_api_creates_a_subscription_and_shows_its_secret_once(
    admin, org, member, owner
) -> None:
    client = Client(HTTP_X_ORGANIZATION=org.slug)
    client.force_login(admin.user)
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["checkin.created"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["secret"].startswith("whsec_")
    pk = response.json()["id"]
    assert "secret" not in client.get(f"/api/v1/webhooks/{pk}/").json()
    refused = client.post(
        "/api/v1/webhooks/",
        {"url": "http://10.1.2.3/hook", "events": ["checkin.created"]},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "url"
    member_client = Client(HTTP_X_ORGANIZATION=org.slug)
    member_client.force_login(member.user)
    assert member_client.get("/api/v1/webhooks/").status_code == 403
    assert issue_key(owner).get("/api/v1/webhooks/").status_code == 403
    assert issue_key(owner).get("/api/v1/webhook-deliveries/").status_code == 403


def test_the_api_log_and_replay(admin, org, django_capture_on_commit_callbacks) -> None:
    with fake_server({"/hook": Reply(400)}) as server:
        _subscribe(admin, server.url("/hook"), events=["kpi.value_recorded"])
        kpi = KPIFactory(organization=org)
        with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
            kpi_value_record(
                actor=admin, kpi=kpi, timestamp=datetime(2024, 1, 1, tzinfo=UTC), value=1
            )
        client = Client(HTTP_X_ORGANIZATION=org.slug)
        client.force_login(admin.user)
        (logged,) = client.get("/api/v1/webhook-deliveries/").json()["results"]
        assert (logged["status"], logged["response_code"], logged["attempts"]) == ("failed", 400, 1)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/webhook-deliveries/{logged['id']}/replay/")
        assert response.status_code == 202
    assert len(server.requests) == 2
    assert WebhookDelivery.unscoped.count() == 2


def test_the_settings_pages(
    admin_client_, member_client, org, django_capture_on_commit_callbacks
) -> None:
    url = f"/{org.slug}/settings/webhooks/"
    assert member_client.get(url).status_code == 403
    response = admin_client_.post(
        url, {"url": "http://127.0.0.1:9/hook", "events": ["sync.failed", "objective.created"]}
    )
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert secret not in admin_client_.get(url).content.decode()
    subscription = response.context["issued"].subscription
    delivery = WebhookDelivery.unscoped.create(
        organization=org,
        subscription=subscription,
        event="sync.failed",
        status="failed",
        response_code=502,
        attempts=6,
        last_error="The server answered 502",
    )
    page = admin_client_.get(f"{url}{subscription.pk}/").content.decode()
    assert "The server answered 502" in page
    assert admin_client_.post(f"{url}{subscription.pk}/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.active is False
    with django_capture_on_commit_callbacks(execute=False):
        replayed = admin_client_.post(f"{url}deliveries/{delivery.pk}/replay/")
    assert replayed.status_code == 302
    assert WebhookDelivery.unscoped.filter(replay_of=delivery).exists()
