"""The source systems a bank starts with; head office edits the list in the admin."""

from django.db import migrations

SOURCES = [
    ("core_banking", "核心银行系统"),
    ("erp", "企业ERP"),
    ("e_invoice", "电子发票平台"),
    ("supply_chain_platform", "供应链平台"),
]


def seed(apps, schema_editor):
    SourceSystem = apps.get_model("imports", "SourceSystem")
    for code, name in SOURCES:
        SourceSystem.objects.get_or_create(code=code, defaults={"name": name, "active": True})


def unseed(apps, schema_editor):
    SourceSystem = apps.get_model("imports", "SourceSystem")
    SourceSystem.objects.filter(code__in=[code for code, _name in SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
