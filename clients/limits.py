"""Limit use: a group's loans against its unified credit limit, and when that calls for attention.

The one rule for the group 360 page, the group list, the landing pages and the API:

- loans: the credit accounts (loans, bills) of all members of the group, each at its latest balance,
  in CNY equivalent at that balance's date (core.fx);
- limit use: loans / unified credit limit, in percent, one decimal (half up); none without a limit;
- attention: at `WARNING_PCT` (90 %) a group is near its limit, at 100 % over it.

In Python for one group (`used_pct`, `level`), in SQL for lists (`with_limit_use`, `near_or_over`),
rounded the same way so that a group is flagged alike on every page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Func, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Round

from core.fx import cny_expression

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


def _member_credit_latest():
    """The credit accounts of the members of the outer row's group, grouped per group, each account at
    its latest balance (`latest`): the same figure as `latest_member_balances`, read account by account
    (one index probe per account instead of a latest-date lookup per balance row)."""
    from clients.models import CREDIT_KINDS, AccountBalance, BankAccount, GroupMembership

    # Each account's latest balance in CNY equivalent at that balance's date (core.fx).
    latest = (AccountBalance.objects.filter(account=OuterRef("pk")).order_by("-date")
              .annotate(cny=cny_expression("balance", "account__currency", "date")).values("cny")[:1])
    members = GroupMembership.objects.filter(group=OuterRef(OuterRef("pk"))).values("enterprise_id")
    return (
        BankAccount.objects.filter(enterprise_id__in=members, kind__in=CREDIT_KINDS)
        .annotate(latest=Subquery(latest, output_field=_AMOUNT))
        .order_by()
        .annotate(total=Func(F("latest"), function="SUM", output_field=_AMOUNT))
    )


def loans_subquery():
    """The loans of the outer row's group (0 when it has none)."""
    return Coalesce(Subquery(_member_credit_latest().values("total"), output_field=_AMOUNT),
                    Value(Decimal("0"), output_field=_AMOUNT))


def limit_use_subquery():
    """The limit use of the outer row's group in percent, rounded like `used_pct`; None without a limit.
    Its own subquery (not an expression over `loans`), so that sorting and filtering by it reads each
    group's accounts once."""
    pct = ExpressionWrapper(F("total") * Value(Decimal("100")) / OuterRef("unified_credit_limit"), output_field=_PCT)
    used = _member_credit_latest().annotate(pct=Round(pct, 1, output_field=_PCT)).values("pct")
    return Case(
        When(unified_credit_limit__gt=0,
             then=Coalesce(Subquery(used, output_field=_PCT), Value(Decimal("0.0"), output_field=_PCT))),
        default=Value(None, output_field=_PCT),
        output_field=_PCT,
    )


def with_limit_use(queryset):
    """Groups annotated with `loans` and `limit_use_pct` (None without a limit): one query for any
    number of groups (correlated subqueries: a page computes them for its own rows only)."""
    if "limit_use_pct" in queryset.query.annotations:
        return queryset
    return queryset.annotate(loans=loans_subquery(), limit_use_pct=limit_use_subquery())


def flagged(groups) -> list[tuple[int, Decimal | None, Decimal]]:
    """(id, limit use, loans) of the groups at or past the warning level, or with loans and no limit:
    the most used first (no limit at all: first of all). One query; each group's accounts are read once
    (the filter and the order work on the figures of a derived table, not on copies of the subqueries)."""
    from django.db import connection

    inner = groups.order_by().annotate(
        use=limit_use_subquery(),
        loans_without_limit=Case(When(unified_credit_limit=0, then=loans_subquery()), default=Value(None),
                                 output_field=_AMOUNT),
    ).values("pk", "use", "loans_without_limit")
    sql, params = inner.query.sql_with_params()
    # OFFSET 0: PostgreSQL computes the figures once rather than again for the WHERE clause.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    query = (
        f"SELECT t.pk, t.use, COALESCE(t.loans_without_limit, 0) FROM ({sql}{fence}) t "
        "WHERE t.use >= %s OR t.loans_without_limit > 0 ORDER BY t.use DESC NULLS FIRST, t.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, WARNING_PCT))
        return [(pk, None if use is None else Decimal(use), Decimal(loans)) for pk, use, loans in cursor.fetchall()]
