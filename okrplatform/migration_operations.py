"""Index changes that do not block writes on PostgreSQL, for migrations of large tables.

CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction, so a migration using these sets
``atomic = False``. Elsewhere (SQLite for ``make run``) they are ordinary index changes.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


def _postgresql(schema_editor: BaseDatabaseSchemaEditor) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class _ConcurrentlyOnPostgreSQL(Operation):
    """The concurrent operation on PostgreSQL; its plain counterpart (``plain``) elsewhere."""

    plain: type[Operation]

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if _postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if _postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrentlyWherePossible(_ConcurrentlyOnPostgreSQL, AddIndexConcurrently):
    plain = migrations.AddIndex


class RemoveIndexConcurrentlyWherePossible(_ConcurrentlyOnPostgreSQL, RemoveIndexConcurrently):
    plain = migrations.RemoveIndex


class DropForeignKeyIndexConcurrently(migrations.AlterField):
    """``AlterField`` to ``db_index=False``, the index dropped CONCURRENTLY on PostgreSQL."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
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

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _postgresql(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        table, column = model._meta.db_table, model._meta.get_field(self.name).column
        # The name Django gives a foreign key's index (a private helper, not in the stubs).
        name = schema_editor._create_index_name(table, [column], suffix="")  # type: ignore[attr-defined]
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
        )
        return None
