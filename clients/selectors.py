"""Reads on client data. Each selector owns its query: joins, annotations and scoping.

The number of queries a selector runs does not depend on how many rows are behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from clients import limits
from clients.control import CONTROL_TYPES, MAJORITY
from clients.filtersets import GROUP_SORTING, GroupClientFilterSet
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
from core.fx import cny_expression

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))


def with_member_count(queryset):
    """Groups annotated with `member_count` (a correlated count: one query for any number of groups)."""
    member_count = (
        GroupMembership.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(member_count=Coalesce(Subquery(member_count), 0))


def with_latest_balance(queryset):
    """Accounts annotated with `latest_balance` and `latest_balance_date` (one query)."""
    latest = AccountBalance.objects.filter(account=OuterRef("pk")).order_by("-date")
    return queryset.annotate(
        latest_balance=Subquery(latest.values("balance")[:1]),
        latest_balance_date=Subquery(latest.values("date")[:1]),
    )


def group_client_list(*, user, filters: dict | None = None):
    """The user's groups, filtered and sorted (`sort`: core.sorting, pinyin order by name by default),
    with the core enterprise, lead RM, branch, member count and limit use (clients.limits)."""
    qs = limits.with_limit_use(with_member_count(
        GroupClient.objects.for_user(user).select_related("core_enterprise", "lead_rm__profile", "branch")
    ))
    return GroupClientFilterSet(filters or {}, queryset=GROUP_SORTING.order(qs), user=user).qs


@dataclass(frozen=True)
class ListTotals:
    count: int
    unified_limit: Decimal


def group_client_totals(queryset) -> ListTotals:
    """The filtered list's count and the sum of its unified limits (one aggregate query, any size)."""
    totals = queryset.order_by().aggregate(n=Count("pk"), limit=Coalesce(Sum("unified_credit_limit"), ZERO))
    return ListTotals(totals["n"], totals["limit"])


def group_in_reach_get(*, user, pk: int, detail: bool = False) -> GroupClient:
    """One group in the user's reach with its core, or GroupClient.DoesNotExist; `detail` adds the lead
    RM, the branch and the team (the 360 page). The one lookup of a group for every app's pages."""
    qs = GroupClient.objects.for_user(user).select_related("core_enterprise")
    if detail:
        qs = qs.select_related("lead_rm__profile", "branch").prefetch_related("team__profile")
    return qs.get(pk=pk)


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
    # The share the group controls in total (the member table's "controlled share"; enterprises only).
    controlled: Decimal | None = None
    # The actual controller: a person who controls the core, or the core itself when no person does.
    controller: bool = False

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
        by_enterprise[e.pk] = TreeNode("enterprise", e.pk, e.name, m.via_share, m.reason, e.is_client, e.uscc,
                                       controlled=m.controlled_share)
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
        TreeNode("person", link.parent_person.pk, link.parent_person.name, None, link.control_type,
                 controller=link.share_pct > MAJORITY or link.control_type in CONTROL_TYPES)
        for link in controllers
        if link.parent_person is not None  # the filter above guarantees it; this tells the type checker
    ]
    root.controller = not any(top.controller for top in tops)
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
        return limits.used_pct(self.loans, self.limit)

    @property
    def limit_level(self) -> str:
        """`near`, `over` or "" (clients.limits: the one rule of the 360 page, the lists and the landing)."""
        return limits.level(self.limit_used_pct, loans=self.loans)


def group_key_figures(*, group: GroupClient) -> KeyFigures:
    """Deposits and loans of all members at each account's latest balance, in CNY equivalent at that
    balance's date (core.fx), against the limit (1 query)."""
    cny = cny_expression("balance", "account__currency", "date")
    totals = (
        limits.latest_member_balances(group)
        .aggregate(
            deposits=Coalesce(Sum(cny, filter=Q(account__kind__in=DEPOSIT_KINDS)), ZERO),
            loans=Coalesce(Sum(cny, filter=Q(account__kind__in=CREDIT_KINDS)), ZERO),
            as_of=Max("date"),
        )
    )
    cent = Decimal("0.01")
    return KeyFigures(Decimal(totals["deposits"]).quantize(cent), Decimal(totals["loans"]).quantize(cent),
                      group.unified_credit_limit, totals["as_of"])


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


# --- pages: lists, enterprise page, change history -----------------------------------------------------

from core.history import change_history  # noqa: E402,F401  (the pages' history, one definition in core)


def enterprise_list(*, user, filters: dict | None = None):
    """The user's enterprises, filtered and sorted (core.sorting), with branch and RM (one query per page).

    No DISTINCT: scoping filters by `pk IN (...)` subqueries, the search reads the enterprise's own
    columns, and the group filter joins memberships, unique per (group, enterprise), so no filter can
    repeat a row. (A DISTINCT over every column made PostgreSQL sort the whole table to count a page.)"""
    from clients.filtersets import ENTERPRISE_SORTING, EnterpriseFilterSet

    qs = Enterprise.objects.for_user(user).select_related("branch", "rm__profile")
    return EnterpriseFilterSet(filters or {}, queryset=ENTERPRISE_SORTING.order(qs), user=user).qs


def enterprise_financials(*, enterprise: Enterprise, limit: int = 12):
    """The enterprise's latest statements, newest first (one query)."""
    return FinancialStatement.objects.filter(enterprise=enterprise).order_by("-period_end")[:limit]


def enterprise_control_links(*, enterprise: Enterprise):
    """(parents, children) of an enterprise: the links above and below it (two queries)."""
    parents = (
        ControlLink.objects.filter(child=enterprise)
        .select_related("parent_enterprise", "parent_person")
        .order_by("-share_pct", "pk")
    )
    children = (
        ControlLink.objects.filter(parent_enterprise=enterprise)
        .select_related("child")
        .order_by("-share_pct", "pk")
    )
    return list(parents), list(children)


def enterprise_accounts(*, enterprise: Enterprise):
    """The enterprise's accounts with each one's latest balance and its date (one query)."""
    from clients.models import BankAccount

    return with_latest_balance(BankAccount.objects.filter(enterprise=enterprise)).order_by("kind", "account_no")


def group_member_enterprise_ids(*, group: GroupClient):
    """A subquery of the group's member enterprise ids (for `enterprise_id__in=`)."""
    return GroupMembership.objects.filter(group=group).values("enterprise_id")


def control_link_history(*, enterprise: Enterprise, limit: int = 20):
    """The latest recorded changes of the control links above and below an enterprise (who added,
    changed or removed which link, at what share): one query whatever the history."""
    from django.db.models import Q

    return list(
        ControlLink.history.filter(Q(child_id=enterprise.pk) | Q(parent_enterprise_id=enterprise.pk))
        .select_related("history_user__profile", "parent_enterprise", "parent_person", "child")
        .order_by("-history_date", "-history_id")[:limit]
    )


# --- counterparty view, registry card, change requests -------------------------------------------------------


def counterparty_control_links(*, user, enterprise: Enterprise) -> list:
    """Control links between a counterparty and the user's full record (one query)."""
    return list(
        ControlLink.objects.for_user(user).filter(Q(child=enterprise) | Q(parent_enterprise=enterprise))
        .select_related("parent_enterprise", "child").order_by("-share_pct", "pk")
    )


def change_requests_for(*, user, limit: int = 100):
    """(waiting for the user's approval, the user's own, the others in their reach), newest first."""
    from clients import approvals
    from clients.models import ChangeRequest

    base = ChangeRequest.objects.select_related("enterprise", "group", "requested_by__profile", "decided_by__profile")
    waiting = list(approvals.waiting_for(user).select_related(
        "enterprise", "group", "requested_by__profile").prefetch_related("sides")[:limit])
    mine = list(base.filter(requested_by=user).prefetch_related("sides")[:limit])
    seen = {r.pk for r in waiting} | {r.pk for r in mine}
    others = [r for r in base.for_user(user).prefetch_related("sides")[:limit] if r.pk not in seen]
    return waiting, mine, others
