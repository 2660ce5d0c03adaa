"""Migration 0002 turns the stored paths of existing notices into page names, so they follow
a renamed organisation; a path that is no organisation page loses its link, not its notice.
Migration 0003 makes existing unsent notices due for the email sweeper (recent ones only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from okrplatform.notifications import sweeper
from okrplatform.notifications.models import Notification
from okrplatform.tenancy.models import Organization
from tests.factories import OrganizationFactory, UserFactory

BEFORE = [("notifications", "0001_initial")]
AFTER = [("notifications", "0002_link_by_name")]
EMAIL_DUE = [("notifications", "0003_email_due")]


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes("notifications")


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # what is applied now, for the next caller
    return executor


@pytest.mark.django_db(transaction=True)
def test_stored_paths_become_page_names_that_follow_a_renamed_organisation() -> None:
    organization: Organization = OrganizationFactory(slug="acme")
    user = UserFactory()
    old_apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
    try:
        old_notification = old_apps.get_model("notifications", "Notification")
        for key, link in (
            ("kpi", "/acme/kpis/12/"),
            ("source", "/acme/integrations/sources/5/"),
            ("list", "/acme/kpis/"),
            ("gone", "/acme/no-such-page/"),
            ("none", ""),
        ):
            old_notification._base_manager.create(
                organization_id=organization.pk,
                recipient_id=user.pk,
                kind="kpi_unhealthy",
                title=key,
                link=link,
                dedupe_key=key,
            )
    finally:
        _migrate(_latest())
    organization.slug = "acme-renamed"
    organization.save()
    links = {
        notice.title: notice.link for notice in Notification.unscoped.select_related("organization")
    }
    assert links == {
        "kpi": "/acme-renamed/kpis/12/",
        "source": "/acme-renamed/integrations/sources/5/",
        "list": "/acme-renamed/kpis/",
        "gone": "",
        "none": "",
    }
    stored = Notification.unscoped.get(title="kpi")
    assert (stored.link_name, stored.link_args) == ("kpis:kpi-detail", [12])


@pytest.mark.django_db(transaction=True)
def test_recent_unsent_notices_become_due_for_the_email_sweeper() -> None:
    organization: Organization = OrganizationFactory()
    user = UserFactory()
    old_apps = _migrate(AFTER).loader.project_state(AFTER).apps
    try:
        old_notification = old_apps.get_model("notifications", "Notification")
        for key, emailed_at, age in (
            ("unsent", None, timedelta(hours=1)),
            ("sent", timezone.now(), timedelta(hours=1)),
            ("stale", None, timedelta(days=3)),
        ):
            notice = old_notification._base_manager.create(
                organization_id=organization.pk,
                recipient_id=user.pk,
                kind="kpi_unhealthy",
                title=key,
                dedupe_key=key,
                emailed_at=emailed_at,
            )
            old_notification._base_manager.filter(pk=notice.pk).update(
                created_at=timezone.now() - age
            )
        _migrate(EMAIL_DUE)
    finally:
        _migrate(_latest())
    swept = sweeper.unsent_emails_sweep(now=timezone.now() + timedelta(minutes=3))
    assert swept == [Notification.unscoped.get(title="unsent").pk]
