"""Is background work possible right now? The broker only rings the bell, but without it no
worker hears anything, so a person asking for work *now* is told, and nothing half-starts.

Scheduled work does not need this: its state lives in database rows, and the dispatcher and
the sweeper send it once the broker is back (see integrations/sync.py).
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerUnavailableError

from okrplatform.celery import app as celery_app

logger = logging.getLogger(__name__)

__all__ = ["BACKGROUND_UNAVAILABLE", "BrokerUnavailableError", "broker_available"]

BACKGROUND_UNAVAILABLE = (
    "Background work is unavailable right now (the task queue does not answer), so nothing was "
    "started. Scheduled syncs catch up by themselves once it is back; try again in a few minutes."
)


def broker_available() -> bool:
    """One connection attempt, no retries: a click must not wait seconds to learn the answer."""
    if celery_app.conf.task_always_eager:  # tasks run in-process; there is no broker to ask
        return True
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
    except (BrokerUnavailableError, OSError) as error:
        logger.warning("the task broker is unavailable: %s", error)
        return False
    return True
