"""Worker processes keep their database connection between tasks, and drop it after a task that
did not succeed (okrplatform/worker_connections.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery import states
from django.db import connection

from okrplatform import worker_connections
from okrplatform.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def _task(*, eager: bool = False) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_celery_is_told_to_reuse_connections() -> None:
    assert celery_app.conf.get("CELERY_DB_REUSE_MAX")


def test_a_succeeded_task_leaves_the_connection_to_the_next() -> None:
    before = _backend_pid()
    worker_connections.before_task(sender=_task())
    worker_connections.after_task(sender=_task(), state=states.SUCCESS)
    worker_connections.before_task(sender=_task())
    assert _backend_pid() == before


@pytest.mark.parametrize("state", [states.FAILURE, states.RETRY])
def test_a_task_that_did_not_succeed_closes_the_connection(state) -> None:
    before = _backend_pid()
    worker_connections.after_task(sender=_task(), state=state)
    assert connection.connection is None
    assert _backend_pid() != before


def test_an_eager_call_leaves_its_callers_connection_alone() -> None:
    before = _backend_pid()
    worker_connections.after_task(sender=_task(eager=True), state=states.FAILURE)
    assert _backend_pid() == before
