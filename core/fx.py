"""Money in one currency (CNY equivalent): the one place that says how an amount in another
currency becomes yuan. An amount converts at the rate of its value date, or the latest earlier rate
of its currency (weekends and holidays have none); CNY converts at 1; an amount with no rate on or
before its date has no CNY equivalent (None / SQL NULL): sums leave it out and say how many they
left out (chains.FlowSummary.unconverted), never guess.

SQL users (the flow summary's triggers, rules, pages) embed `rate_sql` / `cny_sql`; Python users call
`to_cny`. Rates are core.FxRate rows, imported (imports kind "fx_rates"), pushed over the API or
seeded."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from core.models import FxRate

BASE = "CNY"
CENT = Decimal("0.01")
FX_TABLE = FxRate._meta.db_table


def rate_sql(currency: str, day: str) -> str:
    """An SQL expression: yuan per unit of the currency in column/expression `currency` on the date
    `day` (the latest rate on or before it), 1 for CNY, NULL when there is none.

    Qualify the columns with their table alias (`f.currency`, `f.value_date`): the expression holds a
    subquery on core_fxrate, which has a `currency` column of its own, and a bare `currency` would
    resolve to it (every rate of every currency would match)."""
    return (f"(CASE WHEN {currency} = '{BASE}' THEN 1 ELSE "
            f"(SELECT r.rate FROM {FX_TABLE} r WHERE r.currency = {currency} AND r.date <= {day} "
            f"ORDER BY r.date DESC LIMIT 1) END)")


def cny_sql(amount: str, currency: str, day: str) -> str:
    """An SQL expression: `amount` in CNY at the rate of `day`, rounded to the fen; NULL without a rate."""
    return f"ROUND({amount} * {rate_sql(currency, day)}, 2)"


def rate(currency: str, day: dt.date) -> Decimal | None:
    """Yuan per unit of `currency` on `day` (the latest rate on or before it); None if there is none."""
    if currency == BASE:
        return Decimal(1)
    return (FxRate.objects.filter(currency=currency, date__lte=day).order_by("-date")
            .values_list("rate", flat=True).first())


def to_cny(amount: Decimal, currency: str, day: dt.date) -> Decimal | None:
    """`amount` in CNY at the rate of `day`, to the fen; None when the currency has no rate by then."""
    r = rate(currency, day)
    if r is None:
        return None
    return (Decimal(amount) * r).quantize(CENT, rounding=ROUND_HALF_UP)


def cny_expression(amount: str, currency: str, day: str):
    """The ORM's `cny_sql`: the field path `amount` in CNY at the rate of the date path `day` for the
    currency path `currency` (paths on the queryset annotated, e.g. "balance", "account__currency",
    "date"); NULL when that currency has no rate on or before the date. Not rounded: sums round once."""
    from django.db.models import Case, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, When

    out = DecimalField(max_digits=38, decimal_places=10)
    rate = (FxRate.objects.filter(currency=OuterRef(currency), date__lte=OuterRef(day)).order_by("-date")
            .values("rate")[:1])
    return Case(
        When(**{currency: BASE}, then=ExpressionWrapper(F(amount), output_field=out)),
        default=ExpressionWrapper(F(amount) * Subquery(rate), output_field=out),
        output_field=out,
    )
