"""A small organisation with KPIs in every state, on a sectioned team board."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from boards.models import Board, BoardItem, BoardSection
from boards.tests.helpers import add_series, make_board, make_kpi, set_target
from kpis.models import KPI
from kpis.periods import last_completed_period_start
from okrplatform.tenancy.models import Membership, Organization, Team
from tests.factories import TeamFactory, TeamMembershipFactory


@dataclass
class BoardWorld:
    support: Team
    sales: Team
    reply_time: KPI
    revenue: KPI
    nps: KPI
    signups: KPI
    archived: KPI
    board: Board
    section: BoardSection


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def world(org: Organization, member: Membership) -> BoardWorld:
    last_month = last_completed_period_start("monthly", timezone.now())
    support = TeamFactory(organization=org, name="Support")
    sales = TeamFactory(organization=org, name="Sales")
    TeamMembershipFactory(team=support, user=member.user)

    reply_time = make_kpi(
        org, "Support reply time", unit_kind="duration", owner_team=support, owner=member.user
    )
    set_target(reply_time, "at_most", upper="30")
    add_series(
        reply_time,
        [25, 28, 52],
        end=last_month,
        health="unhealthy",
        recorded_at=timezone.now() - timedelta(days=2),
    )

    revenue = make_kpi(
        org, "Monthly revenue", unit_kind="currency", currency_code="EUR", owner_team=sales
    )
    set_target(revenue, "at_least", lower="100000")
    add_series(
        revenue,
        [*range(100000, 120001, 2000), 125500],
        end=last_month,
        health="healthy",
        recorded_at=timezone.now() - timedelta(hours=1),
    )

    nps = make_kpi(
        org, "Net promoter score", unit_kind="custom", unit_suffix="NPS", owner_team=support
    )
    set_target(nps, "between", lower="40", upper="60")
    add_series(nps, [45, 38], end=months_before(last_month, 4), health="at_risk")
    KPI.unscoped.filter(pk=nps.pk).update(created_at=timezone.now() - timedelta(days=400))

    signups = make_kpi(org, "Trial sign-ups")  # no target, no values yet: "no data", not overdue
    archived = make_kpi(org, "Fax orders", archived=True)

    board = make_board(
        org, "Customer health", [reply_time, nps, signups, archived], owner_team=support
    )
    section = BoardSection.unscoped.create(organization=org, board=board, title="Money", position=0)
    BoardItem.unscoped.create(
        organization=org, board=board, kpi=revenue, section=section, position=0
    )
    return BoardWorld(support, sales, reply_time, revenue, nps, signups, archived, board, section)


def card_html(body: str, kpi: KPI) -> str:
    """The markup of one KPI's card on a rendered board."""
    match = re.search(rf'<article[^>]*data-kpi="{kpi.pk}".*?</article>', body, re.S)
    assert match, f"no card for {kpi.name}"
    return match.group(0)


def card_names(body: str) -> list[str]:
    return re.findall(r'<h3 class="kpi-card-name">(?:<a [^>]*>)?([^<]+)', body)
