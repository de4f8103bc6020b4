"""What a viewer sees of an alert's path across branches (README, "Risk alerts across branches").

A guarantee cycle or contagion path may run through several branches' clients. The alert is shown to
every branch with an enterprise of the path in its full record (RiskAlert.objects.for_user); what each
side sees of the OTHER side's enterprises is decided here, once, for the pages and the API:

- every enterprise on the path: its registry card only (name, credit code, client or prospect, owning
  branch; never its RM or figures), the card open to every role (DESIGN.md section 4); a link to its
  360 page only where the viewer has reach on it (full record or counterparty);
- an edge's figure (`figures["edges"]` of a guarantee cycle: guarantor -> borrower with `amount_cny`;
  `figures["steps"]` of a contagion path: `amount_cny` of a guarantee or `share_pct` of sales or
  purchases) only when the viewer may see that relation: one end in their full record (like
  circles.Guarantee.for_user);
- the alert's other figures and its evidence text only when its subject (the enterprise, else the
  group) is in the viewer's reach; otherwise a note says that the subject's branch reads them. Where
  an edge is hidden from the viewer, figures summing or comparing amounts over the path (keys naming
  an amount or CNY) are left out too: they would tell the hidden amount.

`alert_views(user, alerts)` works for a list: three queries whatever the number of alerts and
parties (the parties with their branches, the viewer's full record among them, their counterparties)."""

from __future__ import annotations

from dataclasses import dataclass, field

from clients.access import counterparty_q, full_enterprises, groups_in_reach
from risk.models import AlertParty
from staff.scope import scope_for

HIDDEN_EVIDENCE = ("该预警的主体是其他机构的客户，证据由其所属机构查看；下方路径列出您可查看的内容。",
                   "This alert's subject is another branch's client: its branch reads the evidence. The path "
                   "below shows what you may see.")


@dataclass
class Card:
    """An enterprise's registry card on a path, with what this viewer may open."""

    id: int
    name: str
    uscc: str
    is_client: bool
    branch: str
    full: bool  # in the viewer's full record
    linked: bool  # the viewer may open its 360 page (full record or counterparty)


@dataclass
class Edge:
    source: Card
    target: Card
    amount_cny: str | None  # None: not given, or the viewer may not see this relation
    # A cycle's edge: "guarantees" (source guarantees target). A contagion step (source: the side
    # nearer the alert's origin): "guarantor" (target guarantees source), "sales" / "purchases" (target
    # depends on source for that share of its sales / purchases).
    relation: str = "guarantees"
    share_pct: str | None = None
    visible: bool = True

    @property
    def relation_label(self) -> str:
        from django.utils.translation import gettext

        return {
            "guarantees": gettext("guarantees the debt of"),
            "guarantor": gettext("is guaranteed by"),
            "sales": gettext("buys this share of the sales of"),
            "purchases": gettext("supplies this share of the purchases of"),
        }.get(self.relation, self.relation)


@dataclass
class AlertView:
    alert: object
    path: list[Card] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    evidence_visible: bool = True

    @property
    def evidence(self) -> str:
        if self.evidence_visible:
            return self.alert.evidence_text
        zh, en = HIDDEN_EVIDENCE
        from django.utils.translation import get_language

        return zh if (get_language() or "").startswith("zh") else en

    @property
    def path_codes(self) -> list[str]:
        return [c.uscc for c in self.path]


def alert_views(user, alerts) -> list[AlertView]:
    """One AlertView per alert (in order), the path and figures filtered for `user`."""
    alerts = list(alerts)
    if not alerts:
        return []
    scope = scope_for(user)
    rows = list(AlertParty.objects.filter(alert_id__in=[a.pk for a in alerts])
                .order_by("alert_id", "position")
                .values_list("alert_id", "enterprise_id", "enterprise__name", "enterprise__uscc",
                             "enterprise__is_client", "enterprise__branch__name"))
    ids = {r[1] for r in rows} | {a.enterprise_id for a in alerts if a.enterprise_id}
    if scope.sees_all:
        full, linked = set(ids), set(ids)
    elif scope.sees_nothing or not ids:
        full, linked = set(), set()
    else:
        full = set(full_enterprises(user).filter(pk__in=ids).values_list("pk", flat=True))
        linked = set(full)
        rest = ids - full
        condition = counterparty_q(user) if rest else None
        if condition is not None:
            from clients.models import Enterprise

            linked |= set(Enterprise.objects.filter(pk__in=rest).filter(condition).values_list("pk", flat=True))
    group_ids = {a.group_id for a in alerts if a.group_id and not a.enterprise_id}
    groups = set(groups_in_reach(user).filter(pk__in=group_ids).values_list("pk", flat=True)) if group_ids else set()

    cards: dict[int, Card] = {}
    paths: dict[int, list[Card]] = {}
    for alert_id, eid, name, uscc, is_client, branch in rows:
        card = cards.get(eid) or Card(eid, name, uscc, is_client, branch or "", eid in full, eid in linked)
        cards[eid] = card
        paths.setdefault(alert_id, []).append(card)

    views = []
    for a in alerts:
        figures = dict(a.figures or {})
        raw_edges = (figures.pop("edges", None) or []) + (figures.pop("steps", None) or [])
        visible = (a.enterprise_id in full) if a.enterprise_id else (a.group_id in groups)
        edges = []
        for edge in raw_edges if isinstance(raw_edges, list) else []:
            if not isinstance(edge, dict):
                continue
            src, dst = cards.get(edge.get("from")), cards.get(edge.get("to"))
            if src is None or dst is None:
                continue
            may = src.full or dst.full
            amount, share = edge.get("amount_cny"), edge.get("share_pct")
            edges.append(Edge(src, dst, str(amount) if may and amount is not None else None,
                              relation=str(edge.get("relation") or "guarantees"),
                              share_pct=str(share) if may and share is not None else None, visible=may))
        if not visible:
            figures = {}
        elif not all(e.visible for e in edges):
            figures = {k: v for k, v in figures.items() if "amount" not in k and "cny" not in k.lower()}
        views.append(AlertView(alert=a, path=paths.get(a.pk, []), edges=edges, figures=figures,
                               evidence_visible=visible))
    return views


def alert_view(user, alert) -> AlertView:
    return alert_views(user, [alert])[0]


def visible_edges_json(view: AlertView) -> list[dict]:
    """The API's form of the visible edges: credit codes, and the amount or null."""
    return [{"from": e.source.uscc, "to": e.target.uscc, "relation": e.relation, "amount_cny": e.amount_cny,
             "share_pct": e.share_pct, "visible": e.visible} for e in view.edges]
