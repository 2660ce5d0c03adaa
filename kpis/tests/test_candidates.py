"""OKR candidates: who is one (episode logic, snoozes), how far off target, roles, tenants,
and a flat query budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from kpis import candidates, services
from kpis.candidates_models import CandidateDecision
from kpis.models import KPI
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership, Organization, Team
from tests.factories import (
    KPIFactory,
    KPITargetFactory,
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.fixture
def team(org: Organization, member: Membership) -> Team:
    team = TeamFactory(organization=org, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    return team


def unhealthy_kpi(
    org: Organization,
    team: Team | None = None,
    *,
    name: str = "Reply time",
    value: str = "52",
    since: datetime = NOW - timedelta(days=14),
    **fields: object,
) -> KPI:
    kpi = KPIFactory(
        organization=org,
        name=name,
        owner_team=team,
        health=fields.pop("health", "unhealthy"),
        health_since=since,
        latest_value=Decimal(value),
        latest_value_at=NOW - timedelta(days=15),
        unit_kind="duration",
        **fields,
    )
    KPITargetFactory(kpi=kpi, kind="at_most", lower=None, upper=30, effective_from=date(2024, 1, 1))
    return kpi


def listed(membership: Membership, now: datetime = NOW, **kwargs: object) -> list[str]:
    return [c.kpi.name for c in candidates.candidate_list(membership=membership, now=now, **kwargs)]  # type: ignore[arg-type]


def test_only_unhealthy_unarchived_kpis_are_candidates(
    org: Organization, admin: Membership, scope: object
) -> None:
    unhealthy_kpi(org, name="Unhealthy")
    for health in ("healthy", "at_risk", "no_data"):
        unhealthy_kpi(org, name=health, health=health)
    unhealthy_kpi(org, name="Archived", archived=True)
    assert listed(admin) == ["Unhealthy"]


def test_longest_unhealthy_first(org: Organization, admin: Membership, scope: object) -> None:
    unhealthy_kpi(org, name="Recent", since=NOW - timedelta(days=2))
    unhealthy_kpi(org, name="Old", since=NOW - timedelta(days=90))
    assert listed(admin) == ["Old", "Recent"]


def test_how_long_and_how_far_off_target(
    org: Organization, admin: Membership, scope: object
) -> None:
    unhealthy_kpi(org, value="52", since=NOW - timedelta(days=14))
    (candidate,) = candidates.candidate_list(membership=admin, now=NOW)
    assert candidate.unhealthy_for == "2\xa0weeks"
    assert candidate.off is not None
    assert candidate.off.absolute == Decimal(22)
    assert candidate.off_text == "22 min (73%) above the target"
    assert candidate.target_text == "≤ 30 min"
    assert (candidate.key_result_start, candidate.key_result_target) == (Decimal(52), Decimal(30))


def test_below_an_at_least_target(org: Organization, admin: Membership, scope: object) -> None:
    kpi = KPIFactory(
        organization=org,
        name="CSAT",
        health="unhealthy",
        health_since=NOW,
        latest_value=Decimal("81"),
        latest_value_at=NOW,
        unit_kind="percentage",
    )
    KPITargetFactory(kpi=kpi, kind="at_least", lower=90, effective_from=date(2024, 1, 1))
    (candidate,) = candidates.candidate_list(membership=admin, now=NOW)
    assert candidate.off_text == "9% (10%) below the target"


def test_dismissal_lasts_for_the_episode_only(
    org: Organization, admin: Membership, scope: object
) -> None:
    kpi = unhealthy_kpi(org)
    candidates.candidate_dismiss(actor=admin, kpi=kpi, reason="Seasonal")
    assert listed(admin) == []
    # It recovers, then turns unhealthy again: a new episode, a candidate again.
    KPI.objects.filter(pk=kpi.pk).update(health="healthy", health_since=NOW - timedelta(days=3))
    assert listed(admin) == []
    KPI.objects.filter(pk=kpi.pk).update(health="unhealthy", health_since=NOW - timedelta(days=1))
    assert listed(admin) == ["Reply time"]


def test_episodes_follow_the_values(org: Organization, admin: Membership, scope: object) -> None:
    """The same rule end to end, with health evaluated by the services from real values."""
    kpi = KPIFactory(organization=org, name="Reply time", update_frequency="monthly")
    services.kpi_target_set(
        actor=admin, kpi=kpi, kind="at_most", upper=30, effective_from=date(2024, 1, 1)
    )

    def record(month: int, value: int) -> KPI:
        services.kpi_value_record(
            actor=admin, kpi=kpi, timestamp=datetime(2025, month, 15, tzinfo=UTC), value=value
        )
        kpi.refresh_from_db()
        return kpi

    assert record(1, 52).health == "unhealthy"
    candidates.candidate_dismiss(actor=admin, kpi=kpi, reason="Known: staff on holiday")
    assert listed(admin) == []
    record(2, 55)  # still the same episode
    assert listed(admin) == []
    assert record(3, 25).health == "healthy"
    assert record(4, 60).health == "unhealthy"
    assert listed(admin) == ["Reply time"]


def test_snooze_hides_until_its_date(org: Organization, admin: Membership, scope: object) -> None:
    kpi = unhealthy_kpi(org)
    candidates.candidate_snooze(actor=admin, kpi=kpi, until=date(2026, 6, 20), today=NOW.date())
    assert listed(admin) == []
    assert listed(admin, now=datetime(2026, 6, 19, 23, tzinfo=UTC)) == []
    assert listed(admin, now=datetime(2026, 6, 20, 0, 1, tzinfo=UTC)) == ["Reply time"]


@pytest.mark.parametrize("until", [date(2026, 6, 15), date(2026, 6, 1)])
def test_snooze_needs_a_future_date(
    org: Organization, admin: Membership, scope: object, until: date
) -> None:
    kpi = unhealthy_kpi(org)
    with pytest.raises(DomainError, match="after today") as caught:
        candidates.candidate_snooze(actor=admin, kpi=kpi, until=until, today=NOW.date())
    assert caught.value.field == "until"
    assert not CandidateDecision.objects.exists()


def test_dismissal_needs_a_reason(org: Organization, admin: Membership, scope: object) -> None:
    kpi = unhealthy_kpi(org)
    with pytest.raises(DomainError) as caught:
        candidates.candidate_dismiss(actor=admin, kpi=kpi, reason="   ")
    assert caught.value.field == "reason"


def test_only_unhealthy_kpis_can_be_decided_on(
    org: Organization, admin: Membership, scope: object
) -> None:
    kpi = unhealthy_kpi(org, health="at_risk")
    with pytest.raises(DomainError, match="not unhealthy"):
        candidates.candidate_dismiss(actor=admin, kpi=kpi, reason="x")


def test_deciding_again_replaces_and_restore_brings_it_back(
    org: Organization, admin: Membership, scope: object
) -> None:
    kpi = unhealthy_kpi(org)
    candidates.candidate_dismiss(actor=admin, kpi=kpi, reason="x")
    candidates.candidate_snooze(actor=admin, kpi=kpi, until=date(2099, 1, 1))
    assert list(CandidateDecision.objects.values_list("kind", flat=True)) == ["snoozed"]
    candidates.candidate_restore(actor=admin, kpi=kpi)
    assert listed(admin) == ["Reply time"]


def test_kpis_an_active_objective_is_fixing_are_not_candidates(
    org: Organization, admin: Membership, scope: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = unhealthy_kpi(org, name="Fixed")
    unhealthy_kpi(org, name="Open")
    monkeypatch.setattr(
        candidates, "kpi_ids_with_active_aligned_objective", lambda ids: {fixed.pk} & set(ids)
    )
    assert listed(admin) == ["Open"]


def test_team_filter(org: Organization, admin: Membership, team: Team, scope: object) -> None:
    unhealthy_kpi(org, team, name="Support KPI")
    unhealthy_kpi(org, TeamFactory(organization=org, name="Sales"), name="Sales KPI")
    assert listed(admin, team_id=team.pk) == ["Support KPI"]


def test_members_decide_only_for_their_teams(
    org: Organization, member: Membership, team: Team, scope: object
) -> None:
    own = unhealthy_kpi(org, team, name="Own")
    other = unhealthy_kpi(org, TeamFactory(organization=org), name="Other")
    candidates.candidate_dismiss(actor=member, kpi=own, reason="ok")
    with pytest.raises(PermissionDeniedError):
        candidates.candidate_dismiss(actor=member, kpi=other, reason="no")
    assert [c.can_act for c in candidates.candidate_list(membership=member, now=NOW)] == [False]


# --- The page ---------------------------------------------------------------------------------


def page_url(org_slug: str = "acme") -> str:
    return reverse("kpis:candidate-list", kwargs={"org_slug": org_slug})


def action_url(action: str, kpi: KPI, org_slug: str = "acme") -> str:
    return reverse(f"kpis:candidate-{action}", kwargs={"org_slug": org_slug, "pk": kpi.pk})


def test_viewers_read_but_cannot_act(viewer_client: Client, org: Organization) -> None:
    kpi = unhealthy_kpi(org)
    html = viewer_client.get(page_url()).content.decode()
    assert "Reply time" in html
    assert "Dismiss" not in html
    response = viewer_client.post(action_url("dismiss", kpi), {"reason": "no"})
    assert response.status_code == 403
    assert not CandidateDecision.unscoped.exists()


def test_team_members_dismiss_and_snooze_from_the_page(
    member_client: Client, org: Organization, team: Team
) -> None:
    kpi = unhealthy_kpi(org, team)
    html = member_client.get(page_url()).content.decode()
    assert action_url("dismiss", kpi) in html
    assert "22 min (73%) above the target" in html
    response = member_client.post(
        action_url("dismiss", kpi), {"reason": "Seasonal", "team": team.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url()}?team={team.pk}"
    decision = CandidateDecision.unscoped.get()
    assert (decision.kind, decision.reason) == ("dismissed", "Seasonal")
    html = member_client.get(page_url()).content.decode()
    assert 'data-testid="candidate-count">0<' in html
    assert 'data-testid="hidden-row"' in html
    member_client.post(action_url("restore", kpi))
    assert not CandidateDecision.unscoped.exists()
    tomorrow = timezone.localdate() + timedelta(days=1)
    member_client.post(action_url("snooze", kpi), {"until": tomorrow.isoformat(), "reason": ""})
    assert CandidateDecision.unscoped.get().snoozed_until == tomorrow


def test_invalid_decisions_show_their_errors(
    member_client: Client, org: Organization, team: Team
) -> None:
    kpi = unhealthy_kpi(org, team)
    response = member_client.post(action_url("dismiss", kpi), {"reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = member_client.post(action_url("snooze", kpi), {"until": past})
    assert response.status_code == 400
    assert "Snooze until a date after today." in response.content.decode()
    assert not CandidateDecision.unscoped.exists()


def test_members_of_other_teams_get_403(org: Organization, owner: Membership, team: Team) -> None:
    kpi = unhealthy_kpi(org, team)
    outsider = client_for(MembershipFactory(organization=org, role="member"))
    assert "Dismiss" not in outsider.get(page_url()).content.decode()
    assert outsider.post(action_url("dismiss", kpi), {"reason": "x"}).status_code == 403
    assert not CandidateDecision.unscoped.exists()


def test_admins_act_on_any_kpi(admin_client_: Client, org: Organization, team: Team) -> None:
    kpi = unhealthy_kpi(org, team)
    assert admin_client_.post(action_url("dismiss", kpi), {"reason": "x"}).status_code == 302
    assert CandidateDecision.unscoped.filter(kpi=kpi).exists()


def test_foreign_kpis_answer_404_and_never_show(
    member_client: Client, org: Organization, other_org: Organization, other_client: Client
) -> None:
    unhealthy_kpi(org, name="Acme secret")
    foreign = unhealthy_kpi(other_org, name="Globex secret")
    assert "Globex secret" not in member_client.get(page_url()).content.decode()
    assert "Acme secret" not in other_client.get(page_url("globex")).content.decode()
    for action in ("dismiss", "snooze", "restore"):
        data = {"reason": "x", "until": "2099-01-01"}
        assert member_client.post(action_url(action, foreign), data).status_code == 404
    assert not CandidateDecision.unscoped.exists()


def _page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url())
    assert response.status_code == 200
    return len(queries)


def test_the_page_has_a_flat_query_budget(
    member_client: Client,
    org: Organization,
    team: Team,
    admin: Membership,
    django_assert_max_num_queries: object,
) -> None:
    def add(number: int) -> None:
        for index in range(number):
            kpi = unhealthy_kpi(
                org, team, name=f"KPI {KPI.unscoped.count()} {index}", owner=admin.user
            )
            if index % 5 == 0:  # some dismissed, so both tables have rows
                CandidateDecision.unscoped.create(
                    organization=org,
                    kpi=kpi,
                    episode_started_at=kpi.health_since,
                    kind="dismissed",
                    reason="x",
                    decided_by=admin.user,
                )

    add(5)
    few = _page_queries(member_client)
    add(45)
    with django_assert_max_num_queries(few):  # type: ignore[operator]
        html = member_client.get(page_url()).content.decode()
    assert html.count('data-testid="candidate-row"') == 40
    assert html.count('data-testid="hidden-row"') == 10
    assert few <= 15
