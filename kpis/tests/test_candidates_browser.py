"""In a browser: a team member imports a KPI's history from a CSV file, then dismisses the
unhealthy KPI on the OKR candidates page (screenshots in test-output/screenshots)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kpis.candidates_models import CandidateDecision
from kpis.models import KPIValue
from okrplatform.tenancy.models import Membership, Organization
from tests.browser.conftest import chromium, open_session, playwright_driver  # noqa: F401
from tests.browser.harness import OpenSession
from tests.factories import (
    PASSWORD,
    KPIFactory,
    KPITargetFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_history_then_dismiss_the_candidate(
    open_session: OpenSession,  # noqa: F811
    org: Organization,
    member: Membership,
) -> None:
    team = TeamFactory(organization=org, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    kpi = KPIFactory(
        organization=org,
        name="Support reply time",
        owner_team=team,
        owner=member.user,
        unit_kind="duration",
        health="unhealthy",
        health_since=datetime.now(UTC) - timedelta(days=20),
        latest_value=Decimal(52),
        latest_value_at=datetime.now(UTC) - timedelta(days=20),
    )
    KPITargetFactory(kpi=kpi, kind="at_most", lower=None, upper=30, effective_from=date(2024, 1, 1))

    browser = open_session("member")
    browser.log_in(member.user.email, PASSWORD)
    page = browser.page

    browser.goto(f"/acme/kpis/{kpi.pk}/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "reply-time.csv",
                "mimeType": "text/csv",
                "buffer": b"date;value;note\n2025-01-31;41;\n2025-02-28;oops;\n2025-03-31;52;holidays\n",
            }
        ]
    )
    browser.shot("upload")
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    assert page.get_by_test_id("create-count").inner_text() == "2"
    assert "“oops” is not a number." in page.get_by_test_id("import-errors").inner_text()
    browser.shot("preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Import 2 values").click()
    assert "Imported 2 values: 2 new, 0 updated." in page.content()
    browser.shot("imported")
    assert KPIValue.unscoped.filter(kpi=kpi).count() == 2

    browser.goto("/acme/kpis/candidates/")
    row = page.get_by_test_id("candidate-row")
    assert "Support reply time" in row.inner_text()
    assert "22 min (73%) above the target" in row.inner_text()
    browser.shot("candidates")
    row.get_by_text("Dismiss", exact=True).click()
    row.get_by_label("Why does it need no OKR?").fill("Holiday season: it recovers by itself")
    browser.shot("dismissing")
    assert browser.horizontal_overflow() == 0  # the open panel does not stretch the table
    with page.expect_navigation():
        row.get_by_role("button", name="Dismiss for this episode").click()
    assert page.get_by_test_id("candidate-count").inner_text() == "0"
    assert "Holiday season" in page.get_by_test_id("hidden-candidates").inner_text()
    browser.shot("dismissed")
    assert CandidateDecision.unscoped.get().reason == "Holiday season: it recovers by itself"
    assert browser.horizontal_overflow() == 0
