"""Editing pages: create, settings, delete, KPIs and sections — and who gets a 403."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from boards.models import Board, BoardItem, BoardSection
from boards.tests.conftest import BoardWorld
from boards.tests.helpers import make_kpi
from okrplatform.tenancy.models import Organization


def items_url(org: Organization, world: BoardWorld) -> str:
    return reverse("boards:board-items", args=[org.slug, world.board.pk])


def _order(world: BoardWorld, section: BoardSection | None = None) -> list[str]:
    return list(
        BoardItem.unscoped.filter(board=world.board, section=section, kpi__archived=False)
        .order_by("position")
        .values_list("kpi__name", flat=True)
    )


def test_create_board_then_land_on_its_items(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    response = member_client.post(
        reverse("boards:board-list", args=[org.slug]),
        {"name": "Support weekly", "description": "Monday review", "owner_team": world.support.pk},
    )
    board = Board.unscoped.get(name="Support weekly")
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:board-items", args=[org.slug, board.pk])
    assert board.owner_team == world.support


def test_create_board_errors_show_next_to_the_field(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    response = member_client.post(
        reverse("boards:board-list", args=[org.slug]),
        {"name": "Sales", "owner_team": world.sales.pk},
    )
    assert response.status_code == 400
    assert "You are not in Sales" in response.content.decode()
    assert not Board.unscoped.filter(name="Sales").exists()


def test_items_page_add_move_remove(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    url = items_url(org, world)
    assert member_client.get(url).status_code == 200
    cash = make_kpi(org, "Cash runway")
    assert member_client.post(url, {"action": "add", "kpi": cash.pk}).status_code == 302
    assert _order(world) == [
        "Support reply time",
        "Net promoter score",
        "Trial sign-ups",
        "Cash runway",
    ]

    member_client.post(url, {"action": "move", "kpi": cash.pk, "position": 0, "section": ""})
    assert _order(world)[0] == "Cash runway"
    member_client.post(
        url, {"action": "move", "kpi": cash.pk, "position": 9999, "section": world.section.pk}
    )
    assert _order(world, world.section) == ["Monthly revenue", "Cash runway"]

    member_client.post(url, {"action": "remove", "kpi": cash.pk})
    assert "Cash runway" not in _order(world, world.section)


def test_items_page_sections(org: Organization, world: BoardWorld, member_client: Client) -> None:
    url = items_url(org, world)
    member_client.post(url, {"action": "section-create", "title": "Speed"})
    speed = BoardSection.unscoped.get(board=world.board, title="Speed")
    member_client.post(
        url, {"action": "section-rename", "section": speed.pk, "title": "Response speed"}
    )
    speed.refresh_from_db()
    assert speed.title == "Response speed"
    member_client.post(url, {"action": "section-delete", "section": world.section.pk})
    assert not BoardSection.unscoped.filter(pk=world.section.pk).exists()
    assert "Monthly revenue" in _order(world)  # its KPI stays on the board


def test_items_page_bad_input_is_a_400_with_a_message(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    url = items_url(org, world)
    response = member_client.post(
        url, {"action": "add", "kpi": world.reply_time.pk}
    )  # already on it
    assert response.status_code == 400
    assert "not on the board yet" in response.content.decode()
    response = member_client.post(url, {"action": "section-create", "title": "  "})
    assert response.status_code == 400
    response = member_client.post(url, {"action": "explode"})
    assert response.status_code == 400


def test_settings_and_delete(org: Organization, world: BoardWorld, member_client: Client) -> None:
    edit = reverse("boards:board-edit", args=[org.slug, world.board.pk])
    assert member_client.get(edit).status_code == 200
    response = member_client.post(
        edit, {"name": "Customers", "description": "", "owner_team": world.support.pk}
    )
    assert response.status_code == 302
    world.board.refresh_from_db()
    assert world.board.name == "Customers"
    response = member_client.post(reverse("boards:board-delete", args=[org.slug, world.board.pk]))
    assert response.status_code == 302
    assert not Board.unscoped.filter(pk=world.board.pk).exists()
    assert BoardItem.unscoped.count() == 0
    assert make_kpi(org, "still there").pk  # KPIs are not touched


def test_readers_and_other_teams_get_403(
    org: Organization, world: BoardWorld, viewer_client: Client, admin_client_: Client
) -> None:
    for name in ("board-items", "board-edit"):
        url = reverse(f"boards:{name}", args=[org.slug, world.board.pk])
        assert viewer_client.get(url).status_code == 403
        assert (
            viewer_client.post(
                url, {"action": "section-create", "title": "X", "name": "X"}
            ).status_code
            == 403
        )
    assert (
        viewer_client.post(
            reverse("boards:board-delete", args=[org.slug, world.board.pk])
        ).status_code
        == 403
    )
    assert (
        viewer_client.post(
            reverse("boards:board-list", args=[org.slug]), {"name": "Mine"}
        ).status_code
        == 403
    )
    assert Board.unscoped.filter(pk=world.board.pk, name="Customer health").exists()
    assert not BoardSection.unscoped.filter(title="X").exists()
    # A board owned by Sales: the member (Support) may not edit it; an admin may.
    sales_board = Board.unscoped.create(organization=org, name="Sales", owner_team=world.sales)
    url = reverse("boards:board-items", args=[org.slug, sales_board.pk])
    assert admin_client_.get(url).status_code == 200


def test_member_of_another_team_cannot_edit(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    sales_board = Board.unscoped.create(organization=org, name="Sales", owner_team=world.sales)
    assert (
        member_client.get(
            reverse("boards:board-items", args=[org.slug, sales_board.pk])
        ).status_code
        == 403
    )
    body = member_client.get(
        reverse("boards:board-detail", args=[org.slug, sales_board.pk])
    ).content.decode()
    assert "KPIs &amp; sections" not in body
