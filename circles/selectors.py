"""Reads on circles. Each selector owns its query: joins, annotations and scoping.

Flow volume: the sum of fund flows (payments; invoices, orders and shipments describe the same money
and would count it again) between an enterprise and any member of the group (the core and its
controlled entities, clients.GroupMembership), in either direction, in CNY equivalent at each flow's
value-date rate (core.fx), over the last 12 calendar months: the current month and the eleven before
it, from the first day of the month (`volume_since`). It reads the flow summary (chains.summary, whole
months) through a correlated subquery on its key and (payee, month) indexes, so every list below is one
SQL query whatever the number of members and flows. Flows in a currency without a rate on their date
are left out of the volume and counted in `unconverted`, which the page states.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from chains.models import FlowKind, FlowSummary
from chains.summary import month_of
from circles import graph_layout
from circles.filtersets import CircleMemberFilterSet, GuaranteeFilterSet
from circles.models import CircleMember, CircleRole, Guarantee
from clients.models import Enterprise, GroupClient, GroupMembership
from clients.names import short_name
from core import money

VOLUME_KINDS = (FlowKind.PAYMENT,)
VOLUME_WINDOW_MONTHS = 12
ACQUISITION_LIMIT = 50
GUARANTEE_LIMIT = 200

MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=MONEY)


def volume_since(today: datetime.date | None = None) -> datetime.date:
    """The first day of the window: the first of the month eleven months before today's month."""
    month = month_of(today or timezone.localdate())
    year, index = divmod(month.year * 12 + month.month - 1 - (VOLUME_WINDOW_MONTHS - 1), 12)
    return datetime.date(year, index + 1, 1)


def _flows_with_group(*, group_id, enterprise_ref, since: datetime.date) -> QuerySet:
    """Flow-summary rows of payments between the enterprise and the group's members since `since`
    (whole months)."""
    members = GroupMembership.objects.filter(group_id=group_id).values("enterprise_id")
    return FlowSummary.objects.filter(kind__in=VOLUME_KINDS, month__gte=month_of(since)).filter(
        Q(payer_id=enterprise_ref, payee_id__in=members) | Q(payee_id=enterprise_ref, payer_id__in=members)
    ).order_by()


def flow_volume_annotations(*, group_id, enterprise_ref: str, since: datetime.date | None = None) -> dict:
    """`volume` (CNY equivalent), `flow_count` and `unconverted` (flows without a rate, left out of the
    volume) of the row's enterprise with the group, as correlated subqueries on the flow summary.

    `enterprise_ref` names the enterprise id in the outer query ("pk", "enterprise_id")."""
    since = since or volume_since()
    rows = _flows_with_group(group_id=group_id, enterprise_ref=OuterRef(enterprise_ref), since=since)

    def total(column: str, output):
        # A bare SUM (not an ORM aggregate) keeps the subquery free of GROUP BY: one row, one value.
        return Subquery(rows.values(v=Func(F(column), function="SUM", output_field=output)))

    return {
        "volume": Coalesce(total("amount_cny", MONEY), ZERO),
        "flow_count": Coalesce(total("count", IntegerField()), Value(0)),
        "unconverted": Coalesce(total("unconverted", IntegerField()), Value(0)),
    }


# --- members ---------------------------------------------------------------------------------------


def circle_member_list(*, user, filters: dict | None = None, group: GroupClient | None = None,
                       with_volume: bool = False) -> QuerySet:
    """The user's circle members, filtered; with the group's flow volume when one group is given."""
    qs = CircleMember.objects.for_user(user).select_related("enterprise", "group")
    if group is not None:
        qs = qs.filter(group=group)
        if with_volume:
            qs = qs.annotate(**flow_volume_annotations(group_id=group.pk, enterprise_ref="enterprise_id"))
    qs = qs.order_by("role", "enterprise__name", "pk")
    return CircleMemberFilterSet(filters or {}, queryset=qs).qs


@dataclass
class PenetrationRow:
    role: str
    label: str
    members: int
    clients: int

    @property
    def prospects(self) -> int:
        return self.members - self.clients

    @property
    def share(self) -> Decimal | None:
        """Clients as a share of members, in %, one decimal; None for an empty role."""
        if not self.members:
            return None
        return (Decimal(self.clients) * 100 / self.members).quantize(Decimal("0.1"))


@dataclass
class Penetration:
    rows: list[PenetrationRow] = field(default_factory=list)
    overall: PenetrationRow | None = None


def circle_penetration(*, group: GroupClient) -> Penetration:
    """Per role: members, those that are clients of the bank, and the share; and overall, counting
    each enterprise once even when it holds several roles. Two aggregate queries."""
    members = CircleMember.objects.filter(group=group).order_by()
    is_client = Q(enterprise__is_client=True)
    by_role: dict[str, Any] = {
        row["role"]: row
        for row in members.values("role").annotate(
            n=Count("enterprise_id", distinct=True), c=Count("enterprise_id", distinct=True, filter=is_client)
        )
    }
    totals = members.aggregate(
        n=Count("enterprise_id", distinct=True), c=Count("enterprise_id", distinct=True, filter=is_client)
    )
    rows = [
        PenetrationRow(role, str(label), by_role.get(role, {}).get("n", 0), by_role.get(role, {}).get("c", 0))
        for role, label in CircleRole.choices
    ]
    return Penetration(rows=rows, overall=PenetrationRow("", "", totals["n"], totals["c"]))


def circle_acquisition_list(*, group: GroupClient, limit: int = ACQUISITION_LIMIT) -> list[Enterprise]:
    """Prospects in the circle ranked by flow volume with the group (then flow count, name), each with
    `volume`, `flow_count` and `circle_roles` (its members rows in this circle). Two queries."""
    in_circle = CircleMember.objects.filter(group=group).values("enterprise_id")
    return list(
        Enterprise.objects.filter(is_client=False, pk__in=in_circle)  # type: ignore[misc]  # annotated from a dict: the stubs cannot see the names
        .annotate(**flow_volume_annotations(group_id=group.pk, enterprise_ref="pk"))
        .prefetch_related(
            Prefetch("circle_memberships", queryset=CircleMember.objects.filter(group=group).order_by("role"),
                     to_attr="circle_roles")
        )
        .order_by("-volume", "-flow_count", "name", "pk")[:limit]
    )


def circle_guarantees(*, user, group: GroupClient, limit: int = GUARANTEE_LIMIT) -> list[Guarantee]:
    """Guarantees given or received by the group's members (core included), largest first. One query.

    The two sides are found through their own indexes and combined with UNION: an OR of two IN
    subqueries cannot be estimated, and PostgreSQL then planned for thousands of rows and hashed the
    whole enterprise table to join a handful of guarantees."""
    members = GroupMembership.objects.filter(group=group).values("enterprise_id")
    given = Guarantee.objects.filter(guarantor_id__in=members).order_by().values("pk")
    received = Guarantee.objects.filter(borrower_id__in=members).order_by().values("pk")
    return list(
        Guarantee.objects.for_user(user)
        .filter(pk__in=given.union(received))
        .select_related("guarantor", "borrower")
        .order_by("-amount", "pk")[:limit]
    )


def guarantee_list(*, user, filters: dict | None = None) -> QuerySet:
    qs = Guarantee.objects.for_user(user).select_related("guarantor", "borrower").order_by("-start_date", "pk")
    return GuaranteeFilterSet(filters or {}, queryset=qs, user=user).qs


# --- the graph -------------------------------------------------------------------------------------

ROLE_ORDER = [role for role, _label in CircleRole.choices]
OUTSIDE = "outside"


def circle_graph(*, group: GroupClient, guarantees: list[Guarantee]) -> dict:
    """Nodes and edges for the circle graph, from one query on the members.

    One node per enterprise: coloured by its first role (in CircleRole order, one fixed colour per role:
    `graph_layout.ROLE_COLOURS`), all roles in the tooltip, sized by flow volume with the group; clients
    and prospects are told apart by `is_client`. Membership edges link the core to each member;
    guarantee edges link guarantor to borrower, adding nodes for parties outside the circle. Every node
    has fixed coordinates (`graph_layout.layout`: the same circle draws the same way every time) and the
    figures its tooltip and text alternative show, formatted in the active language."""
    core = group.core_enterprise
    rows = (
        CircleMember.objects.filter(group=group)  # type: ignore[misc]  # same
        .annotate(**flow_volume_annotations(group_id=group.pk, enterprise_ref="enterprise_id"))
        .values("enterprise_id", "enterprise__name", "enterprise__uscc", "enterprise__is_client", "role",
                "tier", "volume", "flow_count", "unconverted")
        .order_by("enterprise_id", "role")
    )
    nodes: dict[int, dict] = {
        core.pk: {
            "id": str(core.pk), "name": core.name, "uscc": core.uscc, "is_client": core.is_client,
            "category": "core", "roles": ["core"], "volume": None, "flow_count": None, "core": True,
        }
    }
    unconverted: dict[int, int] = {}
    for row in rows:
        pk = row["enterprise_id"]
        unconverted[pk] = row["unconverted"]
        node = nodes.get(pk)
        if node is None:
            nodes[pk] = {
                "id": str(pk), "name": row["enterprise__name"], "uscc": row["enterprise__uscc"],
                "is_client": row["enterprise__is_client"], "category": row["role"], "roles": [row["role"]],
                "volume": float(row["volume"]), "flow_count": row["flow_count"], "core": False,
            }
        elif "core" not in node["roles"]:
            node["roles"].append(row["role"])
            node["roles"].sort(key=ROLE_ORDER.index)
            node["category"] = node["roles"][0]
    edges = [
        {"source": str(core.pk), "target": node["id"], "kind": "member"}
        for pk, node in nodes.items()
        if pk != core.pk
    ]
    parties: set[str] = set()
    for g in guarantees:
        for party in (g.guarantor, g.borrower):
            parties.add(str(party.pk))
            if party.pk not in nodes:
                nodes[party.pk] = {
                    "id": str(party.pk), "name": party.name, "uscc": party.uscc, "is_client": party.is_client,
                    "category": OUTSIDE, "roles": [OUTSIDE], "volume": None, "flow_count": None, "core": False,
                }
        edges.append({
            "source": str(g.guarantor_id), "target": str(g.borrower_id), "kind": "guarantee",
            "amount": float(g.amount), "currency": g.currency,
            "amount_text": money.tile_figure(g.amount, currency=g.currency),
            "names": f"{g.guarantor.name} → {g.borrower.name}",
        })
    order = ["core", *ROLE_ORDER, OUTSIDE]
    role_labels = {"core": str(_("Core enterprise")), OUTSIDE: str(_("Outside the circle")),
                   **{role: str(label) for role, label in CircleRole.choices}}
    joiner = "、" if money.chinese() else ", "
    for node in nodes.values():
        node["roles_text"] = joiner.join(role_labels.get(r, r) for r in node["roles"])
        node["volume_text"] = "" if node["volume"] is None else money.tile_figure(node["volume"])
        node["short"] = short_name(node["name"])
    graph_layout.mark_important(list(nodes.values()), parties)
    graph_layout.layout(list(nodes.values()), order)
    ordered = sorted(nodes.values(), key=lambda n: (order.index(n["category"]) if n["category"] in order
                                                    else len(order), graph_layout.importance(n)))
    # Flows without a rate on their date, left out of the volumes (each member counted once).
    return {"nodes": ordered, "edges": edges, "palette": graph_layout.ROLE_COLOURS,
            "unconverted": sum(unconverted.values())}
