"""factory_boy factories. Tenant factories pass one organisation down the whole graph."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory
from factory.django import DjangoModelFactory

from okrplatform.accounts.models import User
from okrplatform.tenancy.models import Invitation, Membership, Organization, Team, TeamMembership
from okrplatform.tenancy.roles import Role

PASSWORD = "correct-horse-battery-9"


class TenantFactory(DjangoModelFactory):
    """Creates through the unscoped manager: factories run outside any request scope."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class: Any) -> Any:
        return model_class.unscoped


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    ultimate_goal = "Be the most trusted tool in the field."


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class TeamFactory(TenantFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    parent = None
    lead = None


class TeamMembershipFactory(TenantFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    organization = factory.SelfAttribute("team.organization")
    user = factory.SubFactory(UserFactory)


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.MEMBER


# --- KPIs -----------------------------------------------------------------------------------


class KPIFactory(TenantFactory):
    class Meta:
        model = "kpis.KPI"

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"KPI {n}")
    update_frequency = "monthly"
    aggregation = "last"


class KPITargetFactory(TenantFactory):
    class Meta:
        model = "kpis.KPITarget"

    kpi = factory.SubFactory(KPIFactory)
    organization = factory.SelfAttribute("kpi.organization")
    kind = "at_least"
    lower = 10
    upper = None
    tolerance = None
    effective_from = date(2020, 1, 1)
