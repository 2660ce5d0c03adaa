"""The demo organisation gets boards built from its demo KPIs."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from boards import demo
from boards.models import Board, BoardItem, BoardSection
from kpis import demo as kpi_demo
from okrplatform.accounts.models import User
from okrplatform.tenancy.demo import DEMO_EMAIL, seed_demo_organization
from okrplatform.tenancy.scope import organization_scope


@pytest.mark.django_db
def test_demo_boards() -> None:
    login, _created = seed_demo_organization()
    with organization_scope(login.organization.pk):
        kpi_demo.seed(login.organization)
        demo.seed(login.organization)
    names = set(
        Board.unscoped.filter(organization=login.organization).values_list("name", flat=True)
    )
    assert {"Company health", "Support weekly", "Sales pipeline"} <= names
    company = Board.unscoped.get(organization=login.organization, name="Company health")
    assert BoardSection.unscoped.filter(board=company).count() >= 4
    assert BoardItem.unscoped.filter(board=company).count() >= 10

    client = Client()
    client.force_login(User.objects.get(email=DEMO_EMAIL))
    response = client.get(
        reverse("boards:board-detail", args=[login.organization.slug, company.pk])
    )
    assert response.status_code == 200
    assert (
        response.content.decode().count('data-testid="kpi-card"')
        == BoardItem.unscoped.filter(board=company).count()
    )
