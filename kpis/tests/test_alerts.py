"""A KPI turning unhealthy notifies its owner, its team's lead and the admins: once per change,
on every write path (one value, bulk batches on both write paths, targets), never per value."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from kpis import services
from kpis.models import KPI
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.roles import Role
from okrplatform.tenancy.scope import organization_scope
from tests.factories import (
    KPIFactory,
    KPITargetFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JAN = datetime(2025, 1, 15, tzinfo=UTC)


def month(n: int) -> datetime:
    """The 15th of the n-th month after January 2025."""
    return datetime(2025 + (n // 12), n % 12 + 1, 15, tzinfo=UTC)


@pytest.fixture
def people(org: Organization, owner: Membership, admin: Membership) -> dict[str, Membership]:
    return {
        "owner": owner,
        "admin": admin,
        "kpi_owner": MembershipFactory(organization=org, role=Role.MEMBER),
        "lead": MembershipFactory(organization=org, role=Role.MEMBER),
        "bystander": MembershipFactory(organization=org, role=Role.MEMBER),
    }


@pytest.fixture
def churn(org: Organization, people: dict[str, Membership]) -> KPI:
    team = TeamFactory(organization=org, name="Success", lead=people["lead"].user)
    kpi = KPIFactory(
        organization=org,
        name="Churn",
        owner=people["kpi_owner"].user,
        owner_team=team,
        unit_kind="percentage",
        decimal_places=1,
    )
    KPITargetFactory(kpi=kpi, kind="at_most", lower=None, upper=2, effective_from=date(2024, 1, 1))
    return kpi


def record(org: Organization, kpi: KPI, *points: tuple[datetime, float]) -> None:
    kpi_values_record_many(
        organization_id=org.pk,
        points=[PointInput(kpi.pk, when, value) for when, value in points],
        source="integration",
    )


def notified(kpi: KPI | None = None) -> list[int]:
    notices = Notification.unscoped.filter(kind=NotificationKind.KPI_UNHEALTHY)
    if kpi is not None:
        notices = notices.filter(link_name="kpis:kpi-detail", link_args=[kpi.pk])
    return sorted(notices.values_list("recipient_id", flat=True))


def test_turning_unhealthy_notifies_owner_lead_and_admins(
    org: Organization, churn: KPI, people: dict[str, Membership], write_path: str
) -> None:
    record(org, churn, (JAN, 1.5))
    assert notified() == []  # healthy: nothing to say
    record(org, churn, (month(1), 3.34))
    expected = sorted(people[name].user_id for name in ("owner", "admin", "kpi_owner", "lead"))
    assert notified() == expected
    notice = Notification.unscoped.get(recipient=people["kpi_owner"].user)
    assert notice.title == "“Churn” is unhealthy"
    assert notice.body == "February 2025: 3.3% against the target ≤ 2.0%. It was healthy before."
    assert notice.link == f"/{org.slug}/kpis/{churn.pk}/"


def test_repeated_syncs_and_more_bad_values_notify_once(
    org: Organization, churn: KPI, people: dict[str, Membership], write_path: str
) -> None:
    record(org, churn, (JAN, 1.0))
    for _ in range(3):  # the same slot synced again and again
        record(org, churn, (month(1), 5))
    record(org, churn, (month(1) + timedelta(days=3), 6), (month(2), 7))  # still unhealthy
    assert len(notified()) == 4


def test_a_bulk_batch_notifies_once_per_kpi(
    org: Organization, churn: KPI, people: dict[str, Membership], write_path: str
) -> None:
    other = KPIFactory(organization=org, name="Refunds", owner=people["bystander"].user)
    KPITargetFactory(kpi=other, kind="at_least", lower=10, effective_from=date(2024, 1, 1))
    # A year of history in one batch: it flips in and out of range several times, but only
    # where it stands now counts, once per KPI.
    points = [PointInput(churn.pk, month(n), 5 if n % 2 else 1) for n in range(12)]
    points += [PointInput(other.pk, month(n), 3) for n in range(12)]
    kpi_values_record_many(organization_id=org.pk, points=points, source="import")
    assert len(notified(churn)) == 4
    assert len(notified(other)) == 3  # owner, admin and the KPI's owner; it has no team
    assert Notification.unscoped.count() == 7


def test_back_in_range_then_out_again_is_a_new_change(
    org: Organization, churn: KPI, people: dict[str, Membership]
) -> None:
    record(org, churn, (JAN, 5))
    record(org, churn, (month(1), 1))
    record(org, churn, (month(2), 5))
    assert len(notified()) == 8  # two changes to unhealthy, four people each
    # Correcting February back and forth again is the same change as before: no new notice.
    record(org, churn, (month(2), 1))
    record(org, churn, (month(2), 5))
    assert len(notified()) == 8


def test_single_values_and_target_changes_notify_too(
    org: Organization, churn: KPI, people: dict[str, Membership]
) -> None:
    with organization_scope(org.pk):
        services.kpi_value_record(actor=people["owner"], kpi=churn, timestamp=JAN, value=1.8)
        assert notified() == []
        services.kpi_target_set(
            actor=people["owner"],
            kpi=churn,
            kind="at_most",
            upper=1,
            effective_from=date(2025, 1, 1),
        )
    assert len(notified()) == 4


def test_people_who_left_are_not_notified(
    org: Organization, churn: KPI, people: dict[str, Membership]
) -> None:
    Membership.unscoped.filter(pk=people["kpi_owner"].pk).delete()
    record(org, churn, (JAN, 9))
    assert people["kpi_owner"].user_id not in notified()
    assert len(notified()) == 3


def test_a_refused_batch_notifies_nobody(org: Organization, churn: KPI, people: dict) -> None:
    with pytest.raises(Exception, match="Point 2"):
        kpi_values_record_many(
            organization_id=org.pk,
            points=[PointInput(churn.pk, JAN, 9), PointInput(churn.pk, month(1), "NaN")],
            source="api",
        )
    assert notified() == []


def test_the_email_goes_out_once_on_commit_and_tells_no_secrets(
    org: Organization,
    churn: KPI,
    people: dict[str, Membership],
    django_capture_on_commit_callbacks,
    settings,
) -> None:
    settings.SITE_URL = "https://okr.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        record(org, churn, (JAN, 9))
    with django_capture_on_commit_callbacks(execute=True):
        record(org, churn, (JAN, 9.5))  # the next sync: still unhealthy, no new mail
    recipients = sorted(message.to[0] for message in mail.outbox)
    expected = sorted(people[n].user.email for n in ("owner", "admin", "kpi_owner", "lead"))
    assert recipients == expected
    message = mail.outbox[0]
    assert message.subject == f"[{org.name}] “Churn” is unhealthy"
    assert "January 2025: 9.0% against the target ≤ 2.0%." in message.body
    assert f"https://okr.example.com/{org.slug}/kpis/{churn.pk}/" in message.body
    assert f"https://okr.example.com/{org.slug}/notifications/" in message.body
    assert "password" not in message.body.lower()
    assert set(Notification.unscoped.values_list("emailed_at", flat=True)) != {None}


def test_other_organisations_hear_nothing(
    org: Organization, other_org: Organization, other_member: Membership, churn: KPI
) -> None:
    stranger = UserFactory()
    MembershipFactory(organization=other_org, user=stranger, role=Role.OWNER)
    record(org, churn, (JAN, 9))
    assert not Notification.unscoped.filter(organization=other_org).exists()
    assert not Notification.unscoped.filter(
        recipient_id__in=[stranger.pk, other_member.user_id]
    ).exists()
