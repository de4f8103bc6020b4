"""settlement (migration): a group paying its circle mostly through other banks.

Groups whose core is in the scope. Payments of the group's members (control tree) to enterprises of
its circle that are not members, in the last `window_days` (90, whole months), CNY equivalent. Fires
when they exceed `min_volume` and the share through other banks is at least `min_other_bank_pct`
(50 %). The need is the core's, filed under the group. Basis: the other banks' payments, annualised
(what moving them would bring); value: basis x the product's annual margin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

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

CODE = "settlement"


def evaluate(scope: Scope, params: dict) -> list[Candidate]:
    t = tables()
    where, p = scope.where("g.core_enterprise_id")
    start = scope.months_back(params["window_days"])
    days = scope.window_days(params["window_days"])
    sql = f"""
        WITH grp AS (SELECT g.id, g.core_enterprise_id AS core_id FROM {t['g']} g WHERE {where}),
        members AS (SELECT gm.group_id, gm.enterprise_id FROM {t['gm']} gm JOIN grp ON grp.id = gm.group_id),
        circle AS (
            SELECT DISTINCT cm.group_id, cm.enterprise_id FROM {t['cm']} cm JOIN grp ON grp.id = cm.group_id
            WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.group_id = cm.group_id
                              AND m.enterprise_id = cm.enterprise_id)
        )
        SELECT group_id, core_id, total, other FROM (
            SELECT grp.id AS group_id, grp.core_id, sum(fs.amount_cny) AS total,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.channel = 'other_bank'), 0) AS other
            FROM grp JOIN members m ON m.group_id = grp.id
            CROSS JOIN LATERAL (
                SELECT f.payee_id, f.channel, f.amount_cny FROM {t['fs']} f
                WHERE f.payer_id = m.enterprise_id AND f.kind = 'payment' AND f.month >= %s AND f.month <= %s OFFSET 0  -- a probe per member (an index scan), not a scan of the period
            ) fs
            JOIN circle c ON c.group_id = grp.id AND c.enterprise_id = fs.payee_id
            GROUP BY grp.id, grp.core_id
        ) q
        WHERE total > %s AND other * 100 >= total * %s"""
    rows = fetch(sql, [*p, start, scope.month(), dec(params["min_volume"]), dec(params["min_other_bank_pct"])])
    margin = product_margin(rule.product)
    wd = params["window_days"]
    out = []
    for group_id, core_id, total, other in rows:
        total, other = dec(total), dec(other)
        share = other / total * 100
        annual = (other * 365 / days).quantize(dec("0.01"))
        out.append(Candidate(
            enterprise_id=core_id, group_id=group_id,
            score=score_of(float(share / dec(params["min_other_bank_pct"])) if dec(params["min_other_bank_pct"])
                           else 2.0),
            value=value_of(annual, margin), basis=annual,
            figures={"to_circle": str(total), "other_bank": str(other), "other_bank_pct": f"{share:.1f}",
                     "window_days": wd, "annualised": str(annual)},
            evidence=f"近{wd}天集团向生态圈企业付款{zh(total)}，其中经他行{zh(other)}（{share:.1f}%）",
            evidence_en=f"payments of the group to its circle in the last {wd} days: {en(total)}, of which "
                        f"{en(other)} ({share:.1f}%) through other banks",
        ))
    return out


rule = register(Rule(
    code=CODE, product="settlement", level="group",
    label=_("Settlement migration for groups paying their circle through other banks"),
    description=_("At least the share of a group's payments to its circle in the window goes through other "
                  "banks, and they exceed the amount."),
    params=(
        Param("min_other_bank_pct", _("Share through other banks, at least"), Unit.PCT, "50", "1", "100"),
        Param("min_volume", _("Payments to the circle over"), Unit.CNY, "1000000", "0", "1000000000000"),
        Param("window_days", _("Window"), Unit.DAYS, 90, 30, 365),
    ),
    evaluate=evaluate,
))
