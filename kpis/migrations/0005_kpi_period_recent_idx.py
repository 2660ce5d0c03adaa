"""A covering index for the board's newest periods, replacing the plain foreign-key index on kpi.

Both changes run without blocking writes on PostgreSQL (CREATE / DROP INDEX CONCURRENTLY, hence
``atomic = False``); elsewhere (SQLite for ``make run``) they are ordinary index changes. The
new index is created before the old one goes, so foreign-key checks always have an index that
leads with ``kpi_id``. Reversible: backwards recreates the plain index, then drops the new one.
"""

import django.db.models.deletion
from django.db import migrations, models

from okrplatform.migration_operations import (
    AddIndexConcurrentlyWherePossible,
    DropForeignKeyIndexConcurrently,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("kpis", "0004_value_sync_run"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="kpiperiod",
            index=models.Index(
                fields=["kpi", "-period_start"],
                include=("organization", "value"),
                name="kpi_period_recent_idx",
            ),
        ),
        DropForeignKeyIndexConcurrently(
            model_name="kpiperiod",
            name="kpi",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="periods",
                to="kpis.kpi",
            ),
        ),
    ]
