"""Early-warning rule `past_due`: loans past due (逾期).

An active facility (risk.Facility) with an amount past due (`past_due_amount` > 0) since
`past_due_since`, on or before the run's date: days past due = run's date - `past_due_since`. Per
enterprise, the facility longest past due sets the severity: from `low_days` (1) low, `medium_days` (30)
medium, `high_days` (60) high, `critical_days` (90) critical; the evidence lists every facility past
due and the total past due in CNY equivalent at the run's date (core.fx; an amount without a rate is
left out and counted).

Subject: the enterprise (`enterprise_key`); the group it is filed under: `services.rules.group_of_sql`."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.fx import cny_sql
from risk.models import Facility
from risk.rules import Finding, Param, Rule, Scope, Severity, Unit, dec, enterprise_key, fetch, register
from services.rules import en, group_of_sql, zh

FACILITY = Facility._meta.db_table
SHOWN = 5  # facilities named in the evidence (the longest past due first)


def severity_of(days: int, params: dict) -> int | None:
    """The highest level whose threshold the days reach; None below the lowest."""
    level = None
    for key, severity in (("low_days", Severity.LOW), ("medium_days", Severity.MEDIUM),
                          ("high_days", Severity.HIGH), ("critical_days", Severity.CRITICAL)):
        if days >= params[key]:
            level = int(severity)
    return level


def evaluate(scope: Scope, params: dict) -> list[Finding]:
    where, p = scope.where("f.enterprise_id")
    cny = cny_sql("f.past_due_amount", "f.currency", "%s::date")
    sql = f"""
        SELECT f.enterprise_id, {group_of_sql('f.enterprise_id')}, f.reference, f.past_due_amount, f.currency,
               {cny}, (%s::date - f.past_due_since) AS days
        FROM {FACILITY} f
        WHERE {where} AND f.status = 'active' AND f.past_due_amount > 0 AND f.past_due_since IS NOT NULL
          AND f.past_due_since <= %s::date - %s
        ORDER BY f.enterprise_id, days DESC, f.reference"""
    rows = fetch(sql, [scope.as_of, scope.as_of, *p, scope.as_of, min(params["low_days"], params["medium_days"],
                                                                       params["high_days"], params["critical_days"])])
    by_enterprise: dict[int, list] = {}
    for row in rows:
        by_enterprise.setdefault(row[0], []).append(row)
    out = []
    for e_id, facilities in by_enterprise.items():
        worst = facilities[0][6]
        severity = severity_of(worst, params)
        if severity is None:
            continue
        group_id = facilities[0][1]
        total = sum((dec(r[5]) for r in facilities if r[5] is not None), Decimal(0)).quantize(Decimal("0.01"))
        unconverted = sum(1 for r in facilities if r[5] is None)
        listed_zh = "；".join(f"{r[2]}逾期{r[6]}天，{zh(r[3]) if r[4] == 'CNY' else f'{r[3]:,.2f} {r[4]}'}"
                             for r in facilities[:SHOWN])
        listed_en = "; ".join(f"{r[2]} {r[6]} days past due, {en(r[3]) if r[4] == 'CNY' else f'{r[4]} {r[3]:,.2f}'}"
                              for r in facilities[:SHOWN])
        more = len(facilities) - SHOWN
        note_zh = (f"（另有{unconverted}笔无汇率未计）" if unconverted else "") + (f"；另{more}笔" if more > 0 else "")
        note_en = (f" ({unconverted} without an exchange rate left out)" if unconverted else "") + (
            f"; {more} more" if more > 0 else "")
        out.append(Finding(
            subject_key=enterprise_key(e_id), enterprise_id=e_id, group_id=group_id, severity=severity,
            figures={"days": worst, "past_due": str(total), "facilities": len(facilities),
                     "references": [r[2] for r in facilities[:SHOWN]], "unconverted": unconverted},
            evidence=f"贷款逾期：最长{worst}天，逾期金额合计{zh(total)}，共{len(facilities)}笔（{listed_zh}）{note_zh}",
            evidence_en=f"loans past due: up to {worst} days, {en(total)} past due in all, {len(facilities)} "
                        f"facility(ies) ({listed_en}){note_en}",
        ))
    return out


past_due = register(Rule(
    code="past_due",
    label=_("Loans past due"),
    description=_("An active facility with an amount past due; the longest past due sets the severity: low, "
                  "medium, high and critical from the days below."),
    params=(
        Param("low_days", _("Low from (days past due)"), Unit.DAYS, 1, 1, 3650),
        Param("medium_days", _("Medium from (days past due)"), Unit.DAYS, 30, 1, 3650),
        Param("high_days", _("High from (days past due)"), Unit.DAYS, 60, 1, 3650),
        Param("critical_days", _("Critical from (days past due)"), Unit.DAYS, 90, 1, 3650),
    ),
    evaluate=evaluate,
))
