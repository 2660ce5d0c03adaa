"""The board reads a constant number of queries however many KPIs and values it shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from boards.models import Board, BoardItem, BoardSection
from kpis.models import KPI, KPIPeriod, KPITarget, KPIValue
from okrplatform.tenancy.models import Organization
from tests.factories import TeamFactory, UserFactory

VALUES_PER_KPI = 55
# Session, user, the user's memberships (middleware: the membership check, the organisation
# switcher and the unread count of the notification bell in one); the board with the reader's
# edit rights, its sections and the teams of the filter (one query on PostgreSQL, three
# elsewhere); THE card query; the aligned-OKR counts.
PAGE_READS = 1 if connection.vendor == "postgresql" else 3
BOARD_QUERIES = 5 + PAGE_READS
BOARD_FRAGMENT_QUERIES = BOARD_QUERIES  # the bell's count costs no query of its own
ALL_KPIS_QUERIES = 6  # teams instead of the board; no sections, no edit rights to check


def _seed(organization: Organization, kpi_count: int) -> Board:
    teams = [TeamFactory(organization=organization, name=f"Team {i}") for i in range(3)]
    owner = UserFactory()
    kpis = KPI.unscoped.bulk_create(
        KPI(
            organization=organization,
            name=f"KPI {i:03}",
            owner_team=teams[i % 3],
            owner=owner,
            unit_kind=["number", "percentage", "currency", "duration"][i % 4],
            currency_code="EUR",
            health=["healthy", "at_risk", "unhealthy", "no_data"][i % 4],
            latest_value=Decimal(i),
            latest_value_at=datetime(2026, 1, 1, tzinfo=UTC),
            last_recorded_at=datetime(2026, 1, 2, tzinfo=UTC),
        )
        for i in range(kpi_count)
    )
    KPITarget.unscoped.bulk_create(
        KPITarget(
            organization=organization,
            kpi=kpi,
            kind="at_least",
            lower=Decimal(10),
            effective_from=start,
        )
        for kpi in kpis
        for start in (date(2020, 1, 1), date(2024, 1, 1))
    )
    periods, values = [], []
    for kpi in kpis:
        for month in range(VALUES_PER_KPI):
            start = date(2021 + month // 12, month % 12 + 1, 1)
            moment = datetime(start.year, start.month, 1, tzinfo=UTC)
            periods.append(
                KPIPeriod(
                    organization=organization,
                    kpi=kpi,
                    period_start=start,
                    value=Decimal(month),
                    last_timestamp=moment,
                    raw_health="healthy",
                    health="healthy",
                )
            )
            values.append(
                KPIValue(organization=organization, kpi=kpi, timestamp=moment, value=Decimal(month))
            )
    KPIPeriod.unscoped.bulk_create(periods, batch_size=5000)
    KPIValue.unscoped.bulk_create(values, batch_size=5000)
    board = Board.unscoped.create(organization=organization, name="Everything", owner_team=teams[0])
    sections = [
        BoardSection.unscoped.create(
            organization=organization, board=board, title=f"S{i}", position=i
        )
        for i in range(2)
    ]
    BoardItem.unscoped.bulk_create(
        BoardItem(
            organization=organization,
            board=board,
            kpi=kpi,
            position=i,
            section=sections[i % 3] if i % 3 < 2 else None,
        )
        for i, kpi in enumerate(kpis)
    )
    return board


@pytest.mark.parametrize("kpi_count", [20, 200])
def test_board_query_count_is_flat(
    org: Organization,
    member_client: Client,
    django_assert_num_queries: DjangoAssertNumQueries,
    kpi_count: int,
) -> None:
    board = _seed(org, kpi_count)
    url = reverse("boards:board-detail", args=[org.slug, board.pk])
    member_client.get(url)  # the first visit also stores the organisation in the session
    with django_assert_num_queries(BOARD_QUERIES):
        response = member_client.get(url)
    assert response.content.decode().count('data-testid="kpi-card"') == kpi_count
    with django_assert_num_queries(BOARD_FRAGMENT_QUERIES):
        response = member_client.get(
            f"{url}?health=unhealthy&sort=health", headers={"HX-Request": "true"}
        )
    assert response.content.decode().count('data-testid="kpi-card"') == kpi_count // 4


@pytest.mark.parametrize("kpi_count", [20, 200])
def test_all_kpis_query_count_is_flat(
    org: Organization,
    member_client: Client,
    django_assert_num_queries: DjangoAssertNumQueries,
    kpi_count: int,
) -> None:
    _seed(org, kpi_count)
    url = reverse("boards:all-kpis", args=[org.slug])
    member_client.get(url)  # the first visit also stores the organisation in the session
    with django_assert_num_queries(ALL_KPIS_QUERIES):
        response = member_client.get(url)
    assert response.content.decode().count('data-testid="kpi-card"') == kpi_count


@pytest.mark.parametrize("kpi_count", [20, 200])
def test_home_widgets_query_count_is_flat(
    org: Organization,
    member_client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    kpi_count: int,
) -> None:
    _seed(org, kpi_count)
    url = reverse("tenancy:home", args=[org.slug])
    member_client.get(url)
    with django_assert_max_num_queries(12):
        response = member_client.get(url)
    assert f'<span class="count">{kpi_count}</span>' in response.content.decode()
