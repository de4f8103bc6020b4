"""Helpers of the graph rules' tests: a fixed run date, guarantees, flows, and one rule run the way the
engine runs it (evaluate, then risk.alerts.sync over the rule's scope)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from chains.models import Flow
from circles.models import Guarantee
from core.rulekit import Scope
from risk import alerts
from risk.rules import load, settings_for

AS_OF = dt.date(2026, 6, 15)
_refs = itertools.count(1)


def guarantee(guarantor, borrower, amount="10000000", *, start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31),
              currency="CNY"):
    return Guarantee.objects.create(guarantor=guarantor, borrower=borrower, amount=Decimal(str(amount)),
                                    currency=currency, start_date=start, end_date=end)


def pay(payer, payee, amount, day=dt.date(2026, 5, 10)):
    Flow.objects.create(payer=payer, payee=payee, amount=Decimal(str(amount)), currency="CNY", value_date=day,
                        kind="payment", channel="this_bank", source_system="test",
                        external_ref=f"GRAPH-{next(_refs):07d}")


def run(code: str, ids=None, as_of=AS_OF) -> dict:
    rule = load()[code]
    params = settings_for()[code][1]
    scope = Scope(as_of=as_of, ids=ids)
    return alerts.sync(code, rule.evaluate(scope, params), rule.in_scope(scope))
