"""CSV export: formula-injection escaping, streaming, round trip with the import, tenants."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kpis.csv_io.export import cell_escape, value_text
from kpis.models import KPI, KPIValue
from okrplatform.tenancy.models import Organization
from tests.factories import KPIFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cell", "escaped"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-5 people", "'-5 people"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tindented", "'\tindented"),
        ("\rcarriage", "'\rcarriage"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1e5", "-1e5"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_cells_that_could_run_as_formulas_are_quoted(cell: str | None, escaped: str) -> None:
    assert cell_escape(cell) == escaped


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("12.500000"), "12.5"),
        (Decimal("100.000000"), "100"),
        (Decimal("-0.000100"), "-0.0001"),
        (Decimal("1E+2"), "100"),
        (None, ""),
    ],
)
def test_values_are_written_plainly(value: Decimal | None, text: str) -> None:
    assert value_text(value) == text


def rows_of(response: object) -> list[list[str]]:
    assert response.streaming  # type: ignore[attr-defined]
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


@pytest.fixture
def kpi(org: Organization) -> KPI:
    kpi = KPIFactory(organization=org, name="Reply time", key="reply-time")
    for day, value, note in [
        (1, "-12.5", "=cmd|' /C calc'!A0"),
        (2, "30", "normal"),
        (3, "31.25", "@mention, with a comma\nand a newline"),
    ]:
        KPIValue.unscoped.create(
            organization=org,
            kpi=kpi,
            timestamp=datetime(2025, 1, day, tzinfo=UTC),
            value=Decimal(value),
            note=note,
        )
    return kpi


def test_history_export_streams_escaped_rows(viewer_client: Client, kpi: KPI) -> None:
    url = reverse("kpis:kpi-export", kwargs={"org_slug": "acme", "pk": kpi.pk})
    response = viewer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="reply-time-history.csv"' in response["Content-Disposition"]
    assert rows_of(response) == [
        ["timestamp", "value", "note", "source"],
        ["2025-01-01T00:00:00+00:00", "-12.5", "'=cmd|' /C calc'!A0", "manual"],
        ["2025-01-02T00:00:00+00:00", "30", "normal", "manual"],
        ["2025-01-03T00:00:00+00:00", "31.25", "'@mention, with a comma\nand a newline", "manual"],
    ]


def test_export_then_import_round_trips(admin_client_: Client, org: Organization, kpi: KPI) -> None:
    before = list(KPIValue.unscoped.filter(kpi=kpi).values_list("timestamp", "value", "note"))
    url = reverse("kpis:kpi-export", kwargs={"org_slug": "acme", "pk": kpi.pk})
    exported = b"".join(admin_client_.get(url).streaming_content)
    response = admin_client_.post(
        reverse("kpis:kpi-import", kwargs={"org_slug": "acme", "pk": kpi.pk}),
        {"file": SimpleUploadedFile("x.csv", exported), "date_format": "auto"},
        follow=True,
    )
    html = response.content.decode()
    assert 'data-testid="unchanged-count">3<' in html
    assert 'data-testid="error-row-count">0<' in html
    assert "Ignored the column source." in html
    after = list(KPIValue.unscoped.filter(kpi=kpi).values_list("timestamp", "value", "note"))
    assert after == before


def test_current_values_export_lists_own_kpis_escaped(
    member_client: Client, org: Organization, other_org: Organization
) -> None:
    team = TeamFactory(organization=org, name="+Growth")
    KPIFactory(
        organization=org,
        name="=Revenue",
        key="revenue",
        owner_team=team,
        latest_value=Decimal("125000.500000"),
        latest_value_at=datetime(2025, 1, 31, tzinfo=UTC),
        health="healthy",
        unit_kind="currency",
        currency_code="EUR",
    )
    KPIFactory(organization=org, name="Archived one", archived=True)
    KPIFactory(organization=other_org, name="Foreign secret")
    response = member_client.get(reverse("kpis:export", kwargs={"org_slug": "acme"}))
    rows = rows_of(response)
    assert rows[0][:6] == ["kpi", "name", "team", "owner", "timestamp", "value"]
    assert rows[1:] == [
        [
            "revenue",
            "'=Revenue",
            "'+Growth",
            "",
            "2025-01-31T00:00:00+00:00",
            "125000.5",
            "EUR",
            "healthy",
            "",
        ]
    ]
