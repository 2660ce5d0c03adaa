"""Reads for notifications: always the bound organisation's, always the person's own."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification, NotificationKind

BADGE_CAP = 99  # the bell shows "99+" beyond this, and counts no further


def notification_list(*, recipient_id: int) -> QuerySet[Notification]:
    """With their organisation, whose current slug their links are made with."""
    return (
        Notification.objects.filter(recipient_id=recipient_id)
        .select_related("organization")
        .order_by("-created_at", "-pk")
    )


def notification_get(*, recipient_id: int, pk: int) -> Notification | None:
    return notification_list(recipient_id=recipient_id).filter(pk=pk).first()


def unread_badge(*, recipient_id: int) -> str:
    """The bell's label: "" when nothing is unread, else the count (capped, so the query reads
    at most BADGE_CAP + 1 index entries however many notices pile up)."""
    unread = Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True)
    count = unread.order_by()[: BADGE_CAP + 1].count()
    if count > BADGE_CAP:
        return f"{BADGE_CAP}+"
    return str(count) if count else ""


def unread_of_kind(
    *, recipient_id: int, kind: NotificationKind, limit: int = 10
) -> list[Notification]:
    return list(
        Notification.objects.filter(
            recipient_id=recipient_id, kind=kind, read_at__isnull=True
        ).order_by("-created_at", "-pk")[:limit]
    )
