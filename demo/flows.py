"""Fund and information flows along a group's trading pairs, with plausible patterns:

- seasonality: more trade before the Spring Festival (January) and at the year end;
- an invoice is followed by its payment 30-90 days later between the same pair (sometimes in two
  instalments), with the payment reference derived from the invoice's;
- orders and shipments before some invoices;
- a pair-specific share of payments settled through other banks;
- pairs that trade without a declared chain link;
- some pairs that settle in a foreign currency (USD, EUR, HKD: demo.catalogue.pair_currency), their
  amounts in that currency.
References are unique per source system, so importing the same flows again never duplicates them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random

from .catalogue import in_currency, pair_currency
from .circles_chains import Pair
from .groups import GroupCtx
from .state import BuildState
from .vocab import MONTH_WEIGHTS

WINDOW_MONTHS = 24


class Calendar:
    """Months of the flow window with their cumulative seasonal weights."""

    def __init__(self, as_of: dt.date):
        months = []
        year, month = as_of.year, as_of.month
        for _ in range(WINDOW_MONTHS):
            months.append((year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        self.months = sorted(months)
        self.cum = list(itertools.accumulate(MONTH_WEIGHTS[m - 1] for _, m in self.months))
        self.as_of = as_of

    def draw(self, rng: random.Random) -> dt.date:
        year, month = self.months[bisect.bisect(self.cum, rng.random() * self.cum[-1])]
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, month, rng.randint(1, min(last, 28 if month == 2 else last)))


def quota(total: int, groups: int, number: int) -> int:
    """Flows of group `number`: an even share, the remainder to the first groups (exact total)."""
    return total // groups + (1 if number < total % groups else 0)


def build_flows(state: BuildState, ctx: GroupCtx, pairs: list[Pair], count: int, calendar: Calendar) -> int:
    if count <= 0 or not pairs:
        return 0
    rng = random.Random(f"{state.seed}:flows:{ctx.number}")
    sink = state.writer["flows"]
    cum = list(itertools.accumulate(p.weight for p in pairs))
    # Pair traits: typical invoice size, payment delay, and how much goes through other banks.
    traits = []
    for pair in pairs:
        scale = max(pair.buyer.revenue, pair.supplier.revenue) * 0.002 * pair.weight
        other_bank = 0.0 if rng.random() < 0.4 else rng.uniform(0.2, 0.9)
        if not pair.declared:
            other_bank = max(other_bank, 0.5)  # undeclared trade mostly settles elsewhere
        traits.append((scale, rng.randint(30, 90), other_bank))
    currencies = [pair_currency(state, ctx, i) for i in range(len(pairs))]
    written = 0
    serial = 0
    prefix = f"D{state.seed % 10000:04d}G{ctx.number:06d}"
    while written < count:
        index = bisect.bisect(cum, rng.random() * cum[-1])
        pair = pairs[index]
        scale, delay, other_bank = traits[index]
        serial += 1
        invoice_ref = f"INV-{prefix}-{serial:07d}"
        day = calendar.draw(rng)
        amount = round(scale * math.exp(rng.gauss(0, 0.6)), 2) + 100.0
        currency = currencies[index]
        if currency != "CNY":
            amount = round(in_currency(amount, currency), 2)
        channel = "other_bank" if rng.random() < other_bank else "this_bank"
        payer, payee = pair.buyer.id, pair.supplier.id
        rows = []
        if rng.random() < 0.25:
            order_day = day - dt.timedelta(days=rng.randint(10, 30))
            rows.append(
                (
                    payer,
                    payee,
                    f"{amount:.2f}",
                    currency,
                    order_day,
                    "order",
                    channel,
                    "scm",
                    f"PO-{prefix}-{serial:07d}",
                    state.now,
                )
            )
        if rng.random() < 0.25:
            ship_day = day - dt.timedelta(days=rng.randint(0, 7))
            rows.append(
                (
                    payer,
                    payee,
                    f"{amount:.2f}",
                    currency,
                    ship_day,
                    "shipment",
                    channel,
                    "scm",
                    f"SHP-{prefix}-{serial:07d}",
                    state.now,
                )
            )
        rows.append(
            (
                payer,
                payee,
                f"{amount:.2f}",
                currency,
                day,
                "invoice",
                channel,
                "einvoice",
                invoice_ref,
                state.now,
            )
        )
        pay_day = day + dt.timedelta(days=max(1, delay + rng.randint(-10, 15)))
        if pay_day <= calendar.as_of:  # later invoices are still open: receivables
            source = "cbs" if channel == "this_bank" else "interbank"
            if rng.random() < 0.15:  # paid in two instalments
                first = round(amount * rng.uniform(0.3, 0.7), 2)
                rows.append(
                    (
                        payer,
                        payee,
                        f"{first:.2f}",
                        currency,
                        pay_day,
                        "payment",
                        channel,
                        source,
                        f"PAY-{invoice_ref}-1",
                        state.now,
                    )
                )
                second_day = min(pay_day + dt.timedelta(days=rng.randint(15, 45)), calendar.as_of)
                rows.append(
                    (
                        payer,
                        payee,
                        f"{amount - first:.2f}",
                        currency,
                        second_day,
                        "payment",
                        channel,
                        source,
                        f"PAY-{invoice_ref}-2",
                        state.now,
                    )
                )
            else:
                rows.append(
                    (
                        payer,
                        payee,
                        f"{amount:.2f}",
                        currency,
                        pay_day,
                        "payment",
                        channel,
                        source,
                        f"PAY-{invoice_ref}-1",
                        state.now,
                    )
                )
        for row in rows[: count - written]:
            sink.add(row)
        written += min(len(rows), count - written)
    return written
