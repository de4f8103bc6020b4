"""Where clients data makes counterparties (clients.access): the other end of a control link whose
parent or child is in the user's full record. (Group members are the full record itself.)"""

from django.db.models import Exists, OuterRef, Q

from clients.access import register_counterparty_source


@register_counterparty_source
def control_link_ends(groups, full) -> Q:
    from clients.models import ControlLink

    return Q(Exists(ControlLink.objects.filter(parent_enterprise_id=OuterRef("pk"), child_id__in=full))) | Q(
        Exists(ControlLink.objects.filter(child_id=OuterRef("pk"), parent_enterprise_id__in=full))
    )
