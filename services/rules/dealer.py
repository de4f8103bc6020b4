"""dealer_financing: a distributor buying more and more from the core, with no financing from us.

Pairs: a distributor of a group (circle role "distributor", or a declared or confirmed chain link
whose supplier is the core) and the group's core. Purchases = payments of the distributor to the core
(CNY equivalent) in the last `window_days` (90, whole months) against the window before.

Fires when the recent purchases exceed the previous ones by more than `min_growth_pct` (20 %), the
previous window had purchases, and the distributor holds no financing product (families supply-chain
finance and lending) on the run's date. Basis: the recent window's purchases (what pre-payment
financing would carry); value: basis x the product's annual margin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from services.models import FINANCING_FAMILIES
from services.rules import (
    Candidate,
    Param,
    Rule,
    Scope,
    Unit,
    dec,
    en,
    fetch,
    holds_sql,
    product_margin,
    register,
    score_of,
    tables,
    value_of,
    zh,
)

CODE = "dealer_financing"


def evaluate(scope: Scope, params: dict) -> list[Candidate]:
    t = tables()
    where_cm, p1 = scope.where("cm.enterprise_id")
    where_cl, p2 = scope.where("cl.buyer_id")
    recent = scope.months_back(params["window_days"])
    previous = scope.months_back(params["window_days"], before=1)
    families = ", ".join(f"'{f}'" for f in FINANCING_FAMILIES)
    growth = 1 + dec(params["min_growth_pct"]) / 100
    sql = f"""
        WITH pairs AS (
            SELECT dealer_id, core_id, min(group_id) AS group_id FROM (
                SELECT cm.enterprise_id AS dealer_id, g.core_enterprise_id AS core_id, cm.group_id
                FROM {t['cm']} cm JOIN {t['g']} g ON g.id = cm.group_id
                WHERE cm.role = 'distributor' AND {where_cm}
                UNION ALL
                SELECT cl.buyer_id, cl.supplier_id, cl.group_id
                FROM {t['cl']} cl JOIN {t['g']} g ON g.id = cl.group_id AND g.core_enterprise_id = cl.supplier_id
                WHERE cl.status IN ('declared', 'confirmed') AND {where_cl}
            ) s WHERE dealer_id <> core_id GROUP BY dealer_id, core_id
        )
        SELECT dealer_id, group_id, recent, previous FROM (
            SELECT p.dealer_id, p.group_id,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.month >= %s), 0) AS recent,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.month < %s), 0) AS previous
            FROM pairs p JOIN {t['fs']} fs ON fs.payer_id = p.dealer_id AND fs.payee_id = p.core_id
            WHERE fs.kind = 'payment' AND fs.month >= %s AND fs.month <= %s
              AND NOT {holds_sql('p.dealer_id', f'hp.family IN ({families})')}
            GROUP BY p.dealer_id, p.group_id
        ) q
        WHERE previous > 0 AND recent > previous * %s"""
    rows = fetch(sql, [*p1, *p2, recent, recent, previous, scope.month(), scope.as_of, scope.as_of, growth])
    margin = product_margin(rule.product)
    wd = params["window_days"]
    out = []
    for dealer_id, group_id, now, before in rows:
        now, before = dec(now), dec(before)
        pct = (now / before - 1) * 100
        out.append(Candidate(
            enterprise_id=dealer_id, group_id=group_id,
            score=score_of(float(pct / dec(params["min_growth_pct"])) if params["min_growth_pct"] != "0" else 2.0),
            value=value_of(now, margin), basis=now.quantize(dec("0.01")),
            figures={"recent": str(now), "previous": str(before), "growth_pct": f"{pct:.1f}", "window_days": wd},
            evidence=f"近{wd}天向核心企业采购：{zh(now)}，较前{wd}天（{zh(before)}）增长{pct:.1f}%；"
                     f"未在本行持有融资产品",
            evidence_en=f"purchases from the core in the last {wd} days: {en(now)}, up {pct:.1f}% on the "
                        f"previous {wd} days ({en(before)}); no financing product with the bank",
        ))
    return out


rule = register(Rule(
    code=CODE, product="dealer_financing",
    label=_("Dealer financing for distributors buying more from the core"),
    description=_("A distributor whose purchases from the core grew over the percentage on the previous "
                  "window and who holds no financing product with the bank."),
    params=(
        Param("min_growth_pct", _("Growth of purchases over"), Unit.PCT, "20", "0", "1000"),
        Param("window_days", _("Window"), Unit.DAYS, 90, 30, 365),
    ),
    evaluate=evaluate,
))
