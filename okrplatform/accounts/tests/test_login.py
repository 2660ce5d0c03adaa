"""Log in, log out and password reset through Django's email backend."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from okrplatform.tenancy.models import Membership
from tests.factories import PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"


def test_login_with_email_in_any_case_then_logout(client: Client, member: Membership) -> None:
    response = client.post(LOGIN_URL, {"username": member.user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.user.pk)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session
    # Logged out, organisation pages send the visitor to the login page.
    response = client.get(f"/{member.organization.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_wrong_password_is_refused(client: Client, member: Membership) -> None:
    response = client.post(LOGIN_URL, {"username": member.user.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(client: Client) -> None:
    user = UserFactory(email="ada@example.test")

    response = client.post("/accounts/password-reset/", {"email": "ADA@example.test"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ada@example.test"]
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", str(email.body))
    assert match, email.body

    # The link redirects once to a token-less URL (Django hides the token from referrers).
    form_page = client.get(match.group(1), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    new_password = "violet-harbour-engine-73"
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(new_password)
    # The link works once.
    assert client.get(match.group(1), follow=True).context["validlink"] is False


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(
    client: Client,
) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302  # the same answer as for a known address
    assert mail.outbox == []
