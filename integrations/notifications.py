"""Telling people a data source started failing, through the platform's notifications.

One notice per change: only the transaction that flips a source from OK to "needs attention" (a
conditional UPDATE, so exactly one) calls this, and the change's key (source and the moment it
started failing) makes a repeated call harmless too. The message shown is the run's error, which
the pipeline already words without credentials, tokens or internal addresses.
"""

from __future__ import annotations

from datetime import datetime

from okrplatform.notifications.models import NotificationKind
from okrplatform.notifications.services import NoticeDraft, notifications_send
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Role

from .models import DataSource


def _recipient_ids(source: DataSource) -> set[int]:
    people = set(
        Membership.unscoped.filter(
            organization_id=source.organization_id, role__in=[Role.OWNER, Role.ADMIN]
        ).values_list("user_id", flat=True)
    )
    if source.kpi.owner_id is not None:
        people.add(source.kpi.owner_id)
    return people


def source_failing_notify(*, source: DataSource, message: str, failing_since: datetime) -> None:
    source = DataSource.unscoped.select_related("kpi", "integration").get(pk=source.pk)
    title = f"Data source for “{source.kpi.name}” needs attention"
    body = f"{source.integration.name}: {message}"
    key = f"source-failing:{source.pk}:{failing_since.isoformat()}"
    notifications_send(
        organization_id=source.organization_id,
        drafts=[
            NoticeDraft(
                recipient_id=user_id,
                kind=NotificationKind.SOURCE_FAILING,
                title=title,
                body=body,
                link_name="integrations:source-detail",
                link_args=(source.pk,),
                dedupe_key=key,
            )
            for user_id in sorted(_recipient_ids(source))
        ],
    )
