"""One FilterSet per model: the page's filters, the API's query parameters and the selectors."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chains.models import ChainLink, LinkStatus

TIER_CHOICES = [
    (-2, _("-2 (supplier's supplier)")),
    (-1, _("-1 (supplier)")),
    (0, _("0 (core)")),
    (1, _("+1 (buyer)")),
    (2, _("+2 (buyer's buyer)")),
]


ORDERINGS = [("-volume", _("Volume, largest first")), ("volume", _("Volume, smallest first"))]


class ChainLinkFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(field_name="group_id", label=_("Group client"))
    tier = django_filters.TypedChoiceFilter(choices=TIER_CHOICES, coerce=int, label=pgettext_lazy("chain", "Tier"))
    status = django_filters.ChoiceFilter(choices=LinkStatus.choices, label=_("Status"))
    supplier_uscc = django_filters.CharFilter(field_name="supplier__uscc", label=_("Supplier credit code"))
    buyer_uscc = django_filters.CharFilter(field_name="buyer__uscc", label=_("Buyer credit code"))
    ordering = django_filters.ChoiceFilter(
        choices=ORDERINGS, method="order", label=_("Order"),
        help_text=_("`-volume`: detected volume, largest first (the review queue); `volume`: smallest first."),
    )

    class Meta:
        model = ChainLink
        fields = ["group", "tier", "status", "supplier_uscc", "buyer_uscc", "ordering"]

    def order(self, queryset, name, value):
        """By the volume detection stored on the link, ties by id (stable pages)."""
        return queryset.order_by(value, "id" if value == "volume" else "-id") if value else queryset
