"""The fixed cost of an organisation page: what the middleware and the layout read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.tenancy.membership_rows import memberships_with_organizations
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.selectors import memberships_of_user
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.urls("okrplatform.tenancy.tests.layout_urls")


def _get(client: Client, url: str) -> tuple[int, str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, response.content.decode(), [q["sql"] for q in captured]


def test_bare_layout_reads_session_user_memberships_and_badge_only(
    member: Membership, member_client: Client
) -> None:
    for index in range(5):
        MembershipFactory(user=member.user, organization=OrganizationFactory(name=f"Other {index}"))

    member_client.get("/acme/bare-layout/")  # the first visit saves the last organisation
    status, page, queries = _get(member_client, "/acme/bare-layout/")

    assert status == 200
    # Session, user, every membership of the user (the check, the switcher and the bell).
    assert len(queries) == 3, queries
    assert 'data-testid="org-switcher"' in page
    assert page.count('class="org-mark"') == 1 + 6  # the summary's mark and one per organisation
    assert 'href="/acme/" aria-current="true"' in page


def test_switcher_lists_only_the_users_own_organisations(
    member: Membership, member_client: Client, other_member: Membership
) -> None:
    status, page, _ = _get(member_client, "/acme/bare-layout/")

    assert status == 200
    assert "Acme Corp" in page
    assert "Globex" not in page


def test_non_member_gets_404_with_the_same_one_membership_query(
    member_client: Client, other_member: Membership
) -> None:
    member_client.get("/acme/bare-layout/")
    status, _, queries = _get(member_client, "/globex/bare-layout/")

    assert status == 404
    assert len(queries) == 3, (
        queries
    )  # session, user, memberships: no per-organisation lookup after a miss


def test_hand_written_memberships_match_the_selector(
    member: Membership, other_member: Membership
) -> None:
    for name in ("Zeta", "Beta", "Mu"):
        MembershipFactory(user=member.user, organization=OrganizationFactory(name=name))

    by_hand = memberships_with_organizations(member.user)
    by_orm = list(memberships_of_user(member.user))

    assert [m.organization.name for m in by_hand] == ["Acme Corp", "Beta", "Mu", "Zeta"]
    for hand, orm in zip(by_hand, by_orm, strict=True):
        assert model_to_dict(hand) == model_to_dict(orm)
        assert (hand.pk, hand.joined_at) == (orm.pk, orm.joined_at)
        assert model_to_dict(hand.organization) == model_to_dict(orm.organization)
        assert hand.organization.created_at == orm.organization.created_at
        assert hand.user == member.user


def _unread(membership: Membership, title: str) -> None:
    Notification.unscoped.create(
        organization_id=membership.organization_id,
        recipient=membership.user,
        kind=NotificationKind.KPI_UNHEALTHY,
        title=title,
        dedupe_key=title,
    )


def test_the_bell_counted_with_the_memberships_is_the_pages_own(
    member: Membership, member_client: Client, admin: Membership, other_member: Membership
) -> None:
    mine_elsewhere = MembershipFactory(user=member.user, organization=other_member.organization)
    for title in ("One", "Two"):
        _unread(member, title)
    _unread(admin, "Not mine")
    _unread(mine_elsewhere, "Mine, in Globex")

    _, acme, _ = _get(member_client, "/acme/bare-layout/")
    _, globex, _ = _get(member_client, "/globex/bare-layout/")

    assert 'aria-label="Notifications, 2 unread"' in acme
    assert 'aria-label="Notifications, 1 unread"' in globex
    read = memberships_with_organizations(member.user, unread_badge_of="acme")
    badges = {m.organization.slug: getattr(m, "unread_badge", None) for m in read}
    assert badges == {"acme": "2", "globex": None}  # counted for the page's organisation only


def test_after_a_post_the_bell_counts_what_the_view_left_unread(
    member: Membership, member_client: Client
) -> None:
    _unread(member, "One")
    member_client.get("/acme/bare-layout/")

    response = member_client.post("/acme/bare-layout/")

    page = response.content.decode()
    assert 'data-testid="notification-bell"' in page
    assert "unread" not in page  # the view read it: no stale count from before the view
