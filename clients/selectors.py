"""Reads on client data. Each selector owns its query: joins, annotations and scoping.

The number of queries a selector runs does not depend on how many rows are behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from clients.filtersets import GroupClientFilterSet
from clients.models import (
    CREDIT_KINDS,
    DEPOSIT_KINDS,
    AccountBalance,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    PeriodType,
)

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))


def group_client_list(*, user, filters: dict | None = None):
    """The user's groups, filtered, with the core enterprise, lead RM, branch and member count."""
    member_count = (
        GroupMembership.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        GroupClient.objects.for_user(user)
        .select_related("core_enterprise", "lead_rm__profile", "branch")
        .annotate(member_count=Coalesce(Subquery(member_count), 0))
        .order_by("name", "pk")
    )
    return GroupClientFilterSet(filters or {}, queryset=qs).qs


def group_client_get(*, user, pk: int) -> GroupClient:
    """One visible group or GroupClient.DoesNotExist."""
    return (
        GroupClient.objects.for_user(user)
        .select_related("core_enterprise", "lead_rm__profile", "branch")
        .prefetch_related("team__profile")
        .get(pk=pk)
    )


@dataclass
class TreeNode:
    """A node of the drawn control tree: an enterprise or a person with the share held in it."""

    kind: str  # "enterprise" | "person"
    pk: int
    name: str
    share: Decimal | None = None
    reason: str = ""
    is_client: bool = False
    uscc: str = ""
    children: list[TreeNode] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.pk,
            "name": self.name,
            "uscc": self.uscc,
            "share_pct": None if self.share is None else float(self.share),
            "reason": self.reason,
            "is_client": self.is_client,
            "children": [c.as_dict() for c in self.children],
        }


def group_members(*, group: GroupClient):
    """Member entities of a group with the data the 360 page lists (one query)."""
    latest_revenue = (
        FinancialStatement.objects.filter(enterprise=OuterRef("enterprise"), period_type=PeriodType.ANNUAL)
        .order_by("-period_end")
        .values("revenue")[:1]
    )
    return (
        GroupMembership.objects.filter(group=group)
        .select_related("enterprise", "via")
        .annotate(latest_revenue=Subquery(latest_revenue))
        .order_by("depth", "enterprise__name")
    )


def group_control_tree(*, group: GroupClient, members=None) -> TreeNode:
    """The control tree: the core at the top (under the persons who control it), each member under
    the controlling parent that holds its largest share. Two queries at most."""
    members = list(members if members is not None else group_members(group=group))
    by_enterprise = {}
    for m in members:
        e = m.enterprise
        by_enterprise[e.pk] = TreeNode("enterprise", e.pk, e.name, m.via_share, m.reason, e.is_client, e.uscc)
    core_pk = group.core_enterprise_id
    root = by_enterprise.get(core_pk) or TreeNode(
        "enterprise", core_pk, group.core_enterprise.name, None, "core", group.core_enterprise.is_client,
        group.core_enterprise.uscc,
    )
    for m in members:
        if m.enterprise_id == core_pk:
            continue
        parent = by_enterprise.get(m.via_id) if m.via_id else None
        (parent or root).children.append(by_enterprise[m.enterprise_id])
    controllers = (
        ControlLink.objects.filter(child_id=core_pk, parent_person__isnull=False)
        .select_related("parent_person")
        .order_by("-share_pct")
    )
    tops = [
        TreeNode("person", link.parent_person_id, link.parent_person.name, None, link.control_type)
        for link in controllers
    ]
    if tops:
        root.share = None
        for link, top in zip(controllers, tops, strict=True):
            root_copy = root if top is tops[0] else TreeNode(
                "enterprise", root.pk, root.name, None, root.reason, root.is_client, root.uscc
            )
            root_copy.share = link.share_pct
            top.children.append(root_copy)
        return TreeNode("group", group.pk, group.name, children=tops)
    return TreeNode("group", group.pk, group.name, children=[root])


@dataclass
class KeyFigures:
    deposits: Decimal
    loans: Decimal
    limit: Decimal
    balance_date: object

    @property
    def limit_used_pct(self) -> Decimal | None:
        if not self.limit:
            return None
        return (self.loans / self.limit * 100).quantize(Decimal("0.1"))


def group_key_figures(*, group: GroupClient) -> KeyFigures:
    """Deposits and loans of all members at each account's latest balance, against the limit (1 query)."""
    latest_date = (
        AccountBalance.objects.filter(account=OuterRef("account")).order_by("-date").values("date")[:1]
    )
    totals = (
        AccountBalance.objects.filter(account__enterprise__memberships__group=group)
        .filter(date=Subquery(latest_date))
        .aggregate(
            deposits=Coalesce(Sum("balance", filter=Q(account__kind__in=DEPOSIT_KINDS)), ZERO),
            loans=Coalesce(Sum("balance", filter=Q(account__kind__in=CREDIT_KINDS)), ZERO),
            as_of=Max("date"),
        )
    )
    return KeyFigures(totals["deposits"], totals["loans"], group.unified_credit_limit, totals["as_of"])


def enterprise_latest_financials(*, enterprise_ids, limit: int = 3):
    """The latest annual statements of the given enterprises, newest first."""
    return FinancialStatement.objects.filter(enterprise_id__in=enterprise_ids).select_related("enterprise").order_by(
        "-period_end"
    )[:limit]


def recent_interactions(*, enterprise_ids, limit: int = 10):
    return (
        Interaction.objects.filter(enterprise_id__in=enterprise_ids)
        .select_related("enterprise", "staff__profile")
        .order_by("-occurred_at")[:limit]
    )


def enterprise_get(*, user, pk: int) -> Enterprise:
    return (
        Enterprise.objects.for_user(user)
        .select_related("branch", "rm__profile")
        .prefetch_related(
            Prefetch("memberships", queryset=GroupMembership.objects.select_related("group")),
            Prefetch("key_people__person"),
        )
        .get(pk=pk)
    )
