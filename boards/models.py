"""KPI boards: named, ordered selections of KPIs, optionally grouped in sections.

The organisation's "All KPIs" view is not a row: it is every non-archived KPI, computed on read
(``boards.cards``), so it can never fall out of date. A KPI may sit on many boards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from okrplatform.tenancy.scope import TenantModel


class Board(TenantModel):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        "tenancy.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="boards",
        help_text="Members of this team may edit the board; admins always may.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="board_name_unique_per_organization"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BoardSection(TenantModel):
    """A headed group of cards on a board."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["board", "position", "pk"]
        indexes = [
            models.Index(
                fields=["organization", "board", "position"], name="board_section_order_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.board}: {self.title}"


class BoardItem(TenantModel):
    """One KPI on one board, at a position, in a section or in the unheaded group."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="board_items")
    # Deleting a section keeps its KPIs on the board, in the unheaded group.
    section = models.ForeignKey(
        BoardSection, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["board", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "board", "kpi"], name="board_item_unique_kpi_per_board"
            )
        ]
        indexes = [models.Index(fields=["organization", "kpi"], name="board_item_kpi_idx")]

    def __str__(self) -> str:
        return f"{self.board}: {self.kpi}"
