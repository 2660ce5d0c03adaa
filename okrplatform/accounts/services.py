from __future__ import annotations

from django.db import IntegrityError, transaction

from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Organization
from okrplatform.tenancy.services import invitation_accept, organization_create

from .models import User

EMAIL_TAKEN = "An account with this email already exists; log in instead."


@transaction.atomic
def user_sign_up(
    *,
    full_name: str,
    email: str,
    password: str,
    organization_name: str = "",
    organization_slug: str = "",
    invitation_token: str = "",
) -> tuple[User, Organization]:
    """Create a user with either a new organisation (they own it) or the membership an
    invitation offers.

    All or nothing: a taken web address or an unusable invitation leaves no half-made account
    behind.
    """
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(EMAIL_TAKEN, field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name.strip()
            )
    except IntegrityError as error:  # a concurrent sign-up took the address first
        raise DomainError(EMAIL_TAKEN, field="email") from error
    if invitation_token:
        membership = invitation_accept(token=invitation_token, user=user)
        return user, membership.organization
    if not organization_name.strip():
        raise DomainError("Name your organisation.", field="organization_name")
    try:
        organization = organization_create(
            name=organization_name, slug=organization_slug, owner=user
        )
    except DomainError as error:
        field = "organization_slug" if error.field == "slug" else error.field
        raise DomainError(error.message, field=field) from error
    return user, organization
