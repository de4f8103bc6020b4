"""Search by name, pinyin and credit code at scale (clients.search).

- `search_pinyin` on enterprises and groups ("initials full-pinyin fingerprint"), computed in Python
  for the rows on file (the backfill below: about 25 s per 250,000 names).
- PostgreSQL only:
  - `crm_search_grams(text)`: the characters and character pairs of a name (lower case), and
    `crm_query_grams(text)`: the pairs of a searched word (its one character if it has one); GIN
    indexes on `crm_search_grams(name)` serve two-character Chinese words, which pg_trgm cannot;
  - trigram indexes on `search_pinyin` and on `uscc` (infixes of three characters or more), and a
    prefix index on `search_pinyin` (one or two letters: the start of the initials);
  - a trigger that sets `search_pinyin` to NULL when its fingerprint is not that of the row's name (a
    key written stale or not at all by a path outside the app); `manage.py search_reindex` fills NULLs.
On other databases (SQLite for the no-server demo) the search uses plain LIKE and needs none of these.
"""

from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION crm_search_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[])
  FROM (SELECT lower(value) AS s) AS v,
       LATERAL generate_series(1, char_length(v.s)) AS i,
       LATERAL (VALUES (substr(v.s, i, 1)), (substr(v.s, i, 2))) AS grams(g)
$$;

CREATE OR REPLACE FUNCTION crm_query_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN char_length(v.s) < 2 THEN ARRAY[v.s]
              ELSE ARRAY(SELECT DISTINCT substr(v.s, i, 2) FROM generate_series(1, char_length(v.s) - 1) AS i)
         END
  FROM (SELECT lower(value) AS s) AS v
$$;

CREATE OR REPLACE FUNCTION crm_name_fingerprint(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (('x' || substr(md5(value), 1, 7))::bit(28)::int)::text
$$;

CREATE OR REPLACE FUNCTION crm_search_pinyin_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.search_pinyin IS NOT NULL
     AND split_part(NEW.search_pinyin, ' ', 3) <> crm_name_fingerprint(NEW.name) THEN
    NEW.search_pinyin := NULL;
  END IF;
  RETURN NEW;
END
$$;
"""

TABLES = ("clients_enterprise", "clients_groupclient")

INDEXES = [
    ("clients_enterprise_name_grams", "clients_enterprise USING gin (crm_search_grams(name))"),
    ("clients_groupclient_name_grams", "clients_groupclient USING gin (crm_search_grams(name))"),
    ("clients_enterprise_pinyin_trgm", "clients_enterprise USING gin (search_pinyin gin_trgm_ops)"),
    ("clients_groupclient_pinyin_trgm", "clients_groupclient USING gin (search_pinyin gin_trgm_ops)"),
    ("clients_enterprise_pinyin_prefix", "clients_enterprise (search_pinyin text_pattern_ops)"),
    ("clients_groupclient_pinyin_prefix", "clients_groupclient (search_pinyin text_pattern_ops)"),
    ("clients_enterprise_uscc_trgm", "clients_enterprise USING gin (uscc gin_trgm_ops)"),
    ("clients_enterprise_pinyin_missing", "clients_enterprise (id) WHERE search_pinyin IS NULL"),
    ("clients_groupclient_pinyin_missing", "clients_groupclient (id) WHERE search_pinyin IS NULL"),
]


def backfill(apps, schema_editor):
    from clients.search import fill_pinyin

    for name in ("Enterprise", "GroupClient"):
        fill_pinyin(apps.get_model("clients", name))


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(FUNCTIONS)
    for name, target in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}')
    for table in TABLES:
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_search_pinyin" BEFORE INSERT OR UPDATE OF name, search_pinyin ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION crm_search_pinyin_check()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_search_pinyin" ON "{table}"')
    for name, _target in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    for function in ("crm_search_pinyin_check()", "crm_name_fingerprint(text)", "crm_query_grams(text)",
                     "crm_search_grams(text)"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0004_business_date_range")]

    operations = [
        migrations.AddField(
            model_name="enterprise",
            name="search_pinyin",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="groupclient",
            name="search_pinyin",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create, drop, elidable=False),
    ]
