import pytest


@pytest.fixture(autouse=True)
def source_systems(db):
    """The source systems the data migration seeds (a transactional test elsewhere may flush them)."""
    from tests.imports.helpers import ensure_source_systems

    ensure_source_systems()


@pytest.fixture(autouse=True)
def catalogue(db):
    """The seeded catalogue (migration services 0002), restored if a transactional test flushed it."""
    from services.catalogue_data import PARTNERS, PRODUCTS
    from services.models import Partner, Product

    for code, family, name_zh, name_en, margin, desc_zh, desc_en in PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={
            "family": family, "name_zh": name_zh, "name_en": name_en, "annual_margin_pct": margin,
            "description_zh": desc_zh, "description_en": desc_en})
    for code, name, kind, products in PARTNERS:
        partner, created = Partner.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
        if created:
            partner.products.set(Product.objects.filter(code__in=products))
