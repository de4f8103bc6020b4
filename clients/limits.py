"""Limit use: a group's loans against its unified credit limit, and when that calls for attention.

The one rule for the group 360 page, the group list, the landing pages and the API:

- loans: the credit accounts (loans, bills) of all members of the group, each at its latest balance;
- limit use: loans / unified credit limit, in percent, one decimal (half up); none without a limit;
- attention: at `WARNING_PCT` (90 %) a group is near its limit, at 100 % over it.

In Python for one group (`used_pct`, `level`), in SQL for lists (`with_limit_use`, `near_or_over`),
rounded the same way so that a group is flagged alike on every page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Round

WARNING_PCT = Decimal("90")
FULL_PCT = Decimal("100")
PLACES = Decimal("0.1")

NEAR = "near"
OVER = "over"

_AMOUNT = DecimalField(max_digits=20, decimal_places=2)
_PCT = DecimalField(max_digits=30, decimal_places=1)


def used_pct(loans, limit) -> Decimal | None:
    """Loans as a percentage of the limit, one decimal (None without a limit)."""
    if not limit:
        return None
    return (Decimal(loans or 0) / Decimal(limit) * 100).quantize(PLACES, rounding=ROUND_HALF_UP)


def level(pct, *, loans=None) -> str:
    """`over` at 100 % and above (and for loans without a limit), `near` from 90 %, "" otherwise."""
    if pct is None:
        return OVER if loans else ""
    if pct >= FULL_PCT:
        return OVER
    if pct >= WARNING_PCT:
        return NEAR
    return ""


def css_class(pct, *, loans=None) -> str:
    """The class a cell showing the limit use carries (`limit-near`, `limit-over`, or none)."""
    found = level(pct, loans=loans)
    return f"limit-{found}" if found else ""


# --- SQL --------------------------------------------------------------------------------------------------


def latest_member_balances(group):
    """Balances of the group's member accounts, each account's latest one only (`group`: a group or an
    OuterRef to one)."""
    from clients.models import AccountBalance

    latest_date = AccountBalance.objects.filter(account=OuterRef("account")).order_by("-date").values("date")[:1]
    return AccountBalance.objects.filter(account__enterprise__memberships__group=group).filter(
        date=Subquery(latest_date)
    )


def loans_subquery():
    """The loans of the group of the outer row (a correlated sum; 0 when it has none)."""
    from clients.models import CREDIT_KINDS

    loans = (
        latest_member_balances(OuterRef("pk"))
        .filter(account__kind__in=CREDIT_KINDS)
        .order_by()
        .values("account__enterprise__memberships__group")
        .annotate(total=Sum("balance"))
        .values("total")
    )
    return Coalesce(Subquery(loans, output_field=_AMOUNT), Value(Decimal("0"), output_field=_AMOUNT))


def with_limit_use(queryset):
    """Groups annotated with `loans` and `limit_use_pct` (None without a limit): one query for any
    number of groups (correlated subqueries, evaluated for the rows the query returns)."""
    if "limit_use_pct" in queryset.query.annotations:
        return queryset
    pct = ExpressionWrapper(F("loans") * Value(Decimal("100")) / F("unified_credit_limit"), output_field=_PCT)
    return queryset.annotate(loans=loans_subquery()).annotate(
        limit_use_pct=Case(
            When(unified_credit_limit__gt=0, then=Round(pct, 1, output_field=_PCT)),
            default=Value(None, output_field=_PCT),
            output_field=_PCT,
        )
    )


def near_or_over() -> Q:
    """Groups (annotated by `with_limit_use`) at or past the warning level, or with loans and no limit."""
    return Q(limit_use_pct__gte=WARNING_PCT) | Q(unified_credit_limit=0, loans__gt=0)
