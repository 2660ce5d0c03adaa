"""Demo OKRs for `make run`: a year, last quarter (closed and graded), this quarter (active, with
weekly check-ins) and next quarter (planning), company and team objectives aligned to each other
and to the demo KPIs — some to the unhealthy ones they are meant to fix.

Runs after the KPI demo (INSTALLED_APPS order); KPIs it cannot find are simply not linked.
Everything goes through the services, so the demo obeys the same rules as people do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from goals import services
from goals.models import (
    Cycle,
    CycleKind,
    CycleStatus,
    KeyResult,
    Objective,
    ObjectiveStatus,
    StrategicPillar,
)
from goals.progress import expected_progress, key_result_pace_status
from kpis.formatting import format_value
from kpis.models import KPI, KPIPeriod
from okrplatform.tenancy.models import Membership, Organization, Team
from okrplatform.tenancy.roles import Role

if TYPE_CHECKING:
    from okrplatform.accounts.models import User

PILLARS = [
    (
        "Customers who help themselves",
        "Answers before questions: self-service first, fast humans when needed.",
    ),
    ("Efficient growth", "Grow recurring revenue without growing cost at the same pace."),
    ("A product people love", "Activation, habit and delight, measured."),
]


@dataclass
class KR:
    title: str
    start: float
    target: float
    unit: str = ""
    pace: float = 1.0  # how fast it moves relative to the expected pace (1.0 = on track)
    kpi: str = ""  # name of a demo KPI it follows
    kind: str = "metric"
    weight: float = 1


@dataclass
class Obj:
    title: str
    team: str | None
    pillar: int | None
    krs: list[KR]
    parents: list[str] = field(default_factory=list)
    kpis: list[str] = field(default_factory=list)
    initiatives: list[tuple[str, str, int]] = field(default_factory=list)
    status: str = ObjectiveStatus.ACTIVE


CURRENT = [
    Obj(
        "Make support effortless for every customer",
        None,
        0,
        [
            KR("Raise CSAT from 82% to 90%", 82, 90, "%", 0.9, "Customer satisfaction (CSAT)"),
            KR(
                "Bring first reply time from 52 to 30 minutes",
                52,
                30,
                "min",
                0.6,
                "Average first reply time",
            ),
        ],
        kpis=["Average first reply time", "Customer satisfaction (CSAT)"],
    ),
    Obj(
        "Grow recurring revenue efficiently",
        None,
        1,
        [
            KR(
                "Grow MRR from €230k to €260k",
                230_000,
                260_000,
                "EUR",
                0.95,
                "Monthly recurring revenue (MRR)",
            ),
            KR("Cut cost per lead from €95 to €70", 95, 70, "EUR", 0.7),
        ],
        kpis=["Monthly recurring revenue (MRR)"],
    ),
    Obj(
        "Empower customers to help themselves",
        "Support",
        0,
        [
            KR(
                "Reduce support tickets from 1,200 to 800 a month",
                1200,
                800,
                "tickets",
                0.8,
                "Support tickets",
            ),
            KR(
                "Knowledge-base traffic from 6,000 to 15,000 visitors",
                6000,
                15000,
                "visitors",
                1.1,
                "Knowledge-base visitors",
            ),
            KR("Launch the in-app help widget", 0, 1, kind="milestone"),
        ],
        parents=["Make support effortless for every customer"],
        kpis=["Average first reply time"],
        initiatives=[
            ("Write 40 help articles", "in_progress", 55),
            ("Tag every ticket by topic", "done", 100),
        ],
    ),
    Obj(
        "Answer every customer within the hour",
        "Support",
        0,
        [
            KR(
                "Cut the 48 h backlog from 60 to 10 tickets",
                60,
                10,
                "tickets",
                0.5,
                "Backlog older than 48 h",
            ),
            KR("Keep order accuracy at 99%", 97, 99, "%", 1.0),
        ],
        parents=["Make support effortless for every customer"],
        kpis=["Backlog older than 48 h"],
        initiatives=[("Weekend on-call rota", "blocked", 10)],
    ),
    Obj(
        "Keep new customers past their first 90 days",
        "Customer Success",
        0,
        [
            KR("Onboarding calls for 100% of new accounts, from 40%", 40, 100, "%", 1.0),
            KR("Early churn from 6% to 3%", 6, 3, "%", 0.7),
        ],
        parents=["Empower customers to help themselves", "Grow recurring revenue efficiently"],
    ),
    Obj(
        "Fill the pipeline with qualified leads",
        "Marketing",
        1,
        [
            KR(
                "Marketing-qualified leads from 180 to 260 a month",
                180,
                260,
                "leads",
                0.85,
                "Marketing-qualified leads",
            ),
            KR("Organic search share from 28% to 35%", 28, 35, "%", 1.2),
        ],
        parents=["Grow recurring revenue efficiently"],
        kpis=["Cost per lead"],
        initiatives=[("Publish 12 comparison pages", "in_progress", 40)],
    ),
    Obj(
        "Close deals faster",
        "Sales",
        1,
        [
            KR("Sales cycle from 48 to 35 days", 48, 35, "days", 0.6, "Sales cycle length"),
            KR("Win rate from 21% to 27%", 21, 27, "%", 0.9, "Win rate"),
        ],
        parents=["Grow recurring revenue efficiently"],
        kpis=["Sales cycle length"],
    ),
    Obj(
        "Turn sign-ups into weekly users",
        "Product",
        2,
        [
            KR("Activation from 35% to 50% of sign-ups", 35, 50, "%", 1.05),
            KR("Ship guided onboarding", 0, 1, kind="milestone"),
        ],
        initiatives=[("Onboarding checklist", "in_progress", 70)],
    ),
]

PREVIOUS = [
    Obj(
        "Know why customers contact us",
        "Support",
        0,
        [
            KR("Tag 95% of tickets by topic, from 20%", 20, 95, "%", 1.0),
            KR("Keep order accuracy at 99%", 97, 99, "%", 1.0),
        ],
    ),
    Obj(
        "Launch the partner channel",
        "Sales",
        1,
        [
            KR("Sign 10 partners, from 0", 0, 10, "partners", 0.6),
            KR("Partner-sourced pipeline from €0 to €150k", 0, 150_000, "EUR", 0.4),
        ],
    ),
    Obj(
        "Make the website convert",
        "Marketing",
        1,
        [
            KR("Visitor-to-lead conversion from 1.2% to 2%", 1.2, 2.0, "%", 0.9),
        ],
    ),
]
NEXT = [
    Obj(
        "Self-service for billing questions",
        "Support",
        0,
        [
            KR("Billing tickets from 300 to 150 a month", 300, 150, "tickets", 0.0),
        ],
        status=ObjectiveStatus.DRAFT,
    ),
]


@dataclass
class _Demo:
    actor: Membership
    teams: dict[str, Team]
    kpis: dict[str, KPI]
    pillars: list[StrategicPillar]
    rng: random.Random

    def lead(self, team_name: str | None) -> User:
        team = self.teams.get(team_name or "")
        return (team.lead if team and team.lead else None) or self.actor.user


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarter_end(start: date) -> date:
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def _quarter(actor: Membership, start: date, year: Cycle | None, status: str) -> Cycle:
    name = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    parent = year if year and year.start_date <= start <= year.end_date else None
    return services.cycle_create(
        actor=actor,
        name=name,
        kind=CycleKind.QUARTERLY,
        start_date=start,
        end_date=_quarter_end(start),
        parent=parent,
        status=status,
    )


def seed(organization: Organization) -> None:
    actor = Membership.objects.filter(role=Role.OWNER).select_related("user").order_by("pk").first()
    if actor is None or Cycle.objects.exists():
        return
    today = timezone.localdate()
    demo = _Demo(
        actor=actor,
        teams={team.name: team for team in Team.objects.select_related("lead")},
        kpis={kpi.name: kpi for kpi in KPI.objects.all()},
        pillars=[
            services.pillar_create(actor=actor, name=name, description=description)
            for name, description in PILLARS
        ],
        rng=random.Random(4),  # noqa: S311 - demo noise, not security
    )
    year = services.cycle_create(
        actor=actor,
        name=str(today.year),
        kind=CycleKind.ANNUAL,
        start_date=date(today.year, 1, 1),
        end_date=date(today.year, 12, 31),
        status=CycleStatus.ACTIVE,
    )
    this_start = _quarter_start(today)
    previous_start = _quarter_start(this_start - timedelta(days=1))
    previous = _quarter(actor, previous_start, year, CycleStatus.ACTIVE)
    current = _quarter(actor, this_start, year, CycleStatus.ACTIVE)
    next_start = _quarter_end(this_start) + timedelta(days=1)
    upcoming = _quarter(actor, next_start, year, CycleStatus.PLANNING)

    made = _objectives(demo, PREVIOUS, previous, previous.end_date)
    carry = [made["Launch the partner channel"].pk]
    services.cycle_close(actor=actor, cycle=previous, carry_over=carry, next_cycle=current)
    Objective.objects.filter(carried_from_id__in=carry).update(status=ObjectiveStatus.ACTIVE)
    _objectives(demo, CURRENT, current, today)
    _objectives(demo, NEXT, upcoming, today)


def _objectives(demo: _Demo, specs: list[Obj], cycle: Cycle, until: date) -> dict[str, Objective]:
    made: dict[str, Objective] = {}
    for spec in specs:
        objective = services.objective_create(
            actor=demo.actor,
            title=spec.title,
            cycle=cycle,
            owner_team=demo.teams.get(spec.team or ""),
            lead=demo.lead(spec.team),
            status=spec.status,
            pillar=demo.pillars[spec.pillar] if spec.pillar is not None else None,
            parents=[made[p] for p in spec.parents if p in made],
            kpis=[demo.kpis[name] for name in spec.kpis if name in demo.kpis],
        )
        made[spec.title] = objective
        for kr_spec in spec.krs:
            title, start = _kpi_start(demo, kr_spec, cycle)
            key_result = services.key_result_create(
                actor=demo.actor,
                objective=objective,
                title=title,
                kind=kr_spec.kind,
                start_value=start,
                target_value=Decimal(str(kr_spec.target)),
                unit=kr_spec.unit,
                weight=kr_spec.weight,
                lead=objective.lead,
                kpi=demo.kpis.get(kr_spec.kpi),
            )
            if spec.status == ObjectiveStatus.ACTIVE:
                _check_ins(demo, key_result, cycle, until, kr_spec.pace)
        for title, status, percent in spec.initiatives:
            services.initiative_create(
                actor=demo.actor,
                objective=objective,
                title=title,
                status=status,
                progress=percent,
                lead=objective.lead,
            )
    return made


def _kpi_start(demo: _Demo, kr_spec: KR, cycle: Cycle) -> tuple[str, Decimal]:
    """A key result that follows a demo KPI starts where the KPI stood when the cycle began, so
    its progress tells the KPI's real story; the title says so. Otherwise the spec's numbers."""
    start, target = Decimal(str(kr_spec.start)), Decimal(str(kr_spec.target))
    kpi = demo.kpis.get(kr_spec.kpi)
    if kpi is None:
        return kr_spec.title, start
    period = (
        KPIPeriod.objects.filter(kpi=kpi, period_start__lte=cycle.start_date)
        .order_by("-period_start")
        .first()
    )
    if period is None or (period.value - target) * (start - target) <= 0:
        return kr_spec.title, start  # no history, or already past the target at the start
    verb = kr_spec.title.split(" from ")[0]
    value = period.value.quantize(Decimal(1) if abs(period.value) >= 100 else Decimal("0.1"))
    return f"{verb} from {format_value(value, kpi)} to {format_value(target, kpi)}", value


def _check_ins(demo: _Demo, key_result: KeyResult, cycle: Cycle, until: date, pace: float) -> None:
    """Weekly check-ins from the cycle's start to ``until``, moving at ``pace`` with noise (a
    KPI-linked key result records the KPI's value instead: one check-in, now)."""
    day = cycle.start_date + timedelta(days=6)
    if key_result.kpi_id is not None:
        day = max(day, min(until, cycle.end_date))
    end = min(until, cycle.end_date)
    span = key_result.target_value - key_result.start_value
    while day <= end:
        expected = expected_progress(cycle.start_date, cycle.end_date, day)
        if key_result.kind == "milestone":
            done = expected * pace > 0.7
            value: object = done
            key_result.current_value = Decimal(1 if done else 0)
        else:
            share = max(0.0, expected * pace + demo.rng.uniform(-0.04, 0.04))
            number = key_result.start_value + span * Decimal(str(round(share, 3)))
            value = key_result.current_value = number.quantize(Decimal("0.01"))
        status = key_result_pace_status(key_result, expected)
        services.check_in_create(
            actor=demo.actor,
            key_result=key_result,
            value=value,
            status=status,
            confidence=max(1, min(10, round(10 * pace - 2 + demo.rng.uniform(-1, 1)))),
            comment=demo.rng.choice(COMMENTS.get(status, [""])),
            at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
        )
        day += timedelta(days=7)


COMMENTS = {
    "on_track": ["Good week.", "Steady progress.", "Ahead of plan after the release.", ""],
    "needs_attention": ["Slower than hoped; re-planning.", "Blocked on hiring for two weeks.", ""],
    "off_track": ["Off track: the dependency slipped.", "Needs a decision at the next review."],
    "accomplished": ["Done!", "Target reached."],
}
