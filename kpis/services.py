"""Writes for KPIs, their target ranges and their values.

Keyword-only and atomic, raising ``DomainError`` (naming the field) or ``PermissionDeniedError``.
Who may edit what (docs/permissions.md, "KPIs"): viewers nothing; members the KPIs of the teams
they belong to and the KPIs they own personally; admins and owners every KPI. A value written
with ``actor=None`` comes from the system (an integration, a task) and is not role-checked.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership, Team, TeamMembership
from okrplatform.tenancy.roles import ROLE_RANK, Action, Role
from okrplatform.webhooks import payloads
from okrplatform.webhooks.events import emit

from .evaluation import current_state_refresh, periods_rebuild, periods_refresh, rejudge_range
from .ingest import PointInput, RecordResult, kpi_values_record_many
from .models import KPI, KPITarget, KPIValue, TargetKind, UnitKind, ValueSource
from .periods import period_start, start_of
from .validation import timestamp_validate, value_parse

if TYPE_CHECKING:
    from okrplatform.accounts.models import User

__all__ = [
    "KPI_FIELDS",
    "PointInput",
    "RecordResult",
    "kpi_archive",
    "kpi_can_edit",
    "kpi_create",
    "kpi_health_refresh",
    "kpi_target_set",
    "kpi_update",
    "kpi_value_delete",
    "kpi_value_record",
    "kpi_values_record_many",
    "timestamp_validate",
    "value_parse",
]

KPI_FIELDS = frozenset(
    {
        "name",
        "key",
        "description",
        "owner_team",
        "owner",
        "unit_kind",
        "currency_code",
        "unit_suffix",
        "decimal_places",
        "update_frequency",
        "aggregation",
        "hysteresis_periods",
    }
)
# Changing these regroups the values into different periods: the series is rebuilt.
REGROUPING_FIELDS = frozenset({"update_frequency", "aggregation", "hysteresis_periods"})


# --- Permissions ------------------------------------------------------------------------------


def editable_team_ids(membership: Membership) -> set[int]:
    return set(
        TeamMembership.objects.filter(user_id=membership.user_id).values_list("team_id", flat=True)
    )


def kpi_can_edit(membership: Membership, kpi: KPI, *, team_ids: set[int] | None = None) -> bool:
    """Admins and owners: every KPI. Members: their teams' KPIs and their own. Viewers: none.
    Pass ``team_ids`` (``editable_team_ids``) when checking many KPIs, to save the query."""
    if not membership.can(Action.EDIT_CONTENT):
        return False
    if membership.rank >= ROLE_RANK[Role.ADMIN] or kpi.owner_id == membership.user_id:
        return True
    if kpi.owner_team_id is None:
        return False
    if team_ids is None:
        team_ids = editable_team_ids(membership)
    return kpi.owner_team_id in team_ids


def _require_editor(actor: Membership, kpi: KPI) -> None:
    if not actor.can(Action.EDIT_CONTENT):
        raise PermissionDeniedError(
            f"Your role ({actor.get_role_display()}) can read KPIs but not change them."
        )
    if not kpi_can_edit(actor, kpi):
        raise PermissionDeniedError(
            f"Only members of {kpi.owner_team or 'its team'}, its owner and admins can change “{kpi.name}”."
        )


# --- KPIs -------------------------------------------------------------------------------------


def _clean_kpi_fields(actor: Membership, fields: dict[str, Any], kpi: KPI | None) -> dict[str, Any]:
    unknown = set(fields) - KPI_FIELDS
    if unknown:
        raise DomainError(f"Unknown KPI field(s): {', '.join(sorted(unknown))}.")
    if "name" in fields or kpi is None:
        fields["name"] = (fields.get("name") or "").strip()
        if not fields["name"]:
            raise DomainError("Give the KPI a name.", field="name")
    if fields.get("key"):
        fields["key"] = fields["key"].strip().lower()
        clash = KPI.objects.annotate(lower_key=Lower("key")).filter(lower_key=fields["key"])
        if kpi is not None:
            clash = clash.exclude(pk=kpi.pk)
        if clash.exists():
            raise DomainError(f"Another KPI already uses the key “{fields['key']}”.", field="key")
    unit_kind = fields.get("unit_kind", kpi.unit_kind if kpi else UnitKind.NUMBER)
    currency = (fields.get("currency_code", kpi.currency_code if kpi else "") or "").strip().upper()
    if unit_kind == UnitKind.CURRENCY and not (len(currency) == 3 and currency.isalpha()):
        raise DomainError(
            "A currency KPI needs a three-letter ISO code, e.g. EUR.", field="currency_code"
        )
    if "currency_code" in fields:
        fields["currency_code"] = currency
    if not 0 <= int(fields.get("decimal_places", 0)) <= 6:
        raise DomainError("Decimal places go from 0 to 6.", field="decimal_places")
    if not 1 <= int(fields.get("hysteresis_periods", 1)) <= 12:
        raise DomainError("Hysteresis goes from 1 to 12 periods.", field="hysteresis_periods")
    _check_ownership(actor, fields, kpi)
    return fields


def _check_ownership(actor: Membership, fields: dict[str, Any], kpi: KPI | None) -> None:
    team: Team | None = fields.get("owner_team", kpi.owner_team if kpi else None)
    if team is not None and team.organization_id != actor.organization_id:
        raise DomainError("Choose a team of this organisation.", field="owner_team")
    owner: User | None = fields.get("owner", kpi.owner if kpi else None)
    if owner is not None and not Membership.objects.filter(user=owner).exists():
        raise DomainError("The owner must be a member of this organisation.", field="owner")
    if actor.rank < ROLE_RANK[Role.ADMIN] and (
        {"owner_team", "owner"} & set(fields) or kpi is None
    ):
        in_team = team is not None and team.pk in editable_team_ids(actor)
        if not in_team and (owner is None or owner.pk != actor.user_id):
            raise PermissionDeniedError(
                "Members can only give KPIs to their own teams: choose one of your teams, or make "
                "yourself the owner.",
                field="owner_team",
            )


@transaction.atomic
def kpi_create(*, actor: Membership, **fields: Any) -> KPI:
    if not actor.can(Action.EDIT_CONTENT):
        raise PermissionDeniedError(f"Your role ({actor.get_role_display()}) cannot create KPIs.")
    fields = _clean_kpi_fields(actor, fields, None)
    return KPI.objects.create(organization_id=actor.organization_id, **fields)


@transaction.atomic
def kpi_update(*, actor: Membership, kpi: KPI, **fields: Any) -> KPI:
    _require_editor(actor, kpi)
    fields = _clean_kpi_fields(actor, fields, kpi)
    regroup = any(getattr(kpi, name) != fields[name] for name in REGROUPING_FIELDS & set(fields))
    for name, value in fields.items():
        setattr(kpi, name, value)
    kpi.save(update_fields=list(fields))
    if regroup:
        periods_rebuild(kpi)
    return kpi


@transaction.atomic
def kpi_archive(*, actor: Membership, kpi: KPI, archived: bool = True) -> KPI:
    """Archive (or restore) a KPI: it leaves boards and lists; its history is kept."""
    _require_editor(actor, kpi)
    kpi.archived = archived
    kpi.save(update_fields=["archived"])
    return kpi


@transaction.atomic
def kpi_health_refresh(*, kpi: KPI, rebuild: bool = False) -> KPI:
    """Recompute the KPI's current state from its stored periods; ``rebuild`` re-aggregates the
    whole series from the values first (a repair tool: O(history))."""
    if rebuild:
        periods_rebuild(kpi)
    else:
        current_state_refresh(kpi)
    return kpi


# --- Targets ----------------------------------------------------------------------------------


def _bound(raw: object, field: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return value_parse(raw, field=field)


@transaction.atomic
def kpi_target_set(
    *,
    actor: Membership,
    kpi: KPI,
    kind: str,
    lower: object = None,
    upper: object = None,
    tolerance: object = None,
    effective_from: date,
) -> KPITarget:
    """Set the target range that holds from the period containing ``effective_from`` onwards
    (replacing one set for that same period), and re-judge the periods it governs."""
    _require_editor(actor, kpi)
    if kind not in TargetKind.values:
        raise DomainError("Choose the type of target.", field="kind")
    low, high, tol = _bound(lower, "lower"), _bound(upper, "upper"), _bound(tolerance, "tolerance")
    if kind in (TargetKind.AT_LEAST, TargetKind.BETWEEN) and low is None:
        raise DomainError("Enter the low bound (X in “stay at or above X”).", field="lower")
    if kind in (TargetKind.AT_MOST, TargetKind.BETWEEN) and high is None:
        raise DomainError("Enter the high bound (Y in “stay at or below Y”).", field="upper")
    if kind == TargetKind.BETWEEN and low is not None and high is not None and low > high:
        raise DomainError(f"The low bound ({low}) is above the high bound ({high}).", field="lower")
    if tol is not None and tol < 0:
        raise DomainError("The tolerance cannot be negative.", field="tolerance")
    low = low if kind != TargetKind.AT_MOST else None
    high = high if kind != TargetKind.AT_LEAST else None
    start = start_of(kpi.update_frequency, effective_from)
    target, _created = KPITarget.objects.update_or_create(
        kpi=kpi,
        effective_from=start,
        defaults={
            "organization_id": kpi.organization_id,
            "kind": kind,
            "lower": low,
            "upper": high,
            "tolerance": tol,
        },
    )
    rejudge_from, rejudge_to = rejudge_range(list(KPITarget.objects.filter(kpi=kpi)), start)
    periods_refresh(kpi, rejudge_from=rejudge_from, rejudge_to=rejudge_to)
    return target


# --- Values -----------------------------------------------------------------------------------


@transaction.atomic
def kpi_value_record(
    *,
    actor: Membership | None,
    kpi: KPI,
    timestamp: datetime,
    value: object,
    note: str = "",
    source: str = ValueSource.MANUAL,
) -> KPIValue:
    """Record one point, or update the point already stored at ``timestamp``."""
    if actor is not None:
        _require_editor(actor, kpi)
    number = value_parse(value)
    timestamp = timestamp_validate(timestamp)
    point, _created = KPIValue.objects.update_or_create(
        kpi=kpi,
        timestamp=timestamp,
        defaults={
            "organization_id": kpi.organization_id,
            "value": number,
            "note": note[:500],
            "source": source,
            "author_id": actor.user_id if actor is not None else None,
            "sync_run": None,  # a value typed over a synced one is no longer the run's
        },
    )
    kpi.last_recorded_at = timezone.now()
    KPI.objects.filter(pk=kpi.pk).update(last_recorded_at=kpi.last_recorded_at)
    periods_refresh(kpi, touched={period_start(kpi.update_frequency, timestamp)})
    emit(kpi.organization_id, "kpi.value_recorded", payloads.kpi_value_recorded(kpi, source=source))
    return point


@transaction.atomic
def kpi_value_delete(*, actor: Membership, value: KPIValue) -> None:
    kpi = value.kpi
    _require_editor(actor, kpi)
    touched = period_start(kpi.update_frequency, value.timestamp)
    value.delete()
    periods_refresh(kpi, touched={touched})
