"""The flow summary (chains.FlowSummary): the flows summed per payer, payee, month, kind, channel and
currency, kept in step with chains_flow by database triggers, rebuilt from scratch by `rebuild()`
(`manage.py flows_summary_rebuild`), reconverted to CNY by `reconvert()` when FX rates arrive, and
read by pages and rules through the readers below instead of rescanning raw flows.

How it is kept
--------------
Migration `chains/0007_flowsummary_triggers` installs, on PostgreSQL, three statement-level AFTER
triggers on chains_flow with transition tables:

- INSERT: one `INSERT ... SELECT ... GROUP BY key ORDER BY key ON CONFLICT (key) DO UPDATE` adding
  the new rows' count, amount, amount_cny, unconverted and day_sum and widening first/last date. It
  only adds, so concurrent imports touching the same keys commute (the key order avoids deadlocks).
- UPDATE and DELETE (rare: flows are written by imports and never edited by people): the keys the
  statement touched (old and new rows) are deleted from the summary and recomputed from chains_flow.
  To be exact while imports run, they first take `SHARE ROW EXCLUSIVE` on the summary table, which
  waits for the transactions writing it and holds new ones until this one ends.
- TRUNCATE of chains_flow empties the summary.

On SQLite (the no-server demo) row-level triggers do the same per row. Every writer (the file
import's COPY and pandas paths, `/api/v1/flows/`, the demo seed's COPY, `bulk_create`, the admin)
therefore keeps the summary right in its own transaction without knowing about it.

The SQL comes from this module (`trigger_sql`, `_AGG`) and the CNY rule from `core.fx.cny_sql`: the
migration installs what this module generates, so triggers and `rebuild()` give identical rows (a test
compares them row by row). If this SQL or `core.fx.cny_sql` changes, add a migration that reinstalls
the triggers (`install_triggers`), or run `manage.py flows_summary_rebuild --triggers`, which reinstalls
them and rebuilds the table.

Locking: inserts only add (commutative upserts in key order); updates, deletes, `rebuild()` and
`reconvert()` lock the summary against concurrent writers. A transaction that inserts flows and then
updates or deletes flows, run twice concurrently, can deadlock (PostgreSQL then aborts one); no writer
in the code does that.

How to read it
--------------
Columns: payer_id, payee_id, month (the first day of the month of value_date), kind, channel,
currency (the key, unique: `flowsummary_key`), count, amount (original currency), amount_cny (the sum
of each flow converted at its value date's rate, core.fx; flows without a rate are left out), unconverted
(how many flows had no rate), first_date, last_date, day_sum (sum of value_date - 2000-01-01 in days:
the mean date of any set of rows is 2000-01-01 + sum(day_sum) / sum(count) days).

Indexes: the key (payer_id, payee_id, month, ...) serves "flows paid by X" and "flows X -> Y";
(payee_id, month) serves "flows received by Y"; (month) serves a whole-table window.

Granularity is the calendar month. A window read from the summary is a set of whole months: the
readers take `since` / `until` dates and use every month that *contains* part of the window
(`month >= month_of(since)` and `month <= month_of(until)`), so "the last 90 days" read from here
covers three to four whole months. Readers that need exact day windows (e.g. days from invoice to
payment, or a threshold that must hold on exactly 90 days) read chains_flow for those figures, or read
whole months here and the partial edge months from chains_flow; `month_window()` states the window
actually read, so pages can say it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Min, Q, Sum

from chains.models import Flow, FlowSummary
from core import fx

FLOW = Flow._meta.db_table
SUMMARY = FlowSummary._meta.db_table
KEY = ("payer_id", "payee_id", "month", "kind", "channel", "currency")
KEY_SQL = ", ".join(KEY)
FIGURES = ("count", "amount", "amount_cny", "unconverted", "first_date", "last_date", "day_sum")
COLUMNS_SQL = ", ".join((*KEY, *FIGURES))
EPOCH = dt.date(2000, 1, 1)


# --- the SQL, generated once for triggers and rebuild ----------------------------------------------------------


def _month(vendor: str, day: str) -> str:
    if vendor == "postgresql":
        # = date_trunc('month', day)::date, without the detour through timestamptz (15 % faster)
        return f"({day} - (EXTRACT(DAY FROM {day})::int - 1))"
    return f"date({day}, 'start of month')"


def _days(vendor: str, day: str) -> str:
    if vendor == "postgresql":
        return f"({day} - DATE '{EPOCH.isoformat()}')"
    return f"CAST(julianday({day}) - julianday('{EPOCH.isoformat()}') AS INTEGER)"


def _aggregate(vendor: str, source: str, where: str = "", *, ordered: bool = True) -> str:
    """SELECT key + figures FROM `source` (chains_flow or a transition table, alias f), grouped by key
    and (`ordered`) ordered by it: the one aggregate every writer and rebuild share. Concurrent writers
    upsert in key order, so two imports touching the same keys cannot deadlock; rebuild, which holds the
    table alone, skips the sort (PostgreSQL then hashes: 3 to 4 times faster)."""
    cny = fx.cny_sql("f.amount", "f.currency", "f.value_date")
    return f"""SELECT f.payer_id, f.payee_id, {_month(vendor, 'f.value_date')} AS month, f.kind, f.channel,
       f.currency, COUNT(*), SUM(f.amount), COALESCE(SUM(f.cny), 0), COUNT(*) - COUNT(f.cny),
       MIN(f.value_date), MAX(f.value_date), SUM({_days(vendor, 'f.value_date')})
FROM (SELECT f.*, {cny} AS cny FROM {source} f {where}) f
GROUP BY f.payer_id, f.payee_id, {_month(vendor, 'f.value_date')}, f.kind, f.channel, f.currency""" + (
        f"""
ORDER BY f.payer_id, f.payee_id, {_month(vendor, 'f.value_date')}, f.kind, f.channel, f.currency""" if ordered else "")


_UPSERT_PG = f"""ON CONFLICT (payer_id, payee_id, month, kind, channel, currency) DO UPDATE SET
    count = {SUMMARY}.count + EXCLUDED.count,
    amount = {SUMMARY}.amount + EXCLUDED.amount,
    amount_cny = {SUMMARY}.amount_cny + EXCLUDED.amount_cny,
    unconverted = {SUMMARY}.unconverted + EXCLUDED.unconverted,
    first_date = LEAST({SUMMARY}.first_date, EXCLUDED.first_date),
    last_date = GREATEST({SUMMARY}.last_date, EXCLUDED.last_date),
    day_sum = {SUMMARY}.day_sum + EXCLUDED.day_sum"""
# SQLite spells LEAST / GREATEST as the two-argument scalar MIN / MAX.
_UPSERT = {"postgresql": _UPSERT_PG,
           "sqlite": _UPSERT_PG.replace("LEAST(", "MIN(").replace("GREATEST(", "MAX(")}

_PG_KEYS = """SELECT DISTINCT payer_id, payee_id, date_trunc('month', value_date)::date AS month, kind, channel, currency
FROM {table}"""

_PG_RECOMPUTE = f"""
    LOCK TABLE {SUMMARY} IN SHARE ROW EXCLUSIVE MODE;
    WITH k AS ({{keys}})
    DELETE FROM {SUMMARY} s USING k
     WHERE s.payer_id = k.payer_id AND s.payee_id = k.payee_id AND s.month = k.month AND s.kind = k.kind
       AND s.channel = k.channel AND s.currency = k.currency;
    INSERT INTO {SUMMARY} ({COLUMNS_SQL})
    {{recompute}};
"""


def _pg_recompute_sql(keys_from: str) -> str:
    """Delete the touched keys' rows and recompute them from chains_flow (the flows of each key are
    found through the (payer_id, value_date) index)."""
    where = f"""JOIN ({keys_from}) k
        ON k.payer_id = f.payer_id AND f.value_date >= k.month
       AND f.value_date < (k.month + INTERVAL '1 month')::date
       AND k.payee_id = f.payee_id AND k.kind = f.kind AND k.channel = f.channel AND k.currency = f.currency"""
    return _PG_RECOMPUTE.replace("{keys}", keys_from).replace(
        "{recompute}", _aggregate("postgresql", FLOW, where))


def trigger_sql(vendor: str) -> tuple[list[str], list[str]]:
    """(statements that install the triggers, statements that drop them) for the vendor."""
    if vendor == "postgresql":
        insert_fn = f"""CREATE OR REPLACE FUNCTION chains_flowsummary_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {SUMMARY} ({COLUMNS_SQL})
    {_aggregate("postgresql", "new_rows")}
    {_UPSERT["postgresql"]};
    RETURN NULL;
END $$"""
        update_fn = f"""CREATE OR REPLACE FUNCTION chains_flowsummary_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_pg_recompute_sql(_PG_KEYS.format(table="old_rows") + " UNION " + _PG_KEYS.format(table="new_rows"))}
    RETURN NULL;
END $$"""
        delete_fn = f"""CREATE OR REPLACE FUNCTION chains_flowsummary_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_pg_recompute_sql(_PG_KEYS.format(table="old_rows"))}
    RETURN NULL;
END $$"""
        truncate_fn = f"""CREATE OR REPLACE FUNCTION chains_flowsummary_trunc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {SUMMARY};
    RETURN NULL;
END $$"""
        install = [
            insert_fn, update_fn, delete_fn, truncate_fn,
            f"""CREATE TRIGGER chains_flowsummary_ins AFTER INSERT ON {FLOW} REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION chains_flowsummary_ins()""",
            f"""CREATE TRIGGER chains_flowsummary_upd AFTER UPDATE ON {FLOW}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION chains_flowsummary_upd()""",
            f"""CREATE TRIGGER chains_flowsummary_del AFTER DELETE ON {FLOW} REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION chains_flowsummary_del()""",
            f"""CREATE TRIGGER chains_flowsummary_trunc AFTER TRUNCATE ON {FLOW}
                FOR EACH STATEMENT EXECUTE FUNCTION chains_flowsummary_trunc()""",
        ]
        drop = [
            *(f"DROP TRIGGER IF EXISTS chains_flowsummary_{op} ON {FLOW}" for op in ("ins", "upd", "del", "trunc")),
            *(f"DROP FUNCTION IF EXISTS chains_flowsummary_{op}()" for op in ("ins", "upd", "del", "trunc")),
        ]
        return install, drop
    if vendor == "sqlite":
        def one(row: str) -> str:
            cny = fx.cny_sql(f"{row}.amount", f"{row}.currency", f"{row}.value_date")
            return f"""INSERT INTO {SUMMARY} ({COLUMNS_SQL}) VALUES (
    {row}.payer_id, {row}.payee_id, {_month('sqlite', f'{row}.value_date')}, {row}.kind, {row}.channel,
    {row}.currency, 1, {row}.amount, COALESCE({cny}, 0), CASE WHEN {cny} IS NULL THEN 1 ELSE 0 END,
    {row}.value_date, {row}.value_date, {_days('sqlite', f'{row}.value_date')})
    {_UPSERT["sqlite"]};"""

        def recompute(row: str) -> str:
            match = (f"payer_id = {row}.payer_id AND payee_id = {row}.payee_id AND kind = {row}.kind "
                     f"AND channel = {row}.channel AND currency = {row}.currency")
            month = _month("sqlite", f"{row}.value_date")
            where = f"WHERE {match.replace('payer_id =', 'f.payer_id =').replace(' AND ', ' AND f.')} " \
                    f"AND {_month('sqlite', 'f.value_date')} = {month}"
            return f"""DELETE FROM {SUMMARY} WHERE {match} AND month = {month};
    INSERT INTO {SUMMARY} ({COLUMNS_SQL}) {_aggregate('sqlite', FLOW, where)};"""

        install = [
            f"CREATE TRIGGER chains_flowsummary_ins AFTER INSERT ON {FLOW} FOR EACH ROW BEGIN {one('NEW')} END",
            f"CREATE TRIGGER chains_flowsummary_upd AFTER UPDATE ON {FLOW} FOR EACH ROW BEGIN "
            f"{recompute('OLD')} {recompute('NEW')} END",
            f"CREATE TRIGGER chains_flowsummary_del AFTER DELETE ON {FLOW} FOR EACH ROW BEGIN {recompute('OLD')} END",
        ]
        drop = [f"DROP TRIGGER IF EXISTS chains_flowsummary_{op}" for op in ("ins", "upd", "del")]
        return install, drop
    return [], []


def install_triggers(schema_editor) -> None:
    """Migration helper: (re)install the triggers for the connection's vendor."""
    install, drop = trigger_sql(schema_editor.connection.vendor)
    for statement in (*drop, *install):
        schema_editor.execute(statement, params=None)


def drop_triggers(schema_editor) -> None:
    _install, drop = trigger_sql(schema_editor.connection.vendor)
    for statement in drop:
        schema_editor.execute(statement, params=None)


# --- rebuild and reconvert -------------------------------------------------------------------------------------


def _vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def rebuild() -> int:
    """Recompute the whole summary from chains_flow in one INSERT ... SELECT ... GROUP BY (set-based);
    returns the number of summary rows. Runs in one transaction; on PostgreSQL writers of flows wait for
    it (SHARE lock on chains_flow) and readers of the summary too (TRUNCATE)."""
    vendor = _vendor()
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            # Flow writers wait (their triggers write the summary); TRUNCATE leaves no dead rows behind.
            cursor.execute(f"LOCK TABLE {FLOW} IN SHARE MODE")
            cursor.execute(f"TRUNCATE {SUMMARY}")
        else:
            cursor.execute(f"DELETE FROM {SUMMARY}")
        cursor.execute(f"INSERT INTO {SUMMARY} ({COLUMNS_SQL}) {_aggregate(vendor, FLOW, ordered=False)}")
        return cursor.rowcount


def reconvert(currencies: list[str], since: dt.date) -> int:
    """Recompute amount_cny and unconverted of the summary rows in `currencies` whose month is on or
    after the month of `since`, from chains_flow with the rates stored now (set-based, one UPDATE).
    Call it in the transaction that changed the rates (services' FX import does). Returns the number of
    rows whose figures changed. CNY never changes (its rate is 1)."""
    currencies = sorted({str(c).upper() for c in currencies if c and str(c).upper() != fx.BASE})
    if not currencies:
        return 0
    vendor = _vendor()
    month = since.replace(day=1)
    marks = ", ".join(["%s"] * len(currencies))
    where = f"WHERE f.currency IN ({marks}) AND f.value_date >= %s"
    fresh = _aggregate(vendor, FLOW, where, ordered=False)
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {SUMMARY} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(
                f"""UPDATE {SUMMARY} s SET amount_cny = c.amount_cny, unconverted = c.unconverted
                FROM (SELECT q.c0 AS payer_id, q.c1 AS payee_id, q.c2 AS month, q.c3 AS kind, q.c4 AS channel,
                             q.c5 AS currency, q.c8 AS amount_cny, q.c9 AS unconverted
                      FROM ({fresh}) AS q (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12)) c
                WHERE s.payer_id = c.payer_id AND s.payee_id = c.payee_id AND s.month = c.month
                  AND s.kind = c.kind AND s.channel = c.channel AND s.currency = c.currency
                  AND (s.amount_cny <> c.amount_cny OR s.unconverted <> c.unconverted)""",
                [*currencies, month],
            )
        else:
            cursor.execute(
                f"""WITH c (payer_id, payee_id, month, kind, channel, currency, n, amount, amount_cny,
                            unconverted, first_date, last_date, day_sum) AS ({fresh})
                UPDATE {SUMMARY} SET
                    amount_cny = (SELECT c.amount_cny FROM c WHERE c.payer_id = {SUMMARY}.payer_id
                        AND c.payee_id = {SUMMARY}.payee_id AND c.month = {SUMMARY}.month AND c.kind = {SUMMARY}.kind
                        AND c.channel = {SUMMARY}.channel AND c.currency = {SUMMARY}.currency),
                    unconverted = (SELECT c.unconverted FROM c WHERE c.payer_id = {SUMMARY}.payer_id
                        AND c.payee_id = {SUMMARY}.payee_id AND c.month = {SUMMARY}.month AND c.kind = {SUMMARY}.kind
                        AND c.channel = {SUMMARY}.channel AND c.currency = {SUMMARY}.currency)
                WHERE currency IN ({marks}) AND month >= %s""",
                [*currencies, month, *currencies, month],
            )
            cursor.execute("SELECT changes()")  # the driver's rowcount is -1 after WITH ... UPDATE
            return cursor.fetchone()[0]
        return cursor.rowcount


def rebuild_timed() -> tuple[int, float]:
    start = time.perf_counter()
    rows = rebuild()
    return rows, time.perf_counter() - start


# --- readers ------------------------------------------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


@dataclass(frozen=True)
class MonthWindow:
    """The whole months a summary read covers: from the first day of `first` to the last day of `last`."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.date:
        return self.first

    @property
    def end(self) -> dt.date:
        nxt = (self.last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)


def month_window(since: dt.date, until: dt.date | None = None) -> MonthWindow:
    """The months a reader over since..until reads: every month containing part of the window."""
    until = until or dt.date.max.replace(day=1)
    return MonthWindow(first=month_of(since), last=month_of(until))


def summary_rows(*, since: dt.date | None = None, until: dt.date | None = None, kinds=None, channels=None,
                 payers=None, payees=None, between=None):
    """FlowSummary rows filtered by window (whole months, see module docstring), kinds, channels and
    parties. `payers` / `payees`: ids or a values('id')-style subquery. `between`: a pair (A, B) of
    id sets or subqueries: rows with payer in A and payee in B, or payer in B and payee in A."""
    qs = FlowSummary.objects.order_by()
    if since is not None:
        qs = qs.filter(month__gte=month_of(since))
    if until is not None:
        qs = qs.filter(month__lte=month_of(until))
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    if channels is not None:
        qs = qs.filter(channel__in=list(channels))
    if payers is not None:
        qs = qs.filter(payer_id__in=payers)
    if payees is not None:
        qs = qs.filter(payee_id__in=payees)
    if between is not None:
        a, b = between
        qs = qs.filter(Q(payer_id__in=a, payee_id__in=b) | Q(payer_id__in=b, payee_id__in=a))
    return qs


TOTALS = {
    "count": Sum("count"),
    "amount_cny": Sum("amount_cny"),
    "unconverted": Sum("unconverted"),
    "first_date": Min("first_date"),
    "last_date": Max("last_date"),
    "day_sum": Sum("day_sum"),
}


@dataclass
class Totals:
    count: int = 0
    amount_cny: Decimal = Decimal(0)
    unconverted: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    day_sum: int = 0

    @property
    def mean_date(self) -> dt.date | None:
        if not self.count:
            return None
        return EPOCH + dt.timedelta(days=round(self.day_sum / self.count))

    @classmethod
    def of(cls, row: dict) -> Totals:
        return cls(count=row.get("count") or 0, amount_cny=Decimal(row.get("amount_cny") or 0),
                   unconverted=row.get("unconverted") or 0, first_date=row.get("first_date"),
                   last_date=row.get("last_date"), day_sum=row.get("day_sum") or 0)


def totals(**filters) -> Totals:
    """One row of totals (count, CNY sum, unconverted count, first/last/mean date) over the filtered
    summary rows (`summary_rows` filters). One query."""
    return Totals.of(summary_rows(**filters).aggregate(**TOTALS))


def totals_by(group_by: tuple[str, ...], **filters) -> dict[tuple, Totals]:
    """Totals per value of the `group_by` columns (e.g. ("payer_id", "payee_id") for pairs, ("payer_id",)
    for payers, ("month",) for a monthly series). One query."""
    rows = summary_rows(**filters).values(*group_by).annotate(**TOTALS)
    return {tuple(r[c] for c in group_by): Totals.of(r) for r in rows}


def pair_totals(pairs: list[tuple[int, int]], *, since=None, until=None, kinds=None) -> dict[tuple[int, int], Totals]:
    """Totals per (payer, payee) for the given pairs (missing pairs are absent). One query."""
    if not pairs:
        return {}
    payers = sorted({p for p, _ in pairs})
    payees = sorted({q for _, q in pairs})
    wanted = set(pairs)
    out = totals_by(("payer_id", "payee_id"), since=since, until=until, kinds=kinds, payers=payers, payees=payees)
    return {k: v for k, v in out.items() if k in wanted}


def enterprise_totals(enterprise_ids, *, since=None, until=None, kinds=None) -> dict[int, dict[str, Totals]]:
    """Per enterprise: {"out": what it paid, "in": what it received}. Two queries."""
    ids = list(enterprise_ids)
    result: dict[int, dict[str, Totals]] = {i: {"out": Totals(), "in": Totals()} for i in ids}
    for (payer,), t in totals_by(("payer_id",), since=since, until=until, kinds=kinds, payers=ids).items():
        result[payer]["out"] = t
    for (payee,), t in totals_by(("payee_id",), since=since, until=until, kinds=kinds, payees=ids).items():
        result[payee]["in"] = t
    return result


# --- exact day windows from the summary plus the edge months ---------------------------------------------------


def window_sql(where: str = "TRUE") -> str:
    """A subquery (no alias) of the flows dated in a day window `%(w_start)s`..`%(w_end)s` inclusive,
    exact to the day yet read mostly from the summary: the whole months inside the window come from
    chains_flowsummary, the days of the partial months at either edge from chains_flow (converted by
    core.fx). Columns: payer_id, payee_id, kind, channel, currency, amount_cny (NULL-free), n (flows),
    unconverted (flows without a rate). Pass `window_params(start, end)` with the statement.

    `where` filters both branches, written with `{t}` for the table alias, e.g.
    `"{t}.kind = %(payment)s AND {t}.payer_id IN (SELECT id FROM members)"`: put the party filter here,
    not outside (PostgreSQL does not push conditions through a CTE that is read twice), so each branch
    uses its party index ((payer_id, ...) key / (payee_id, month) on the summary, (payer_id,
    value_date) / (payee_id, value_date) on the flows)."""
    cny = fx.cny_sql("f.amount", "f.currency", "f.value_date")
    return f"""(SELECT s.payer_id, s.payee_id, s.kind, s.channel, s.currency, s.amount_cny, s.count AS n,
        s.unconverted
    FROM {SUMMARY} s WHERE s.month >= %(w_full_first)s AND s.month < %(w_full_end)s AND ({where.format(t="s")})
    UNION ALL
    SELECT f.payer_id, f.payee_id, f.kind, f.channel, f.currency, COALESCE(f.cny, 0), 1,
        CASE WHEN f.cny IS NULL THEN 1 ELSE 0 END
    FROM (SELECT f.*, {cny} AS cny FROM {FLOW} f
          WHERE f.value_date BETWEEN %(w_start)s AND %(w_end)s
            AND (f.value_date < %(w_full_first)s OR f.value_date >= %(w_full_end)s)
            AND ({where.format(t="f")})) f)"""


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def window_params(start: dt.date, end: dt.date) -> dict:
    """The parameters of `window_sql` for start..end inclusive (adapted for the connection)."""
    full_first = start if start.day == 1 else _next_month(start)
    full_end = _next_month(end) if _next_month(end) - dt.timedelta(days=1) == end else end.replace(day=1)
    if full_end < full_first:
        full_end = full_first  # no whole month inside: everything comes from the flows
    adapt = connection.ops.adapt_datefield_value
    return {"w_start": adapt(start), "w_end": adapt(end), "w_full_first": adapt(full_first),
            "w_full_end": adapt(full_end)}
