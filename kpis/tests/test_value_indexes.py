"""The KPI values table keeps only the indexes its reads and cascades need: migration 0006 drops
the two that duplicate the unique constraint (and can put them back)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kpis.models import KPIValue

TABLE = KPIValue._meta.db_table
BEFORE = [("kpis", "0005_kpi_period_recent_idx")]


def _index_columns() -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return sorted(
        details["columns"]
        for details in constraints.values()
        if (details["index"] or details["unique"]) and not details["primary_key"]
    )


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.mark.django_db
def test_no_index_duplicates_the_unique_constraints_leading_columns() -> None:
    assert _index_columns() == [
        ["author_id"],  # deleting a person clears their points' author through it
        ["kpi_id"],  # deleting a KPI deletes its points through it
        ["organization_id", "kpi_id", "timestamp"],  # the unique constraint: every read
        ["sync_run_id"],  # partial: deleting a data source's runs
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_the_indexes_back_when_reversed() -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("kpis")
    try:
        _migrate(BEFORE)
        columns = _index_columns()
        assert ["organization_id"] in columns
        assert ["kpi_id", "timestamp"] in columns
    finally:
        _migrate(latest)
    assert ["organization_id"] not in _index_columns()
