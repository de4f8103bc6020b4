"""Exposure and limit use (issue 10 part 2): the one rule for the group limit page, the group 360
section, the `exposures` API, the facility preview and the limit rules (risk.rules.limits).

- **Exposure of an entity**: the drawn amounts of its active facilities, in CNY equivalent at the rate
  of the run's date (core.fx: the latest rate of the facility's currency on or before that date; for
  pages and the API the date is today). A facility whose currency has no rate by then has no CNY
  figure: it is left out of the sums and counted (`unconverted`), never guessed.
- **Committed** (allocated): the limits of its active facilities, converted the same way.
- **Roll-up through the control tree**: clients.GroupMembership holds every member with its place in
  the drawn tree (`via`, the controlling parent with the largest share); a member's subtree total is
  its own exposure plus that of every member below it, and rolls up to its controller, up to the core,
  whose subtree total is the group's exposure. Members controlled by a person (no `via`) hang under
  the core.
- **Levels**: the group's unified credit limit (统一授信额度) -> member sub-limits -> facilities; at
  each level limit, used (exposure), headroom (limit - used) and use % (used / limit, one decimal).
  A member's sub-limit is held against its own facilities; the sum of the sub-limits against the
  unified limit (risk.facilities refuses an allocation over either).
- **Concentration** (RiskSettings, head office): a group's exposure against `group_pct` of net
  capital and `connected_group_pct` of tier-1 capital, one client's against `client_pct` of net
  capital, a large exposure flagged from `large_exposure_pct` of tier-1; related parties (RelatedParty)
  against 10 % / 15 % / 50 % of net capital. A cap of 0 (capital not entered) is not checked.
- **Levels of attention**: `breach` above 100 % of a limit, `warning` from `warning_pct` (90 %).

How this relates to clients.limits: that module's "limit use" reads the members' credit *accounts*
(core banking balances) against the unified limit, for the group list and landing pages; this module
reads the credit *facilities* the risk side records (授信业务, with sub-limits and concentration
limits). Both use the same rounding and the same 90 % / 100 % levels; the group 360 page shows both.

In SQL for many groups at once (`group_figures_sql`, `member_figures_sql`: the rules and the bench),
in Python for one group's tree (`group_limit_tree`), from the same per-facility CNY expression.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from core.rulekit import fetch

PLACES = Decimal("0.1")
HUNDRED = Decimal("100")
BREACH = "breach"
WARNING = "warning"


def pct(used, limit) -> Decimal | None:
    """Used as a percentage of the limit, one decimal half up (None without a limit)."""
    if not limit:
        return None
    return (Decimal(used or 0) / Decimal(limit) * HUNDRED).quantize(PLACES, rounding=ROUND_HALF_UP)


def level_of(used, limit, warning_pct) -> str:
    """`breach` when used is above the limit (exactly, not the rounded %), `warning` when the use %
    (one decimal) is at or above the warning level, "" otherwise (or without a limit)."""
    if not limit:
        return ""
    if Decimal(used or 0) > Decimal(limit):
        return BREACH
    if pct(used, limit) >= Decimal(warning_pct):
        return WARNING
    return ""


def cap(capital, pct_of) -> Decimal:
    """A concentration cap in CNY: `pct_of` % of `capital` (0 when the capital is not entered)."""
    return (Decimal(capital or 0) * Decimal(pct_of) / HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- SQL: many groups at once -----------------------------------------------------------------------------


def _tables() -> dict[str, str]:
    from clients.models import Enterprise, GroupClient, GroupMembership
    from risk.models import Facility, OtherBankFinancing, RelatedParty, SubLimit

    return {"f": Facility._meta.db_table, "m": GroupMembership._meta.db_table, "g": GroupClient._meta.db_table,
            "s": SubLimit._meta.db_table, "e": Enterprise._meta.db_table, "o": OtherBankFinancing._meta.db_table,
            "r": RelatedParty._meta.db_table}


def entity_sql(where: str = "TRUE") -> str:
    """SQL of one row per enterprise with active facilities (`where` on the facility alias `f`):
    enterprise_id, drawn_cny, committed_cny, unconverted (facilities without a rate), overdrawn (facilities
    drawn above their own limit, in their currency). Parameter: the run's date (once)."""
    t = _tables()
    return f"""
        SELECT fc.enterprise_id, COALESCE(SUM(fc.drawn_cny), 0) AS drawn_cny,
               COALESCE(SUM(fc.limit_cny), 0) AS committed_cny,
               COUNT(*) FILTER (WHERE fc.rate IS NULL) AS unconverted,
               COUNT(*) FILTER (WHERE fc.drawn > fc.limit_amount) AS overdrawn
        FROM (SELECT f.enterprise_id, f.drawn, f.limit_amount, r.rate,
                     ROUND(f.drawn * r.rate, 2) AS drawn_cny, ROUND(f.limit_amount * r.rate, 2) AS limit_cny
              FROM {t['f']} f, (SELECT %(day)s::date AS day) d,
                   LATERAL (SELECT {_rate('f.currency', 'd.day')} AS rate) r
              WHERE f.status = 'active' AND {where}) fc
        GROUP BY fc.enterprise_id"""


def _rate(currency: str, day: str) -> str:
    from core.fx import rate_sql

    return rate_sql(currency, day)


def member_figures_sql(group_where: str = "TRUE") -> str:
    """SQL of one row per (group, member) of the groups `group_where` selects (on the membership alias
    `m`): group_id, enterprise_id, via_id, depth, own drawn, own committed, unconverted, overdrawn, its
    sub-limit (NULL without one) and its subtree total (own plus every member below it in the drawn
    tree). One statement; the subtree is a recursive walk down `via` within each group (depth bounded).
    Parameters by name: `day`."""
    t = _tables()
    return f"""
        WITH RECURSIVE mem AS (
            SELECT m.group_id, m.enterprise_id, m.depth,
                   CASE WHEN m.depth = 0 THEN NULL
                        WHEN m.via_id IS NULL THEN g.core_enterprise_id ELSE m.via_id END AS via_id
            FROM {t['m']} m JOIN {t['g']} g ON g.id = m.group_id WHERE {group_where}
        ),
        own AS ({entity_sql("f.enterprise_id IN (SELECT enterprise_id FROM mem)")}),
        down (group_id, top_id, enterprise_id, steps) AS (
            SELECT group_id, enterprise_id, enterprise_id, 0 FROM mem
            UNION ALL
            SELECT d.group_id, d.top_id, c.enterprise_id, d.steps + 1
            FROM down d JOIN mem c ON c.group_id = d.group_id AND c.via_id = d.enterprise_id
            WHERE d.steps < 40 AND c.enterprise_id <> d.top_id
        ),
        subtree AS (
            SELECT d.group_id, d.top_id, COALESCE(SUM(o.drawn_cny), 0) AS total
            FROM (SELECT DISTINCT group_id, top_id, enterprise_id FROM down) d
            LEFT JOIN own o ON o.enterprise_id = d.enterprise_id
            GROUP BY d.group_id, d.top_id
        )
        SELECT mem.group_id, mem.enterprise_id, mem.via_id, mem.depth,
               COALESCE(own.drawn_cny, 0), COALESCE(own.committed_cny, 0),
               COALESCE(own.unconverted, 0), COALESCE(own.overdrawn, 0), s.amount, st.total
        FROM mem
        LEFT JOIN own ON own.enterprise_id = mem.enterprise_id
        LEFT JOIN {t['s']} s ON s.group_id = mem.group_id AND s.enterprise_id = mem.enterprise_id
        LEFT JOIN subtree st ON st.group_id = mem.group_id AND st.top_id = mem.enterprise_id"""


def group_figures_sql(group_where: str = "TRUE") -> str:
    """SQL of one row per group that `group_where` selects (on the group alias `g`): group_id, unified
    limit, exposure (every member's drawn in CNY), committed, sub-limits allocated, related members'
    exposure, unconverted facilities. Parameters by name: `day`."""
    t = _tables()
    return f"""
        WITH grp AS (SELECT g.id, g.unified_credit_limit FROM {t['g']} g WHERE {group_where}),
        own AS ({entity_sql(f"f.enterprise_id IN (SELECT m.enterprise_id FROM {t['m']} m WHERE m.group_id IN (SELECT id FROM grp))")}),
        per_group AS (
            SELECT m.group_id, SUM(o.drawn_cny) AS drawn, SUM(o.committed_cny) AS committed,
                   SUM(o.drawn_cny) FILTER (WHERE r.enterprise_id IS NOT NULL) AS related,
                   SUM(o.unconverted) AS unconverted
            FROM {t['m']} m JOIN grp ON grp.id = m.group_id JOIN own o ON o.enterprise_id = m.enterprise_id
            LEFT JOIN {t['r']} r ON r.enterprise_id = m.enterprise_id
            GROUP BY m.group_id),
        allocated AS (SELECT s.group_id, SUM(s.amount) AS amount FROM {t['s']} s JOIN grp ON grp.id = s.group_id
                      GROUP BY s.group_id)
        SELECT grp.id, grp.unified_credit_limit, COALESCE(pg.drawn, 0), COALESCE(pg.committed, 0),
               COALESCE(a.amount, 0), COALESCE(pg.related, 0), COALESCE(pg.unconverted, 0)
        FROM grp LEFT JOIN per_group pg ON pg.group_id = grp.id LEFT JOIN allocated a ON a.group_id = grp.id"""


def related_total(day: dt.date) -> Decimal:
    """Exposure to all related parties of the bank together (CNY). One query."""
    t = _tables()
    rows = fetch(f"SELECT COALESCE(SUM(o.drawn_cny), 0) FROM ({entity_sql()}) o "
                 f"WHERE o.enterprise_id IN (SELECT enterprise_id FROM {t['r']})", {"day": day})
    return Decimal(rows[0][0])


# --- Python: one group's tree -----------------------------------------------------------------------------


@dataclass
class Node:
    """One level of the tree: limit, used, headroom, use %, level of attention."""

    kind: str  # group, member, facility
    label: str
    limit: Decimal | None
    used: Decimal
    warning_pct: Decimal
    obj: object = None
    committed: Decimal = Decimal("0")
    subtree: Decimal = Decimal("0")
    depth: int = 0
    children: list = field(default_factory=list)
    unconverted: int = 0
    sub_limit: object = None  # a member's SubLimit row
    allocated: Decimal = Decimal("0")  # the group: its sub-limits together

    @property
    def headroom(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.used

    @property
    def use_pct(self) -> Decimal | None:
        return pct(self.used, self.limit)

    @property
    def level(self) -> str:
        return level_of(self.used, self.limit, self.warning_pct)

    @property
    def css(self) -> str:
        return {BREACH: "limit-over", WARNING: "limit-near"}.get(self.level, "")

    def as_dict(self) -> dict:
        out = {"level": self.kind, "label": self.label,
               "limit": None if self.limit is None else str(self.limit), "used": str(self.used),
               "headroom": None if self.headroom is None else str(self.headroom),
               "use_pct": None if self.use_pct is None else str(self.use_pct), "status": self.level or "ok"}
        if self.kind != "facility":
            out["committed"] = str(self.committed)
        if self.kind == "member":
            out.update(uscc=self.obj.uscc, subtree=str(self.subtree), depth=self.depth)
        if self.kind == "facility":
            out.update(reference=self.obj.reference, currency=self.obj.currency,
                       limit_original=str(self.obj.limit_amount), drawn_original=str(self.obj.drawn))
        if self.children:
            out["children"] = [c.as_dict() for c in self.children]
        return out


@dataclass
class Concentration:
    label: str
    used: Decimal
    cap: Decimal
    warning_pct: Decimal

    @property
    def use_pct(self):
        return pct(self.used, self.cap)

    @property
    def level(self):
        return level_of(self.used, self.cap, self.warning_pct)

    @property
    def css(self):
        return {BREACH: "limit-over", WARNING: "limit-near"}.get(self.level, "")

    @property
    def title(self) -> str:
        from core.money import chinese

        zh_label, en_label = CONCENTRATION_LABELS.get(self.label, (self.label, self.label))
        return zh_label if chinese() else en_label


@dataclass
class GroupLimits:
    group: object
    root: Node
    members: list[Node]
    concentration: list[Concentration]
    large_exposure: bool
    other_banks: Decimal
    other_banks_by_lender: list[tuple[str, Decimal]]
    unconverted: int
    as_of: dt.date
    parent_of: dict = field(default_factory=dict)

    def rows(self) -> list[Node]:
        """The tree drawn as rows: the group, then each member followed by its facilities and by the
        members it controls (depth first, in the members' order)."""
        children: dict[int | None, list[Node]] = {}
        for node in self.members:
            children.setdefault(self.parent_of.get(node.obj.pk), []).append(node)
        out = [self.root]
        seen: set[int] = set()

        def walk(node):
            if node.obj.pk in seen:
                return
            seen.add(node.obj.pk)
            out.append(node)
            out.extend(node.children)
            for child in children.get(node.obj.pk, []):
                walk(child)

        for node in children.get(None, []):
            walk(node)
        for node in self.members:  # anything a broken tree left out
            walk(node)
        return out

    def as_dict(self) -> dict:
        return {"group": self.group.pk, "as_of": self.as_of.isoformat(), "tree": self.root.as_dict(),
                "concentration": [{"limit": c.label, "used": str(c.used), "cap": str(c.cap),
                                   "use_pct": None if c.use_pct is None else str(c.use_pct),
                                   "status": c.level or "ok"} for c in self.concentration],
                "large_exposure": self.large_exposure, "other_banks_total": str(self.other_banks),
                "other_banks": [{"lender": lender, "amount": str(a)} for lender, a in self.other_banks_by_lender],
                "unconverted_facilities": self.unconverted}


def _facilities_cny(enterprise_ids, day: dt.date):
    """Active facilities of the enterprises (with their product), annotated with `rate` (yuan per unit
    on `day`, None without one). One query."""
    from django.db.models import DecimalField
    from django.db.models.expressions import RawSQL

    from risk.models import Facility

    table = Facility._meta.db_table
    rate = RawSQL(_rate(f"{table}.currency", "%s::date"), [day], output_field=DecimalField(max_digits=30, decimal_places=10))
    facilities = list(Facility.objects.filter(enterprise_id__in=list(enterprise_ids), status="active")
                      .select_related("product").annotate(rate=rate).order_by("enterprise_id", "reference"))
    cny = {}
    for f in facilities:
        cny[f.pk] = (None, None) if f.rate is None else (
            (f.limit_amount * f.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            (f.drawn * f.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return facilities, cny


def other_banks_by_lender(enterprise_ids, day: dt.date) -> tuple[list[tuple[str, Decimal]], int]:
    """Other banks' financing of the enterprises per lender in CNY at the rate of `day`, largest first,
    and how many amounts had no rate (left out). One query."""
    t = _tables()
    rows = fetch(f"""SELECT o.lender, SUM(ROUND(o.amount * {_rate('o.currency', '%(day)s::date')}, 2)),
                            COUNT(*) FILTER (WHERE {_rate('o.currency', '%(day)s::date')} IS NULL)
                     FROM {t['o']} o WHERE o.enterprise_id = ANY(%(ids)s) GROUP BY o.lender""",
                 {"day": day, "ids": list(enterprise_ids)})
    by_lender = sorted(((lender, Decimal(total)) for lender, total, _n in rows if total is not None),
                       key=lambda p: (-p[1], p[0]))
    return by_lender, sum(n for _l, _t, n in rows)


def group_limit_tree(group, *, as_of: dt.date | None = None) -> GroupLimits:
    """One group's limit tree: group -> members (in the drawn control tree's order, with sub-limits)
    -> their facilities; concentration figures and other banks' financing. A fixed number of queries
    whatever the size of the group (settings, memberships with their sub-limits and related-party flags,
    facilities with their rates, other banks per lender)."""
    from django.db.models import Exists, OuterRef, Subquery

    from clients.models import GroupMembership
    from risk.models import RelatedParty, RiskSettings, SubLimit

    as_of = as_of or timezone.localdate()
    conf = RiskSettings.current()
    warn = conf.warning_pct
    sub = SubLimit.objects.filter(group_id=OuterRef("group_id"), enterprise_id=OuterRef("enterprise_id"))
    memberships = list(GroupMembership.objects.filter(group=group).select_related("enterprise")
                       .annotate(sub_pk=Subquery(sub.values("pk")[:1]), sub_amount=Subquery(sub.values("amount")[:1]),
                                 related=Exists(RelatedParty.objects.filter(enterprise_id=OuterRef("enterprise_id"))))
                       .order_by("depth", "enterprise__name", "enterprise_id"))
    ids = [m.enterprise_id for m in memberships]
    facilities, cny = _facilities_cny(ids, as_of)
    subs = {m.enterprise_id: SubLimit(pk=m.sub_pk, group_id=group.pk, enterprise_id=m.enterprise_id, amount=m.sub_amount)
            for m in memberships if m.sub_pk is not None}
    related = {m.enterprise_id for m in memberships if m.related}

    nodes: dict[int, Node] = {}
    unconverted = 0
    for m in memberships:
        sub = subs.get(m.enterprise_id)
        node = Node("member", m.enterprise.name, sub.amount if sub else None, Decimal("0"), warn, obj=m.enterprise,
                    depth=m.depth)
        node.sub_limit = sub
        nodes[m.enterprise_id] = node
    for f in facilities:
        lim, drawn = cny.get(f.pk, (None, None))
        fnode = Node("facility", f.reference, lim, drawn or Decimal("0"), warn, obj=f)
        if lim is None:
            unconverted += 1
            fnode.unconverted = 1
        owner = nodes[f.enterprise_id]
        owner.children.append(fnode)
        owner.used += drawn or Decimal("0")
        owner.committed += lim or Decimal("0")
        owner.unconverted += fnode.unconverted
    # The roll-up: deepest first, each member's subtree into its controller's.
    parent_of = {}
    core_id = group.core_enterprise_id
    for m in memberships:
        if m.enterprise_id == core_id:
            continue
        parent = m.via_id if m.via_id in nodes and m.via_id != m.enterprise_id else core_id
        parent_of[m.enterprise_id] = parent if parent in nodes else None
    for node in nodes.values():
        node.subtree = node.used
    for m in sorted(memberships, key=lambda m: -m.depth):
        parent = parent_of.get(m.enterprise_id)
        if parent is not None:
            nodes[parent].subtree += nodes[m.enterprise_id].subtree

    exposure = sum((n.used for n in nodes.values()), Decimal("0"))
    committed = sum((n.committed for n in nodes.values()), Decimal("0"))
    limit = group.unified_credit_limit or None
    root = Node("group", group.name, limit, exposure, warn, obj=group, committed=committed)
    root.allocated = sum((s.amount for s in subs.values()), Decimal("0"))
    root.subtree = exposure
    root.children = [nodes[m.enterprise_id] for m in memberships]
    member_nodes = root.children

    conc = [
        Concentration("group_net_capital", exposure, cap(conf.net_capital, conf.group_pct), warn),
        Concentration("connected_tier1", exposure, cap(conf.tier1_capital, conf.connected_group_pct), warn),
    ]
    biggest = max((n.used for n in member_nodes), default=Decimal("0"))
    conc.append(Concentration("client_net_capital", biggest, cap(conf.net_capital, conf.client_pct), warn))
    related_used = sum((nodes[i].used for i in related), Decimal("0"))
    if related:
        conc.append(Concentration("related_group", related_used, cap(conf.net_capital, conf.related_group_pct), warn))
    large_cap = cap(conf.tier1_capital, conf.large_exposure_pct)
    by_lender, left_out = other_banks_by_lender(ids, as_of)
    unconverted += left_out
    other_total = sum((a for _l, a in by_lender), Decimal("0"))
    return GroupLimits(group=group, root=root, members=member_nodes,
                       concentration=[c for c in conc if c.cap > 0], large_exposure=bool(large_cap and exposure >= large_cap),
                       other_banks=other_total, other_banks_by_lender=by_lender,
                       unconverted=unconverted, as_of=as_of, parent_of=parent_of)


CONCENTRATION_LABELS = {
    "group_net_capital": ("一个集团客户授信 / 资本净额", "one group client / net capital"),
    "connected_tier1": ("一组关联客户风险暴露 / 一级资本净额", "connected clients / tier-1 capital"),
    "client_net_capital": ("单一客户贷款 / 资本净额", "one client / net capital"),
    "related_group": ("一个关联法人所在集团 / 资本净额", "one related group / net capital"),
    "related_client": ("单一关联方 / 资本净额", "one related party / net capital"),
    "related_total": ("全部关联方 / 资本净额", "all related parties / net capital"),
}


def group_limit_section(user, group) -> dict | None:
    """The group 360 page's section "统一授信与额度使用" (templates/risk/_limit_tree.html): the tree
    and headroom. The caller has checked that the group is in the user's reach (the group page's
    lookup); a user without a role gets None."""
    from staff.scope import scope_for

    if scope_for(user).sees_nothing:
        return None
    limits = group_limit_tree(group)
    return {"limits": limits, "can_set": scope_for(user).can_set_limits_and_ratings, "show_link": True}


# --- preview --------------------------------------------------------------------------------------------


def preview_facility(user, group, enterprise, limit, currency, *, as_of: dt.date | None = None) -> dict:
    """What adding a facility of `limit` in `currency` to `enterprise` does, before saving: the member's
    committed limits against its sub-limit and the group's against its unified limit, before and after,
    with use % and whether the allocation rule (risk.facilities) would refuse it. `group` may be None
    (the enterprise's first group is taken). Raises ValidationError for an enterprise out of the full
    record or a currency without a rate."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from clients.access import UNKNOWN_CODE, in_full_record
    from clients.models import GroupMembership
    from core.fx import to_cny
    from risk.models import SubLimit

    as_of = as_of or timezone.localdate()
    if enterprise is None or not in_full_record(user, enterprise):
        raise ValidationError({"enterprise": UNKNOWN_CODE % {"code": getattr(enterprise, "uscc", "")}})
    if group is None:
        m = GroupMembership.objects.filter(enterprise=enterprise).select_related("group").order_by("group_id").first()
        group = m.group if m else None
    added = to_cny(Decimal(limit), currency, as_of)
    if added is None:
        raise ValidationError({"currency": _("No exchange rate for %(currency)s on or before %(date)s.")
                               % {"currency": currency, "date": as_of}})
    own = fetch(f"SELECT COALESCE(SUM(committed_cny), 0), COALESCE(SUM(drawn_cny), 0) FROM ({entity_sql('f.enterprise_id = %(e)s')}) o",
                {"day": as_of, "e": enterprise.pk})[0]
    member_before = Decimal(own[0])
    out = {"enterprise": enterprise, "group": group, "added_cny": added, "member_before": member_before,
           "member_after": member_before + added, "sub_limit": None, "group_limit": None}
    if group is not None:
        sub = SubLimit.objects.filter(group=group, enterprise=enterprise).first()
        out["sub_limit"] = sub.amount if sub else None
        row = fetch(group_figures_sql("g.id = %(g)s"), {"day": as_of, "g": group.pk})
        committed = Decimal(row[0][3]) if row else Decimal("0")
        out.update(group_limit=group.unified_credit_limit or None, group_before=committed,
                   group_after=committed + added)
        out["group_before_pct"] = pct(committed, out["group_limit"])
        out["group_after_pct"] = pct(committed + added, out["group_limit"])
    out["member_before_pct"] = pct(member_before, out["sub_limit"])
    out["member_after_pct"] = pct(out["member_after"], out["sub_limit"])
    out["refused"] = out["sub_limit"] is not None and out["member_after"] > out["sub_limit"]
    out["headroom_after"] = None if out["sub_limit"] is None else out["sub_limit"] - out["member_after"]
    return out
