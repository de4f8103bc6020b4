"""Where chains make counterparties (clients.access): the suppliers and buyers on the chain links of the
groups in the user's reach, and the other party of a flow paid or received by their full record.

Detected links count (the RM must see a proposed partner to confirm or dismiss it); dismissed ones do
not: a dismissed proposal gives no reach."""

from django.db.models import Exists, OuterRef, Q

from clients.access import register_counterparty_source


@register_counterparty_source
def chain_parties(groups, full) -> Q:
    from chains.models import ChainLink, LinkStatus

    links = ChainLink.objects.filter(group_id__in=groups).exclude(status=LinkStatus.DISMISSED)
    return Q(pk__in=links.values("supplier_id")) | Q(pk__in=links.values("buyer_id"))


@register_counterparty_source
def flow_partners(groups, full) -> Q:
    from chains.models import Flow

    return Q(Exists(Flow.objects.filter(payer_id=OuterRef("pk"), payee_id__in=full))) | Q(
        Exists(Flow.objects.filter(payee_id=OuterRef("pk"), payer_id__in=full))
    )


# --- the counterparty page's panel (clients.counterparty) ---------------------------------------------

from clients.counterparty import register_panel  # noqa: E402

COUNTERPARTY_FLOWS = 50


@register_panel(order=20, template="chains/partials/counterparty_chain.html")
def counterparty_panel(*, user, enterprise) -> dict:
    """Its places on the user's chains and the latest flows between it and the user's full record
    (Flow.for_user keeps only flows with one party there)."""
    from chains.models import ChainLink, Flow, LinkStatus

    flows = Flow.objects.for_user(user).filter(Q(payer=enterprise) | Q(payee=enterprise))
    return {
        "chain_links": list(
            ChainLink.objects.for_user(user).filter(Q(supplier=enterprise) | Q(buyer=enterprise))
            .exclude(status=LinkStatus.DISMISSED).select_related("group", "supplier", "buyer")
            .order_by("group__name", "tier", "pk")
        ),
        "flows": list(flows.select_related("payer", "payee").order_by("-value_date", "-pk")[:COUNTERPARTY_FLOWS]),
        "flow_count": flows.count(),
    }
