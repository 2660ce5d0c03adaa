"""Sending notices: once per recipient and change, members only, one email per notice."""

from __future__ import annotations

from smtplib import SMTPException

import pytest
from django.core import mail

from okrplatform.notifications import services
from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.notifications.services import NoticeDraft, notifications_send
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.scope import organization_scope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def draft(recipient_id: int, key: str = "change-1", **kwargs: str) -> NoticeDraft:
    return NoticeDraft(
        recipient_id=recipient_id,
        kind=NotificationKind.SOURCE_FAILING,
        title=kwargs.get("title", "Something changed"),
        body=kwargs.get("body", "Details"),
        link_name="kpis:kpi-detail",
        link_args=(3,),
        dedupe_key=key,
    )


def test_one_notice_per_recipient_and_change(org: Organization, owner: Membership) -> None:
    first = notifications_send(organization_id=org.pk, drafts=[draft(owner.user_id)] * 3)
    again = notifications_send(organization_id=org.pk, drafts=[draft(owner.user_id)])
    other = notifications_send(organization_id=org.pk, drafts=[draft(owner.user_id, "change-2")])
    assert (len(first), again, len(other)) == (1, [], 1)
    assert Notification.unscoped.count() == 2


def test_only_current_active_members_are_notified(
    org: Organization, owner: Membership, other_member: Membership
) -> None:
    outsider = UserFactory()
    inactive = UserFactory(is_active=False)
    Membership.unscoped.create(organization=org, user=inactive, role="admin")
    notifications_send(
        organization_id=org.pk,
        drafts=[
            draft(uid) for uid in (owner.user_id, outsider.pk, other_member.user_id, inactive.pk)
        ],
    )
    assert list(Notification.unscoped.values_list("recipient_id", flat=True)) == [owner.user_id]


def test_each_notice_is_emailed_once(
    org: Organization, owner: Membership, admin: Membership, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ids = notifications_send(
            organization_id=org.pk, drafts=[draft(owner.user_id), draft(admin.user_id)]
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.user.email, admin.user.email])
    with organization_scope(org.pk):  # a duplicated task message sends nothing more
        assert services.notification_emails_deliver(notification_ids=ids) == 0
    assert len(mail.outbox) == 2


def test_a_failed_send_releases_the_notice_for_the_retry(
    org: Organization, owner: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = notifications_send(organization_id=org.pk, drafts=[draft(owner.user_id)])

    def refuse(self: object, fail_silently: bool = False) -> int:
        raise SMTPException("mail server down")

    with organization_scope(org.pk):
        monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
        with pytest.raises(SMTPException):
            services.notification_emails_deliver(notification_ids=ids)
        assert Notification.objects.get().emailed_at is None
        monkeypatch.undo()
        assert services.notification_emails_deliver(notification_ids=ids) == 1
    assert len(mail.outbox) == 1


def test_the_email_carries_the_notice_and_links_back(
    org: Organization, owner: Membership, settings: object, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://okr.example.com/"  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        notifications_send(
            organization_id=org.pk,
            drafts=[
                draft(
                    owner.user_id,
                    title="“Churn” is unhealthy",
                    body="March: 5%",
                )
            ],
        )
    message = mail.outbox[0]
    assert message.subject == "[Acme Corp] “Churn” is unhealthy"
    assert "March: 5%" in message.body
    assert "Open it: https://okr.example.com/acme/kpis/3/" in message.body
    assert "Your notifications: https://okr.example.com/acme/notifications/" in message.body
    assert "&" not in message.body  # plain text, not HTML-escaped


def test_the_email_links_with_the_organisations_slug_of_the_day(
    org: Organization, owner: Membership, settings: object
) -> None:
    settings.SITE_URL = "https://okr.example.com"  # type: ignore[attr-defined]
    ids = notifications_send(organization_id=org.pk, drafts=[draft(owner.user_id)])
    org.slug = "acme-renamed"
    org.save()
    with organization_scope(org.pk):
        services.notification_emails_deliver(notification_ids=ids)
    assert "Open it: https://okr.example.com/acme-renamed/kpis/3/" in mail.outbox[0].body
