"""Writes for notifications: send (in-app now, email once the transaction commits), mark read.

Senders describe each notice with the change it reports (``dedupe_key``); a change already
announced to a person is skipped, so callers may call again safely (a retried task, a second run
that sees the same health change). Only current members of the organisation are notified.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from okrplatform.tenancy.models import Membership

from .models import Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticeDraft:
    recipient_id: int
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    # The page it is about: a URL name taking the organisation's slug, then ``link_args``.
    link_name: str = ""
    link_args: tuple[str | int, ...] = ()


def notifications_send(*, organization_id: int, drafts: Iterable[NoticeDraft]) -> list[int]:
    """Create the notices that are new (per recipient and change) for current members of the
    organisation, and email them when the surrounding transaction commits. Returns their ids."""
    unique = {(draft.recipient_id, draft.dedupe_key): draft for draft in drafts}
    if not unique:
        return []
    with transaction.atomic():
        members = set(
            Membership.unscoped.filter(
                organization_id=organization_id,
                user_id__in={recipient for recipient, _key in unique},
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
        keys = {key for _recipient, key in unique}
        existing = set(
            Notification.unscoped.filter(
                organization_id=organization_id, dedupe_key__in=keys, recipient_id__in=members
            ).values_list("recipient_id", "dedupe_key")
        )
        fresh = [
            draft for pair, draft in unique.items() if pair[0] in members and pair not in existing
        ]
        if not fresh:
            return []
        # A concurrent sender may insert the same change first: the unique constraint lets
        # exactly one row through, and the email task's claim sends it once.
        Notification.unscoped.bulk_create(
            [
                Notification(
                    organization_id=organization_id,
                    recipient_id=draft.recipient_id,
                    kind=draft.kind,
                    title=draft.title[:200],
                    body=draft.body,
                    link_name=draft.link_name,
                    link_args=list(draft.link_args),
                    dedupe_key=draft.dedupe_key[:200],
                )
                for draft in fresh
            ],
            ignore_conflicts=True,
        )
        ids = list(
            Notification.unscoped.filter(
                organization_id=organization_id,
                recipient_id__in={draft.recipient_id for draft in fresh},
                dedupe_key__in={draft.dedupe_key for draft in fresh},
                emailed_at__isnull=True,
            ).values_list("pk", flat=True)
        )
        # Robust: with the broker down the write that caused the notices still stands, and
        # the notices are in the app; only their emails are lost (logged).
        transaction.on_commit(lambda: _enqueue_emails(organization_id, ids), robust=True)
    return ids


def _enqueue_emails(organization_id: int, ids: Sequence[int]) -> None:
    from .tasks import notification_emails_send

    notification_emails_send.delay(organization_id=organization_id, notification_ids=list(ids))


def notification_emails_deliver(*, notification_ids: Sequence[int]) -> int:
    """Email each notice once (call with the organisation's scope bound). A notice is claimed
    before it is sent, so two deliveries of the same ids send one email; a failed send releases
    the claim and raises, for the task to retry. Returns the number sent."""
    sent = 0
    notices = Notification.objects.select_related("recipient", "organization").filter(
        pk__in=notification_ids, emailed_at__isnull=True
    )
    for notice in notices:
        claimed = Notification.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed or not notice.recipient.email or not notice.recipient.is_active:
            continue
        try:
            notification_email(notice).send(fail_silently=False)
        except Exception:
            Notification.objects.filter(pk=notice.pk).update(emailed_at=None)
            logger.warning("could not email notification %s; the task will retry", notice.pk)
            raise
        sent += 1
    return sent


def _absolute(path: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{path}" if base and path else ""


def notification_email(notice: Notification) -> EmailMessage:
    """The email of a notice: its title and body, and links back. Nothing else goes in, so what
    a sender keeps out of a notice (credentials, tokens, raw upstream errors) stays out."""
    organization = notice.organization
    inbox = reverse("notifications:notification-list", args=[organization.slug])
    text = render_to_string(
        "notifications/email.txt",
        {
            "notice": notice,
            "organization": organization,
            "link": _absolute(notice.link),
            "inbox": _absolute(inbox),
        },
    )
    return EmailMessage(
        subject=f"[{organization.name}] {notice.title}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.recipient.email],
    )


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, recipient_id: int) -> int:
    """Mark every unread notice of the person in the bound organisation as read."""
    return Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
