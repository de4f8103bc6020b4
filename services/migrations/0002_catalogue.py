"""Loads the seed catalogue (services.catalogue_data): products, partners and playbooks. Re-running
it (or a later catalogue migration) updates names and families by code and never deletes."""

from django.db import migrations


def load(apps, schema_editor):
    from services import catalogue_data

    catalogue_data.load(apps.get_model("services", "Product"), apps.get_model("services", "Partner"),
                        apps.get_model("services", "PlaybookItem"))


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
