"""cash_pool: a group whose members keep balances apart and move money between themselves.

Groups whose core is in the scope. Fires when at least `min_members` (3) member entities (control
tree, clients.GroupMembership) hold deposits (their latest demand and time deposit balances of the
last `balance_days` (90) add up above zero, CNY equivalent), payments between two members run in at
least `min_months` (3) of the last `months` (6) months, and no member holds a cash pool. The need is
the core's, filed under the group. Basis: the members' deposits (what the pool would concentrate);
value: basis x the product's annual margin."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from core.fx import cny_sql
from services.rules import (
    Candidate,
    Param,
    Rule,
    Scope,
    Unit,
    dec,
    en,
    fetch,
    product_margin,
    register,
    score_of,
    tables,
    value_of,
    zh,
)

CODE = "cash_pool"


def evaluate(scope: Scope, params: dict) -> list[Candidate]:
    t = tables()
    where, p = scope.where("g.core_enterprise_id")
    start = scope.months_back(params["months"] * 30)
    since = scope.as_of - dt.timedelta(days=params["balance_days"])
    sql = f"""
        WITH grp AS (SELECT g.id, g.core_enterprise_id AS core_id FROM {t['g']} g WHERE {where}),
        members AS (SELECT gm.group_id, gm.enterprise_id FROM {t['gm']} gm JOIN grp ON grp.id = gm.group_id),
        held AS (
            SELECT m.group_id, m.enterprise_id, sum(b.cny) AS total
            FROM members m CROSS JOIN LATERAL (
                SELECT a.id, a.currency FROM {t['acc']} a
                WHERE a.enterprise_id = m.enterprise_id AND a.kind IN ('demand', 'time') OFFSET 0  -- a probe per member (an index scan), not a scan of the period
            ) a
            CROSS JOIN LATERAL (
                SELECT {cny_sql('ab.balance', 'a.currency', 'ab.date')} AS cny FROM {t['bal']} ab
                WHERE ab.account_id = a.id AND ab.date <= %s AND ab.date > %s ORDER BY ab.date DESC LIMIT 1
            ) b
            GROUP BY m.group_id, m.enterprise_id HAVING sum(b.cny) > 0
        ),
        transfers AS (
            SELECT m1.group_id, count(DISTINCT fs.month) AS months, sum(fs.amount_cny) AS volume
            FROM members m1 CROSS JOIN LATERAL (
                SELECT f.payee_id, f.month, f.amount_cny FROM {t['fs']} f
                WHERE f.payer_id = m1.enterprise_id AND f.kind = 'payment' AND f.month >= %s AND f.month <= %s OFFSET 0  -- a probe per member (an index scan), not a scan of the period
            ) fs
            JOIN members m2 ON m2.group_id = m1.group_id AND m2.enterprise_id = fs.payee_id
            WHERE fs.payee_id <> m1.enterprise_id
            GROUP BY m1.group_id
        )
        SELECT grp.id, grp.core_id, count(held.enterprise_id), sum(held.total), tr.months, tr.volume
        FROM grp JOIN held ON held.group_id = grp.id JOIN transfers tr ON tr.group_id = grp.id
        WHERE tr.months >= %s AND NOT EXISTS (
            SELECT 1 FROM members m JOIN {t['h']} h ON h.enterprise_id = m.enterprise_id
            JOIN {t['p']} pr ON pr.id = h.product_id
            WHERE m.group_id = grp.id AND pr.code = 'cash_pool' AND h.since <= %s
              AND (h.until IS NULL OR h.until >= %s))
        GROUP BY grp.id, grp.core_id, tr.months, tr.volume
        HAVING count(held.enterprise_id) >= %s"""
    rows = fetch(sql, [*p, scope.as_of, since, start, scope.month(), params["min_months"], scope.as_of,
                       scope.as_of, params["min_members"]])
    margin = product_margin(rule.product)
    out = []
    for group_id, core_id, members, deposits, months, volume in rows:
        deposits, volume = dec(deposits), dec(volume)
        n = params["months"]
        out.append(Candidate(
            enterprise_id=core_id, group_id=group_id,
            score=score_of(members / params["min_members"], months / params["min_months"]),
            value=value_of(deposits, margin), basis=deposits.quantize(dec("0.01")),
            figures={"members_with_deposits": members, "deposits": str(deposits), "transfer_months": months,
                     "months": n, "transfers": str(volume)},
            evidence=f"{members}家成员单位有存款，合计{zh(deposits)}；近{n}个月中有{months}个月发生集团内部划款"
                     f"（合计{zh(volume)}）；集团尚未使用现金池",
            evidence_en=f"{members} member entities hold deposits totalling {en(deposits)}; intra-group transfers "
                        f"in {months} of the last {n} months ({en(volume)}); no cash pool in the group",
        ))
    return out


rule = register(Rule(
    code=CODE, product="cash_pool", level="group",
    label=_("Cash pool for groups moving money between members"),
    description=_("A group with at least the number of member entities holding deposits, intra-group "
                  "transfers in at least the months of the period, and no cash pool."),
    params=(
        Param("min_members", _("Member entities with deposits, at least"), Unit.COUNT, 3, 2, 1000),
        Param("min_months", _("Months with intra-group transfers, at least"), Unit.MONTHS, 3, 1, 24),
        Param("months", _("Period"), Unit.MONTHS, 6, 1, 24),
        Param("balance_days", _("Balances dated within"), Unit.DAYS, 90, 1, 730),
    ),
    evaluate=evaluate,
))
