"""Industry playbooks (行业营销指引) on the group page (issue 9, section 4): the typical needs of a
group's core and of each role in its circle, by the GB/T 4754 section of the core's industry
(`services.PlaybookItem`, seeded for K, C, F and E; head office edits them in the admin).

An item (role, product) is covered when some enterprise of that role in the group (the core for
"core"; the circle members of that role otherwise) holds the product (an open holding) or has an open
need for it. `uncovered_items(group)` lists the items of the roles present in the group that nobody
covers yet, with how many enterprises of the role lack the product (all of them, by definition).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise

from circles.models import CircleMember
from clients.models import GroupClient
from services.models import OPEN_NEED_STATUSES, Holding, Need, PlaybookItem
from services.profile import ROLE_LABELS


@dataclass
class UncoveredItem:
    item: PlaybookItem
    role_label: str | Promise
    enterprises: int  # enterprises of the role in the group, none of which holds or needs the product

    @property
    def product(self):
        return self.item.product


def section_of(group) -> str:
    industry = (group.core_enterprise.industry or "").strip()
    return industry[:1].upper()


def _sql() -> str:
    grp, circ = GroupClient._meta.db_table, CircleMember._meta.db_table
    item, hold, need = PlaybookItem._meta.db_table, Holding._meta.db_table, Need._meta.db_table
    statuses = ", ".join(f"'{s}'" for s in OPEN_NEED_STATUSES)
    return f"""
    WITH role_ents AS (
        SELECT 'core' AS role, g.core_enterprise_id AS eid FROM {grp} g WHERE g.id = %(group)s
        UNION SELECT c.role, c.enterprise_id FROM {circ} c WHERE c.group_id = %(group)s
    )
    SELECT i.id, COUNT(r.eid)
    FROM {item} i JOIN role_ents r ON r.role = i.role
    WHERE i.industry_section = %(section)s
    GROUP BY i.id
    HAVING COUNT(r.eid) FILTER (WHERE
        EXISTS (SELECT 1 FROM {hold} h WHERE h.enterprise_id = r.eid AND h.product_id = i.product_id
                AND h.since <= %(today)s AND (h.until IS NULL OR h.until >= %(today)s))
        OR EXISTS (SELECT 1 FROM {need} n WHERE n.enterprise_id = r.eid AND n.product_id = i.product_id
                   AND n.status IN ({statuses}))) = 0
    """


def uncovered_items(group) -> list[UncoveredItem]:
    """The playbook items nobody of their role in the group covers yet (none when the core has no
    industry or its section has no playbook). Always two queries, so the group page's count does not
    depend on the data."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(), {"group": group.pk, "section": section_of(group), "today": timezone.localdate()})
        lacking = dict(cursor.fetchall())
    items = PlaybookItem.objects.filter(pk__in=list(lacking) or [0]).select_related("product").order_by("role", "product__code")
    core_first = sorted(items, key=lambda i: (i.role != PlaybookItem.CORE_ROLE, i.role, i.product.code))
    return [UncoveredItem(i, ROLE_LABELS.get(i.role, i.role), lacking[i.pk]) for i in core_first]
