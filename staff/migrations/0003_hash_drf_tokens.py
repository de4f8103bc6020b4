"""DRF's plain-text tokens (`rest_framework.authtoken`, table authtoken_token) become hashed API tokens.

Each old key is stored as its knox digest (the secret itself is not kept), named so its owner can find
it, expiring 30 days after this migration: the systems that use it keep working until their owners
rotate it. The old table, which holds the secrets in plain text, is then dropped."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"
GRACE = timedelta(days=30)


def hash_old_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    from knox.crypto import hash_token

    ApiToken = apps.get_model("staff", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")  # noqa: S608 - constant name
        rows = cursor.fetchall()
    expiry = timezone.now() + GRACE
    ApiToken.objects.bulk_create([
        ApiToken(digest=hash_token(key), token_key=key[:15], user_id=user_id, expiry=expiry,
                 name="Token from before expiry (rotate it)")
        for key, user_id, _created in rows
    ])
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_apitoken")]

    operations = [migrations.RunPython(hash_old_tokens, migrations.RunPython.noop)]
