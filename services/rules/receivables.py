"""receivables_financing: a supplier the core owes a lot, slowly.

Pairs: a supplier of a group (circle role "supplier", or a declared or confirmed chain link whose
buyer is the core) and the group's core enterprise. From the flow summary (CNY equivalent):

- unpaid = every invoice the supplier issued to the core (flows of kind "invoice", payer = the core,
  payee = the supplier) up to the run's month, less every payment of the core to the supplier;
- average days from invoice to payment (days sales outstanding) = unpaid / invoiced in the window x
  the window's days (window: `window_days`, 180, in whole months).

Fires when unpaid > `min_unpaid` (CNY 1 m) and the average > `min_days` (45). Basis: the unpaid
amount (what the product would finance); value: basis x the product's annual margin."""

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

CODE = "receivables_financing"


def evaluate(scope: Scope, params: dict) -> list[Candidate]:
    t = tables()
    where_cm, p1 = scope.where("cm.enterprise_id")
    where_cl, p2 = scope.where("cl.supplier_id")
    start = scope.months_back(params["window_days"])
    days = scope.window_days(params["window_days"])
    sql = f"""
        WITH pairs AS (
            SELECT supplier_id, core_id, min(group_id) AS group_id FROM (
                SELECT cm.enterprise_id AS supplier_id, g.core_enterprise_id AS core_id, cm.group_id
                FROM {t['cm']} cm JOIN {t['g']} g ON g.id = cm.group_id
                WHERE cm.role = 'supplier' AND {where_cm}
                UNION ALL
                SELECT cl.supplier_id, cl.buyer_id, cl.group_id
                FROM {t['cl']} cl JOIN {t['g']} g ON g.id = cl.group_id AND g.core_enterprise_id = cl.buyer_id
                WHERE cl.status IN ('declared', 'confirmed') AND {where_cl}
            ) s WHERE supplier_id <> core_id GROUP BY supplier_id, core_id
        )
        SELECT supplier_id, group_id, core_id, invoiced, paid, invoiced_window FROM (
            SELECT p.supplier_id, p.group_id, p.core_id,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.kind = 'invoice'), 0) AS invoiced,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.kind = 'payment'), 0) AS paid,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.kind = 'invoice' AND fs.month >= %s), 0)
                       AS invoiced_window
            FROM pairs p JOIN {t['fs']} fs ON fs.payer_id = p.core_id AND fs.payee_id = p.supplier_id
            WHERE fs.kind IN ('invoice', 'payment') AND fs.month <= %s
            GROUP BY p.supplier_id, p.group_id, p.core_id
        ) q
        WHERE invoiced - paid > %s AND invoiced_window > 0
          AND (invoiced - paid) / invoiced_window * %s > %s"""
    rows = fetch(sql, [*p1, *p2, start, scope.month(), dec(params["min_unpaid"]), days, params["min_days"]])
    margin = product_margin(rule.product)
    out = []
    for supplier_id, group_id, core_id, invoiced, paid, window in rows:
        unpaid = dec(invoiced) - dec(paid)
        dso = int(round(float(unpaid / dec(window) * days)))
        wd = params["window_days"]
        out.append(Candidate(
            enterprise_id=supplier_id, group_id=group_id,
            score=score_of(float(unpaid / dec(params["min_unpaid"])), dso / params["min_days"]),
            value=value_of(unpaid, margin), basis=unpaid.quantize(dec("0.01")),
            figures={"unpaid": str(unpaid), "invoiced_window": str(dec(window)), "average_days": dso,
                     "window_days": wd, "core_id": core_id},
            evidence=f"对核心企业未付发票：{zh(unpaid)}；近{wd}天平均账期：{dso}天",
            evidence_en=f"unpaid invoices to the core: {en(unpaid)}; average {dso} days from invoice to payment "
                        f"over {wd} days",
        ))
    return out


rule = register(Rule(
    code=CODE, product="receivables_financing",
    label=_("Receivables financing for suppliers the core pays slowly"),
    description=_("A supplier with unpaid invoices to the core over the amount and an average time from "
                  "invoice to payment (unpaid / invoiced in the window x its days) over the days."),
    params=(
        Param("min_unpaid", _("Unpaid invoices to the core over"), Unit.CNY, "1000000", "0", "1000000000000"),
        Param("min_days", _("Average days from invoice to payment over"), Unit.DAYS, 45, 1, 3650),
        Param("window_days", _("Window"), Unit.DAYS, 180, 30, 730),
    ),
    evaluate=evaluate,
))
