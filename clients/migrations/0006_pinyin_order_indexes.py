"""Indexes for the lists' default order, the name in pinyin (core.sorting: `name COLLATE
"zh-Hans-x-icu"`, then the id), PostgreSQL only: a page of the head office's enterprise list reads 25
index entries instead of sorting every enterprise (250,000 names: about 300 ms without, a few ms with).
The ICU collation ships with PostgreSQL built with ICU (Debian's and the official images are); without
it this migration does nothing and the lists still sort, by a full sort. Other databases (SQLite for the
no-server demo) order by the plain name and need no index.
"""

from django.db import migrations

COLLATION = "zh-Hans-x-icu"
INDEXES = [
    ("clients_enterprise_name_pinyin", "clients_enterprise"),
    ("clients_groupclient_name_pinyin", "clients_groupclient"),
]


def _has_collation(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = %s", [COLLATION])
        return cursor.fetchone() is not None


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not _has_collation(schema_editor):
        return
    for name, table in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" (("name" COLLATE "{COLLATION}"), "id")'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_search")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
