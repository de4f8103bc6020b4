"""Where circles make counterparties (clients.access): the members of the circles of the groups in the
user's reach, and the other party of a guarantee given or received by their full record."""

from django.db.models import Exists, OuterRef, Q

from clients.access import register_counterparty_source


@register_counterparty_source
def circle_members(groups, full) -> Q:
    from circles.models import CircleMember

    return Q(pk__in=CircleMember.objects.filter(group_id__in=groups).values("enterprise_id"))


@register_counterparty_source
def guarantee_parties(groups, full) -> Q:
    from circles.models import Guarantee

    return Q(Exists(Guarantee.objects.filter(guarantor_id=OuterRef("pk"), borrower_id__in=full))) | Q(
        Exists(Guarantee.objects.filter(borrower_id=OuterRef("pk"), guarantor_id__in=full))
    )


# --- the counterparty page's panel (clients.counterparty) ---------------------------------------------

from clients.counterparty import register_panel  # noqa: E402


@register_panel(order=10, template="circles/partials/counterparty_circle.html")
def counterparty_panel(*, user, enterprise) -> dict:
    """Its roles in the user's circles and the guarantees between it and the user's full record."""
    from django.db.models import Q

    from circles.models import CircleMember, Guarantee

    return {
        "circle_roles": list(
            CircleMember.objects.for_user(user).filter(enterprise=enterprise).select_related("group")
            .order_by("group__name", "role")
        ),
        "guarantees": list(
            Guarantee.objects.for_user(user).filter(Q(guarantor=enterprise) | Q(borrower=enterprise))
            .select_related("guarantor", "borrower").order_by("-start_date", "pk")
        ),
    }
