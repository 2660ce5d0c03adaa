"""The ``data`` of each event, built from the objects the emitting service already holds (no
queries): ids to fetch more through the API, and the few fields a receiver acts on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goals.models import CheckIn, Objective
    from integrations.models import SyncRun
    from kpis.models import KPI


def _kpi(kpi: KPI) -> dict[str, Any]:
    return {"id": kpi.pk, "key": kpi.key, "name": kpi.name}


def kpi_health_changed(kpi: KPI, *, previous: str) -> dict[str, Any]:
    return {
        "kpi": _kpi(kpi),
        "previous_health": str(previous),
        "health": str(kpi.health),
        "health_since": kpi.health_since,
        "latest_value": kpi.latest_value,
        "latest_value_at": kpi.latest_value_at,
    }


def kpi_value_recorded(kpi: KPI, *, source: str, periods: int = 1) -> dict[str, Any]:
    """One event per KPI per write (a bulk batch of 5,000 points of one KPI is one event)."""
    return {
        "kpi": _kpi(kpi),
        "source": str(source),
        "periods_touched": periods,
        "latest_value": kpi.latest_value,
        "latest_value_at": kpi.latest_value_at,
        "health": str(kpi.health),
    }


def objective(objective: Objective, *, previous_status: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "objective": {
            "id": objective.pk,
            "title": objective.title,
            "cycle": objective.cycle_id,
            "owner_team": objective.owner_team_id,
        },
        "status": str(objective.status),
    }
    if previous_status is not None:
        data["previous_status"] = str(previous_status)
    return data


def check_in(check_in: CheckIn) -> dict[str, Any]:
    return {
        "check_in": {
            "id": check_in.pk,
            "key_result": check_in.key_result_id,
            "value": check_in.value,
            "status": check_in.status,
            "confidence": check_in.confidence,
            "comment": check_in.comment,
            "created_at": check_in.created_at,
        },
        "objective": check_in.key_result.objective_id,
    }


def sync_failed(run: SyncRun, *, message: str) -> dict[str, Any]:
    return {
        "sync_run": {"id": run.pk, "scheduled_for": run.scheduled_for, "attempts": run.attempts},
        "data_source": run.data_source_id,
        "kpi": run.data_source.kpi_id,
        "error": message,
    }
