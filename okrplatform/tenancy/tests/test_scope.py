from __future__ import annotations

import pytest

from okrplatform.tenancy.models import Organization, Team
from okrplatform.tenancy.scope import TenantScopeError, organization_scope
from okrplatform.tenancy.tasks import tenant_task
from tests.factories import TeamFactory


def test_tenant_queryset_refuses_to_run_without_a_bound_organisation(org: Organization) -> None:
    TeamFactory(organization=org)
    with pytest.raises(TenantScopeError, match="No organisation is bound"):
        list(Team.objects.all())


def test_tenant_queryset_returns_only_the_bound_organisations_rows(
    org: Organization, other_org: Organization
) -> None:
    mine = TeamFactory(organization=org, name="Sales")
    TeamFactory(organization=other_org, name="Sales")
    with organization_scope(org.pk):
        assert list(Team.objects.all()) == [mine]
        # Even an explicit filter on another organisation finds nothing.
        assert not Team.objects.filter(organization=other_org).exists()


def test_queryset_built_outside_a_scope_runs_against_the_scope_that_evaluates_it(
    org: Organization, other_org: Organization
) -> None:
    queryset = Team.objects.order_by("name")  # built at "import time", like a form's choices
    TeamFactory(organization=org, name="A")
    TeamFactory(organization=other_org, name="B")
    with organization_scope(other_org.pk):
        assert [team.name for team in queryset.all()] == ["B"]
    with organization_scope(org.pk):
        assert [team.name for team in queryset.all()] == ["A"]


def test_unscoped_manager_is_the_named_escape_hatch(
    org: Organization, other_org: Organization
) -> None:
    TeamFactory(organization=org)
    TeamFactory(organization=other_org)
    assert Team.unscoped.count() == 2


def test_related_managers_are_scoped_too(org: Organization, other_org: Organization) -> None:
    parent = TeamFactory(organization=org)
    TeamFactory(organization=org, parent=parent)
    with organization_scope(other_org.pk):
        assert parent.children.count() == 0
    with organization_scope(org.pk):
        assert parent.children.count() == 1


def test_tenant_task_binds_the_scope_and_requires_an_organisation(
    org: Organization, other_org: Organization
) -> None:
    TeamFactory(organization=org)

    @tenant_task
    def count_teams(*, organization_id: int) -> int:
        return Team.objects.count()

    assert count_teams(organization_id=org.pk) == 1
    assert count_teams(organization_id=other_org.pk) == 0
    with pytest.raises(TypeError, match="organization_id"):
        count_teams()  # type: ignore[call-arg]
