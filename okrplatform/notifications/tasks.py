"""Celery tasks for notifications: thin wrappers that take ids and bind the organisation."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from okrplatform.tenancy.tasks import tenant_task


@shared_task(
    name="notifications.send_emails",
    acks_late=True,
    ignore_result=True,
    # Mail servers fail transiently; each notice is claimed before sending, so a retry never
    # sends twice what already went out.
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=6,
)
@tenant_task
def notification_emails_send(*, organization_id: int, notification_ids: list[int]) -> int:
    from .services import notification_emails_deliver

    return notification_emails_deliver(notification_ids=notification_ids)


@shared_task(name="notifications.sweep_unsent_emails", ignore_result=True)
def sweep_unsent_emails() -> int:
    from .sweeper import unsent_emails_sweep

    return len(unsent_emails_sweep())
