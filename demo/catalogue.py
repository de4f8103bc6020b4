"""Demo exchange rates and product holdings (issue 9), written into the build's sinks like every other
row (COPY on PostgreSQL), deterministic for a seed.

- Exchange rates: USD, EUR, HKD and JPY on every weekday of the flow window (and the month before
  it), CNY per unit, each a small mean-reverting random walk around a realistic level (USD about
  7.1-7.3). Weekends have no rate: core.fx takes the latest earlier one.
- Foreign-currency trade: a share of the trading pairs settles in USD, EUR or HKD (`pair_currency`),
  so CNY equivalents matter on every page and rule.
- Holdings, per group, for client enterprises only (a prospect holds nothing with the bank): the core
  settles, pays its payroll and often custodies with the bank, some cores already pool their cash or
  hedge their currency risk, some buy value-added services delivered with a partner; subsidiaries
  settle and borrow working capital; some suppliers already finance their receivables and some
  distributors already have dealer financing. Many do not: that is what the needs engine finds.
  Each (enterprise, product) is held once, even for a supplier shared by several groups.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from .groups import GroupCtx
from .state import BuildState

# currency -> (level in CNY per unit, daily volatility, decimals)
FX_LEVELS = {
    "USD": (7.18, 0.0018, 4),
    "EUR": (7.78, 0.0030, 4),
    "HKD": (0.9190, 0.0018, 5),
    "JPY": (0.04860, 0.0045, 6),
}
# A pair's settlement currency: most trade is in yuan.
PAIR_CURRENCIES = (("CNY", 0.86), ("USD", 0.09), ("EUR", 0.035), ("HKD", 0.015))
FX_SOURCE = "CFETS"
HOLDING_SOURCE = "cbs"

FX_FIELDS = ("currency", "date", "rate", "source", "updated_at")
HOLDING_FIELDS = ("enterprise_id", "product_id", "since", "until", "amount", "balance", "currency", "partner_id",
                  "source_system", "external_ref", "updated_at")


def add_sinks(writer) -> None:
    from core.models import FxRate
    from services.models import Holding

    writer.sink("fx_rates", FxRate, FX_FIELDS)
    writer.sink("holdings", Holding, HOLDING_FIELDS)


def build_fx_rates(state: BuildState, first: dt.date) -> int:
    """Weekday rates of every demo currency from `first` to the data's as-of date."""
    from core.models import FxRate

    sink = state.writer["fx_rates"]
    stored = set(FxRate.objects.filter(date__gte=first).values_list("currency", "date"))
    written = 0
    for currency, (level, vol, places) in FX_LEVELS.items():
        rng = random.Random(f"{state.seed}:fx:{currency}")
        log_level = math.log(level)
        x = log_level + rng.gauss(0, vol * 5)
        day = first
        while day <= state.as_of:
            if day.weekday() < 5:
                x += rng.gauss(0, vol) + 0.02 * (log_level - x)  # a walk pulled back to its level
                if (currency, day) not in stored:  # rates already on file are kept
                    sink.add((currency, day, f"{math.exp(x):.{places}f}", FX_SOURCE, state.now))
                    written += 1
            day += dt.timedelta(days=1)
    return written


def pair_currency(state: BuildState, ctx: GroupCtx, index: int) -> str:
    """The settlement currency of a group's `index`th trading pair (its own random stream, so the
    rest of the data is the same as without foreign trade)."""
    rng = random.Random(f"{state.seed}:pair-currency:{ctx.number}:{index}")
    r, acc = rng.random(), 0.0
    for currency, share in PAIR_CURRENCIES:
        acc += share
        if r < acc:
            return currency
    return "CNY"


def in_currency(amount_cny: float, currency: str) -> float:
    """An amount in yuan expressed in `currency` at its demo level (for invoice sizes)."""
    if currency == "CNY":
        return amount_cny
    return amount_cny / FX_LEVELS[currency][0]


class Catalogue:
    """Product and partner ids of the seeded catalogue (migration services 0002), read once."""

    def __init__(self):
        from services.models import Partner, Product

        self.products = dict(Product.objects.values_list("code", "pk"))
        self.partners = dict(Partner.objects.values_list("code", "pk"))
        self.held: set[tuple[int, int]] = set()


# product code -> (share of cores holding it, partner codes for value-added services)
CORE_PRODUCTS = (
    ("settlement", 1.0), ("payroll", 0.8), ("custody", 0.2), ("cash_pool", 0.3), ("cross_border_settlement", 0.25),
    ("fx_hedging", 0.12), ("ma_loan", 0.12), ("wealth_management", 0.15), ("deposit_structured", 0.1),
)
VALUE_ADDED = (("legal_consulting", "partner-law-1"), ("tax_planning", "partner-tax-1"),
               ("industry_consulting", "partner-assoc-1"), ("industry_consulting", "partner-tech-1"),
               ("hr_services", "partner-tech-1"))


def build_holdings(state: BuildState, ctx: GroupCtx, pairs, catalogue: Catalogue) -> int:
    """Holdings of the group's client enterprises (see the module's docstring)."""
    if not catalogue.products:
        return 0
    rng = random.Random(f"{state.seed}:holdings:{ctx.number}")
    sink = state.writer["holdings"]
    written = 0

    def hold(entity, code: str, *, share: float, currency: str = "CNY", partner: str | None = None,
             amount: float | None = None) -> None:
        nonlocal written
        product_id = catalogue.products.get(code)
        if product_id is None or not entity.is_client or (entity.id, product_id) in catalogue.held:
            return
        catalogue.held.add((entity.id, product_id))
        since = state.as_of - dt.timedelta(days=rng.randrange(90, 2500))
        until = None
        if rng.random() < 0.06:  # given up since
            until = min(state.as_of, since + dt.timedelta(days=rng.randrange(60, 900)))
        balance = in_currency(entity.revenue * share * rng.uniform(0.5, 1.5), currency)
        amount_text = f"{round(amount, -4):.2f}" if amount else None
        sink.add((entity.id, product_id, since, until, amount_text, f"{balance:.2f}", currency,
                  catalogue.partners.get(partner) if partner else None, HOLDING_SOURCE,
                  f"HLD-{state.seed % 10000:04d}-{entity.id}-{code}", state.now))
        written += 1

    core = ctx.core
    for code, chance in CORE_PRODUCTS:
        if rng.random() < chance:
            currency = "USD" if code in ("cross_border_settlement", "fx_hedging") else "CNY"
            amount = core.revenue * rng.uniform(0.02, 0.08) if code in ("cash_pool", "ma_loan") else None
            hold(core, code, share={"settlement": 0.004, "payroll": 0.001}.get(code, 0.003), currency=currency,
                 amount=amount)
    if rng.random() < 0.3:
        code, partner = rng.choice(VALUE_ADDED)
        hold(core, code, share=0.0, partner=partner)
    for member in ctx.members[1:]:
        if rng.random() < 0.7:
            hold(member, "settlement", share=0.004)
        if rng.random() < 0.25:
            hold(member, "working_capital_loan", share=0.05, amount=member.revenue * 0.08)
        if rng.random() < 0.2:
            hold(member, "payroll", share=0.001)
    members = {m.id for m in ctx.members}
    for pair in pairs:
        supplier_outside = pair.supplier.id not in members
        buyer_outside = pair.buyer.id not in members
        if supplier_outside and not buyer_outside:  # a supplier of the group
            if rng.random() < 0.2:
                hold(pair.supplier, "receivables_financing", share=0.03, amount=pair.supplier.revenue * 0.05)
            if rng.random() < 0.4:
                hold(pair.supplier, "settlement", share=0.004)
        elif buyer_outside and not supplier_outside:  # a distributor of the group
            if rng.random() < 0.25:
                hold(pair.buyer, "dealer_financing", share=0.03, amount=pair.buyer.revenue * 0.05)
            if rng.random() < 0.4:
                hold(pair.buyer, "settlement", share=0.004)
    return written
