"""wealth_management and deposit_structured: balances that sit idle (one need per idle balance: the
structured deposit above its larger threshold, the wealth product below it or where a structured
deposit is already held or its rule is off).

An enterprise's idle balance: for each demand deposit account, the lowest balance in force over the
last `days` (90) days (the balance on or before the window's first day, and every balance inside it;
an account without a balance on or before the first day is not counted: nothing shows it was idle
all along), in CNY equivalent at each balance's date, summed over its accounts. Fires when the idle
balance exceeds `min_idle` and the enterprise does not hold the rule's product. Basis: the idle
balance (what the product would take); value: basis x the product's annual margin."""

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
    group_of_sql,
    holds_sql,
    product_margin,
    register,
    run_cache,
    score_of,
    settings_for,
    tables,
    value_of,
    zh,
)

_CACHE: dict = run_cache()  # one run's idle balances, shared by the two rules
_SETTINGS: dict = run_cache()  # one run's settings of the structured-deposit rule (the wealth rule defers to it)


def _structured_takes(row) -> bool:
    """Whether the structured-deposit rule raises the need for this idle balance: one need per idle
    balance, the structured deposit first for balances above its (larger) threshold, so the workbench
    never counts the same money twice."""
    if "conf" not in _SETTINGS:
        _SETTINGS["conf"] = settings_for()["deposit_structured"]
    enabled, params = _SETTINGS["conf"]
    return enabled and not row[4] and dec(row[2]).quantize(dec("0.01")) > dec(params["min_idle"])



def _idle(scope: Scope, days: int) -> list[tuple]:
    """(enterprise, group, idle balance, holds wealth management, holds structured deposits) of the
    scope's enterprises with an idle balance above zero: one pass for both rules (the second rule of a
    chunk reads the first one's answer)."""
    key = (scope.as_of, scope.lo, scope.hi, tuple(scope.ids) if scope.ids is not None else None, days)
    if key in _CACHE:
        return _CACHE[key]
    t = tables()
    where, p = scope.where("a.enterprise_id")
    start = scope.as_of - dt.timedelta(days=days)
    cny = cny_sql("ab.balance", "a.currency", "ab.date")
    sql = f"""
        WITH per_account AS (
            SELECT a.enterprise_id, least(opening.cny, inside.low) AS low
            FROM {t['acc']} a
            CROSS JOIN LATERAL (
                SELECT {cny} AS cny FROM {t['bal']} ab
                WHERE ab.account_id = a.id AND ab.date <= %s ORDER BY ab.date DESC LIMIT 1
            ) opening
            CROSS JOIN LATERAL (
                SELECT min({cny}) AS low FROM {t['bal']} ab WHERE ab.account_id = a.id AND ab.date > %s
                  AND ab.date <= %s
            ) inside
            WHERE {where} AND a.kind = 'demand' AND opening.cny IS NOT NULL
        )
        SELECT enterprise_id, {group_of_sql('enterprise_id')}, idle,
               {holds_sql('q.enterprise_id', "hp.code = 'wealth_management'")},
               {holds_sql('q.enterprise_id', "hp.code = 'deposit_structured'")} FROM (
            SELECT enterprise_id, sum(low) AS idle FROM per_account GROUP BY enterprise_id
        ) q WHERE idle > 0"""
    rows = fetch(sql, [start, start, scope.as_of, *p, scope.as_of, scope.as_of, scope.as_of, scope.as_of])
    _CACHE.clear()
    _CACHE[key] = rows
    return rows


def _evaluate(product: str):
    def evaluate(scope: Scope, params: dict) -> list[Candidate]:
        days = params["days"]
        threshold = dec(params["min_idle"])
        held_column = 3 if product == "wealth_management" else 4
        margin = product_margin(product)
        name_zh, name_en = ("对公理财", "wealth-management") if product == "wealth_management" else (
            "结构性存款", "structured deposit")
        out = []
        for row in _idle(scope, days):
            e_id, group_id, idle = row[0], row[1], dec(row[2]).quantize(dec("0.01"))
            if idle <= threshold or row[held_column]:
                continue
            if product == "wealth_management" and _structured_takes(row):
                continue
            out.append(Candidate(
                enterprise_id=e_id, group_id=group_id,
                score=score_of(float(idle / threshold) if threshold else 2.0),
                value=value_of(idle, margin), basis=idle,
                figures={"idle": str(idle), "days": days},
                evidence=f"近{days}天活期存款最低余额：{zh(idle)}；未持有{name_zh}产品",
                evidence_en=f"lowest demand deposit balance over the last {days} days: {en(idle)}; no {name_en} "
                            f"product",
            ))
        return out

    return evaluate


wealth = register(Rule(
    code="wealth_management", product="wealth_management",
    label=_("Wealth management for idle balances"),
    description=_("The lowest demand deposit balance over the period stays above the amount, and no "
                  "wealth-management product; a balance large enough for the structured-deposit rule gets that "
                  "need instead (one need per idle balance)."),
    params=(
        Param("min_idle", _("Lowest balance over the period above"), Unit.CNY, "5000000", "0", "1000000000000"),
        Param("days", _("Period"), Unit.DAYS, 90, 30, 730),
    ),
    evaluate=_evaluate("wealth_management"),
))
structured = register(Rule(
    code="deposit_structured", product="deposit_structured",
    label=_("Structured deposits for large idle balances"),
    description=_("The lowest demand deposit balance over the period stays above the amount, and no "
                  "structured deposit."),
    params=(
        Param("min_idle", _("Lowest balance over the period above"), Unit.CNY, "10000000", "0", "1000000000000"),
        Param("days", _("Period"), Unit.DAYS, 90, 30, 730),
    ),
    evaluate=_evaluate("deposit_structured"),
))
