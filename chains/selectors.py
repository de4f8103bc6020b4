"""Reads on the chain (链): link metrics, supplier concentration and the Sankey of fund flows.

Every aggregate is computed by PostgreSQL in a fixed number of statements, whatever the number of
links and flows: the chain page runs the same number of queries for 3 links or 3,000. The link metrics
read the raw payments of the links (days from invoice to payment need each payment); the concentration
reads the flow summary's whole months and the raw flows of the period's partial edge months
(chains.summary.window_sql), exact to the day.

Definitions used on the chain page (documented here once):

- Period: `start`..`end` inclusive; the previous period has the same number of days and ends the day
  before `start`.
- Money: every sum is in CNY equivalent, each flow converted at the rate of its value date
  (core.fx); flows in a currency without a rate then are left out of the sums and counted
  (`LinkRow.unconverted`, `Concentration.unconverted`), and the page says how many.
- Volume of a link supplier -> buyer: the sum of `payment` flows with payer = buyer and payee =
  supplier dated in the period; count: their number (converted or not).
- Trend: (volume - previous volume) / previous volume, in %; none when the previous volume is 0.
- Days from invoice to payment: for each payment of the pair in the period, the days between the
  payment and the latest `invoice` flow between the same two enterprises (either direction: source
  systems differ on who is "payer" of an invoice) dated on or before the payment; the mean over the
  payments that have such an invoice. Payments with no earlier invoice are left out.
- Other-bank share: the share of the volume settled with channel `other_bank`, in %.
- Group members: the enterprises of `clients.GroupMembership` for the group, plus its core.
- Supplier concentration (HHI): the group's purchase payments are payments from a member to a
  non-member in the period; HHI = sum over payees of (payee's share of those payments in %)^2,
  from 0 to 10,000. Labels follow the US merger guidelines' classic bands: below 1,500
  unconcentrated, 1,500 to 2,500 moderately concentrated, above 2,500 highly concentrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.paginator import Page, Paginator
from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chains.filtersets import ChainLinkFilterSet
from chains.models import LINK_DETECTION_JOB, ChainLink, DetectionSettings, LinkStatus
from chains.sql import MEMBERS_CTE, TABLES, params
from chains.summary import window_params, window_sql
from clients.models import GroupClient
from core import fx, money
from core.jobs import last_refreshed
from core.models import JobRun

ACTIVE_STATUSES = (LinkStatus.DECLARED, LinkStatus.CONFIRMED)
HHI_MODERATE = Decimal("1500")
HHI_HIGH = Decimal("2500")


# --- period ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        end = self.start - timedelta(days=1)
        return Period(start=end - timedelta(days=self.days - 1), end=end)


def default_period(today: date | None = None) -> Period:
    """The last 12 months up to and including today."""
    end = today or timezone.localdate()
    return Period(start=end - relativedelta(years=1) + timedelta(days=1), end=end)


# --- small lookups ------------------------------------------------------------------------------------


def chain_link_list(*, user, filters: dict | None = None):
    """Visible chain links with both parties, filtered by ChainLinkFilterSet."""
    qs = ChainLink.objects.for_user(user).select_related("supplier", "buyer").order_by("group_id", "tier", "id")
    return ChainLinkFilterSet(filters or {}, queryset=qs).qs


# --- SQL --------------------------------------------------------------------------------------------------

# One row per declared or confirmed link of the group, with its metrics for the period (links awaiting
# review are the queue's, ranked by the figures detection stored on them: however many there are, they
# cost this statement nothing). For each payment of
# the period, the latest invoice between the same pair on or before it is found by a LATERAL join on
# PostgreSQL (correlated subqueries on SQLite, the no-server demo); the previous period's payments only
# feed the trend and skip that lookup.
_LAST_INVOICE = """(SELECT max(i.value_date) FROM {flow} i
              WHERE i.payer_id = f.{a} AND i.payee_id = f.{b}
                AND i.kind = %(invoice)s AND i.value_date <= f.value_date)"""
_BY_PAYER = _LAST_INVOICE.format(a="payer_id", b="payee_id", **TABLES)
_BY_PAYEE = _LAST_INVOICE.format(a="payee_id", b="payer_id", **TABLES)
_DAYS = {
    "postgresql": (
        "f.value_date - inv.last_invoice",
        f"""LEFT JOIN LATERAL (
        SELECT GREATEST({_BY_PAYER}, {_BY_PAYEE}) AS last_invoice
        WHERE f.value_date >= %(start)s
    ) inv ON TRUE""",
    ),
    "sqlite": (
        f"""CASE WHEN f.value_date >= %(start)s THEN julianday(f.value_date) - julianday(
            max(COALESCE({_BY_PAYER}, {_BY_PAYEE}), COALESCE({_BY_PAYEE}, {_BY_PAYER}))) END""",
        "",
    ),
}

_LINK_METRICS_SQL = (
    "WITH " + MEMBERS_CTE + """,
links AS (
    SELECT id, supplier_id, buyer_id FROM {link}
    WHERE group_id = %(group)s AND status IN (%(declared)s, %(confirmed)s)
),
pay AS (
    SELECT l.id AS link_id, {cny} AS amount, f.channel, f.value_date >= %(start)s AS in_period,
           {{days}} AS days
    FROM links l
    JOIN {flow} f ON f.payer_id = l.buyer_id AND f.payee_id = l.supplier_id AND f.kind = %(payment)s
                 AND f.value_date BETWEEN %(prev_start)s AND %(end)s
    {{lateral}}
),
agg AS (
    SELECT link_id,
           SUM(amount) FILTER (WHERE in_period) AS volume,
           COUNT(*) FILTER (WHERE in_period) AS n,
           SUM(amount) FILTER (WHERE NOT in_period) AS prev_volume,
           SUM(amount) FILTER (WHERE in_period AND channel = %(other_bank)s) AS other_bank,
           AVG(days) FILTER (WHERE in_period) AS avg_days,
           COUNT(*) FILTER (WHERE in_period AND amount IS NULL) AS unconverted
    FROM pay GROUP BY link_id
)
SELECT l.id, l.tier, l.goods, l.status,
       s.id, s.name, s.uscc, s.is_client, s.id IN (SELECT id FROM members),
       b.id, b.name, b.uscc, b.is_client, b.id IN (SELECT id FROM members),
       COALESCE(a.volume, 0), COALESCE(a.n, 0), COALESCE(a.prev_volume, 0),
       CASE WHEN a.prev_volume > 0
            THEN ROUND((COALESCE(a.volume, 0) - a.prev_volume) * 100 / a.prev_volume, 1) END,
       ROUND(a.avg_days, 1),
       CASE WHEN a.volume > 0 THEN ROUND(COALESCE(a.other_bank, 0) * 100 / a.volume, 1) END,
       COALESCE(a.unconverted, 0)
FROM {link} l
JOIN {ent} s ON s.id = l.supplier_id
JOIN {ent} b ON b.id = l.buyer_id
LEFT JOIN agg a ON a.link_id = l.id
WHERE l.group_id = %(group)s AND l.status IN (%(declared)s, %(confirmed)s)
ORDER BY l.tier, COALESCE(a.volume, 0) DESC, l.id
""".replace("{cny}", fx.cny_sql("f.amount", "f.currency", "f.value_date").replace("{", "{{").replace("}", "}}"))
    .format(**TABLES)
)
LINK_METRICS_SQL = {
    vendor: _LINK_METRICS_SQL.replace("{days}", days).replace("{lateral}", lateral)
    for vendor, (days, lateral) in _DAYS.items()
}

# Purchases (members pay non-members) by payee feed the HHI; sales (non-members pay members) are
# shown next to them. Both in CNY equivalent, read from the flow summary's whole months plus the partial
# months at the period's edges (chains.summary.window_sql: exact to the day); flows without a rate are
# counted, not summed.
_PURCHASES = "{t}.kind = %(payment)s AND {t}.payer_id IN (SELECT id FROM members)"
_SALES = "{t}.kind = %(payment)s AND {t}.payee_id IN (SELECT id FROM members)"
CONCENTRATION_SQL = (
    "WITH " + MEMBERS_CTE + """,
purchases AS (
    SELECT w.payee_id, SUM(w.amount_cny) AS v, SUM(w.unconverted) AS u
    FROM {purchases} w
    WHERE w.payee_id NOT IN (SELECT id FROM members)
    GROUP BY w.payee_id
),
total AS (SELECT SUM(v) AS t, COUNT(*) AS n, SUM(u) AS u FROM purchases),
sales AS (
    SELECT SUM(w.amount_cny) AS v, COUNT(DISTINCT w.payer_id) AS n, SUM(w.unconverted) AS u
    FROM {sales} w
    WHERE w.payer_id NOT IN (SELECT id FROM members)
)
SELECT COALESCE(total.t, 0), total.n,
       (SELECT ROUND(SUM(p.v * p.v * 10000.0 / (total.t * total.t)), 1) FROM purchases p WHERE total.t > 0),
       COALESCE(sales.v, 0), sales.n, CAST(COALESCE(total.u, 0) + COALESCE(sales.u, 0) AS integer)
FROM total, sales
""".replace("{purchases}", window_sql(_PURCHASES)).replace("{sales}", window_sql(_SALES)).format(**TABLES)
)


# --- the chain page ----------------------------------------------------------------------------------------


@dataclass
class LinkRow:
    id: int
    tier: int
    goods: str
    status: str
    supplier_id: int
    supplier_name: str
    supplier_uscc: str
    supplier_is_client: bool
    supplier_is_member: bool
    buyer_id: int
    buyer_name: str
    buyer_uscc: str
    buyer_is_client: bool
    buyer_is_member: bool
    volume: Decimal
    count: int
    previous_volume: Decimal
    trend_pct: Decimal | None
    avg_invoice_to_payment_days: Decimal | None
    other_bank_pct: Decimal | None
    unconverted: int = 0  # payments of the period in a currency without a rate, left out of the figures

    @property
    def status_label(self) -> str | Promise:
        return LinkStatus(self.status).label


@dataclass
class Concentration:
    purchases: Decimal
    supplier_count: int
    hhi: Decimal | None
    sales: Decimal
    buyer_count: int
    unconverted: int = 0  # payments of the period without a rate, left out of purchases and sales

    @property
    def hhi_level(self) -> str:
        """unconcentrated / moderate / high, or "" when the group made no purchases."""
        if self.hhi is None:
            return ""
        if self.hhi < HHI_MODERATE:
            return "unconcentrated"
        if self.hhi <= HHI_HIGH:
            return "moderate"
        return "high"

    @property
    def hhi_label(self) -> str | Promise:
        return {
            "unconcentrated": _("Unconcentrated"),
            "moderate": _("Moderately concentrated"),
            "high": _("Highly concentrated"),
        }.get(self.hhi_level, "")


@dataclass
class ChainOverview:
    group: GroupClient
    period: Period
    previous: Period
    links: list[LinkRow] = field(default_factory=list)  # declared and confirmed
    queue: Page | None = None  # one page of the detected links awaiting review, largest volume first
    concentration: Concentration | None = None
    sankey: dict = field(default_factory=dict)  # ECharts data (json_script)
    sankey_rows: list[SankeyRow] = field(default_factory=list)  # the same flows, for the table
    last_detection: JobRun | None = None  # the latest detection run, any status
    thresholds: DetectionSettings | None = None

    @property
    def links_unconverted(self) -> int:
        """Payments of the period along the links in a currency without a rate (left out of volumes)."""
        return sum(row.unconverted for row in self.links)

    @property
    def detected_count(self) -> int:
        return self.queue.paginator.count if self.queue is not None else 0


def _params(group_id: int, period: Period) -> dict:
    adapt = connection.ops.adapt_datefield_value
    return params(group=group_id, start=adapt(period.start), end=adapt(period.end),
                  prev_start=adapt(period.previous().start))


def _vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def link_metrics(*, group: GroupClient, period: Period) -> list[LinkRow]:
    """Every declared or confirmed link of the group with its metrics for the period (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(LINK_METRICS_SQL[_vendor()], _params(group.pk, period))
        return [LinkRow(*row) for row in cursor.fetchall()]


def supplier_concentration(*, group: GroupClient, period: Period) -> Concentration:
    """Purchases, sales and the HHI of the group's suppliers over the period (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(CONCENTRATION_SQL, {**_params(group.pk, period), **window_params(period.start, period.end)})
        return Concentration(*cursor.fetchone())


# Columns of the Sankey: tiers of the chain, upstream left, the group (one node) in the middle.
SANKEY_TOP = 12  # enterprises shown per column; the rest become one "others" node of that column
CORE_NODE = "core"


def _party_columns(row: LinkRow) -> tuple[int, int]:
    """The chain tiers of a link's supplier and buyer: an upstream link (tier < 0) has its supplier at
    the tier and its buyer one step nearer the core; a downstream link its buyer at the tier and its
    supplier one step nearer. Group members sit at 0 whatever the link says."""
    if row.tier < 0:
        supplier, buyer = row.tier, row.tier + 1
    elif row.tier > 0:
        supplier, buyer = row.tier - 1, row.tier
    else:
        supplier = buyer = 0
    return (0 if row.supplier_is_member else supplier), (0 if row.buyer_is_member else buyer)


@dataclass
class SankeyRow:
    """One flow of the chart, for the table that says the same as the chart."""

    source: str
    source_tier: int
    target: str
    target_tier: int
    amount: Decimal


def tier_label(tier: int) -> str:
    """The heading of a Sankey column / the table's tier cell."""
    from django.utils.translation import gettext

    if tier == 0:
        return gettext("Group")
    if tier < 0:
        return gettext("Upstream tier %(n)d") % {"n": -tier}
    return gettext("Downstream tier %(n)d") % {"n": tier}


def sankey_data(*, group: GroupClient, links: list[LinkRow], top: int = SANKEY_TOP) -> dict:
    """ECharts Sankey nodes and edges from already-aggregated link rows (no query).

    Columns are chain tiers (-2, -1, the group, +1, +2; columns nobody occupies are left out): group
    members collapse into one node in the middle, other enterprises appear once per tier they occupy,
    so every edge runs left to right and the graph stays acyclic as ECharts requires. Edges run
    supplier -> buyer, the way goods go; their width is the money the buyer paid the supplier. Each
    column keeps its `top` enterprises by money through them; the rest are one "others" node. Nodes
    carry `depth` (their column), `label` (the full name: the script shortens it and keeps it whole
    in the tooltip) and the money as text in the page's unit (core.money).

    Returns {"nodes", "links", "columns", "rows"}: `rows` are SankeyRow for the table alternative."""
    from django.utils.translation import ngettext

    names: dict[str, str] = {CORE_NODE: group.name}
    column_of: dict[str, int] = {CORE_NODE: 0}
    raw: dict[tuple[str, str], Decimal] = {}

    def node(enterprise_id: int, name: str, column: int) -> str:
        if column == 0:
            return CORE_NODE
        key = f"{column}:{enterprise_id}"
        names.setdefault(key, name)
        column_of[key] = column
        return key

    for row in links:
        volume = money.to_decimal(row.volume) or Decimal(0)  # SQLite (the demo) hands back floats
        if volume <= 0:
            continue
        supplier_col, buyer_col = _party_columns(row)
        if supplier_col >= buyer_col:
            continue  # a link whose parties do not run left to right (e.g. two members): not drawn
        source = node(row.supplier_id, row.supplier_name, supplier_col)
        target = node(row.buyer_id, row.buyer_name, buyer_col)
        raw[(source, target)] = raw.get((source, target), Decimal(0)) + volume

    # Keep the `top` busiest enterprises of each column; fold the others into one node per column.
    through_in: dict[str, Decimal] = {}
    through_out: dict[str, Decimal] = {}
    for (source, target), value in raw.items():
        through_out[source] = through_out.get(source, Decimal(0)) + value
        through_in[target] = through_in.get(target, Decimal(0)) + value
    by_column: dict[int, list[str]] = {}
    for key in names:
        if key != CORE_NODE:
            by_column.setdefault(column_of[key], []).append(key)
    rename: dict[str, str] = {}
    for column, keys in by_column.items():
        keys.sort(key=lambda k: (-max(through_in.get(k, 0), through_out.get(k, 0)), k))
        folded = keys[top:]
        if folded:
            other = f"{column}:others"
            names[other] = ngettext("%(n)d other", "%(n)d others", len(folded)) % {"n": len(folded)}
            column_of[other] = column
            rename.update({k: other for k in folded})
    edges: dict[tuple[str, str], Decimal] = {}
    for (source, target), value in raw.items():
        pair = (rename.get(source, source), rename.get(target, target))
        edges[pair] = edges.get(pair, Decimal(0)) + value

    used = sorted({key for pair in edges for key in pair}, key=lambda k: (column_of[k], k))
    columns = sorted({column_of[k] for k in used})
    depth = {column: i for i, column in enumerate(columns)}
    totals = {k: max(sum((v for (s, _t), v in edges.items() if s == k), Decimal(0)),
                     sum((v for (_s, t), v in edges.items() if t == k), Decimal(0))) for k in used}
    ordered = sorted(edges.items(), key=lambda item: (column_of[item[0][0]], -item[1], item[0]))
    return {
        "nodes": [
            {"name": key, "label": names[key], "depth": depth[column_of[key]], "tier": column_of[key],
             "side": "core" if key == CORE_NODE else ("up" if column_of[key] < 0 else "down"),
             "text": money.table_figure(totals[key]), "exact": money.exact(totals[key])}
            for key in used
        ],
        "links": [
            {"source": s, "target": t, "value": float(v), "text": money.table_figure(v), "exact": money.exact(v)}
            for (s, t), v in ordered
        ],
        "columns": [{"depth": depth[c], "tier": c, "label": tier_label(c)} for c in columns],
        "rows": [SankeyRow(source=names[s], source_tier=column_of[s], target=names[t], target_tier=column_of[t],
                           amount=v) for (s, t), v in ordered],
    }


QUEUE_PAGE_SIZE = 20


def detected_queue(*, group: GroupClient, page=1, per_page: int = QUEUE_PAGE_SIZE) -> Page:
    """One page of the group's detected links awaiting review, by detected volume (largest first),
    with both parties: two queries (count, page) whatever the number of proposals, on the
    `chainlink_queue` index. A page number out of range gives the nearest page."""
    links = (
        ChainLink.objects.filter(group_id=group.pk, status=LinkStatus.DETECTED)
        .select_related("supplier", "buyer")
        .only("id", "group_id", "tier", "status", "volume", "payment_count", "months_active",
              "supplier__id", "supplier__name", "supplier__uscc", "supplier__is_client",
              "buyer__id", "buyer__name", "buyer__uscc", "buyer__is_client")
        .order_by("-volume", "id")
    )
    return Paginator(links, per_page).get_page(page)


def chain_overview(*, group: GroupClient, period: Period, queue_page=1) -> ChainOverview:
    """Everything the chain page shows, in a fixed number of queries whatever the data behind it: the
    link metrics, the concentration, one page of the review queue (count and page), the latest
    detection run and the thresholds."""
    links = link_metrics(group=group, period=period)
    sankey = sankey_data(group=group, links=links)
    rows = sankey.pop("rows")
    return ChainOverview(
        group=group,
        period=period,
        previous=period.previous(),
        links=links,
        queue=detected_queue(group=group, page=queue_page),
        concentration=supplier_concentration(group=group, period=period),
        sankey=sankey,
        sankey_rows=rows,
        last_detection=last_refreshed(LINK_DETECTION_JOB, subject=group),
        thresholds=DetectionSettings.current(),
    )


def review_queue(*, group: GroupClient, period: Period, queue_page=1) -> ChainOverview:
    """Only what the review queue's card shows (its htmx pagination): one page of the queue and the
    thresholds, three queries; the metrics, the Sankey and the concentration are left out."""
    return ChainOverview(group=group, period=period, previous=period.previous(),
                         queue=detected_queue(group=group, page=queue_page), thresholds=DetectionSettings.current())


def detection_settings_history(limit: int = 10):
    """The latest changes of the thresholds (core.history)."""
    from core.history import change_history

    row = DetectionSettings.objects.filter(pk=DetectionSettings.SINGLETON_PK).first()
    return change_history(instance=row, limit=limit) if row is not None else []
