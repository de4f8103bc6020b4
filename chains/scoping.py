"""Enterprises made visible by a group: the suppliers and buyers on its chain links.

Detected links count (the RM must see a counterparty to confirm or dismiss it); dismissed ones do
not: a dismissed proposal gives no reach into that enterprise."""

from staff.access import register_enterprise_source


@register_enterprise_source
def chain_parties(groups):
    from django.db.models import Q

    from chains.models import ChainLink, LinkStatus
    from clients.models import Enterprise

    links = ChainLink.objects.filter(group__in=groups).exclude(status=LinkStatus.DISMISSED)
    return Enterprise.objects.filter(
        Q(pk__in=links.values("supplier_id")) | Q(pk__in=links.values("buyer_id"))
    ).values("pk")
