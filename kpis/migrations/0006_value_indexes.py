"""Drop the two KPI-value indexes that duplicate the unique constraint (organization, kpi,
timestamp): ``kpi_value_kpi_ts_idx`` (kpi, -timestamp) and the organisation foreign key's own
index. Every read of values filters on the organisation (the scoped manager; the hand-written SQL
in kpis/page_data.py and kpis/ingest.py), so the unique index serves them, in either direction;
the plain ``kpi`` index stays for deleting a KPI's points. Upserts ran 18-30 % faster without
them at 2-20 M values, and they were 1.2 GB of 2.6 GB of indexes at 20 M (docs/scaling.md).

Dropped CONCURRENTLY on PostgreSQL (hence ``atomic = False``): no lock on writes. Reversible.
"""

import django.db.models.deletion
from django.db import migrations, models

from okrplatform.migration_operations import (
    DropForeignKeyIndexConcurrently,
    RemoveIndexConcurrentlyWherePossible,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("kpis", "0005_kpi_period_recent_idx"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        RemoveIndexConcurrentlyWherePossible(model_name="kpivalue", name="kpi_value_kpi_ts_idx"),
        DropForeignKeyIndexConcurrently(
            model_name="kpivalue",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.organization",
            ),
        ),
    ]
