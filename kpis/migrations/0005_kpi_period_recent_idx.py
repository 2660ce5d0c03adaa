"""A covering index for the board's newest periods, replacing the plain foreign-key index on kpi.

Both changes run without blocking writes on PostgreSQL (CREATE / DROP INDEX CONCURRENTLY, hence
``atomic = False``); elsewhere (SQLite for ``make run``) they are ordinary index changes. The
new index is created before the old one goes, so foreign-key checks always have an index that
leads with ``kpi_id``. Reversible: backwards recreates the plain index, then drops the new one.
"""

from typing import Any

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


def _postgresql(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class DropForeignKeyIndexConcurrently(migrations.AlterField):
    """``AlterField`` to ``db_index=False``, the index dropped CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _postgresql(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
        for name, details in constraints.items():
            plain_index = details["index"] and not details["unique"] and not details["primary_key"]
            if plain_index and details["columns"] == [column]:
                schema_editor.execute(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}"
                )
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _postgresql(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        table, column = model._meta.db_table, model._meta.get_field(self.name).column
        name = schema_editor._create_index_name(table, [column], suffix="")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
        )
        return None


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
