"""The sweeper: a delivery whose message the broker lost is sent by the next sweep, once, however
many sweepers run; the attempt fence keeps duplicate messages from sending twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from integrations.tests.httpserver import Reply, fake_server
from okrplatform.tenancy.scope import organization_scope
from okrplatform.webhooks import delivery as delivery_module
from okrplatform.webhooks.models import DeliveryStatus, WebhookDelivery
from okrplatform.webhooks.services import webhook_subscription_create
from okrplatform.webhooks.sweeper import SWEEP_GRACE, due_deliveries_sweep
from okrplatform.webhooks.tasks import webhook_deliver


@pytest.fixture(autouse=True)
def _local_receivers(settings) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]


def _lost_delivery(admin, url: str, *, late_by: timedelta = SWEEP_GRACE, **fields) -> int:
    """A delivery row as ``emit`` writes it, whose message never reached a worker."""
    with organization_scope(admin.organization_id):
        subscription = webhook_subscription_create(
            actor=admin, url=url, events=["kpi.value_recorded"]
        ).subscription
    row = WebhookDelivery.unscoped.create(
        organization_id=admin.organization_id,
        subscription=subscription,
        event="kpi.value_recorded",
        payload={"kpi": 1},
        next_attempt_at=timezone.now() - late_by - timedelta(seconds=1),
        **fields,
    )
    return row.pk


def test_a_lost_delivery_is_sent_by_the_next_sweep(admin, django_capture_on_commit_callbacks):
    with fake_server({"/hook": Reply(204)}) as server:
        delivery_id = _lost_delivery(admin, server.url("/hook"))
        assert server.requests == []
        with django_capture_on_commit_callbacks(execute=True):
            assert due_deliveries_sweep() == [delivery_id]
        with django_capture_on_commit_callbacks(execute=True):
            assert due_deliveries_sweep() == []  # delivered: nothing left to sweep
    assert len(server.requests) == 1
    delivery = WebhookDelivery.unscoped.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 1, None)


def test_a_delivery_within_its_grace_is_left_to_its_message(admin):
    with fake_server({"/hook": Reply(204)}) as server:
        _lost_delivery(admin, server.url("/hook"), late_by=timedelta(seconds=-SWEEP_GRACE.seconds))
        assert due_deliveries_sweep() == []
    assert server.requests == []


def test_a_lost_retry_is_sent_as_the_next_attempt(admin, django_capture_on_commit_callbacks):
    with fake_server({"/hook": Reply(200)}) as server:
        delivery_id = _lost_delivery(
            admin, server.url("/hook"), status=DeliveryStatus.RETRYING, attempts=2
        )
        with django_capture_on_commit_callbacks(execute=True):
            due_deliveries_sweep()
    assert len(server.requests) == 1
    assert WebhookDelivery.unscoped.get(pk=delivery_id).attempts == 3


def test_a_delivery_out_of_attempts_is_marked_failed(admin, django_capture_on_commit_callbacks):
    with fake_server({"/hook": Reply(200)}) as server:
        delivery_id = _lost_delivery(
            admin, server.url("/hook"), attempts=delivery_module.MAX_ATTEMPTS
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert due_deliveries_sweep() == []
    assert server.requests == []
    delivery = WebhookDelivery.unscoped.get(pk=delivery_id)
    assert delivery.status == "failed"
    assert "Gave up" in delivery.last_error


def test_duplicate_messages_make_one_attempt(admin) -> None:
    """The original message turning up after the sweeper's copy sends nothing more."""
    with fake_server({"/hook": Reply(204)}) as server:
        delivery_id = _lost_delivery(admin, server.url("/hook"))
        message = {"organization_id": admin.organization_id, "delivery_id": delivery_id}
        assert webhook_deliver.delay(**message, after_attempt=0).get() == "succeeded"
        assert webhook_deliver.delay(**message, after_attempt=0).get() == "skipped"
        assert webhook_deliver.delay(**message).get() == "skipped"  # a message from before
    assert len(server.requests) == 1


def _in_thread(target) -> list[object]:
    results: list[object] = []

    def run() -> None:
        try:
            results.append(target())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_a_second_sweeper_skips_what_the_first_claimed(admin) -> None:
    with fake_server({"/hook": Reply(204)}) as server:
        delivery_id = _lost_delivery(admin, server.url("/hook"))
        with transaction.atomic():
            assert due_deliveries_sweep() == [delivery_id]
            # The first sweep still holds its rows: a sweep on another connection skips them.
            assert _in_thread(due_deliveries_sweep) == [[]]
        # Committed (and sent); the row is no longer due for anyone.
        assert _in_thread(due_deliveries_sweep) == [[]]
    assert len(server.requests) == 1
    assert WebhookDelivery.unscoped.get(pk=delivery_id).status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_deliver_once(admin) -> None:
    with fake_server({"/hook": Reply(204)}) as server:
        ids = {_lost_delivery(admin, server.url("/hook")) for _ in range(3)}
        start = threading.Barrier(2)
        swept: list[list[int]] = []

        def sweep() -> None:
            try:
                start.wait(timeout=10)
                swept.append(due_deliveries_sweep())
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(pk for batch in swept for pk in batch) == sorted(ids)
    assert len(server.requests) == 3
    assert {d.attempts for d in WebhookDelivery.unscoped.filter(pk__in=ids)} == {1}
