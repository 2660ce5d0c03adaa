from __future__ import annotations

from django.db import transaction

from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Organization
from okrplatform.tenancy.services import organization_create

from .models import User


@transaction.atomic
def user_sign_up(
    *,
    full_name: str,
    email: str,
    password: str,
    organization_name: str | None = None,
    organization_slug: str = "",
) -> tuple[User, Organization | None]:
    """Create a user and, unless they are joining through an invitation, their organisation.

    All or nothing: a taken web address leaves no half-made account behind.
    """
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            "An account with this email already exists; log in instead.", field="email"
        )
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    organization = None
    if organization_name:
        try:
            organization = organization_create(
                name=organization_name, slug=organization_slug, owner=user
            )
        except DomainError as error:
            raise DomainError(
                error.message, field="organization_slug" if error.field == "slug" else error.field
            ) from error
    return user, organization
