"""The catalogue page (/services/products/): the bank's products by family, names in the page's
language, the partners delivering value-added services; the margins only for head office. A fixed
number of queries whatever the size of the catalogue."""

from __future__ import annotations

from django.db.models import Prefetch
from django.views.generic import TemplateView

from core.permissions import is_head_office
from services.models import Partner, Product, ProductFamily


class CatalogueView(TemplateView):
    template_name = "services/catalogue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        active_partners = Partner.objects.filter(active=True).order_by("name")
        products = list(Product.objects.filter(active=True)
                        .prefetch_related(Prefetch("partners", queryset=active_partners))
                        .order_by("family", "code"))
        by_family: dict[str, list[Product]] = {}
        for product in products:
            by_family.setdefault(product.family, []).append(product)
        labels = dict(ProductFamily.choices)
        context["families"] = [
            {"code": code, "label": labels[code], "products": by_family[code]}
            for code in ProductFamily.values if code in by_family
        ]
        context["partners"] = list(active_partners.prefetch_related(
            Prefetch("products", queryset=Product.objects.filter(active=True).order_by("code"))))
        context["show_margin"] = is_head_office(self.request.user)
        return context
