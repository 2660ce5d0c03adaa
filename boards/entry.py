"""Grid entry (Perdoo-style): last period's values for every KPI of a board, in one form.

Each row is saved on its own through ``kpis.services.kpi_value_record`` (atomic per row), so the
valid rows of a submission are stored while the invalid ones come back with their input and an
error next to the cell. A value is recorded at the start of its period (local midnight): entering
the same period again updates that point instead of adding one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from kpis.formatting import format_target, format_value
from kpis.health import target_for_period
from kpis.models import KPI, KPITarget
from kpis.periods import (
    last_completed_period_start,
    period_bounds,
    period_label,
    period_start,
    previous_period_start,
    start_of,
)
from kpis.services import editable_team_ids, kpi_can_edit, kpi_value_record, value_parse
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership

from .models import Board

PERIOD_CHOICES = 6  # the current period and the five before it
NOTE_MAX_LENGTH = 500


@dataclass
class EntryRow:
    kpi: KPI
    periods: list[tuple[str, str]]  # (ISO start date, label), newest first
    period: str
    current_text: str
    target_text: str
    editable: bool
    value: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    saved_text: str = ""

    @property
    def prefix(self) -> str:
        return f"kpi-{self.kpi.pk}"


@dataclass
class EntryResult:
    saved: int
    failed: int


def _period_choices(frequency: str, now: datetime) -> list[tuple[str, str]]:
    start = period_start(frequency, now)
    choices = []
    for _ in range(PERIOD_CHOICES):
        choices.append((start.isoformat(), period_label(frequency, start)))
        start = previous_period_start(frequency, start)
    return choices


def entry_kpis(board: Board | None) -> list[KPI]:
    """The board's KPIs in the order the board shows them (KPIs outside any section first, then
    each section by position), or every KPI by name."""
    kpis = KPI.objects.filter(archived=False).select_related("owner_team")
    if board is None:
        return list(kpis.order_by("name"))
    return list(
        kpis.filter(board_items__board=board).order_by(
            F("board_items__section__position").asc(nulls_first=True),
            "board_items__section_id",
            "board_items__position",
            "name",
        )
    )


def entry_rows(board: Board | None, *, actor: Membership) -> list[EntryRow]:
    now = timezone.now()
    kpis = entry_kpis(board)
    team_ids = editable_team_ids(actor)
    targets: dict[int, list[KPITarget]] = {}
    for target in KPITarget.objects.filter(kpi__in=kpis):
        targets.setdefault(target.kpi_id, []).append(target)
    rows = []
    for kpi in kpis:
        default = last_completed_period_start(kpi.update_frequency, now)
        rows.append(
            EntryRow(
                kpi=kpi,
                periods=_period_choices(kpi.update_frequency, now),
                period=default.isoformat(),
                current_text=format_value(kpi.latest_value, kpi),
                target_text=format_target(target_for_period(targets.get(kpi.pk, []), default), kpi),
                editable=kpi_can_edit(actor, kpi, team_ids=team_ids),
            )
        )
    return rows


def _chosen_period(row: EntryRow, raw: str) -> date:
    try:
        chosen = date.fromisoformat(raw)
    except ValueError:
        raise DomainError("Choose a period.", field="period") from None
    return start_of(row.kpi.update_frequency, chosen)


def _row_input(row: EntryRow) -> tuple[Decimal, date]:
    if not row.value:
        raise DomainError("Enter a value, or clear the note.", field="value")
    if len(row.note) > NOTE_MAX_LENGTH:
        raise DomainError(f"Keep the note under {NOTE_MAX_LENGTH} characters.", field="note")
    return value_parse(row.value), _chosen_period(row, row.period)


def entry_submit(
    rows: list[EntryRow], data: Mapping[str, str], *, actor: Membership
) -> EntryResult:
    """Record every row that has a value; keep the input and the error of every row that fails."""
    saved = failed = 0
    for row in rows:
        row.value = data.get(f"{row.prefix}-value", "").strip()
        row.note = data.get(f"{row.prefix}-note", "").strip()
        row.period = data.get(f"{row.prefix}-period", row.period)
        if not row.editable or (not row.value and not row.note):
            continue
        try:
            number, start = _row_input(row)
            timestamp, _end = period_bounds(row.kpi.update_frequency, start)
            kpi_value_record(
                actor=actor, kpi=row.kpi, timestamp=timestamp, value=number, note=row.note
            )
        except DomainError as error:
            field_name = {"timestamp": "period", "period": "period", "note": "note"}.get(
                error.field or "", "value"
            )
            row.errors[field_name] = error.message
            failed += 1
        else:
            label = period_label(row.kpi.update_frequency, start)
            row.saved_text = f"Saved {format_value(number, row.kpi)} for {label}."
            # kpi_value_record updated the KPI in place: "Now" follows the value just saved.
            row.current_text = format_value(row.kpi.latest_value, row.kpi)
            row.value = row.note = ""
            saved += 1
    return EntryResult(saved=saved, failed=failed)
