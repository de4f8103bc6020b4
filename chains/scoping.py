"""Enterprises made visible by a group: the suppliers and buyers on its chain links."""

from staff.access import register_enterprise_source


@register_enterprise_source
def chain_parties(groups):
    from django.db.models import Q

    from chains.models import ChainLink
    from clients.models import Enterprise

    links = ChainLink.objects.filter(group__in=groups)
    return Enterprise.objects.filter(
        Q(pk__in=links.values("supplier_id")) | Q(pk__in=links.values("buyer_id"))
    ).values("pk")
