"""Early-warning rules over fund flows: `inflow_drop`, `large_outflow`, `intra_group_spike`.

Payments only (kind "payment", either channel), in CNY equivalent at each flow's value date (core.fx);
flows without a rate are left out. Windows are exact days ending with the run's date (`as_of`), read
through `chains.summary.window_sql` (whole months from the flow summary, edge days from the flows),
except `large_outflow`, which looks at single payments and reads chains_flow by its (payer, value
date) index.

- `inflow_drop`: what the enterprise received in the last `recent_days` (30) days against the monthly
  average of the `trailing_days` (90) days before them (a month = 30 days). Fires when the average is
  at least `min_monthly_avg` (small histories are ignored) and the recent inflows are down by
  `min_drop_pct` (40 %) or more. Severity: medium; high from a drop of
  `high_drop_pct` (80 %).
- `large_outflow`: one payment in the last `days` (30) days to a party outside the payer's groups
  (members and cores of the groups it belongs to or is in the circle of) and outside those groups'
  circles, of at least `min_amount` and above `max_share_pct` (30 %) of the payer's latest balance
  (the sum of its deposit accounts' latest balances on or before the run's date, in CNY). Enterprises
  with no positive balance are not judged. Severity: medium; high when the payment is at least the
  whole balance.
- `intra_group_spike`: payments from one member of a group to other members of the same group in the
  last `recent_days` (30) days against their own monthly average over the `history_months` (6) months
  before. Fires when the recent transfers reach `min_amount` and `factor` (3) times the average (or
  there were none before). Severity: medium; high from twice the factor.

Subject: the enterprise (`enterprise_key`); the group it is filed under: `services.rules.group_of_sql`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from chains.summary import window_params, window_sql
from core.fx import cny_sql
from risk.rules import Finding, Param, Rule, Scope, Severity, Unit, dec, enterprise_key, fetch, register
from services.rules import en, group_of_sql, tables, zh

CENT = Decimal("0.01")


def scope_named(scope: Scope, column: str) -> tuple[str, dict]:
    """The scope's enterprise filter on `column` with named parameters (window_sql's statements use
    them), e.g. `{t}.payee_id` inside a window's `where`."""
    if scope.ids is not None:
        return f"{column} = ANY(%(scope_ids)s)", {"scope_ids": list(scope.ids)}
    if scope.lo is not None:
        return f"{column} BETWEEN %(scope_lo)s AND %(scope_hi)s", {"scope_lo": scope.lo, "scope_hi": scope.hi}
    return "TRUE", {}


def second_window(sql: str, params: dict, prefix: str) -> tuple[str, dict]:
    """A second `window_sql` in the same statement: its parameters renamed `w_...` -> `<prefix>_...`."""
    return (sql.replace("%(w_", f"%({prefix}_"),
            {key.replace("w_", f"{prefix}_", 1): value for key, value in params.items()})


def pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


# --- inflow_drop -----------------------------------------------------------------------------------------------


def evaluate_inflow_drop(scope: Scope, params: dict) -> list[Finding]:
    recent_days, trailing_days = params["recent_days"], params["trailing_days"]
    recent_start = scope.as_of - dt.timedelta(days=recent_days - 1)
    trailing_end = recent_start - dt.timedelta(days=1)
    trailing_start = trailing_end - dt.timedelta(days=trailing_days - 1)
    where, p = scope_named(scope, "{t}.payee_id")
    flows = f"{{t}}.kind = 'payment' AND {{t}}.payer_id <> {{t}}.payee_id AND {where}"
    recent_sql = window_sql(flows)
    trailing_sql, trailing_p = second_window(window_sql(flows), window_params(trailing_start, trailing_end), "t")
    months = Decimal(trailing_days) / 30
    sql = f"""
        WITH recent_in AS (SELECT payee_id, sum(amount_cny) AS amount FROM {recent_sql} r GROUP BY payee_id),
             before_in AS (SELECT payee_id, sum(amount_cny) AS amount FROM {trailing_sql} h GROUP BY payee_id)
        SELECT t.payee_id, {group_of_sql('t.payee_id')}, coalesce(r.amount, 0), t.amount / %(months)s
        FROM before_in t LEFT JOIN recent_in r ON r.payee_id = t.payee_id
        WHERE t.amount / %(months)s >= %(min_avg)s
          AND coalesce(r.amount, 0) <= t.amount / %(months)s * (1 - %(drop)s / 100.0)"""
    rows = fetch(sql, {**p, **window_params(recent_start, scope.as_of), **trailing_p, "months": months,
                       "min_avg": dec(params["min_monthly_avg"]), "drop": dec(params["min_drop_pct"])})
    out = []
    for e_id, group_id, recent, avg in rows:
        recent, avg = dec(recent).quantize(CENT), dec(avg).quantize(CENT)
        drop = (1 - recent / avg) * 100 if avg else Decimal(0)
        severity = Severity.HIGH if drop >= dec(params["high_drop_pct"]) else Severity.MEDIUM
        out.append(Finding(
            subject_key=enterprise_key(e_id), enterprise_id=e_id, group_id=group_id, severity=int(severity),
            figures={"recent": str(recent), "monthly_average": str(avg), "drop_pct": pct(drop),
                     "recent_days": recent_days, "trailing_days": trailing_days},
            evidence=f"近{recent_days}天资金流入：{zh(recent)}，较此前{trailing_days}天月均流入（{zh(avg)}）"
                     f"下降{pct(drop)}%",
            evidence_en=f"inflows in the last {recent_days} days: {en(recent)}, down {pct(drop)}% on the monthly "
                        f"average of the {trailing_days} days before ({en(avg)})",
        ))
    return out


inflow_drop = register(Rule(
    code="inflow_drop",
    label=_("Inflows dropping"),
    description=_("Payments received in the recent days fell by the percentage or more against the monthly "
                  "average of the period before; enterprises whose monthly average is below the minimum are "
                  "not judged."),
    params=(
        Param("min_drop_pct", _("Drop of at least"), Unit.PCT, "40", "1", "100"),
        Param("high_drop_pct", _("High severity from a drop of"), Unit.PCT, "80", "1", "100"),
        Param("recent_days", _("Recent period"), Unit.DAYS, 30, 7, 180),
        Param("trailing_days", _("Period before, for the monthly average"), Unit.DAYS, 90, 30, 730),
        Param("min_monthly_avg", _("Monthly average inflows of at least"), Unit.CNY, "1000000", "0",
              "1000000000000"),
    ),
    evaluate=evaluate_inflow_drop,
))


# --- large_outflow ---------------------------------------------------------------------------------------------


def evaluate_large_outflow(scope: Scope, params: dict) -> list[Finding]:
    t = tables()
    from chains.summary import FLOW

    days = params["days"]
    start = scope.as_of - dt.timedelta(days=days - 1)
    where, p = scope.where("f.payer_id")
    where_acc, p_acc = scope.where("a.enterprise_id")
    cny_flow = cny_sql("f.amount", "f.currency", "f.value_date")
    cny_bal = cny_sql("ab.balance", "a.currency", "ab.date")
    share = dec(params["max_share_pct"])
    sql = f"""
        WITH balance AS (
            SELECT a.enterprise_id, sum(last.cny) AS cny
            FROM {t['acc']} a
            CROSS JOIN LATERAL (SELECT {cny_bal} AS cny FROM {t['bal']} ab
                                WHERE ab.account_id = a.id AND ab.date <= %s ORDER BY ab.date DESC LIMIT 1) last
            WHERE {where_acc} AND a.kind IN ('demand', 'time')
            GROUP BY a.enterprise_id
        ),
        outflows AS (
            SELECT f.id, f.payer_id, f.payee_id, f.value_date, {cny_flow} AS cny, b.cny AS balance
            FROM {FLOW} f JOIN balance b ON b.enterprise_id = f.payer_id
            WHERE {where} AND f.value_date BETWEEN %s AND %s AND f.kind = 'payment' AND f.payee_id <> f.payer_id
              AND b.cny > 0
        ),
        large AS (
            SELECT o.* FROM outflows o
            WHERE o.cny >= %s AND o.cny > o.balance * %s / 100.0
              AND NOT EXISTS (
                  WITH mine AS (
                      SELECT gm.group_id FROM {t['gm']} gm WHERE gm.enterprise_id = o.payer_id
                      UNION SELECT g.id FROM {t['g']} g WHERE g.core_enterprise_id = o.payer_id
                      UNION SELECT cm.group_id FROM {t['cm']} cm WHERE cm.enterprise_id = o.payer_id)
                  SELECT 1 FROM mine WHERE
                      EXISTS (SELECT 1 FROM {t['gm']} x WHERE x.group_id = mine.group_id AND x.enterprise_id = o.payee_id)
                      OR EXISTS (SELECT 1 FROM {t['cm']} y WHERE y.group_id = mine.group_id AND y.enterprise_id = o.payee_id)
                      OR EXISTS (SELECT 1 FROM {t['g']} z WHERE z.id = mine.group_id AND z.core_enterprise_id = o.payee_id))
        )
        SELECT l.payer_id, {group_of_sql('l.payer_id')}, l.balance, count(*) OVER w, sum(l.cny) OVER w,
               l.cny, l.value_date, e.name, e.uscc
        FROM large l JOIN {t['e']} e ON e.id = l.payee_id
        WINDOW w AS (PARTITION BY l.payer_id)
        ORDER BY l.payer_id, l.cny DESC, l.value_date DESC, l.id"""
    rows = fetch(sql, [scope.as_of, *p_acc, *p, start, scope.as_of, dec(params["min_amount"]), share])
    out, seen = [], set()
    for e_id, group_id, balance, n, total, largest, day, payee, payee_uscc in rows:
        if e_id in seen:
            continue  # the largest payment of each payer first
        seen.add(e_id)
        balance, largest, total = dec(balance).quantize(CENT), dec(largest).quantize(CENT), dec(total).quantize(CENT)
        ratio = largest / balance * 100
        severity = Severity.HIGH if largest >= balance else Severity.MEDIUM
        out.append(Finding(
            subject_key=enterprise_key(e_id), enterprise_id=e_id, group_id=group_id, severity=int(severity),
            figures={"largest": str(largest), "balance": str(balance), "share_pct": pct(ratio), "count": n,
                     "total": str(total), "date": day.isoformat(), "payee": payee_uscc, "days": days},
            evidence=f"近{days}天向圈外企业{payee}（{payee_uscc}）单笔付款{zh(largest)}（{day.isoformat()}），"
                     f"占最新存款余额{zh(balance)}的{pct(ratio)}%；此类大额付款共{n}笔，合计{zh(total)}",
            evidence_en=f"a single payment of {en(largest)} on {day.isoformat()} to {payee} ({payee_uscc}), outside "
                        f"the group and its circle, in the last {days} days: {pct(ratio)}% of the latest deposit "
                        f"balance of {en(balance)}; {n} such payment(s), {en(total)} in all",
        ))
    return out


large_outflow = register(Rule(
    code="large_outflow",
    label=_("Large outflow outside the circle"),
    description=_("A single payment in the recent days to a party outside the payer's groups and their circles, "
                  "above the share of the payer's latest deposit balance and at least the amount."),
    params=(
        Param("max_share_pct", _("Payment above this share of the latest balance"), Unit.PCT, "30", "1", "100"),
        Param("days", _("Recent period"), Unit.DAYS, 30, 1, 365),
        Param("min_amount", _("Payment of at least"), Unit.CNY, "1000000", "0", "1000000000000"),
    ),
    evaluate=evaluate_large_outflow,
))


# --- intra_group_spike -----------------------------------------------------------------------------------------


def evaluate_intra_group_spike(scope: Scope, params: dict) -> list[Finding]:
    t = tables()
    recent_days, history_months = params["recent_days"], params["history_months"]
    recent_start = scope.as_of - dt.timedelta(days=recent_days - 1)
    history_end = recent_start - dt.timedelta(days=1)
    history_start = history_end - dt.timedelta(days=30 * history_months - 1)
    where, p = scope_named(scope, "{t}.payer_id")
    flows = (f"{{t}}.kind = 'payment' AND {{t}}.payer_id <> {{t}}.payee_id AND {where} "
             f"AND EXISTS (SELECT 1 FROM {t['gm']} gm WHERE gm.enterprise_id = {{t}}.payer_id)")
    recent_sql = window_sql(flows)
    history_sql, history_p = second_window(window_sql(flows), window_params(history_start, history_end), "h")
    sql = f"""
        WITH pairs AS (
            SELECT payer_id, payee_id, sum(amount_cny) FILTER (WHERE recent) AS recent,
                   sum(amount_cny) FILTER (WHERE NOT recent) AS history
            FROM (SELECT payer_id, payee_id, amount_cny, TRUE AS recent FROM {recent_sql} r
                  UNION ALL SELECT payer_id, payee_id, amount_cny, FALSE FROM {history_sql} h) w
            GROUP BY payer_id, payee_id
        ),
        intra AS (
            SELECT p.payer_id, min(a.group_id) AS group_id, coalesce(sum(p.recent), 0) AS recent,
                   coalesce(sum(p.history), 0) AS history, count(DISTINCT p.payee_id) FILTER (WHERE p.recent > 0) AS payees
            FROM pairs p
            JOIN {t['gm']} a ON a.enterprise_id = p.payer_id
            JOIN {t['gm']} b ON b.enterprise_id = p.payee_id AND b.group_id = a.group_id
            GROUP BY p.payer_id
        )
        SELECT payer_id, group_id, recent, history / %(months)s, payees FROM intra
        WHERE recent >= %(min_amount)s AND recent >= history / %(months)s * %(factor)s"""
    rows = fetch(sql, {**p, **window_params(recent_start, scope.as_of), **history_p, "months": history_months,
                       "min_amount": dec(params["min_amount"]), "factor": dec(params["factor"])})
    factor = dec(params["factor"])
    out = []
    for e_id, group_id, recent, avg, payees in rows:
        recent, avg = dec(recent).quantize(CENT), dec(avg).quantize(CENT)
        times = (recent / avg).quantize(Decimal("0.1")) if avg else None
        severity = Severity.HIGH if times is None or times >= factor * 2 else Severity.MEDIUM
        if times is None:
            zh_cmp, en_cmp = f"此前{history_months}个月无集团内转账", f"none in the {history_months} months before"
        else:
            zh_cmp = f"为此前{history_months}个月月均（{zh(avg)}）的{times}倍"
            en_cmp = f"{times} times the monthly average of the {history_months} months before ({en(avg)})"
        out.append(Finding(
            subject_key=enterprise_key(e_id), enterprise_id=e_id, group_id=group_id, severity=int(severity),
            figures={"recent": str(recent), "monthly_average": str(avg), "times": str(times) if times else None,
                     "payees": payees, "recent_days": recent_days, "history_months": history_months},
            evidence=f"近{recent_days}天向集团内{payees}家成员企业转账{zh(recent)}，{zh_cmp}",
            evidence_en=f"transfers to {payees} fellow member(s) of the group in the last {recent_days} days: "
                        f"{en(recent)}, {en_cmp}",
        ))
    return out


intra_group_spike = register(Rule(
    code="intra_group_spike",
    label=_("Intra-group transfers spiking"),
    description=_("Payments from a member to other members of its group in the recent days reach the amount and "
                  "the multiple of their own monthly average over the months before (possible diversion of "
                  "funds)."),
    params=(
        Param("factor", _("Multiple of the monthly average of at least"), Unit.FACTOR, "3", "1", "100"),
        Param("min_amount", _("Recent transfers of at least"), Unit.CNY, "5000000", "0", "1000000000000"),
        Param("recent_days", _("Recent period"), Unit.DAYS, 30, 7, 180),
        Param("history_months", _("Months of history"), Unit.MONTHS, 6, 1, 24),
    ),
    evaluate=evaluate_intra_group_spike,
))
