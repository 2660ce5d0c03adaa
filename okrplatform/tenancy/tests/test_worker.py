"""A real Celery worker, on the broker from the environment (Redis under `make test`).

The worker runs in a thread of this process (``celery.contrib.testing.worker.start_worker``) but
goes the whole way through the broker: JSON serialisation, a queue, a consumer, its own database
connection. It consumes a queue of its own so that parallel test runs on the same Redis never
take each other's messages.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_failure, task_postrun
from django.core import mail
from django.db import connections

from okrplatform.celery import app as celery_app
from okrplatform.tenancy.models import Organization
from okrplatform.tenancy.tasks import invitation_email_send
from tests.factories import InvitationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20.0  # seconds to wait for a task; a generous ceiling, not a timing assertion


@dataclass
class Outcome:
    state: str = ""
    routing_key: str = ""
    thread: str = ""
    is_eager: bool = True
    exception: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class RealWorker:
    queue: str
    outcomes: dict[str, Outcome]

    def run(self, **kwargs: Any) -> Outcome:
        """Send ``invitation_email_send`` through the broker and wait for the worker's verdict."""
        result = invitation_email_send.apply_async(kwargs=kwargs, queue=self.queue)
        outcome = self.outcomes.setdefault(result.id, Outcome())
        assert outcome.done.wait(TIMEOUT), "the worker did not run the task"
        return outcome


@pytest.fixture
def real_worker() -> Iterator[RealWorker]:
    celery_app.conf.task_always_eager = False  # the autouse fixture turns it back on afterwards
    queue = f"okr-test-{uuid.uuid4().hex[:12]}"
    outcomes: dict[str, Outcome] = {}

    # Both handlers run in the worker's thread.
    def on_failure(task_id: str, exception: BaseException, **_: Any) -> None:
        outcomes.setdefault(task_id, Outcome()).exception = exception

    def on_postrun(task_id: str, task: Any, state: str, **_: Any) -> None:
        outcome = outcomes.setdefault(task_id, Outcome())
        outcome.state = state
        outcome.routing_key = (task.request.delivery_info or {}).get("routing_key", "")
        outcome.thread = threading.current_thread().name
        outcome.is_eager = bool(task.request.is_eager)
        connections.close_all()  # the worker thread's own connection, before the test DB goes
        outcome.done.set()

    task_failure.connect(on_failure, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    queues = celery_app.amqp.queues
    consumed_before = queues._consume_from
    try:
        with start_worker(
            celery_app, queues=[queue], perform_ping_check=False, shutdown_timeout=15
        ):
            yield RealWorker(queue=queue, outcomes=outcomes)
    finally:
        task_failure.disconnect(on_failure)
        task_postrun.disconnect(on_postrun)
        with celery_app.connection_for_write() as connection:
            queues[queue].bind(connection.default_channel).delete()
        queues._consume_from = consumed_before
        queues.pop(queue, None)


def test_invitation_email_is_sent_by_a_real_worker_within_the_tenant_scope(
    real_worker: RealWorker, org: Organization, other_org: Organization
) -> None:
    invitation = InvitationFactory(organization=org, email="guest@example.test")

    # Bound to another organisation, the task cannot see the invitation: nothing is sent.
    outcome = real_worker.run(
        organization_id=other_org.pk, invitation_id=invitation.pk, accept_url="http://x/a/"
    )
    assert outcome.state == "SUCCESS"
    assert mail.outbox == []

    outcome = real_worker.run(
        organization_id=org.pk, invitation_id=invitation.pk, accept_url="http://x/accept/"
    )

    assert outcome.state == "SUCCESS", outcome.exception
    assert outcome.is_eager is False
    assert outcome.routing_key == real_worker.queue  # delivered by the broker
    assert outcome.thread != threading.current_thread().name  # run by the worker, not by us
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["guest@example.test"]
    assert "http://x/accept/" in str(mail.outbox[0].body)


def test_a_tenant_task_without_an_organisation_fails_on_the_worker(
    real_worker: RealWorker, org: Organization
) -> None:
    invitation = InvitationFactory(organization=org)

    outcome = real_worker.run(invitation_id=invitation.pk, accept_url="http://x/")

    assert outcome.state == "FAILURE"
    assert isinstance(outcome.exception, TypeError)
    assert "organization_id" in str(outcome.exception)
    assert mail.outbox == []
