"""Loads the seed catalogue (services.catalogue_data): products, partners and playbooks. Re-running
it (or a later catalogue migration) updates names and families by code and never deletes."""

from django.db import migrations


def load(apps, schema_editor):
    from services.catalogue_data import PARTNERS, PLAYBOOKS, PRODUCTS

    Product = apps.get_model("services", "Product")
    Partner = apps.get_model("services", "Partner")
    PlaybookItem = apps.get_model("services", "PlaybookItem")
    products = {}
    for code, family, name_zh, name_en, margin, desc_zh, desc_en in PRODUCTS:
        products[code], _ = Product.objects.update_or_create(
            code=code, defaults={"family": family, "name_zh": name_zh, "name_en": name_en,
                                 "annual_margin_pct": margin, "description_zh": desc_zh,
                                 "description_en": desc_en})
    for code, name, kind, delivers in PARTNERS:
        partner, _ = Partner.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})
        partner.products.add(*[products[c] for c in delivers])
    for section, role, product, note_zh, note_en in PLAYBOOKS:
        PlaybookItem.objects.update_or_create(industry_section=section, role=role, product=products[product],
                                              defaults={"note_zh": note_zh, "note_en": note_en})


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
