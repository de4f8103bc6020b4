"""cross_border_settlement and fx_hedging: foreign-currency flows with no such product.

An enterprise's payments in currencies other than CNY, paid or received (flow summary, kind
"payment", CNY equivalent at each flow's rate), in the last `window_days` (90, whole months). Fires
when they exceed `min_foreign` and the enterprise does not hold the rule's product. Basis: the foreign
flows of the window, annualised (x 365 / the window's days): the volume the product would carry;
value: basis x the product's annual margin."""

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
    group_of_sql,
    holds_sql,
    product_margin,
    register,
    score_of,
    tables,
    value_of,
    zh,
)


def _evaluate(product: str):
    def evaluate(scope: Scope, params: dict) -> list[Candidate]:
        t = tables()
        w1, p1 = scope.where("fs.payer_id")
        w2, p2 = scope.where("fs.payee_id")
        start = scope.months_back(params["window_days"])
        sql = f"""
            SELECT e_id, {group_of_sql('e_id')}, total, currencies FROM (
                SELECT e_id, sum(amount_cny) AS total, string_agg(DISTINCT currency, ',' ORDER BY currency) AS currencies
                FROM (
                    SELECT fs.payer_id AS e_id, fs.amount_cny, fs.currency FROM {t['fs']} fs
                    WHERE {w1} AND fs.kind = 'payment' AND fs.currency <> 'CNY' AND fs.month >= %s AND fs.month <= %s
                    UNION ALL
                    SELECT fs.payee_id, fs.amount_cny, fs.currency FROM {t['fs']} fs
                    WHERE {w2} AND fs.kind = 'payment' AND fs.currency <> 'CNY' AND fs.month >= %s AND fs.month <= %s
                ) f GROUP BY e_id HAVING sum(amount_cny) > %s
            ) q WHERE NOT {holds_sql('q.e_id', 'hp.code = %s')}"""
        rows = fetch(sql, [*p1, start, scope.month(), *p2, start, scope.month(), dec(params["min_foreign"]),
                           product, scope.as_of, scope.as_of])
        margin = product_margin(product)
        wd = params["window_days"]
        days = scope.window_days(wd)
        name_zh, name_en = ("跨境结算", "cross-border settlement") if product == "cross_border_settlement" else (
            "外汇避险", "FX hedging")
        out = []
        for e_id, group_id, total, currencies in rows:
            total = dec(total)
            annual = (total * 365 / days).quantize(dec("0.01"))
            out.append(Candidate(
                enterprise_id=e_id, group_id=group_id,
                score=score_of(float(total / dec(params["min_foreign"])) if dec(params["min_foreign"]) else 2.0),
                value=value_of(annual, margin), basis=annual,
                figures={"foreign": str(total), "annualised": str(annual), "currencies": currencies,
                         "window_days": wd},
                evidence=f"近{wd}天外币收付款（折人民币）：{zh(total)}（币种：{currencies}）；未持有{name_zh}产品",
                evidence_en=f"foreign-currency payments in the last {wd} days (CNY equivalent): {en(total)} "
                            f"({currencies}); no {name_en} product",
            ))
        return out

    return evaluate


PARAMS = (
    Param("min_foreign", _("Foreign-currency payments (CNY equivalent) over"), Unit.CNY, "5000000", "0",
          "1000000000000"),
    Param("window_days", _("Window"), Unit.DAYS, 90, 30, 365),
)

cross_border = register(Rule(
    code="cross_border_settlement", product="cross_border_settlement",
    label=_("Cross-border settlement for enterprises paid or paying in foreign currencies"),
    description=_("Foreign-currency payments over the amount in the window (CNY equivalent at each flow's "
                  "rate) and no cross-border settlement product."),
    params=PARAMS, evaluate=_evaluate("cross_border_settlement"),
))
fx_hedging = register(Rule(
    code="fx_hedging", product="fx_hedging",
    label=_("FX hedging for enterprises exposed to foreign currencies"),
    description=_("Foreign-currency payments over the amount in the window (CNY equivalent at each flow's "
                  "rate) and no FX hedging product."),
    params=PARAMS, evaluate=_evaluate("fx_hedging"),
))
