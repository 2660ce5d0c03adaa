"""Demo boards for ``manage.py seed_demo`` (runs after the KPIs' demo, inside the org's scope):
a company board with a section per team, and one board for each of two teams."""

from __future__ import annotations

from kpis.models import KPI
from okrplatform.tenancy.models import Membership, Organization, Team
from okrplatform.tenancy.roles import Role

from . import services
from .models import Board

SECTION_ORDER = ["Sales", "Marketing", "Support", "Customer Success", "Product", "Finance"]
TEAM_BOARDS = {
    "Support": ("Support weekly", "Reply times, satisfaction and backlog: reviewed every Monday."),
    "Sales": ("Sales pipeline", "Bookings, pipeline and win rate: the Sales team's gauges."),
}


def seed(organization: Organization) -> list[Board]:
    owner = Membership.objects.select_related("organization").filter(role=Role.OWNER).first()
    if owner is None:
        return []
    kpis = list(KPI.objects.filter(archived=False).select_related("owner_team").order_by("name"))
    by_team: dict[str, list[KPI]] = {}
    for kpi in kpis:
        by_team.setdefault(kpi.owner_team.name if kpi.owner_team else "", []).append(kpi)

    company = services.board_create(
        actor=owner,
        name="Company health",
        description="Every team's key gauges on one page: the leadership team's Monday view.",
    )
    for team_name in [*SECTION_ORDER, *sorted(set(by_team) - set(SECTION_ORDER) - {""})]:
        if not by_team.get(team_name):
            continue
        section = services.board_section_create(actor=owner, board=company, title=team_name)
        for kpi in by_team[team_name][:4]:  # the few that matter most, not everything
            services.board_kpi_add(actor=owner, board=company, kpi=kpi, section=section)

    boards = [company]
    teams = {team.name: team for team in Team.objects.all()}
    for team_name, (name, description) in TEAM_BOARDS.items():
        if team_name not in teams or not by_team.get(team_name):
            continue
        board = services.board_create(
            actor=owner, name=name, description=description, owner_team=teams[team_name]
        )
        for kpi in by_team[team_name]:
            services.board_kpi_add(actor=owner, board=board, kpi=kpi)
        boards.append(board)
    return boards
