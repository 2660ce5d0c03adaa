"""Sign-up: a user, their organisation and its owner membership, all or nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from okrplatform.accounts.models import User
from okrplatform.accounts.services import user_sign_up
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Invitation, Membership, Organization
from okrplatform.tenancy.roles import Role
from tests.factories import InvitationFactory, UserFactory

SIGN_UP_URL = "/accounts/signup/"
STRONG_PASSWORD = "plum-orbit-lantern-42"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Ada Lovelace",
        "email": "ada@example.test",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "organization_name": "Analytical Engines",
        "organization_slug": "engines",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_sign_up_creates_user_organisation_and_owner_membership_and_logs_in(
    client: Client,
) -> None:
    response = client.post(SIGN_UP_URL, _form(email="Ada@Example.test"))

    assert response.status_code == 302
    assert response["Location"] == reverse("tenancy:home", kwargs={"org_slug": "engines"})
    user = User.objects.get()
    assert user.email == "ada@example.test"  # stored in lower case
    assert user.check_password(STRONG_PASSWORD)
    organization = Organization.objects.get()
    assert (organization.name, organization.slug) == ("Analytical Engines", "engines")
    membership = Membership.unscoped.get()
    assert (membership.user, membership.organization, membership.role) == (
        user,
        organization,
        Role.OWNER,
    )
    # The new owner is logged in and lands on the organisation's home page.
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_sign_up_derives_the_web_address_from_the_name(client: Client) -> None:
    client.post(SIGN_UP_URL, _form(organization_name="Acme Widgets Ltd", organization_slug=""))
    assert Organization.objects.get().slug == "acme-widgets-ltd"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "message"),
    [("acme", "already taken"), ("admin", "is reserved"), ("accounts", "is reserved")],
)
def test_taken_or_reserved_web_address_is_refused_and_leaves_no_account(
    client: Client, org: Organization, slug: str, message: str
) -> None:
    response = client.post(SIGN_UP_URL, _form(organization_slug=slug))

    assert response.status_code == 200  # the form again, with the error next to the field
    assert message in response.context["form"].errors["organization_slug"][0]
    assert not User.objects.filter(email="ada@example.test").exists()
    assert Organization.objects.count() == 1  # only the fixture's
    assert not Membership.unscoped.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_taken_email_is_refused_whatever_its_case(client: Client) -> None:
    UserFactory(email="ada@example.test")

    response = client.post(SIGN_UP_URL, _form(email="ADA@example.test"))

    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["email"][0]
    assert User.objects.count() == 1
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_service_refuses_a_taken_email_even_past_the_form(org: Organization) -> None:
    UserFactory(email="ada@example.test")
    with pytest.raises(DomainError, match="already exists") as caught:
        user_sign_up(
            full_name="Ada",
            email="Ada@Example.test",
            password=STRONG_PASSWORD,
            organization_name="Engines",
        )
    assert caught.value.field == "email"
    assert Organization.objects.count() == 1


@pytest.mark.django_db
def test_service_maps_a_taken_slug_to_the_sign_up_field_and_rolls_back_the_user(
    org: Organization,
) -> None:
    with pytest.raises(DomainError, match="already taken") as caught:
        user_sign_up(
            full_name="Ada",
            email="ada@example.test",
            password=STRONG_PASSWORD,
            organization_name="Acme",
            organization_slug="acme",
        )
    assert caught.value.field == "organization_slug"
    assert not User.objects.filter(email="ada@example.test").exists()


@pytest.mark.django_db
def test_mismatched_or_weak_passwords_are_refused(client: Client) -> None:
    response = client.post(SIGN_UP_URL, _form(password2="something-else-17"))
    assert "differ" in response.context["form"].errors["password2"][0]
    response = client.post(SIGN_UP_URL, _form(password1="12345678", password2="12345678"))
    assert response.context["form"].errors["password1"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_up_through_an_invitation_joins_with_the_invited_role(
    client: Client, org: Organization
) -> None:
    invitation = InvitationFactory(organization=org, email="ada@example.test", role=Role.ADMIN)
    url = f"{SIGN_UP_URL}?invitation={invitation.token}"

    page = client.get(url)
    assert "organization_name" not in page.context["form"].fields  # no new organisation
    response = client.post(url, _form(organization_name="", organization_slug=""))

    assert response.status_code == 302
    assert response["Location"] == reverse("tenancy:home", kwargs={"org_slug": "acme"})
    membership = Membership.unscoped.get(user__email="ada@example.test")
    assert (membership.organization, membership.role) == (org, Role.ADMIN)
    assert Organization.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


@pytest.mark.django_db
def test_sign_up_through_an_invitation_for_another_address_creates_nothing(
    client: Client, org: Organization
) -> None:
    invitation = InvitationFactory(organization=org, email="someone@example.test")

    response = client.post(f"{SIGN_UP_URL}?invitation={invitation.token}", _form())

    assert response.status_code == 200
    assert "was sent to someone@example.test" in str(response.context["form"].non_field_errors())
    assert not User.objects.filter(email="ada@example.test").exists()
    assert Invitation.unscoped.get().accepted_at is None
