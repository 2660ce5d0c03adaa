"""Timings of the OKR pages at the issue's size: 300 objectives, 1,000 key results.

``python -m goals.bench [--objectives 300] [--key-results 1000] [--runs 30]`` runs in a
throw-away PostgreSQL database (``<DATABASE_URL name>_okrbench``, tables built from the models)
and prints p50/p95 and the number of SQL queries of the cycle page and the alignment map.
``okr_page_rows()`` is what ``make bench`` can call to add the same rows to its report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone


def _seed(objective_count: int, key_result_count: int) -> tuple[Any, Any]:
    from goals.models import (
        CheckIn,
        Cycle,
        CycleStatus,
        KeyResult,
        Objective,
        ObjectiveAlignment,
        ObjectiveKPI,
        ObjectiveStatus,
        StrategicPillar,
    )
    from kpis.models import KPI
    from okrplatform.accounts.models import User
    from okrplatform.tenancy.models import Membership, Organization, Team
    from okrplatform.tenancy.roles import Role

    organization = Organization.objects.create(name="Bench OKRs", slug="bench-okrs")
    user = User.objects.create_user(email="okr-bench@example.test", full_name="Bench")
    owner = Membership.unscoped.create(organization=organization, user=user, role=Role.OWNER)
    org = {"organization": organization}
    teams = Team.unscoped.bulk_create(Team(name=f"Team {i}", **org) for i in range(12))
    pillars = StrategicPillar.unscoped.bulk_create(
        StrategicPillar(name=f"Pillar {i}", position=i, **org) for i in range(4)
    )
    kpis = KPI.unscoped.bulk_create(
        KPI(name=f"KPI {i}", health="unhealthy" if i % 3 == 0 else "healthy", **org)
        for i in range(60)
    )
    today = timezone.localdate()
    cycle = Cycle.unscoped.create(
        name="Bench quarter",
        start_date=today - timedelta(days=40),
        end_date=today + timedelta(days=50),
        status=CycleStatus.ACTIVE,
        **org,
    )
    objectives = Objective.unscoped.bulk_create(
        Objective(
            title=f"Objective {i}",
            cycle=cycle,
            status=ObjectiveStatus.ACTIVE,
            owner_team=None if i < 20 else teams[i % len(teams)],
            pillar=pillars[i % 4],
            **org,
        )
        for i in range(objective_count)
    )
    # Team objectives align to a company objective; every third to a second parent as well.
    ObjectiveAlignment.unscoped.bulk_create(
        ObjectiveAlignment(child=child, parent=objectives[index % 20], **org)
        for index, child in enumerate(objectives[20:])
    )
    ObjectiveAlignment.unscoped.bulk_create(
        ObjectiveAlignment(child=child, parent=objectives[(index + 7) % 20], **org)
        for index, child in enumerate(objectives[20::3])
        if (index + 7) % 20 != index % 20
    )
    ObjectiveKPI.unscoped.bulk_create(
        ObjectiveKPI(objective=objective, kpi=kpis[index % len(kpis)], **org)
        for index, objective in enumerate(objectives)
    )
    key_results = KeyResult.unscoped.bulk_create(
        KeyResult(
            objective=objectives[i % objective_count],
            title=f"Key result {i}",
            start_value=Decimal(0),
            target_value=Decimal(100),
            current_value=Decimal(i % 100),
            status="on_track",
            **org,
        )
        for i in range(key_result_count)
    )
    CheckIn.unscoped.bulk_create(
        CheckIn(key_result=kr, value=Decimal(week * 5), created_at=datetime.now(tz=UTC), **org)
        for kr in key_results
        for week in range(4)
    )
    return organization, owner


def okr_page_rows(
    objective_count: int = 300, key_result_count: int = 1000, runs: int = 30
) -> list[dict[str, Any]]:
    """Seed, then time each page; one row per page with p50/p95 ms and its SQL query count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    organization, owner = _seed(objective_count, key_result_count)
    client = Client()
    client.force_login(owner.user)
    rows = []
    for name, url_name in (
        ("OKR cycle page", "goals:objective-list"),
        ("Alignment map", "goals:alignment-map"),
    ):
        url = reverse(url_name, kwargs={"org_slug": organization.slug})
        for _ in range(3):
            assert client.get(url).status_code == 200  # noqa: S101 - warm-up
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries)  # now: the log is cleared when the connection is reopened
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - started)
        samples.sort()
        rows.append(
            {
                "name": f"{name} ({objective_count} objectives, {key_result_count} key results)",
                "p50_ms": round(statistics.median(samples) * 1000, 1),
                "p95_ms": round(samples[max(0, round(0.95 * len(samples)) - 1)] * 1000, 1),
                "queries": query_count,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m goals.bench", description=__doc__)
    parser.add_argument("--objectives", type=int, default=300)
    parser.add_argument("--key-results", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.stderr.write("The OKR bench needs PostgreSQL: set DATABASE_URL.\n")
        return 2
    settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    test_settings["NAME"] = f"{connection.settings_dict['NAME']}_okrbench"
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    try:
        rows = okr_page_rows(options.objectives, options.key_results, options.runs)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    sys.stdout.write("| What | p50 ms | p95 ms | SQL queries |\n|---|---:|---:|---:|\n")
    for row in rows:
        sys.stdout.write(
            f"| {row['name']} | {row['p50_ms']} | {row['p95_ms']} | {row['queries']} |\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
