"""OKR candidates: unhealthy KPIs that no active Objective is fixing yet.

An unhealthy KPI is the cue to set an OKR (DOMAIN.md, "How they work together"). It is a
candidate while it is unhealthy, not archived, has no active Objective aligned to it, and nobody
dismissed it for this unhealthy episode or snoozed it past today (see ``CandidateDecision``).

"Draft an OKR" (the OKR feature) needs no change here: an ``OKRCandidate`` already carries the
KPI, the target it misses, and the start and target of the Key Result that would bring it back
inside its range (``key_result_start`` → ``key_result_target``); the goals app adds a service
that creates the draft Objective from them, aligned to ``candidate.kpi``, after which
``kpi_ids_with_active_aligned_objective`` stops listing the KPI.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.timesince import timesince

from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership

from .candidates_models import CandidateDecision
from .formatting import format_number, format_target, format_value
from .health import OffTarget, off_target, target_for_period
from .models import KPI, Health, KPITarget
from .periods import period_start
from .services import editable_team_ids, kpi_can_edit

REASON_MAX_LENGTH = 1000


def kpi_ids_with_active_aligned_objective(kpi_ids: Collection[int]) -> set[int]:
    """Of ``kpi_ids``, those an active Objective is aligned to: someone is already fixing them.

    ONE query (``goals.selectors.kpis_with_active_objective``), keeping the candidates page's
    query count flat.
    """
    from goals.selectors import kpis_with_active_objective

    return kpis_with_active_objective(kpi_ids)


@dataclass(frozen=True)
class OKRCandidate:
    kpi: KPI
    target: KPITarget | None
    off: OffTarget | None
    can_act: bool
    unhealthy_for: str  # "3 weeks, 2 days": preformatted, as every string on a list page
    value_text: str
    target_text: str
    off_text: str  # "22 min (73%) above the target"

    @property
    def key_result_start(self) -> Decimal | None:
        """Where a Key Result fixing this KPI starts: its current value."""
        value: Decimal | None = self.kpi.latest_value
        return value

    @property
    def key_result_target(self) -> Decimal | None:
        """Where it should end: the edge of the target range the KPI missed."""
        return self.off.bound if self.off is not None else None


def _hiding_decisions(today: date) -> QuerySet[CandidateDecision]:
    """Decisions that keep a candidate off the list: about the KPI's *current* unhealthy episode,
    and either a dismissal or a snooze that has not run out (it returns on its date)."""
    return CandidateDecision.objects.filter(
        episode_started_at=F("kpi__health_since"),
    ).filter(Q(kind=CandidateDecision.Kind.DISMISSED) | Q(snoozed_until__gt=today))


def candidate_kpis(*, today: date, team_id: int | None = None) -> QuerySet[KPI]:
    """Unhealthy, unarchived KPIs not dismissed for this episode and not snoozed past today."""
    hidden = _hiding_decisions(today).filter(kpi=OuterRef("pk"))
    kpis = KPI.objects.filter(health=Health.UNHEALTHY, archived=False).exclude(Exists(hidden))
    if team_id is not None:
        kpis = kpis.filter(owner_team_id=team_id)
    return kpis.select_related("owner_team", "owner").order_by("health_since", "name")


def hidden_candidate_decisions(
    *, today: date, team_id: int | None = None
) -> QuerySet[CandidateDecision]:
    """The dismissed and snoozed candidates of the current episodes, to show and restore."""
    decisions = _hiding_decisions(today).filter(kpi__health=Health.UNHEALTHY, kpi__archived=False)
    if team_id is not None:
        decisions = decisions.filter(kpi__owner_team_id=team_id)
    return decisions.select_related("kpi", "kpi__owner_team", "decided_by").order_by("kpi__name")


def _off_text(kpi: KPI, off: OffTarget | None) -> str:
    if off is None or kpi.latest_value is None:
        return "—"
    side = "below" if kpi.latest_value < off.bound else "above"
    absolute = format_value(off.absolute, kpi)
    if off.relative is None:
        return f"{absolute} {side} the target"
    return f"{absolute} ({format_number(off.relative * 100, 0)}%) {side} the target"


def candidate_list(
    *,
    membership: Membership,
    team_id: int | None = None,
    now: datetime | None = None,
    team_ids: set[int] | None = None,
) -> list[OKRCandidate]:
    """The candidates, longest unhealthy first. Three queries however many there are: the KPIs,
    their targets, the person's teams (unless ``team_ids`` gives them; see ``editable_team_ids``),
    plus one for aligned Objectives once goals exist."""
    now = now or timezone.now()
    kpis = list(candidate_kpis(today=timezone.localdate(now), team_id=team_id))
    aligned = kpi_ids_with_active_aligned_objective([kpi.pk for kpi in kpis])
    kpis = [kpi for kpi in kpis if kpi.pk not in aligned]
    targets: dict[int, list[KPITarget]] = {}
    for row in KPITarget.objects.filter(kpi__in=[kpi.pk for kpi in kpis]):
        targets.setdefault(row.kpi_id, []).append(row)
    if team_ids is None:
        team_ids = editable_team_ids(membership)
    candidates = []
    for kpi in kpis:
        when = kpi.latest_value_at or now
        target = target_for_period(
            targets.get(kpi.pk, []), period_start(kpi.update_frequency, when)
        )
        off = off_target(target, kpi.latest_value)
        candidates.append(
            OKRCandidate(
                kpi=kpi,
                target=target,
                off=off,
                can_act=kpi_can_edit(membership, kpi, team_ids=team_ids),
                unhealthy_for=timesince(kpi.health_since, now) if kpi.health_since else "—",
                value_text=format_value(kpi.latest_value, kpi),
                target_text=format_target(target, kpi),
                off_text=_off_text(kpi, off),
            )
        )
    return candidates


def _episode(actor: Membership, kpi: KPI) -> datetime:
    """The unhealthy episode a decision about ``kpi`` is for; refuses non-candidates."""
    if not kpi_can_edit(actor, kpi):
        raise PermissionDeniedError(
            f"Only members of {kpi.owner_team or 'its team'}, its owner and admins can decide "
            f"about “{kpi.name}”."
        )
    if kpi.health != Health.UNHEALTHY or kpi.health_since is None or kpi.archived:
        raise DomainError(f"“{kpi.name}” is not unhealthy, so it is not an OKR candidate.")
    return kpi.health_since


def _decide(actor: Membership, kpi: KPI, **decision: object) -> CandidateDecision:
    episode = _episode(actor, kpi)
    with transaction.atomic():
        record, _created = CandidateDecision.objects.update_or_create(
            kpi=kpi,
            episode_started_at=episode,
            defaults={
                "organization_id": kpi.organization_id,
                "decided_by_id": actor.user_id,
                **decision,
            },
        )
    return record


def candidate_dismiss(*, actor: Membership, kpi: KPI, reason: str) -> CandidateDecision:
    """Take ``kpi`` off the candidates until it recovers and turns unhealthy again."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why this KPI needs no OKR.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(f"Keep the reason under {REASON_MAX_LENGTH} characters.", field="reason")
    return _decide(
        actor, kpi, kind=CandidateDecision.Kind.DISMISSED, reason=reason, snoozed_until=None
    )


def candidate_snooze(
    *, actor: Membership, kpi: KPI, until: date, reason: str = "", today: date | None = None
) -> CandidateDecision:
    """Take ``kpi`` off the candidates until ``until`` (it is back on that day)."""
    today = today or timezone.localdate()
    if until <= today:
        raise DomainError("Snooze until a date after today.", field="until")
    return _decide(
        actor,
        kpi,
        kind=CandidateDecision.Kind.SNOOZED,
        reason=reason.strip()[:REASON_MAX_LENGTH],
        snoozed_until=until,
    )


def candidate_restore(*, actor: Membership, kpi: KPI) -> None:
    """Undo a dismissal or snooze of the current episode: the KPI is a candidate again."""
    episode = _episode(actor, kpi)
    CandidateDecision.objects.filter(kpi=kpi, episode_started_at=episode).delete()
