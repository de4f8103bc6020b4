"""Trigram indexes for the `icontains` searches of the group and enterprise lists (PostgreSQL only).

Django's `icontains` on PostgreSQL is `UPPER(col::text) LIKE UPPER('%...%')`, so the indexes are on
that expression with pg_trgm's `gin_trgm_ops`: a search of three characters or more reads the index
instead of every enterprise name. Shorter patterns have no trigram and still scan (correct, slower).
On other databases (SQLite for the no-server demo) this migration does nothing.
"""

from django.db import migrations

INDEXES = [
    ("clients_enterprise_name_trgm", "clients_enterprise"),
    ("clients_groupclient_name_trgm", "clients_groupclient"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("name"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
