"""The notifications page and the bell: one's own notices, newest first, mark one or all read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.tenancy.models import Membership, Organization

pytestmark = pytest.mark.django_db


def notice(
    membership: Membership, title: str, *, age_minutes: int = 0, read: bool = False
) -> Notification:
    item = Notification.unscoped.create(
        organization_id=membership.organization_id,
        recipient=membership.user,
        kind=NotificationKind.KPI_UNHEALTHY,
        title=title,
        body=f"{title} body",
        link_name="kpis:kpi-list",
        dedupe_key=title,
        read_at=timezone.now() if read else None,
    )
    Notification.unscoped.filter(pk=item.pk).update(
        created_at=timezone.now() - timedelta(minutes=age_minutes)
    )
    return item


def list_url(org: Organization) -> str:
    return reverse("notifications:notification-list", args=[org.slug])


def test_the_list_shows_ones_own_notices_newest_first(
    org: Organization, member: Membership, admin: Membership, member_client: Client
) -> None:
    notice(member, "Older news", age_minutes=30)
    notice(member, "Fresh news", age_minutes=1)
    notice(admin, "Someone else's news")
    body = member_client.get(list_url(org)).content.decode()
    assert body.index("Fresh news") < body.index("Older news")
    assert "Someone else" not in body


def test_the_bell_counts_unread_notices_of_this_organisation(
    org: Organization,
    member: Membership,
    other_org: Organization,
    member_client: Client,
) -> None:
    notice(member, "Unread one")
    notice(member, "Unread two")
    notice(member, "Already read", read=True)
    Membership.unscoped.create(organization=other_org, user=member.user, role="member")
    Notification.unscoped.create(
        organization=other_org,
        recipient=member.user,
        kind="kpi_unhealthy",
        title="Elsewhere",
        dedupe_key="x",
    )
    home = member_client.get(reverse("tenancy:home", args=[org.slug])).content.decode()
    assert 'aria-label="Notifications, 2 unread"' in home
    assert '<span class="bell-count" aria-hidden="true">2</span>' in home
    assert f'href="{list_url(org)}"' in home


def test_the_bell_caps_its_count(
    org: Organization, member: Membership, member_client: Client
) -> None:
    for number in range(101):
        notice(member, f"News {number}")
    home = member_client.get(reverse("tenancy:home", args=[org.slug])).content.decode()
    assert 'aria-label="Notifications, 99+ unread"' in home


def test_mark_one_read_with_and_without_htmx(
    org: Organization, member: Membership, member_client: Client
) -> None:
    first, second = notice(member, "First"), notice(member, "Second")
    url = reverse("notifications:notification-read", args=[org.slug, first.pk])
    response = member_client.post(url)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None

    url = reverse("notifications:notification-read", args=[org.slug, second.pk])
    response = member_client.post(url, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert f'id="notice-{second.pk}"' in fragment
    assert "Mark as read" not in fragment
    assert "<html" not in fragment
    second.refresh_from_db()
    assert second.read_at is not None


def test_mark_all_read_touches_only_ones_own(
    org: Organization, member: Membership, admin: Membership, member_client: Client
) -> None:
    notice(member, "Mine 1")
    notice(member, "Mine 2")
    theirs = notice(admin, "Theirs")
    member_client.post(reverse("notifications:notification-read-all", args=[org.slug]))
    assert not Notification.unscoped.filter(recipient=member.user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_notice_answers_404(
    org: Organization, member: Membership, admin: Membership, member_client: Client
) -> None:
    theirs = notice(admin, "Theirs")
    url = reverse("notifications:notification-read", args=[org.slug, theirs.pk])
    assert member_client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_viewers_see_their_notices(
    org: Organization, viewer: Membership, viewer_client: Client
) -> None:
    notice(viewer, "For a viewer")
    assert "For a viewer" in viewer_client.get(list_url(org)).content.decode()


def test_the_list_reads_a_flat_number_of_queries(
    org: Organization, member: Membership, member_client: Client, django_assert_max_num_queries
) -> None:
    notice(member, "Only one")
    member_client.get(list_url(org))
    with CaptureQueriesContext(connection) as few:
        member_client.get(list_url(org))
    for number in range(60):
        notice(member, f"Many {number}", read=number % 2 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get(list_url(org))
    assert response.content.decode().count('<li id="notice-') == 30  # one page


def test_links_follow_a_renamed_organisation(
    org: Organization, member: Membership, member_client: Client
) -> None:
    old_slug = org.slug
    item = notice(member, "Churn is unhealthy")
    Notification.unscoped.filter(pk=item.pk).update(link_name="kpis:kpi-detail", link_args=[7])
    org.slug = "acme-renamed"
    org.save()
    page = member_client.get(list_url(org)).content.decode()
    assert 'href="/acme-renamed/kpis/7/"' in page
    assert f"/{old_slug}/kpis/" not in page


def test_a_link_to_a_page_that_no_longer_exists_is_left_out(
    org: Organization, member: Membership, member_client: Client
) -> None:
    item = notice(member, "Churn is unhealthy")
    Notification.unscoped.filter(pk=item.pk).update(link_name="kpis:gone")
    response = member_client.get(list_url(org))
    assert response.status_code == 200
    assert "Churn is unhealthy" in response.content.decode()
    assert Notification.unscoped.get(pk=item.pk).link == ""
