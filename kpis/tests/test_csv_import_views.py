"""The CSV import through the pages: upload → preview → confirm, roles, tenants, big files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from kpis.import_models import KPIImport
from kpis.models import KPI, KPIValue
from okrplatform.tenancy.models import Membership, Organization, Team
from tests.factories import (
    KPIFactory,
    KPITargetFactory,
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

HISTORY = (
    "date,value,note\n2025-01-31,52,\n2025-02-28,47,FAQ launched\n2025-03-31,x,\n2025-04-30,31,\n"
)


@pytest.fixture
def team(org: Organization, member: Membership) -> Team:
    team = TeamFactory(organization=org, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    return team


@pytest.fixture
def kpi(org: Organization, team: Team) -> KPI:
    kpi = KPIFactory(organization=org, name="Reply time", key="reply-time", owner_team=team)
    KPITargetFactory(kpi=kpi, kind="at_most", lower=None, upper=30, effective_from=date(2024, 1, 1))
    return kpi


def csv_file(text: str, name: str = "history.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def upload(client: Client, url: str, text: str, date_format: str = "auto") -> KPIImport:
    response = client.post(url, {"file": csv_file(text), "date_format": date_format})
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(re.search(r"/imports/(\d+)/$", response["Location"]).group(1))  # type: ignore[union-attr]
    return KPIImport.unscoped.get(pk=pk)


def kpi_upload_url(kpi: KPI) -> str:
    return reverse("kpis:kpi-import", kwargs={"org_slug": kpi.organization.slug, "pk": kpi.pk})


def preview_url(kpi_import: KPIImport) -> str:
    return reverse(
        "kpis:import-preview",
        kwargs={"org_slug": kpi_import.organization.slug, "pk": kpi_import.pk},
    )


def confirm_url(kpi_import: KPIImport) -> str:
    return reverse(
        "kpis:import-confirm",
        kwargs={"org_slug": kpi_import.organization.slug, "pk": kpi_import.pk},
    )


def stored(kpi: KPI) -> list[tuple[datetime, Decimal, str, str]]:
    return list(
        KPIValue.unscoped.filter(kpi=kpi)
        .order_by("timestamp")
        .values_list("timestamp", "value", "note", "source")
    )


def count(html: str, name: str) -> int:
    found = re.search(rf'data-testid="{name}">([\d,]+)<', html)
    assert found, f"no {name} in the page"
    return int(found.group(1).replace(",", ""))


def test_preview_then_confirm_writes_the_valid_rows(
    member_client: Client, member: Membership, kpi: KPI
) -> None:
    kpi_import = upload(member_client, kpi_upload_url(kpi), HISTORY)
    assert stored(kpi) == []  # nothing is written before the confirmation

    page = member_client.get(preview_url(kpi_import))
    html = page.content.decode()
    assert page.status_code == 200
    assert count(html, "create-count") == 3
    assert count(html, "update-count") == 0
    assert count(html, "error-row-count") == 1
    assert '<td class="num">4</td><td>value</td><td>“x” is not a number.</td>' in html
    assert "Import 3 values" in html

    response = member_client.post(confirm_url(kpi_import), follow=True)
    assert "Imported 3 values: 3 new, 0 updated." in response.content.decode()
    assert stored(kpi) == [
        (datetime(2025, 1, 31, tzinfo=UTC), Decimal("52"), "", "import"),
        (datetime(2025, 2, 28, tzinfo=UTC), Decimal("47"), "FAQ launched", "import"),
        (datetime(2025, 4, 30, tzinfo=UTC), Decimal("31"), "", "import"),
    ]
    assert set(KPIValue.unscoped.filter(kpi=kpi).values_list("author_id", flat=True)) == {
        member.user_id
    }
    kpi.refresh_from_db()
    assert kpi.latest_value == Decimal("31")
    assert kpi.health == "unhealthy"  # health is evaluated as for any other write
    kpi_import.refresh_from_db()
    assert kpi_import.status == KPIImport.Status.APPLIED
    assert kpi_import.points == []


def test_importing_the_same_file_again_changes_nothing(member_client: Client, kpi: KPI) -> None:
    first = upload(member_client, kpi_upload_url(kpi), HISTORY)
    member_client.post(confirm_url(first))
    before = stored(kpi)

    again = upload(member_client, kpi_upload_url(kpi), HISTORY)
    html = member_client.get(preview_url(again)).content.decode()
    assert (count(html, "create-count"), count(html, "update-count")) == (0, 0)
    assert count(html, "unchanged-count") == 3
    member_client.post(confirm_url(again))
    assert stored(kpi) == before


def test_changed_values_are_counted_as_updates(member_client: Client, kpi: KPI) -> None:
    member_client.post(confirm_url(upload(member_client, kpi_upload_url(kpi), HISTORY)))
    changed = upload(
        member_client, kpi_upload_url(kpi), HISTORY.replace("2025-04-30,31", "2025-04-30,29")
    )
    assert (changed.create_count, changed.update_count, changed.unchanged_count) == (0, 1, 2)
    member_client.post(confirm_url(changed))
    assert stored(kpi)[-1][1] == Decimal("29")


def test_confirming_twice_writes_once(member_client: Client, kpi: KPI) -> None:
    kpi_import = upload(member_client, kpi_upload_url(kpi), HISTORY)
    member_client.post(confirm_url(kpi_import))
    KPIValue.unscoped.filter(kpi=kpi).update(value=1)  # someone edits a value afterwards
    response = member_client.post(confirm_url(kpi_import), follow=True)
    assert "already been imported" in response.content.decode()
    assert {value for _ts, value, _n, _s in stored(kpi)} == {Decimal(1)}


def test_an_expired_preview_cannot_be_confirmed(member_client: Client, kpi: KPI) -> None:
    kpi_import = upload(member_client, kpi_upload_url(kpi), HISTORY)
    KPIImport.unscoped.filter(pk=kpi_import.pk).update(expires_at=timezone.now() - timedelta(1))
    response = member_client.post(confirm_url(kpi_import), follow=True)
    assert "expired" in response.content.decode()
    assert stored(kpi) == []


def test_a_kpi_archived_after_the_preview_stops_the_whole_import(
    admin_client_: Client, org: Organization, kpi: KPI
) -> None:
    other = KPIFactory(organization=org, name="Revenue")
    text = "kpi,date,value\nreply-time,2025-01-31,40\nRevenue,2025-01-31,1000\n"
    kpi_import = upload(admin_client_, reverse("kpis:import", kwargs={"org_slug": org.slug}), text)
    assert kpi_import.create_count == 2
    KPI.unscoped.filter(pk=other.pk).update(archived=True)
    response = admin_client_.post(confirm_url(kpi_import), follow=True)
    assert "“Revenue” was archived after the preview" in response.content.decode()
    assert stored(kpi) == []
    assert stored(other) == []


def test_a_multi_kpi_file_names_kpis_by_key_or_name(
    member_client: Client, org: Organization, kpi: KPI
) -> None:
    foreign_team_kpi = KPIFactory(
        organization=org, name="Revenue", owner_team=TeamFactory(organization=org)
    )
    text = (
        "kpi,date,value\nreply-time,2025-01-31,40\nReply time,2025-02-28,35\nRevenue,2025-01-31,9\n"
    )
    kpi_import = upload(member_client, reverse("kpis:import", kwargs={"org_slug": org.slug}), text)
    assert kpi_import.create_count == 2
    assert kpi_import.errors == [
        [4, "kpi", "You may not enter values for “Revenue”: it belongs to another team"]
    ]
    member_client.post(confirm_url(kpi_import))
    assert len(stored(kpi)) == 2
    assert stored(foreign_team_kpi) == []


def test_file_level_errors_are_shown_on_the_form(member_client: Client, kpi: KPI) -> None:
    response = member_client.post(
        kpi_upload_url(kpi), {"file": csv_file("when,amount\n1,2\n"), "date_format": "auto"}
    )
    assert response.status_code == 400
    assert "lacks the columns timestamp, value" in response.content.decode()
    assert not KPIImport.unscoped.exists()


def test_ambiguous_dates_ask_for_the_format(member_client: Client, kpi: KPI) -> None:
    text = "date,value\n03/04/2025,1\n05/06/2025,2\n"
    response = member_client.post(
        kpi_upload_url(kpi), {"file": csv_file(text), "date_format": "auto"}
    )
    assert response.status_code == 400
    assert "Choose the date format and upload again" in response.content.decode()
    kpi_import = upload(member_client, kpi_upload_url(kpi), text, date_format="dmy")
    member_client.post(confirm_url(kpi_import))
    assert [ts.date() for ts, *_ in stored(kpi)] == [date(2025, 4, 3), date(2025, 6, 5)]


def test_files_over_the_size_limit_get_a_clear_message(
    member_client: Client, kpi: KPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kpis.csv_io.staging.MAX_IMPORT_BYTES", 20)
    response = member_client.post(
        kpi_upload_url(kpi), {"file": csv_file(HISTORY), "date_format": "auto"}
    )
    assert response.status_code == 400
    assert "the limit is 0.0 MB. Split it" in response.content.decode()


def test_viewers_cannot_import(viewer_client: Client, kpi: KPI) -> None:
    assert viewer_client.get(kpi_upload_url(kpi)).status_code == 403
    response = viewer_client.post(
        kpi_upload_url(kpi), {"file": csv_file(HISTORY), "date_format": "auto"}
    )
    assert response.status_code == 403
    assert not KPIImport.unscoped.exists()


def test_members_cannot_import_into_another_teams_kpi(
    org: Organization, owner: Membership, kpi: KPI
) -> None:
    client = client_for(MembershipFactory(organization=org, role="member"))  # in no team
    response = client.post(kpi_upload_url(kpi), {"file": csv_file(HISTORY), "date_format": "auto"})
    assert response.status_code == 403
    assert not KPIImport.unscoped.exists()


def test_a_preview_is_private_to_its_uploader(
    member_client: Client, admin_client_: Client, kpi: KPI
) -> None:
    kpi_import = upload(member_client, kpi_upload_url(kpi), HISTORY)
    assert admin_client_.get(preview_url(kpi_import)).status_code == 404
    assert admin_client_.post(confirm_url(kpi_import)).status_code == 404
    assert stored(kpi) == []


def test_foreign_kpis_and_imports_answer_404(
    member_client: Client, other_org: Organization, other_member: Membership
) -> None:
    foreign = KPIFactory(organization=other_org, name="Foreign")
    foreign_import = KPIImport.unscoped.create(
        organization=other_org,
        kpi=foreign,
        created_by=other_member.user,
        file_name="f.csv",
        date_format="iso",
        points=[[foreign.pk, "2025-01-01T00:00:00+00:00", "1", ""]],
    )
    own_slug = "acme"
    for name, pk in [
        ("kpis:kpi-import", foreign.pk),
        ("kpis:kpi-export", foreign.pk),
        ("kpis:import-preview", foreign_import.pk),
        ("kpis:import-confirm", foreign_import.pk),
    ]:
        url = reverse(name, kwargs={"org_slug": own_slug, "pk": pk})
        assert member_client.get(url).status_code in (404, 405), url
        assert member_client.post(url).status_code == 404, url
    assert not KPIValue.unscoped.filter(kpi=foreign).exists()


def test_one_hundred_thousand_rows_through_preview_and_confirm(
    admin_client_: Client, org: Organization
) -> None:
    kpi = KPIFactory(organization=org, name="Web traffic", update_frequency="daily")
    start = datetime(2012, 1, 1, tzinfo=UTC)
    lines = ["timestamp,value"] + [
        f"{(start + timedelta(hours=hour)).isoformat()},{hour % 1000}" for hour in range(100_000)
    ]
    kpi_import = upload(admin_client_, kpi_upload_url(kpi), "\n".join(lines))
    assert (kpi_import.rows_read, kpi_import.create_count, kpi_import.error_count) == (
        100_000,
        100_000,
        0,
    )
    html = admin_client_.get(preview_url(kpi_import)).content.decode()
    assert count(html, "create-count") == 100_000
    response = admin_client_.post(confirm_url(kpi_import), follow=True)
    assert "Imported 100,000 values: 100,000 new, 0 updated." in response.content.decode()
    assert KPIValue.unscoped.filter(kpi=kpi).count() == 100_000
