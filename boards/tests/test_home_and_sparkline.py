"""Organisation home widgets, and the sparkline SVG."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from boards.sparkline import HEIGHT, SCALE, sparkline_svg
from boards.tests.conftest import BoardWorld
from kpis.models import HealthChange
from okrplatform.tenancy.models import Organization


def test_home_counts_kpis_by_health_and_overdue(
    org: Organization, world: BoardWorld, viewer_client: Client
) -> None:
    body = viewer_client.get(reverse("tenancy:home", args=[org.slug])).content.decode()
    widget = body[body.index('data-testid="home-kpis"') :]
    pairs = re.findall(
        r'<span class="health-count">(\d+)</span> <span class="[^"]*">([^<]+)</span>', widget
    )
    assert pairs == [("1", "Healthy"), ("1", "At risk"), ("1", "Unhealthy"), ("1", "Overdue")]
    assert '<span class="count">4</span>' in widget  # the archived KPI is not counted
    assert f"{reverse('boards:all-kpis', args=[org.slug])}?health=unhealthy" in widget
    candidates = reverse("kpis:candidate-list", args=[org.slug])
    assert (
        f'<a href="{candidates}" data-testid="candidates-link">1 unhealthy KPI: see the OKR candidates</a>'
        in widget
    )


def test_home_lists_recent_health_changes_newest_first(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    now = timezone.now()
    for days, kpi, before, after in (
        (3, world.reply_time, "healthy", "at_risk"),
        (1, world.reply_time, "at_risk", "unhealthy"),
        (2, world.revenue, "no_data", "healthy"),
    ):
        HealthChange.unscoped.create(
            organization=org,
            kpi=kpi,
            from_health=before,
            to_health=after,
            changed_at=now - timedelta(days=days),
            value=Decimal(52),
        )
    for index in range(12):  # only the 10 most recent are shown
        HealthChange.unscoped.create(
            organization=org,
            kpi=world.nps,
            from_health="healthy",
            to_health="at_risk",
            changed_at=now - timedelta(days=30 + index),
        )
    body = member_client.get(reverse("tenancy:home", args=[org.slug])).content.decode()
    changes = body[body.index('data-testid="health-changes"') :]
    changes = changes[: changes.index("</ul>")]
    items = re.findall(r"<li>(.*?)</li>", changes, re.S)
    assert len(items) == 10
    assert "Support reply time" in items[0]
    assert '>At risk</span> → <span class="health health-unhealthy">Unhealthy</span>' in items[0]
    assert "at 52 min" in items[0]
    assert "Monthly revenue" in items[1]
    assert "€52" in items[1]
    assert 'Healthy</span> → <span class="health health-at_risk">At risk' in items[2]


def test_home_without_kpis_says_what_to_do(org: Organization, member_client: Client) -> None:
    body = member_client.get(reverse("tenancy:home", args=[org.slug])).content.decode()
    assert "No KPIs yet" in body
    assert "No health changes yet" in body


def _numbers(svg: str, attribute: str) -> list[int]:
    return [int(v) for v in re.findall(rf'{attribute}="(-?\d+)"', svg)]


def test_sparkline_draws_the_line_and_shades_the_band() -> None:
    svg = sparkline_svg(
        [Decimal(v) for v in (10, 20, 30)],
        kind="between",
        lower=Decimal(15),
        upper=Decimal(25),
        label="Trend <x>",
    )
    assert 'aria-label="Trend &lt;x&gt;"' in svg
    points = re.search(r'points="([^"]+)"', svg).group(1).split()  # type: ignore[union-attr]
    ys = [int(p.split(",")[1]) for p in points]
    assert ys[0] > ys[1] > ys[2]  # rising values go up (smaller y)
    band_y, band_height = _numbers(svg, "y")[0], _numbers(svg, "height")[1]
    assert (
        ys[2] < band_y < ys[1] < band_y + band_height < ys[0]
    )  # 20 inside the band, 10 and 30 outside


def test_sparkline_band_of_at_least_reaches_the_top() -> None:
    svg = sparkline_svg(
        [Decimal(5), Decimal(8)], kind="at_least", lower=Decimal(6), upper=None, label=""
    )
    assert 'y="0"' in svg
    svg = sparkline_svg(
        [Decimal(5), Decimal(8)], kind="at_most", lower=None, upper=Decimal(6), label=""
    )
    rect = re.search(r"<rect[^>]+>", svg).group(0)  # type: ignore[union-attr]
    top, height = _numbers(rect, "y")[0], _numbers(rect, "height")[0]
    assert top + height == HEIGHT * SCALE  # reaches the bottom


def test_sparkline_edge_cases() -> None:
    assert sparkline_svg([], kind=None, lower=None, upper=None, label="") == ""
    single = sparkline_svg([Decimal(3)], kind=None, lower=None, upper=None, label="")
    assert "<polyline" not in single
    assert "<circle" in single
    assert "<rect" not in single  # no target, no band
    flat = sparkline_svg([Decimal(0)] * 4, kind=None, lower=None, upper=None, label="")
    assert "<polyline" in flat
