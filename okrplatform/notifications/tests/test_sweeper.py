"""The email sweeper: notices whose email task never ran are emailed later, once, and only
while the news is fresh and unread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from okrplatform.background import BrokerUnavailableError
from okrplatform.notifications import sweeper, tasks
from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.notifications.services import NoticeDraft, notifications_send
from okrplatform.tenancy.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

LATER = sweeper.SWEEP_GRACE + timedelta(seconds=1)


def send_without_email(organization_id: int, recipient_id: int, key: str = "change-1") -> int:
    """A notice whose email task was lost: the on-commit send never runs in this test's
    transaction, as when the broker was down at commit."""
    [notice_id] = notifications_send(
        organization_id=organization_id,
        drafts=[
            NoticeDraft(
                recipient_id=recipient_id,
                kind=NotificationKind.KPI_UNHEALTHY,
                title="Churn is unhealthy",
                dedupe_key=key,
            )
        ],
    )
    return notice_id


def test_a_lost_email_is_sent_by_the_sweep_once_its_grace_has_passed(
    org: Organization, owner: Membership, django_capture_on_commit_callbacks
) -> None:
    notice_id = send_without_email(org.pk, owner.user_id)
    assert mail.outbox == []

    assert sweeper.unsent_emails_sweep() == []  # the first task may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeper.unsent_emails_sweep(now=timezone.now() + LATER) == [notice_id]
    assert [message.to for message in mail.outbox] == [[owner.user.email]]
    assert "Churn is unhealthy" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        assert sweeper.unsent_emails_sweep(now=timezone.now() + 2 * LATER) == []
    assert len(mail.outbox) == 1


def test_an_unsent_notice_gets_one_new_task_per_interval(
    org: Organization, owner: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice_id = send_without_email(org.pk, owner.user_id)
    sent: list[dict[int, list[int]]] = []
    monkeypatch.setattr(sweeper, "_send", sent.append)
    start = timezone.now() + LATER

    assert sweeper.unsent_emails_sweep(now=start) == [notice_id]
    assert sweeper.unsent_emails_sweep(now=start + timedelta(minutes=1)) == []
    again = start + sweeper.RESEND_AFTER + sweeper.SWEEP_GRACE + timedelta(seconds=1)
    assert sweeper.unsent_emails_sweep(now=again) == [notice_id]


def test_stale_and_already_read_notices_are_not_emailed_late(
    org: Organization, owner: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = send_without_email(org.pk, owner.user_id, "old-change")
    read = send_without_email(org.pk, owner.user_id, "read-change")
    fresh = send_without_email(org.pk, owner.user_id, "new-change")
    Notification.unscoped.filter(pk=stale).update(
        created_at=timezone.now() - sweeper.EMAIL_MAX_AGE - timedelta(minutes=1)
    )
    Notification.unscoped.filter(pk=read).update(read_at=timezone.now())
    monkeypatch.setattr(sweeper, "_send", lambda _rows: None)

    assert sweeper.unsent_emails_sweep(now=timezone.now() + LATER) == [fresh]


def test_each_organisations_notices_go_in_a_task_bound_to_that_organisation(
    org: Organization,
    owner: Membership,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    other = OrganizationFactory()
    other_owner = MembershipFactory(organization=other, role="owner")
    ours = send_without_email(org.pk, owner.user_id)
    theirs = send_without_email(other.pk, other_owner.user_id)
    calls: list[tuple[int, list[int]]] = []
    real_delay = tasks.notification_emails_send.delay

    def recording_delay(*, organization_id: int, notification_ids: list[int]) -> object:
        calls.append((organization_id, notification_ids))
        return real_delay(organization_id=organization_id, notification_ids=notification_ids)

    monkeypatch.setattr(tasks.notification_emails_send, "delay", recording_delay)
    with django_capture_on_commit_callbacks(execute=True):
        sweeper.unsent_emails_sweep(now=timezone.now() + LATER)
    assert sorted(calls) == sorted([(org.pk, [ours]), (other.pk, [theirs])])
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [owner.user.email, other_owner.user.email]
    )


def test_with_the_broker_down_the_sweep_keeps_the_notices_for_a_later_one(
    org: Organization,
    owner: Membership,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    notice_id = send_without_email(org.pk, owner.user_id)

    def broker_down(**_kwargs: object) -> None:
        raise BrokerUnavailableError("connection refused")

    monkeypatch.setattr(tasks.notification_emails_send, "delay", broker_down)
    start = timezone.now() + LATER
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeper.unsent_emails_sweep(now=start) == [notice_id]  # tried; no error raised
    monkeypatch.undo()

    later = start + sweeper.RESEND_AFTER + sweeper.SWEEP_GRACE + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeper.unsent_emails_sweep(now=later) == [notice_id]
    assert len(mail.outbox) == 1
