"""Issue 3's journey in a real browser: a manager opens a board, sees which KPIs are green, amber
and red and why, filters it without a reload, opens a KPI's history, enters last month's numbers
for the whole board in one go (one cell wrong), and finds the unhealthy KPIs waiting on the OKR
candidates page. Screenshots at desktop and phone width land in test-output/screenshots."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import Locator, expect

from boards.models import Board
from boards.services import board_create, board_kpi_add, board_section_create
from kpis.models import KPI, KPIValue
from kpis.periods import last_completed_period_start
from kpis.services import kpi_create, kpi_target_set, kpi_value_record
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.roles import Role
from okrplatform.tenancy.scope import organization_scope
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

from .harness import PHONE, BrowserSession, OpenSession

# Change texts ("↑ 3 min") must stay inside their card, next to the sparkline.
OVERFLOWING_CHANGES = """
() => [...document.querySelectorAll('.kpi-card')].flatMap((card) => {
  const edge = card.getBoundingClientRect().right;
  return [...card.querySelectorAll('.kpi-change, .sparkline, .kpi-value, .health')]
    .filter((el) => el.getBoundingClientRect().right > edge + 0.5)
    .map((el) => `${card.dataset.kpi}: ${el.className.baseVal ?? el.className}`);
})
"""


def month_start(months_back: int) -> date:
    """The first day of the month ``months_back`` months before last month."""
    last_month = last_completed_period_start("monthly", timezone.now())
    index = last_month.year * 12 + last_month.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def history(actor: Membership, kpi: KPI, values: list[str]) -> None:
    """Monthly values ending the month before last (last month is what the manager types)."""
    for back, value in enumerate(reversed(values), start=1):
        start = month_start(back)
        kpi_value_record(
            actor=actor,
            kpi=kpi,
            timestamp=datetime(start.year, start.month, 1, tzinfo=UTC),
            value=value,
        )


def build_board(organization: Organization, manager: Membership) -> tuple[Board, dict[str, KPI]]:
    support = TeamFactory(organization=organization, name="Support")
    sales = TeamFactory(organization=organization, name="Sales")
    since = date(2020, 1, 1)
    with organization_scope(organization.pk):
        kpis = {
            "reply": kpi_create(
                actor=manager, name="Support reply time", unit_kind="duration", owner_team=support
            ),
            "nps": kpi_create(
                actor=manager,
                name="Net promoter score",
                unit_kind="custom",
                unit_suffix="NPS",
                owner_team=support,
            ),
            "revenue": kpi_create(
                actor=manager,
                name="Monthly recurring revenue",
                unit_kind="currency",
                currency_code="EUR",
                owner_team=sales,
                owner=manager.user,
            ),
            "churn": kpi_create(
                actor=manager,
                name="Customer churn",
                unit_kind="percentage",
                decimal_places=1,
                owner_team=sales,
            ),
            "signups": kpi_create(actor=manager, name="Trial sign-ups", owner_team=sales),
        }
        targets = {
            "reply": ("at_most", None, "30", "5"),
            "nps": ("between", "40", "60", "3"),
            "revenue": ("at_least", "100000", None, None),
            "churn": ("at_most", None, "2", "0.5"),
            "signups": ("at_least", "1000", None, None),
        }
        for key, (kind, lower, upper, tolerance) in targets.items():
            kpi_target_set(
                actor=manager,
                kpi=kpis[key],
                kind=kind,
                lower=lower,
                upper=upper,
                tolerance=tolerance,
                effective_from=since,
            )
        history(manager, kpis["reply"], ["24", "26", "29", "35", "44", "52"])
        history(manager, kpis["nps"], ["47", "45", "42", "38"])
        history(manager, kpis["revenue"], ["104000", "109500", "113000", "118000", "120000"])
        history(manager, kpis["churn"], ["1.8", "2.1", "2.9", "3.4"])
        history(manager, kpis["signups"], ["1100", "1250"])

        board = board_create(
            actor=manager,
            name="Customer health",
            description="What the leadership team looks at every Monday.",
            owner_team=support,
        )
        for key in ("reply", "nps"):
            board_kpi_add(actor=manager, board=board, kpi=kpis[key])
        money = board_section_create(actor=manager, board=board, title="Money")
        for key in ("revenue", "churn", "signups"):
            board_kpi_add(actor=manager, board=board, kpi=kpis[key], section=money)
        for kpi in kpis.values():
            kpi.refresh_from_db()
    return board, kpis


def card(session: BrowserSession, kpi: KPI) -> Locator:
    return session.page.locator(f'[data-testid="kpi-card"][data-kpi="{kpi.pk}"]')


def assert_cards_fit(session: BrowserSession) -> None:
    overflowing = session.page.evaluate(OVERFLOWING_CHANGES)
    assert overflowing == [], f"card content past the card's right edge: {overflowing}"


def test_manager_reads_the_board_enters_last_month_and_finds_the_candidates(
    open_session: OpenSession,
) -> None:
    organization = OrganizationFactory(name="Acme Corp", slug="acme")
    manager = MembershipFactory(
        organization=organization,
        role=Role.ADMIN,
        user=UserFactory(email="maria@acme.test", full_name="Maria Manager"),
    )
    board, kpis = build_board(organization, manager)
    assert [kpis[key].health for key in ("reply", "nps", "revenue", "churn")] == [
        "unhealthy",
        "at_risk",
        "healthy",
        "unhealthy",
    ]
    board_path = f"/acme/boards/{board.pk}/"
    board_order = ("reply", "nps", "revenue", "churn", "signups")

    browser = open_session("manager")
    page = browser.page
    browser.log_in("maria@acme.test", PASSWORD)

    # 1. The board: green, amber and red, each with its health in words and the target it misses.
    browser.goto(board_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer health")
    expect(page.get_by_test_id("board-summary")).to_contain_text(
        "5 KPIs · 2 healthy · 1 at risk · 2 unhealthy"
    )
    reply = card(browser, kpis["reply"])
    expect(reply.locator(".health-unhealthy")).to_have_text("Unhealthy")
    expect(reply.locator(".kpi-value")).to_have_text("52 min")
    expect(reply.locator(".kpi-target")).to_have_text("Target ≤ 30 min")
    expect(reply.locator(".sparkline-band")).to_have_count(1)
    expect(reply.locator(".kpi-change")).to_contain_text("↑ 8 min")
    nps = card(browser, kpis["nps"])
    expect(nps.locator(".health-at_risk")).to_have_text("At risk")
    expect(nps.locator(".kpi-target")).to_have_text("Target 40 NPS – 60 NPS")
    revenue = card(browser, kpis["revenue"])
    expect(revenue.locator(".health-healthy")).to_have_text("Healthy")
    expect(revenue.locator(".kpi-value")).to_have_text("€120,000")
    expect(revenue.locator(".kpi-owner")).to_contain_text("Sales · Maria Manager")
    expect(page.get_by_role("region", name="Money")).to_contain_text("Customer churn")
    assert_cards_fit(browser)
    browser.shot("board")

    # 2. Filters swap the cards in place (HTMX): the page itself is never reloaded.
    page.evaluate("() => { window.stillTheSamePage = true; }")
    page.get_by_label("Team").select_option(label="Support")
    expect(page.get_by_test_id("kpi-card")).to_have_count(2)
    expect(page).to_have_url(re.compile(rf"\?team={kpis['reply'].owner_team_id}(&|$)"))
    # Two changes in quick succession: the second waits for the first's request in flight (htmx
    # would otherwise drop it and leave the cards of the first), so the URL and the cards end
    # on the last choice.
    page.get_by_label("Team").select_option(label="All teams")
    page.get_by_label("Health").select_option(label="Unhealthy")
    expect(page).to_have_url(re.compile(r"[?&]health=unhealthy(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]team=(&|$)"))
    expect(page.get_by_test_id("kpi-card")).to_have_count(2)
    expect(card(browser, kpis["reply"])).to_be_visible()
    expect(card(browser, kpis["churn"])).to_be_visible()
    assert page.evaluate("() => window.stillTheSamePage") is True
    browser.shot("board-filtered-unhealthy")

    # 3. A KPI's history: the chart with its target band, and when its health changed.
    card(browser, kpis["reply"]).get_by_role("link", name="Support reply time").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Support reply time")
    expect(page.get_by_test_id("kpi-health")).to_have_text("Unhealthy")
    expect(page.get_by_test_id("kpi-chart").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("health-history")).to_contain_text("Unhealthy")
    expect(page.get_by_test_id("value-table")).to_contain_text("52 min")
    browser.shot("kpi-history")

    # 4. Last month's numbers for the whole board in one go; one cell is not a number.
    browser.goto(board_path)
    page.get_by_test_id("enter-values").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter values")
    browser.shot("grid-entry-empty")
    rows = page.get_by_test_id("entry-row").locator(".entry-kpi")
    expect(rows).to_have_text([kpis[key].name for key in board_order])  # as on the board
    page.get_by_label("Value of Support reply time").fill("48")
    page.get_by_label("Note for Support reply time").fill("Two agents on holiday")
    page.get_by_label("Value of Net promoter score").fill("forty")
    page.get_by_label("Value of Monthly recurring revenue").fill("131,000")
    page.get_by_label("Value of Customer churn").fill("3.1")
    browser.expect_status(400)
    with page.expect_navigation():
        page.get_by_role("button", name="Save values").click()
    expect(page.locator(".flash-error")).to_contain_text("Saved 3; 1 row needs attention")
    nps_row = page.locator(f'[data-testid="entry-row"][data-kpi="{kpis["nps"].pk}"]')
    expect(nps_row.get_by_test_id("cell-error")).to_be_visible()
    expect(nps_row.get_by_label("Value of Net promoter score")).to_have_value("forty")
    expect(nps_row.get_by_label("Value of Net promoter score")).to_have_attribute(
        "aria-invalid", "true"
    )
    reply_row = page.locator(f'[data-testid="entry-row"][data-kpi="{kpis["reply"].pk}"]')
    expect(reply_row.locator(".entry-saved")).to_contain_text("Saved 48 min for")
    expect(reply_row).to_contain_text("Now 48 min")
    expect(nps_row).to_contain_text("Now 38 NPS")
    browser.shot("grid-entry-one-invalid-cell")

    last_month = month_start(0)
    stored = {
        point.kpi_id: point.value
        for point in KPIValue.unscoped.filter(
            timestamp=datetime(last_month.year, last_month.month, 1, tzinfo=UTC)
        )
    }
    assert stored == {
        kpis["reply"].pk: 48,
        kpis["revenue"].pk: 131000,
        kpis["churn"].pk: Decimal("3.1"),
    }

    # Fixing the one cell saves it and goes back to the board.
    page.get_by_label("Value of Net promoter score").fill("44")
    with page.expect_navigation():
        page.get_by_role("button", name="Save values").click()
    expect(page).to_have_url(browser.url(board_path))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(card(browser, kpis["nps"]).locator(".health-healthy")).to_have_text("Healthy")
    expect(card(browser, kpis["revenue"]).locator(".kpi-value")).to_have_text("€131,000")
    # Only the KPI nobody typed a number for is still waiting on last month.
    expect(page.get_by_test_id("board-summary")).to_contain_text("· 1 overdue")
    expect(card(browser, kpis["signups"]).get_by_test_id("overdue")).to_be_visible()
    expect(card(browser, kpis["revenue"]).get_by_test_id("overdue")).to_have_count(0)
    browser.shot("board-after-entry")

    # 5. The unhealthy KPIs wait on the OKR candidates page.
    browser.goto("/acme/kpis/candidates/")
    rows = page.get_by_test_id("candidate-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Support reply time")).to_contain_text("48 min")
    expect(rows.filter(has_text="Customer churn")).to_contain_text("3.1%")
    expect(page.get_by_test_id("candidate-table")).not_to_contain_text("Net promoter score")
    browser.shot("candidates")

    # 6. The same pages on a phone: nothing runs off the side of the screen.
    phone = open_session("manager-phone", viewport=PHONE)
    phone.log_in("maria@acme.test", PASSWORD)
    for step, path in (
        ("phone-board", board_path),
        ("phone-kpi-history", f"/acme/kpis/{kpis['reply'].pk}/"),
        ("phone-grid-entry", f"{board_path}values/"),
        ("phone-candidates", "/acme/kpis/candidates/"),
    ):
        phone.goto(path)
        phone.shot(step)
        assert phone.horizontal_overflow() == 0, f"{step} scrolls sideways"
    phone.goto(board_path)
    assert_cards_fit(phone)
