"""working_capital_loan: a well-rated entity whose deposits are draining while it pays out more.

Enterprises rated at or above `min_rating` (A). Deposits: each day with balances, the enterprise's
demand and time deposit balances (CNY equivalent) summed; their average over the last `days` (60)
days against the `days` before. Outflows: its payments (flow summary) in the last `days` (whole
months) against the window before. Fires when the average fell by `min_drop_pct` (30 %) or more and
the outflows rose. Basis: the fall of the average balance (the gap a loan would fill); value: basis x
the product's annual margin."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from core.fx import cny_sql
from services.rules import (
    RATINGS,
    Candidate,
    Param,
    Rule,
    Scope,
    Unit,
    dec,
    en,
    fetch,
    group_of_sql,
    product_margin,
    register,
    score_of,
    tables,
    value_of,
    zh,
)

CODE = "working_capital_loan"


def evaluate(scope: Scope, params: dict) -> list[Candidate]:
    t = tables()
    where, p = scope.where("e.id")
    days = params["days"]
    ratings = RATINGS[: RATINGS.index(params["min_rating"]) + 1]
    mid = scope.as_of - dt.timedelta(days=days)
    first = mid - dt.timedelta(days=days)
    m_recent = scope.months_back(days)
    m_previous = scope.months_back(days, before=1)
    sql = f"""
        WITH ent AS (SELECT e.id FROM {t['e']} e WHERE {where} AND e.internal_rating = ANY(%s)),
        daily AS (
            SELECT a.enterprise_id, ab.date, sum({cny_sql('ab.balance', 'a.currency', 'ab.date')}) AS total
            FROM ent JOIN {t['acc']} a ON a.enterprise_id = ent.id AND a.kind IN ('demand', 'time')
            JOIN {t['bal']} ab ON ab.account_id = a.id AND ab.date > %s AND ab.date <= %s
            GROUP BY a.enterprise_id, ab.date
        ),
        avgs AS (
            SELECT enterprise_id, avg(total) FILTER (WHERE date > %s) AS recent,
                   avg(total) FILTER (WHERE date <= %s) AS previous
            FROM daily GROUP BY enterprise_id
            HAVING avg(total) FILTER (WHERE date <= %s) > 0
               AND avg(total) FILTER (WHERE date > %s) <= avg(total) FILTER (WHERE date <= %s) * (1 - %s / 100.0)
        ),
        outflows AS (
            SELECT fs.payer_id AS enterprise_id,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.month >= %s), 0) AS recent,
                   coalesce(sum(fs.amount_cny) FILTER (WHERE fs.month < %s), 0) AS previous
            FROM {t['fs']} fs JOIN avgs ON avgs.enterprise_id = fs.payer_id
            WHERE fs.kind = 'payment' AND fs.month >= %s AND fs.month <= %s
            GROUP BY fs.payer_id
        )
        SELECT a.enterprise_id, {group_of_sql('a.enterprise_id')}, a.recent, a.previous, o.recent, o.previous
        FROM avgs a JOIN outflows o ON o.enterprise_id = a.enterprise_id
        WHERE a.previous > 0 AND a.recent IS NOT NULL AND a.recent <= a.previous * (1 - %s / 100.0)
          AND o.recent > o.previous"""
    drop = dec(params["min_drop_pct"])
    rows = fetch(sql, [*p, ratings, first, scope.as_of, mid, mid, mid, mid, mid, drop, m_recent, m_recent, m_previous,
                       scope.month(), drop])
    margin = product_margin(rule.product)
    out = []
    for e_id, group_id, recent, previous, out_recent, out_previous in rows:
        recent, previous = dec(recent).quantize(dec("0.01")), dec(previous).quantize(dec("0.01"))
        out_recent, out_previous = dec(out_recent), dec(out_previous)
        drop = (1 - recent / previous) * 100
        gap = previous - recent
        rise = f"{(out_recent / out_previous - 1) * 100:.1f}%" if out_previous else "—"
        out.append(Candidate(
            enterprise_id=e_id, group_id=group_id,
            score=score_of(float(drop / dec(params["min_drop_pct"]))),
            value=value_of(gap, margin), basis=gap,
            figures={"average_recent": str(recent), "average_previous": str(previous), "drop_pct": f"{drop:.1f}",
                     "outflows_recent": str(out_recent), "outflows_previous": str(out_previous), "days": days},
            evidence=f"近{days}天日均存款{zh(recent)}，较前{days}天（{zh(previous)}）下降{drop:.1f}%；"
                     f"同期付款{zh(out_recent)}，较前期（{zh(out_previous)}）增加{rise}",
            evidence_en=f"average deposits in the last {days} days: {en(recent)}, down {drop:.1f}% on the previous "
                        f"{days} days ({en(previous)}); payments {en(out_recent)}, up {rise} on "
                        f"{en(out_previous)}",
        ))
    return out


rule = register(Rule(
    code=CODE, product="working_capital_loan",
    label=_("Working capital loan for well-rated entities whose deposits drain"),
    description=_("An entity rated at least the rating whose average deposit balance fell by the percentage "
                  "or more on the previous period while its payments rose."),
    params=(
        Param("min_rating", _("Internal rating at least"), Unit.RATING, "A"),
        Param("min_drop_pct", _("Fall of the average balance, at least"), Unit.PCT, "30", "1", "100"),
        Param("days", _("Period"), Unit.DAYS, 60, 30, 365),
    ),
    evaluate=evaluate,
))
