"""Notifications in the tenant-isolation suite (tests/isolation/)."""

from __future__ import annotations

from typing import Any

from okrplatform.notifications.models import Notification, NotificationKind


def extend_world(world: Any, marker: str) -> None:
    """An unread notice for the organisation's owner, its text carrying ``marker``."""
    world.extra["notification"] = Notification.unscoped.create(
        organization=world.organization,
        recipient=world.owner.user,
        kind=NotificationKind.KPI_UNHEALTHY,
        title=f"{marker} KPI is unhealthy",
        body=f"{marker} body",
        link_name="kpis:kpi-list",
        dedupe_key=f"{marker}-change",
    )


OBJECT_KWARGS = {
    "notifications:notification-read": lambda w: {"pk": w.notification.pk},
}
