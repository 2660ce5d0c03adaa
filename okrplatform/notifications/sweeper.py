"""The email sweeper (beat, every minute): emails notices whose email task never ran.

A notice is written in the transaction of the change it reports; its email task is sent once
that commits. If the broker is down at that moment the send fails (logged, the change stands),
and if the mail server stays down longer than the task's retries, they run out. Either way the
notice is left with ``emailed_at`` unset, and this sweeper sends it again once its
``email_due_at`` is ``SWEEP_GRACE`` behind us, pushing ``email_due_at`` back by ``RESEND_AFTER``
so a notice gets at most one new task per interval however long an outage lasts.

Sending twice is harmless: ``notification_emails_deliver`` claims each notice before it sends.
Notices older than ``EMAIL_MAX_AGE`` are not emailed late (news of yesterday's health change is
on the notice page), nor are notices their recipient has already read in the app.

Like the other sweepers, this is the scheduler: it reads every organisation's rows through
``unscoped`` on purpose, and each task binds its organisation's scope.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from okrplatform.background import BrokerUnavailableError

from .models import Notification

logger = logging.getLogger(__name__)

# Longer than a beat interval, so the task sent at creation has had its chance.
SWEEP_GRACE = timedelta(minutes=2)
# The email task retries for about an hour (backoff up to 30 min); one new task per notice per
# interval keeps a long mail-server outage from piling up retry chains.
RESEND_AFTER = timedelta(minutes=15)
EMAIL_MAX_AGE = timedelta(hours=24)
SWEEP_BATCH = 500


def unsent_emails_sweep(*, now: datetime | None = None) -> list[int]:
    """Send the email task again for every unsent notice past its due time; return their ids."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Notification.unscoped.select_for_update(skip_locked=True)
            .filter(
                emailed_at__isnull=True,
                read_at__isnull=True,
                email_due_at__lt=now - SWEEP_GRACE,
                created_at__gte=now - EMAIL_MAX_AGE,
            )
            .order_by("email_due_at")
            .values_list("pk", "organization_id")[:SWEEP_BATCH]
        )
        if not rows:
            return []
        Notification.unscoped.filter(pk__in=[pk for pk, _org in rows]).update(
            email_due_at=now + RESEND_AFTER
        )
        by_organization: dict[int, list[int]] = defaultdict(list)
        for pk, organization_id in rows:
            by_organization[organization_id].append(pk)
        transaction.on_commit(lambda: _send(by_organization))
    logger.info("email sweeper re-sent %s notices", len(rows))
    return [pk for pk, _org in rows]


def _send(by_organization: dict[int, list[int]]) -> None:
    from .tasks import notification_emails_send

    for organization_id, ids in by_organization.items():
        try:
            notification_emails_send.delay(organization_id=organization_id, notification_ids=ids)
        except BrokerUnavailableError as error:
            # Still unsent: due again after RESEND_AFTER. An outage delays emails, never loses them.
            logger.warning("the broker is unavailable (%s); notices wait for a later sweep", error)
            return
