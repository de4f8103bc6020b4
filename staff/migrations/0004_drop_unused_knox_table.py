"""knox's own token table is never used (its model is swapped for staff.ApiToken, and its migrations are
off: settings MIGRATION_MODULES). A database that ran them has an empty `knox_authtoken` with a foreign
key to auth_user, which blocks flushing the users table: drop it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_hash_drf_tokens")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS knox_authtoken", migrations.RunSQL.noop)]
