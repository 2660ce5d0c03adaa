"""The OKR journey in a real browser: a team lead drafts next quarter's objective aligned to a
company objective, adds a key result inline, drafts an OKR from an unhealthy KPI, checks in, and
a manager reads the alignment map."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from goals.models import CheckIn, CycleStatus, KeyResult, Objective, ObjectiveKPI
from goals.tests.factories import CycleFactory, GoalsKPIFactory, KPITargetFactory, ObjectiveFactory
from okrplatform.tenancy.roles import Role
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)

from .harness import OpenSession


def test_team_lead_drafts_aligns_checks_in_and_manager_sees_the_map(
    open_session: OpenSession,
) -> None:
    organization = OrganizationFactory(name="Acme Corp", slug="acme", ultimate_goal="Delight")
    manager = MembershipFactory(
        organization=organization,
        role=Role.OWNER,
        user=UserFactory(email="manager@acme.test", full_name="Maria Manager"),
    )
    lead = MembershipFactory(
        organization=organization,
        role=Role.MEMBER,
        user=UserFactory(email="lead@acme.test", full_name="Tom Lead"),
    )
    support = TeamFactory(organization=organization, name="Support", lead=lead.user)
    TeamMembershipFactory(team=support, user=lead.user)
    today = date.today()
    current = CycleFactory(
        organization=organization,
        name="This quarter",
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=60),
        status=CycleStatus.ACTIVE,
    )
    CycleFactory(
        organization=organization,
        name="Next quarter",
        start_date=today + timedelta(days=61),
        end_date=today + timedelta(days=150),
        status=CycleStatus.PLANNING,
    )
    ObjectiveFactory(organization=organization, cycle=current, title="Make support effortless")
    kpi = GoalsKPIFactory(
        organization=organization,
        name="Average first reply time",
        owner_team=support,
        latest_value=Decimal(52),
        health="unhealthy",
    )
    KPITargetFactory(kpi=kpi, kind="at_most", upper=30)

    team_lead = open_session("lead")
    page = team_lead.page
    team_lead.log_in("lead@acme.test", PASSWORD)

    # 1. Draft next quarter's objective, aligned to the company objective.
    team_lead.goto("/acme/okrs/")
    team_lead.shot("cycle-page")
    page.get_by_role("link", name="New objective").click()
    page.get_by_label("Title").fill("Customers find answers themselves")
    page.get_by_label("Cycle").select_option(label="Next quarter")
    page.get_by_label("Owner").select_option(label="Support")
    page.get_by_label("Aligned to objectives").select_option(
        label="Make support effortless (Company, This quarter)"
    )
    page.get_by_role("button", name="Create objective").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers find answers themselves")
    expect(page.get_by_text("Make support effortless")).to_be_visible()
    objective = Objective.unscoped.get(title="Customers find answers themselves")
    assert objective.cycle.name == "Next quarter"

    # 2. Add a key result without leaving the page (HTMX).
    page.get_by_role("link", name="Add key result").click()
    form = page.get_by_role("form", name="Key result")
    form.get_by_label("Title").fill("Reduce tickets from 1,200 to 800 a month")
    form.get_by_label("Start").fill("1200")
    form.get_by_label("Target").fill("800")
    form.get_by_role("button", name="Save key result").click()
    expect(page.locator("#key-results")).to_contain_text("Reduce tickets from 1,200 to 800")
    assert page.url.endswith(f"/acme/okrs/{objective.pk}/")
    team_lead.shot("key-result-added-inline")

    # 3. Check in on it: the dialog opens in place with the value preset.
    page.locator("#key-results").get_by_role("link", name="Check in").click()
    check_in = page.get_by_role("form", name="Check in on Reduce tickets from 1,200 to 800 a month")
    check_in.get_by_label("New value").fill("1,050")
    check_in.get_by_label("Status").select_option(label="On track")
    check_in.get_by_label("Comment").fill("Help centre launched")
    check_in.get_by_role("button", name="Save check-in").click()
    expect(page.locator("#key-results")).to_contain_text("1 check-in")
    expect(page.locator("#key-results")).to_contain_text("38%")
    expect(page.locator("#objective-summary")).to_contain_text("38%")  # the header follows
    team_lead.shot("checked-in")
    assert CheckIn.unscoped.get().value == 1050

    # 4. "Draft an OKR" from the unhealthy KPI.
    team_lead.goto(f"/acme/kpis/{kpi.pk}/")
    team_lead.shot("unhealthy-kpi")
    page.get_by_role("button", name="Draft an OKR").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bring Average first reply time back on target"
    )
    expect(page.locator(".flash-success")).to_contain_text("Draft objective")
    team_lead.shot("drafted-from-kpi")
    draft = Objective.unscoped.get(title="Bring Average first reply time back on target")
    assert ObjectiveKPI.unscoped.filter(objective=draft, kpi=kpi).exists()
    assert KeyResult.unscoped.get(objective=draft).kpi_id == kpi.pk

    # 5. The manager sees the alignment map of next quarter with the KPI's health.
    boss = open_session("manager")
    boss.log_in(manager.user.email, PASSWORD)
    boss.goto("/acme/okrs/map/")
    boss.page.get_by_label("Cycle").select_option(label="Next quarter")
    boss.page.get_by_role("button", name="Show").click()
    map_ = boss.page.locator(".okr-map")
    expect(map_).to_contain_text("Make support effortless")
    expect(map_).to_contain_text("Customers find answers themselves")
    expect(map_).to_contain_text("Bring Average first reply time back on target")
    expect(map_.locator(".health-unhealthy").first).to_be_visible()
    boss.shot("alignment-map")
    boss.goto("/acme/okrs/")
    boss.shot("manager-cycle-page")
