"""The rules of circle members, written once for any number of rows: the service checks one member
with them (`circles.services.circle_member_check`), the importer a whole file."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from clients.models import GroupClient

CORE_MESSAGE = _("The core enterprise is the centre of the circle, not a member of it.")


def core_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of the (group id, enterprise id) pairs name the group's own core enterprise (one query)."""
    pairs = {(g, e) for g, e in pairs if g is not None and e is not None}
    if not pairs:
        return set()
    cores = GroupClient.objects.filter(pk__in={g for g, _e in pairs}).values_list("pk", "core_enterprise_id")
    return {(g, e) for g, e in cores if (g, e) in pairs}
