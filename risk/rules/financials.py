"""Early-warning rules over financial statements: `financial_deterioration`, `guarantee_overreach`.

- `financial_deterioration`: the enterprise's latest annual statement with a period end on or before
  the run's date, against its previous annual statement (period end 10 to 14 months earlier). Four
  conditions, each in the evidence with its figures:
    1. debt: debt-to-assets at or above `max_debt_ratio_pct` (80 %), or up `max_debt_rise_pts` (10)
       percentage points or more on the previous year;
    2. liquidity: current ratio (current assets / current liabilities) below `min_current_ratio` (1);
    3. loss: net profit negative after a profit (or break-even) the previous year;
    4. revenue: down `min_revenue_drop_pct` (30 %) or more on the previous year.
  Conditions 1 (its level) and 2 need the latest statement only; the others need the previous one.
  Severity: how many conditions hold (one low, two medium, three high, four critical).
- `guarantee_overreach`: the guarantees the enterprise gave that are in force on the run's date, in
  CNY at the run's date (core.fx; a guarantee without a rate is left out and counted), above
  `max_ratio_pct` (100 %) of its net assets (total assets minus total liabilities) in its latest
  statement of any period type. Without a statement it is not judged. Severity: medium; high from
  twice the net assets or when the net assets are nil or negative.

Subject: the enterprise (`enterprise_key`); the group it is filed under: `services.rules.group_of_sql`."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from circles.models import Guarantee
from clients.models import FinancialStatement
from core.fx import cny_sql
from risk.rules import Finding, Param, Rule, Scope, Severity, Unit, dec, enterprise_key, fetch, register
from services.rules import en, group_of_sql, zh

CENT = Decimal("0.01")
ONE = Decimal("0.1")
FS = FinancialStatement._meta.db_table
GUARANTEE = Guarantee._meta.db_table


def _q(value: Decimal, unit=ONE) -> Decimal:
    return value.quantize(unit)


# --- financial_deterioration -----------------------------------------------------------------------------------


def evaluate_deterioration(scope: Scope, params: dict) -> list[Finding]:
    where, p = scope.where("s.enterprise_id")
    sql = f"""
        SELECT cur.enterprise_id, {group_of_sql('cur.enterprise_id')}, cur.period_end,
               cur.revenue, cur.net_profit, cur.total_assets, cur.total_liabilities, cur.current_assets,
               cur.current_liabilities,
               prev.period_end, prev.revenue, prev.net_profit, prev.total_assets, prev.total_liabilities
        FROM (SELECT DISTINCT ON (s.enterprise_id) s.* FROM {FS} s
              WHERE {where} AND s.period_type = 'annual' AND s.period_end <= %s
              ORDER BY s.enterprise_id, s.period_end DESC) cur
        LEFT JOIN LATERAL (SELECT * FROM {FS} pv WHERE pv.enterprise_id = cur.enterprise_id
                             AND pv.period_type = 'annual'
                             AND pv.period_end BETWEEN cur.period_end - interval '14 months'
                                                   AND cur.period_end - interval '10 months'
                           ORDER BY pv.period_end DESC LIMIT 1) prev ON TRUE"""
    rows = fetch(sql, [*p, scope.as_of])
    max_ratio, max_rise = dec(params["max_debt_ratio_pct"]), dec(params["max_debt_rise_pts"])
    min_current, min_drop = dec(params["min_current_ratio"]), dec(params["min_revenue_drop_pct"])
    out = []
    for row in rows:
        (e_id, group_id, end, revenue, profit, assets, liabilities, cur_assets, cur_liabilities,
         prev_end, prev_revenue, prev_profit, prev_assets, prev_liabilities) = row
        zh_parts, en_parts, figures = [], [], {"period_end": end.isoformat(),
                                                "previous_period_end": prev_end.isoformat() if prev_end else None}
        ratio = dec(liabilities) / dec(assets) * 100 if assets and liabilities is not None else None
        prev_ratio = (dec(prev_liabilities) / dec(prev_assets) * 100
                      if prev_assets and prev_liabilities is not None else None)
        if ratio is not None:
            rise = ratio - prev_ratio if prev_ratio is not None else None
            if ratio >= max_ratio or (rise is not None and rise >= max_rise):
                figures.update(debt_ratio_pct=str(_q(ratio)),
                               previous_debt_ratio_pct=str(_q(prev_ratio)) if prev_ratio is not None else None)
                if rise is not None:
                    zh_parts.append(f"资产负债率{_q(ratio)}%（上年{_q(prev_ratio)}%，上升{_q(rise)}个百分点）")
                    en_parts.append(f"debt-to-assets {_q(ratio)}% (previous year {_q(prev_ratio)}%, "
                                    f"{'up' if rise >= 0 else 'down'} {_q(abs(rise))} points)")
                else:
                    zh_parts.append(f"资产负债率{_q(ratio)}%")
                    en_parts.append(f"debt-to-assets {_q(ratio)}%")
        if cur_liabilities and cur_assets is not None:
            current = dec(cur_assets) / dec(cur_liabilities)
            if current < min_current:
                figures["current_ratio"] = str(_q(current, CENT))
                zh_parts.append(f"流动比率{_q(current, CENT)}（低于{min_current}）")
                en_parts.append(f"current ratio {_q(current, CENT)} (below {min_current})")
        if profit is not None and prev_profit is not None and dec(profit) < 0 <= dec(prev_profit):
            figures.update(net_profit=str(dec(profit)), previous_net_profit=str(dec(prev_profit)))
            zh_parts.append(f"净利润由盈转亏：{zh(profit)}（上年{zh(prev_profit)}）")
            en_parts.append(f"net profit turned negative: {en(profit)} (previous year {en(prev_profit)})")
        if revenue is not None and prev_revenue and dec(prev_revenue) > 0:
            drop = (1 - dec(revenue) / dec(prev_revenue)) * 100
            if drop >= min_drop:
                figures.update(revenue=str(dec(revenue)), previous_revenue=str(dec(prev_revenue)),
                               revenue_drop_pct=str(_q(drop)))
                zh_parts.append(f"营业收入{zh(revenue)}，较上年（{zh(prev_revenue)}）下降{_q(drop)}%")
                en_parts.append(f"revenue {en(revenue)}, down {_q(drop)}% on the previous year ({en(prev_revenue)})")
        if not zh_parts:
            continue
        figures["conditions"] = len(zh_parts)
        out.append(Finding(
            subject_key=enterprise_key(e_id), enterprise_id=e_id, group_id=group_id,
            severity=min(len(zh_parts), int(Severity.CRITICAL)), figures=figures,
            evidence=f"{end.isoformat()}年报财务指标恶化（{len(zh_parts)}项）：" + "；".join(zh_parts),
            evidence_en=f"annual statement to {end.isoformat()} deteriorating ({len(en_parts)} condition(s)): "
                        + "; ".join(en_parts),
        ))
    return out


financial_deterioration = register(Rule(
    code="financial_deterioration",
    label=_("Financial deterioration"),
    description=_("The latest annual statement against the previous year: debt-to-assets at or above the level or "
                  "up by the points, current ratio below the minimum, net profit turning negative, revenue down by "
                  "the percentage. The more conditions hold, the higher the severity."),
    params=(
        Param("max_debt_ratio_pct", _("Debt-to-assets at or above"), Unit.PCT, "80", "1", "100"),
        Param("max_debt_rise_pts", _("Debt-to-assets up by at least (points)"), Unit.PCT, "10", "1", "100"),
        Param("min_current_ratio", _("Current ratio below"), Unit.FACTOR, "1", "0", "10"),
        Param("min_revenue_drop_pct", _("Revenue down by at least"), Unit.PCT, "30", "1", "100"),
    ),
    evaluate=evaluate_deterioration,
))


# --- guarantee_overreach ---------------------------------------------------------------------------------------


def evaluate_overreach(scope: Scope, params: dict) -> list[Finding]:
    where, p = scope.where("gu.guarantor_id")
    cny = cny_sql("gu.amount", "gu.currency", "%s::date")
    sql = f"""
        WITH given AS (
            SELECT gu.guarantor_id, sum({cny}) AS cny, count(*) AS n, count(*) FILTER (WHERE {cny} IS NULL) AS unconverted
            FROM {GUARANTEE} gu
            WHERE {where} AND gu.start_date <= %s AND gu.end_date >= %s
            GROUP BY gu.guarantor_id
        )
        SELECT g.guarantor_id, {group_of_sql('g.guarantor_id')}, g.cny, g.n, g.unconverted,
               st.period_end, st.total_assets - st.total_liabilities
        FROM given g
        CROSS JOIN LATERAL (SELECT s.period_end, s.total_assets, s.total_liabilities FROM {FS} s
                            WHERE s.enterprise_id = g.guarantor_id AND s.period_end <= %s
                              AND s.total_assets IS NOT NULL AND s.total_liabilities IS NOT NULL
                            ORDER BY s.period_end DESC, (s.period_type = 'annual') DESC LIMIT 1) st
        WHERE g.cny > 0 AND (st.total_assets - st.total_liabilities <= 0
                             OR g.cny > (st.total_assets - st.total_liabilities) * %s / 100.0)"""
    rows = fetch(sql, [scope.as_of, scope.as_of, *p, scope.as_of, scope.as_of, scope.as_of,
                       dec(params["max_ratio_pct"])])
    out = []
    for e_id, group_id, given, n, unconverted, end, net in rows:
        given, net = dec(given).quantize(CENT), dec(net).quantize(CENT)
        if net > 0:
            ratio = given / net * 100
            severity = Severity.HIGH if given >= 2 * net else Severity.MEDIUM
            zh_cmp, en_cmp = f"为净资产{zh(net)}的{_q(ratio)}%", f"{_q(ratio)}% of the net assets of {en(net)}"
        else:
            ratio, severity = None, Severity.HIGH
            zh_cmp, en_cmp = f"净资产为{zh(net)}", f"net assets {en(net)}"
        note_zh = f"（另有{unconverted}笔无汇率未计）" if unconverted else ""
        note_en = f" ({unconverted} without an exchange rate left out)" if unconverted else ""
        out.append(Finding(
            subject_key=enterprise_key(e_id), enterprise_id=e_id, group_id=group_id, severity=int(severity),
            figures={"guarantees": str(given), "count": n, "net_assets": str(net),
                     "ratio_pct": str(_q(ratio)) if ratio is not None else None, "period_end": end.isoformat(),
                     "unconverted": unconverted},
            evidence=f"对外担保{n}笔，在保余额合计{zh(given)}{note_zh}，{zh_cmp}（{end.isoformat()}报表）",
            evidence_en=f"{n} guarantee(s) given in force: {en(given)}{note_en}, {en_cmp} (statement to "
                        f"{end.isoformat()})",
        ))
    return out


guarantee_overreach = register(Rule(
    code="guarantee_overreach",
    label=_("Guarantees above net assets"),
    description=_("The guarantees an enterprise gave that are in force, in CNY equivalent, exceed the share of its "
                  "net assets in its latest statement."),
    params=(
        Param("max_ratio_pct", _("Guarantees above this share of net assets"), Unit.PCT, "100", "1", "1000"),
    ),
    evaluate=evaluate_overreach,
))
