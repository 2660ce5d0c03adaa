"""Fixtures shared by every test: organisations, members in each role, and a bound scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from okrplatform.celery import app as celery_app
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.roles import Role
from okrplatform.tenancy.scope import organization_scope
from tests.factories import MembershipFactory, OrganizationFactory

TEST_OUTPUT = Path(__file__).resolve().parent / "test-output"


@pytest.fixture(autouse=True)
def _celery_eager() -> Iterator[None]:
    """Tasks run in-process unless a test starts a real worker (the `worker` marker)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fairness_forgets() -> None:
    """The organisations a previous test's runs met do not make this test's runs share."""
    from integrations import fairness

    fairness.forget()


@pytest.fixture
def org(db: None) -> Organization:
    return OrganizationFactory(name="Acme Corp", slug="acme")


@pytest.fixture
def other_org(db: None) -> Organization:
    return OrganizationFactory(name="Globex", slug="globex")


def _membership(organization: Organization, role: str) -> Membership:
    return MembershipFactory(organization=organization, role=role)


@pytest.fixture
def owner(org: Organization) -> Membership:
    return _membership(org, Role.OWNER)


@pytest.fixture
def admin(org: Organization, owner: Membership) -> Membership:
    return _membership(org, Role.ADMIN)


@pytest.fixture
def member(org: Organization, owner: Membership) -> Membership:
    return _membership(org, Role.MEMBER)


@pytest.fixture
def viewer(org: Organization, owner: Membership) -> Membership:
    return _membership(org, Role.VIEWER)


@pytest.fixture
def other_member(other_org: Organization) -> Membership:
    _membership(other_org, Role.OWNER)
    return _membership(other_org, Role.ADMIN)


@pytest.fixture
def scope(org: Organization) -> Iterator[Organization]:
    """Bind ``org`` as the current organisation, as the request layer would."""
    with organization_scope(org.pk):
        yield org


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def owner_client(owner: Membership) -> Client:
    return client_for(owner)


@pytest.fixture
def admin_client_(admin: Membership) -> Client:
    return client_for(admin)


@pytest.fixture
def member_client(member: Membership) -> Client:
    return client_for(member)


@pytest.fixture
def viewer_client(viewer: Membership) -> Client:
    return client_for(viewer)


@pytest.fixture
def other_client(other_member: Membership) -> Client:
    return client_for(other_member)
