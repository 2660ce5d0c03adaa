"""The board page: card content, sections, filters and sorting, HTMX fragments, empty states."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from boards.alignment import aligned_okr_counter_register, aligned_okr_counter_unregister
from boards.tests.conftest import BoardWorld, card_html, card_names
from boards.tests.helpers import add_series, make_board, make_kpi
from kpis.models import Health
from okrplatform.tenancy.models import Organization


def board_url(org: Organization, world: BoardWorld) -> str:
    return reverse("boards:board-detail", args=[org.slug, world.board.pk])


def test_cards_show_value_target_health_change_owner(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    response = member_client.get(board_url(org, world))
    assert response.status_code == 200
    body = response.content.decode()

    reply = card_html(body, world.reply_time)
    assert f'<a href="{reverse("kpis:kpi-detail", args=[org.slug, world.reply_time.pk])}">' in reply
    assert "52 min" in reply
    assert "Target ≤ 30 min" in reply
    assert (
        '<span class="health health-unhealthy">Unhealthy</span>' in reply
    )  # text, not colour alone
    assert "↑ 24 min" in reply
    assert "Up 24 min on the previous period" in reply
    assert f"Support · {world.reply_time.owner.full_name}" in reply
    assert "Overdue" not in reply
    assert '<svg class="sparkline"' in reply
    assert 'class="sparkline-band"' in reply

    revenue = card_html(body, world.revenue)
    assert "€125,500" in revenue
    assert "Target ≥ €100,000" in revenue
    assert "Healthy" in revenue
    assert "↑ €5,500" in revenue

    nps = card_html(body, world.nps)
    assert "38 NPS" in nps
    assert "40 NPS – 60 NPS" in nps
    assert "At risk" in nps
    assert "↓ 7 NPS" in nps
    assert 'data-testid="overdue">Overdue' in nps

    signups = card_html(body, world.signups)
    assert "No data" in signups
    assert "No target" in signups
    assert "Never" in signups
    assert "Overdue" not in signups
    assert "sparkline" not in signups

    assert "Fax orders" not in body  # archived KPIs leave boards


def test_kpi_with_values_but_no_target_shows_its_value_and_no_target(
    org: Organization, member_client: Client
) -> None:
    untargeted = make_kpi(org, "Page views")
    add_series(untargeted, [1200, 1500], end=date(2026, 1, 1), health=Health.NO_DATA)
    board = make_board(org, "Traffic", [untargeted])
    body = member_client.get(reverse("boards:board-detail", args=[org.slug, board.pk]))
    card = card_html(body.content.decode(), untargeted)
    assert "1,500" in card
    assert '<span class="health health-no_data">No target</span>' in card  # colour stays no-data
    assert "No data" not in card


def test_sections_are_headed_groups(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    body = member_client.get(board_url(org, world)).content.decode()
    assert '<h2 class="board-section-title">Money</h2>' in body
    # Cards without a section come first, then each section's cards under its heading.
    assert card_names(body) == [
        "Support reply time",
        "Net promoter score",
        "Trial sign-ups",
        "Monthly revenue",
    ]
    assert body.index("Trial sign-ups") < body.index(">Money<") < body.index("Monthly revenue")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("health=unhealthy", ["Support reply time"]),
        ("health=at_risk", ["Net promoter score"]),
        ("health=overdue", ["Net promoter score"]),
        ("health=no_data", ["Trial sign-ups"]),
        (
            "health=bogus",
            ["Support reply time", "Net promoter score", "Trial sign-ups", "Monthly revenue"],
        ),
    ],
)
def test_filter_by_health(
    org: Organization, world: BoardWorld, member_client: Client, query: str, expected: list[str]
) -> None:
    body = member_client.get(f"{board_url(org, world)}?{query}").content.decode()
    assert card_names(body) == expected


def test_filter_by_team(org: Organization, world: BoardWorld, member_client: Client) -> None:
    body = member_client.get(f"{board_url(org, world)}?team={world.sales.pk}").content.decode()
    assert card_names(body) == ["Monthly revenue"]
    body = member_client.get(
        f"{board_url(org, world)}?team={world.support.pk}&health=unhealthy"
    ).content.decode()
    assert card_names(body) == ["Support reply time"]
    # A team id that is not a team of this organisation is ignored, not an error.
    response = member_client.get(f"{board_url(org, world)}?team=987654")
    assert response.status_code == 200
    assert len(card_names(response.content.decode())) == 4


def test_filter_without_match_says_what_to_do(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    body = member_client.get(
        f"{board_url(org, world)}?team={world.sales.pk}&health=unhealthy"
    ).content.decode()
    assert card_names(body) == []
    assert 'data-testid="empty-filtered"' in body
    assert "Show every KPI" in body


def _all_kpis(org: Organization) -> str:
    return reverse("boards:all-kpis", args=[org.slug])


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Monthly revenue", "Net promoter score", "Support reply time", "Trial sign-ups"]),
        (
            "health",
            ["Support reply time", "Net promoter score", "Trial sign-ups", "Monthly revenue"],
        ),
        (
            "updated",
            ["Monthly revenue", "Support reply time", "Net promoter score", "Trial sign-ups"],
        ),
    ],
)
def test_sort(
    org: Organization, world: BoardWorld, member_client: Client, sort: str, expected: Sequence[str]
) -> None:
    body = member_client.get(f"{_all_kpis(org)}?sort={sort}").content.decode()
    assert card_names(body) == list(expected)


def test_all_kpis_lists_every_active_kpi(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    make_kpi(org, "Cash runway")  # on no board
    body = member_client.get(_all_kpis(org)).content.decode()
    assert "Cash runway" in body
    assert "Fax orders" not in body
    assert len(card_names(body)) == 5


def test_htmx_request_gets_only_the_cards_fragment(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    url = f"{board_url(org, world)}?health=unhealthy&sort=name"
    response = member_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith('<div id="cards"')
    assert "<html" not in body
    assert "board-filters" not in body
    assert card_names(body) == ["Support reply time"]
    # The fragment polls itself with the same filters, every minute.
    assert 'hx-trigger="every 60s"' in body
    assert f'hx-get="{board_url(org, world)}?health=unhealthy&amp;sort=name"' in body


def test_full_page_wires_filters_to_htmx_with_real_urls(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    body = member_client.get(board_url(org, world)).content.decode()
    assert "<html" in body
    assert f'action="{board_url(org, world)}"' in body
    assert 'method="get"' in body
    assert 'hx-target="#cards"' in body
    assert 'hx-push-url="true"' in body
    assert 'hx-trigger="every 60s"' in body
    assert 'style="' not in body  # strict CSP: no inline styles


def test_history_restore_gets_the_full_page(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    response = member_client.get(
        board_url(org, world), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_viewer_reads_but_sees_no_edit_actions(
    org: Organization, world: BoardWorld, viewer_client: Client, member_client: Client
) -> None:
    body = viewer_client.get(board_url(org, world)).content.decode()
    assert len(card_names(body)) == 4
    assert "Enter values" not in body
    assert "KPIs &amp; sections" not in body
    body = member_client.get(board_url(org, world)).content.decode()  # member of the owner team
    assert "Enter values" in body
    assert "KPIs &amp; sections" in body


def test_empty_board_says_what_to_do(
    org: Organization, admin_client_: Client, viewer_client: Client
) -> None:
    board = make_board(org, "Fresh", [])
    url = reverse("boards:board-detail", args=[org.slug, board.pk])
    body = admin_client_.get(url).content.decode()
    assert "This board has no KPIs yet" in body
    assert reverse("boards:board-items", args=[org.slug, board.pk]) in body
    body = viewer_client.get(url).content.decode()
    assert "Its team or an admin can add them" in body


def test_board_list_shows_all_kpis_and_boards(
    org: Organization, world: BoardWorld, viewer_client: Client
) -> None:
    body = viewer_client.get(reverse("boards:board-list", args=[org.slug])).content.decode()
    assert _all_kpis(org) in body
    assert "Customer health" in body
    assert "4 KPIs" in body  # the archived one is not counted
    assert "New board" not in body  # viewers do not create boards


def test_board_list_empty_state(org: Organization, member_client: Client) -> None:
    body = member_client.get(reverse("boards:board-list", args=[org.slug])).content.decode()
    assert 'data-testid="no-boards"' in body
    assert "Create one for your team" in body


@pytest.fixture
def two_aligned_okrs(world: BoardWorld) -> Iterator[None]:
    def counter(kpi_ids: Sequence[int]) -> dict[int, int]:
        return {world.reply_time.pk: 2}

    aligned_okr_counter_register(counter)
    yield
    aligned_okr_counter_unregister(counter)


def test_aligned_okr_counts_come_from_the_hook(
    org: Organization, world: BoardWorld, member_client: Client, two_aligned_okrs: None
) -> None:
    body = member_client.get(board_url(org, world)).content.decode()
    assert "2 aligned OKRs" in card_html(body, world.reply_time)
    assert "0 aligned OKRs" in card_html(body, world.revenue)


def test_no_made_up_okr_counts_without_a_counter(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    from goals.kpi_okrs import open_objective_counts

    aligned_okr_counter_unregister(open_objective_counts)
    try:
        body = member_client.get(board_url(org, world)).content.decode()
    finally:
        aligned_okr_counter_register(open_objective_counts)
    assert "aligned OKR" not in body


def test_cards_count_the_open_objectives_aligned_to_each_kpi(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    from goals.models import ObjectiveKPI, ObjectiveStatus
    from goals.tests.factories import ObjectiveFactory

    for status in (ObjectiveStatus.ACTIVE, ObjectiveStatus.DRAFT, ObjectiveStatus.CLOSED):
        objective = ObjectiveFactory(organization=org, status=status)
        ObjectiveKPI.unscoped.create(organization=org, objective=objective, kpi=world.reply_time)
    body = member_client.get(board_url(org, world)).content.decode()
    assert "2 aligned OKRs" in card_html(body, world.reply_time)  # the closed one is history
    assert "0 aligned OKRs" in card_html(body, world.revenue)
