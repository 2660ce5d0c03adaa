"""Telling people a data source started failing: in-app and by email, once per change.

Deduplication lives in the caller: only the transaction that flips a source from OK to
"needs attention" (a conditional UPDATE, so exactly one) calls this.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Role

from .models import DataSource, Notification

logger = logging.getLogger(__name__)


def _recipients(source: DataSource) -> list[tuple[int, str]]:
    admins = Membership.unscoped.filter(
        organization_id=source.organization_id, role__in=[Role.OWNER, Role.ADMIN]
    ).values_list("user_id", "user__email")
    people = dict(admins)
    kpi = source.kpi
    if kpi.owner_id is not None and kpi.owner is not None:
        people[kpi.owner_id] = kpi.owner.email
    return sorted(people.items())


def source_failing_notify(*, source: DataSource, message: str) -> None:
    source = DataSource.unscoped.select_related("kpi__owner", "integration").get(pk=source.pk)
    title = f"Data source for “{source.kpi.name}” needs attention"
    body = f"{source.integration.name}: {message}"
    recipients = _recipients(source)
    Notification.unscoped.bulk_create(
        [
            Notification(
                organization_id=source.organization_id,
                recipient_id=user_id,
                data_source=source,
                title=title,
                body=body,
            )
            for user_id, _email in recipients
        ]
    )
    emails = [
        (
            title,
            f"{body}\n\nOpen the integrations page to see the run log.",
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
        for _user_id, email in recipients
        if email
    ]

    def send() -> None:
        try:
            send_mass_mail(emails, fail_silently=False)
        except OSError:
            logger.warning("could not send data-source failure emails for source %s", source.pk)

    transaction.on_commit(send)
