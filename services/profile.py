"""Client profile (客户画像): tags from the data for every enterprise, stored in `ClientProfile`
(issue 9, section 6). Tags are codes ("kind:value"), rendered translated by `tags_for`:

- role: "role:core" (the core of a group client), "role:member" (in a group's control tree),
  "role:<circle role>" (supplier, distributor, ... in some group's circle), "chain:<tier>" (its tier
  on a group's chain: an upstream link's supplier -1/-2, a downstream link's buyer +1/+2; links not
  dismissed);
- products held: "family:<product family>" for every family of its open holdings;
- open needs: "needs:<count>" (current, open) and "need:<product code>" for the most valuable one;
- activity: "activity:active" with a flow (as payer or payee, chains.FlowSummary) in the last
  ACTIVE_DAYS days, "activity:dormant" with flows but none that recent;
- value tier: "tier:high" / "tier:medium" / "tier:low" by the last 12 months' contribution
  (services.contribution): at least VALUE_TIERS' thresholds, "low" for anything above zero.

`refresh(enterprise_ids)` recomputes them set-based (one INSERT ... ON CONFLICT per chunk);
`services.contribution.refresh` updates the value tier after writing the figures, so the order the
jobs call the two in does not matter. PostgreSQL only; elsewhere it writes nothing and returns 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chains.models import ChainLink, FlowSummary
from circles.models import CircleMember, CircleRole
from clients.models import Enterprise, GroupClient, GroupMembership
from services.models import (
    OPEN_NEED_STATUSES,
    ClientProfile,
    ContributionMonth,
    Holding,
    Need,
    Product,
    ProductFamily,
)

CHUNK = 2000
ACTIVE_DAYS = 90
# Yearly contribution (CNY, last 12 months) from which an enterprise is in a tier.
VALUE_TIERS = (("high", Decimal("1000000")), ("medium", Decimal("100000")), ("low", Decimal("0.01")))
TIER_LABELS = {"high": _("High value"), "medium": _("Medium value"), "low": _("Low value")}
ACTIVITY_LABELS = {"active": _("Active (flows in the last 90 days)"), "dormant": _("Dormant (no flows in 90 days)")}
ROLE_LABELS = {"core": _("Core enterprise"), "member": _("Group member"), **dict(CircleRole.choices)}


def _months_ago(today: dt.date, months: int) -> dt.date:
    index = today.year * 12 + (today.month - 1) - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _tier_case(column: str) -> str:
    parts = " ".join(f"WHEN {column} >= {threshold} THEN '{name}'" for name, threshold in VALUE_TIERS)
    return f"(CASE {parts} ELSE '' END)"


def _sql() -> str:
    t = {
        "ent": Enterprise._meta.db_table, "grp": GroupClient._meta.db_table,
        "mem": GroupMembership._meta.db_table, "circ": CircleMember._meta.db_table,
        "link": ChainLink._meta.db_table, "hold": Holding._meta.db_table, "prod": Product._meta.db_table,
        "need": Need._meta.db_table, "fs": FlowSummary._meta.db_table, "contrib": ContributionMonth._meta.db_table,
        "prof": ClientProfile._meta.db_table,
    }
    open_needs = ", ".join(f"'{s}'" for s in OPEN_NEED_STATUSES)
    return f"""
    WITH ids AS (SELECT unnest(%(ids)s::bigint[]) AS id),
    -- By enterprise (its index), never by the status index: with that one a chunk would read every
    -- open need of the bank and filter it against the chunk's ids (`|| ''` keeps the status unindexable).
    open_needs AS MATERIALIZED (
        SELECT n.id, n.enterprise_id, n.product_id, n.value, n.score FROM {t['need']} n
        WHERE n.enterprise_id = ANY(%(ids)s) AND n.status || '' IN ({open_needs}) AND n.is_current
    ),
    tags AS (
        SELECT g.core_enterprise_id AS eid, 'role:core' AS tag FROM {t['grp']} g
            WHERE g.core_enterprise_id = ANY(%(ids)s)
        UNION SELECT m.enterprise_id, 'role:member' FROM {t['mem']} m
            WHERE m.enterprise_id = ANY(%(ids)s) AND m.reason <> 'core'
        UNION SELECT c.enterprise_id, 'role:' || c.role FROM {t['circ']} c
            WHERE c.enterprise_id = ANY(%(ids)s)
              AND (c.role <> 'subsidiary'
                   OR NOT EXISTS (SELECT 1 FROM {t['mem']} m2 WHERE m2.enterprise_id = c.enterprise_id))
        UNION SELECT l.supplier_id, 'chain:' || l.tier FROM {t['link']} l
            WHERE l.supplier_id = ANY(%(ids)s) AND l.tier < 0 AND l.status <> 'dismissed'
        UNION SELECT l.buyer_id, 'chain:+' || l.tier FROM {t['link']} l
            WHERE l.buyer_id = ANY(%(ids)s) AND l.tier > 0 AND l.status <> 'dismissed'
        UNION SELECT h.enterprise_id, 'family:' || p.family FROM {t['hold']} h JOIN {t['prod']} p ON p.id = h.product_id
            WHERE h.enterprise_id = ANY(%(ids)s) AND h.since <= %(today)s AND (h.until IS NULL OR h.until >= %(today)s)
        UNION SELECT n.enterprise_id, 'needs:' || COUNT(*) FROM open_needs n GROUP BY n.enterprise_id
        UNION (SELECT DISTINCT ON (n.enterprise_id) n.enterprise_id, 'need:' || p.code
            FROM open_needs n JOIN {t['prod']} p ON p.id = n.product_id
            ORDER BY n.enterprise_id, n.value DESC, n.score DESC, n.id)
        UNION SELECT a.eid, CASE WHEN MAX(a.last_date) >= %(active_since)s THEN 'activity:active'
                                 ELSE 'activity:dormant' END
            FROM (SELECT f.payer_id AS eid, f.last_date FROM {t['fs']} f WHERE f.payer_id = ANY(%(ids)s)
                  UNION ALL
                  SELECT f.payee_id, f.last_date FROM {t['fs']} f WHERE f.payee_id = ANY(%(ids)s)) a
            GROUP BY a.eid
    ),
    tiers AS (
        SELECT c.enterprise_id AS eid,
               {_tier_case('SUM(c.deposit_income + c.loan_income + c.fee_income)')} AS tier
        FROM {t['contrib']} c
        WHERE c.enterprise_id = ANY(%(ids)s) AND c.month >= %(year_start)s GROUP BY c.enterprise_id
    ),
    grouped AS (
        SELECT x.eid, jsonb_agg(x.tag ORDER BY x.tag) AS tags FROM tags x GROUP BY x.eid
    ),
    rows AS (
        SELECT ids.id AS eid,
               COALESCE(grouped.tags, '[]'::jsonb)
                 || CASE WHEN COALESCE(tiers.tier, '') <> '' THEN jsonb_build_array('tier:' || tiers.tier)
                         ELSE '[]'::jsonb END AS tags,
               COALESCE(tiers.tier, '') AS tier
        FROM ids LEFT JOIN grouped ON grouped.eid = ids.id LEFT JOIN tiers ON tiers.eid = ids.id
    )
    INSERT INTO {t['prof']} (enterprise_id, tags, value_tier, refreshed_at)
    SELECT rows.eid, rows.tags, rows.tier, %(now)s FROM rows JOIN {t['ent']} e ON e.id = rows.eid
    ON CONFLICT (enterprise_id) DO UPDATE SET tags = EXCLUDED.tags, value_tier = EXCLUDED.value_tier,
        refreshed_at = EXCLUDED.refreshed_at
    """


def refresh(enterprise_ids: list[int] | None = None, *, today: dt.date | None = None) -> int:
    """Recompute the profiles of these enterprises (all when None); returns how many were written.
    Each chunk is its own transaction; the same data gives the same tags."""
    from services.contribution import id_chunks

    if connection.vendor != "postgresql":
        return 0
    today = today or timezone.localdate()
    params = {"today": today, "active_since": today - dt.timedelta(days=ACTIVE_DAYS),
              "year_start": _months_ago(today, 12), "now": timezone.now()}
    sql = _sql()
    written = 0
    for chunk in id_chunks(enterprise_ids, CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "ids": chunk})
            written += cursor.rowcount
    return written


def update_value_tiers(enterprise_ids: list[int], *, today: dt.date | None = None, cursor=None) -> int:
    """Re-tag the value tier of existing profiles of these enterprises from the stored contribution
    (called by services.contribution.refresh after it writes the figures)."""
    if connection.vendor != "postgresql" or not enterprise_ids:
        return 0
    today = today or timezone.localdate()
    prof, contrib = ClientProfile._meta.db_table, ContributionMonth._meta.db_table
    sql = f"""
        WITH tiers AS (
            SELECT p.enterprise_id AS eid,
                   COALESCE((SELECT {_tier_case('SUM(c.deposit_income + c.loan_income + c.fee_income)')}
                             FROM {contrib} c WHERE c.enterprise_id = p.enterprise_id
                               AND c.month >= %(year_start)s), '') AS tier
            FROM {prof} p WHERE p.enterprise_id = ANY(%(ids)s)
        )
        UPDATE {prof} p
        SET value_tier = tiers.tier,
            tags = COALESCE((SELECT jsonb_agg(x) FROM jsonb_array_elements_text(p.tags) x
                             WHERE x NOT LIKE 'tier:%%'), '[]'::jsonb)
                   || CASE WHEN tiers.tier <> '' THEN jsonb_build_array('tier:' || tiers.tier) ELSE '[]'::jsonb END
        FROM tiers WHERE tiers.eid = p.enterprise_id
          AND (p.value_tier <> tiers.tier
               OR NOT p.tags @> CASE WHEN tiers.tier <> '' THEN jsonb_build_array('tier:' || tiers.tier)
                                     ELSE '[]'::jsonb END
               OR (tiers.tier = '' AND p.tags::text LIKE '%%"tier:%%'))
    """
    params = {"ids": list(enterprise_ids), "year_start": _months_ago(today, 12)}
    if cursor is not None:
        cursor.execute(sql, params)
        return cursor.rowcount
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


# --- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    code: str
    kind: str
    label: str


def label_tags(codes: list[str], product_names: dict[str, str] | None = None) -> list[Tag]:
    """The tag codes as translated labels (`product_names`: code -> name for "need:" tags)."""
    families = dict(ProductFamily.choices)
    out = []
    for code in codes or []:
        kind, _sep, value = str(code).partition(":")
        if kind == "role":
            label = ROLE_LABELS.get(value, value)
        elif kind == "chain":
            label = _("Chain tier %(tier)s") % {"tier": value}
        elif kind == "family":
            label = _("Holds: %(family)s") % {"family": families.get(value, value)}
        elif kind == "needs":
            count = int(value) if value.isdigit() else 0
            label = ngettext("%(count)d open need", "%(count)d open needs", count) % {"count": count}
        elif kind == "need":
            label = _("Top need: %(product)s") % {"product": (product_names or {}).get(value, value)}
        elif kind == "activity":
            label = ACTIVITY_LABELS.get(value, value)
        elif kind == "tier":
            label = TIER_LABELS.get(value, value)
        else:
            label = code
        out.append(Tag(code=str(code), kind=kind, label=str(label)))
    return out


def _product_names(codes) -> dict[str, str]:
    # Always one query, also when no tag names a product: the pages' query counts do not depend on the data.
    wanted = [c.partition(":")[2] for c in codes if str(c).startswith("need:")] or [""]
    return {p.code: p.name for p in Product.objects.filter(code__in=wanted).only("code", "name_zh", "name_en")}


def tags_for(enterprise) -> list[Tag]:
    """The enterprise's stored tags, translated (2 queries: the profile, the products they name); []
    before the first refresh."""
    return profile_tags(enterprise)[0]


def profile_tags(enterprise) -> tuple[list[Tag], dt.datetime | None]:
    """The tags (as `tags_for`) and when the profile was last refreshed (None: never); 2 queries."""
    pk = getattr(enterprise, "pk", enterprise)
    row = ClientProfile.objects.filter(enterprise_id=pk).values_list("tags", "refreshed_at").first()
    codes, refreshed = row if row else ([], None)
    return label_tags(codes or [], _product_names(codes or [])), refreshed


def profile_for(enterprise) -> ClientProfile | None:
    return ClientProfile.objects.filter(enterprise_id=getattr(enterprise, "pk", enterprise)).first()


def group_tags(group) -> dict:
    """The group roll-up: how many members carry each tag (1 query on the profiles + product names)."""
    members = GroupMembership.objects.filter(group_id=getattr(group, "pk", group)).values("enterprise_id")
    counts: dict[str, int] = {}
    for tags in ClientProfile.objects.filter(enterprise_id__in=members).values_list("tags", flat=True):
        for code in tags or []:
            if str(code).startswith(("needs:", "need:")):
                continue
            counts[code] = counts.get(code, 0) + 1
    labelled = label_tags(sorted(counts), {})
    return {"tags": [(tag, counts[tag.code]) for tag in labelled]}
