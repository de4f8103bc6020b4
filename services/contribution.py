"""Comprehensive contribution (综合贡献度): what each enterprise earns the bank per month, in CNY, and
the roll-up to a group (issue 9, section 6).

The method (stated on every page that shows the figures, see `method()`), with the rates of
`ContributionSettings.current()` (head office edits them on /services/settings/contribution/):

- average daily balances: every recorded end-of-day balance of an account (clients.AccountBalance)
  holds from its date until the account's next recorded balance (or its closing date, or today),
  converted to CNY at the rate of its own date (core.fx; a balance in a currency without a rate by
  then is left out). The month's average is the day-weighted mean over the month's days so far;
- deposit income = average daily deposits (demand and time accounts) x deposit spread / 12;
- loan income = average daily loans (loan and bill accounts) x loan spread / 12;
- fee income = for every holding of a fee-earning product (every family but lending and supply-chain
  finance, whose income is the loans' already) held during the month: its balance (or, without one,
  its contracted amount) in CNY at the month's last rate x the product's annual margin / 12;
- a month not yet over counts its share of the month (days so far / days in the month).

`refresh(enterprise_ids)` recomputes the rows of the last `months` months of those enterprises (all
when None) in chunks, one statement per chunk (upsert of what changed, delete of what is no longer
backed by data): same input, same rows. PostgreSQL only (the
SQL uses window functions and data-modifying CTEs); elsewhere it writes nothing and returns 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import AccountBalance, BankAccount, Enterprise, GroupMembership
from core import money
from core.fx import cny_sql
from services.models import FINANCING_FAMILIES, ContributionMonth, ContributionSettings, Holding, Product

CHUNK = 2000
ZERO = Decimal("0")


def first_month(today: dt.date, months: int) -> dt.date:
    """The first day of the month `months - 1` months before today's."""
    index = today.year * 12 + (today.month - 1) - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def id_chunks(enterprise_ids, size: int):
    """The given enterprise ids in sorted chunks of `size`; all enterprises when None, read a chunk at
    a time (keyset pagination), so memory stays flat however many there are."""
    if enterprise_ids is not None:
        ids = sorted({int(i) for i in enterprise_ids})
        for i in range(0, len(ids), size):
            yield ids[i:i + size]
        return
    last = 0
    while True:
        chunk = list(Enterprise.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def month_starts(start: dt.date, today: dt.date) -> list[dt.date]:
    """The first days of the months from `start`'s to today's."""
    months, index = [], start.year * 12 + start.month - 1
    while (index // 12, index % 12 + 1) <= (today.year, today.month):
        months.append(dt.date(index // 12, index % 12 + 1, 1))
        index += 1
    return months


def _sql() -> str:
    acc = BankAccount._meta.db_table
    bal = AccountBalance._meta.db_table
    hold = Holding._meta.db_table
    prod = Product._meta.db_table
    out = ContributionMonth._meta.db_table
    fee_families = ", ".join(f"'{f}'" for f in FINANCING_FAMILIES)
    month_end_rate_day = "LEAST((m.month + interval '1 month')::date - 1, %(today)s::date)"
    return f"""
    WITH months AS (
        SELECT g::date AS month,
               (g + interval '1 month')::date AS next_month,
               ((g + interval '1 month')::date - g::date) AS month_days,
               (LEAST((g + interval '1 month')::date, %(today)s::date + 1) - g::date) AS days_so_far
        -- The months as an array, not generate_series: the planner then knows there are `months` of
        -- them (it assumes 1,000 rows of a set-returning function and sizes every join and hash by it).
        FROM unnest(%(months)s::date[]) AS g
    ),
    spans AS (
        SELECT a.enterprise_id,
               (a.kind IN ('demand', 'time')) AS is_deposit,
               (a.kind IN ('loan', 'bill')) AS is_loan,
               b.date AS d_from,
               LEAST(COALESCE(LEAD(b.date) OVER (PARTITION BY b.account_id ORDER BY b.date), %(today)s::date + 1),
                     COALESCE(a.closed_on + 1, %(today)s::date + 1),
                     %(today)s::date + 1) AS d_to,
               {cny_sql('b.balance', 'a.currency', 'b.date')} AS cny
        FROM {bal} b JOIN {acc} a ON a.id = b.account_id
        WHERE a.enterprise_id = ANY(%(ids)s) AND b.date <= %(today)s::date
    ),
    balances AS (
        SELECT s.enterprise_id, m.month, m.month_days, m.days_so_far,
               SUM(CASE WHEN s.is_deposit THEN s.cny * (LEAST(s.d_to, m.next_month) - GREATEST(s.d_from, m.month))
                   ELSE 0 END) AS deposit_days,
               SUM(CASE WHEN s.is_loan THEN s.cny * (LEAST(s.d_to, m.next_month) - GREATEST(s.d_from, m.month))
                   ELSE 0 END) AS loan_days
        FROM spans s JOIN months m ON s.d_from < m.next_month AND s.d_to > m.month
        WHERE s.cny IS NOT NULL
        GROUP BY s.enterprise_id, m.month, m.month_days, m.days_so_far
    ),
    fees AS (
        SELECT h.enterprise_id, m.month,
               SUM({cny_sql('COALESCE(NULLIF(h.balance, 0), h.amount, 0)', 'h.currency', month_end_rate_day)}
                   * p.annual_margin_pct / 100 / 12
                   * (LEAST(COALESCE(h.until + 1, %(today)s::date + 1), m.next_month, %(today)s::date + 1)
                      - GREATEST(h.since, m.month))::numeric / m.month_days) AS fee
        FROM {hold} h JOIN {prod} p ON p.id = h.product_id
        JOIN months m ON h.since < m.next_month AND (h.until IS NULL OR h.until >= m.month)
        WHERE h.enterprise_id = ANY(%(ids)s) AND p.family NOT IN ({fee_families})
          AND h.since <= %(today)s::date
        GROUP BY h.enterprise_id, m.month
    ),
    keys AS (
        SELECT enterprise_id, month FROM balances UNION SELECT enterprise_id, month FROM fees
    ),
    figures AS (
        SELECT k.enterprise_id, k.month,
               ROUND(COALESCE(b.deposit_days / b.days_so_far, 0), 2) AS avg_deposits,
               ROUND(COALESCE(b.loan_days / b.days_so_far, 0), 2) AS avg_loans,
               ROUND(COALESCE(b.deposit_days / b.month_days, 0) * %(deposit_spread)s / 100 / 12, 2) AS deposit_income,
               ROUND(COALESCE(b.loan_days / b.month_days, 0) * %(loan_spread)s / 100 / 12, 2) AS loan_income,
               ROUND(COALESCE(f.fee, 0), 2) AS fee_income
        FROM keys k
        LEFT JOIN balances b ON b.enterprise_id = k.enterprise_id AND b.month = k.month
        LEFT JOIN fees f ON f.enterprise_id = k.enterprise_id AND f.month = k.month
    ),
    kept AS (
        SELECT * FROM figures
        WHERE deposit_income <> 0 OR loan_income <> 0 OR fee_income <> 0 OR avg_deposits <> 0 OR avg_loans <> 0
    ),
    -- Only what changed is written: a re-run over the same data writes nothing.
    written AS (
        INSERT INTO {out} AS o (enterprise_id, month, deposit_income, loan_income, fee_income, avg_deposits, avg_loans)
        SELECT enterprise_id, month, deposit_income, loan_income, fee_income, avg_deposits, avg_loans FROM kept
        ON CONFLICT (enterprise_id, month) DO UPDATE SET
            deposit_income = EXCLUDED.deposit_income, loan_income = EXCLUDED.loan_income,
            fee_income = EXCLUDED.fee_income, avg_deposits = EXCLUDED.avg_deposits, avg_loans = EXCLUDED.avg_loans
        WHERE (o.deposit_income, o.loan_income, o.fee_income, o.avg_deposits, o.avg_loans)
              IS DISTINCT FROM (EXCLUDED.deposit_income, EXCLUDED.loan_income, EXCLUDED.fee_income,
                                EXCLUDED.avg_deposits, EXCLUDED.avg_loans)
        RETURNING 1
    ),
    gone AS (
        DELETE FROM {out} o
        WHERE o.enterprise_id = ANY(%(ids)s) AND o.month >= %(start)s
          AND NOT EXISTS (SELECT 1 FROM kept k WHERE k.enterprise_id = o.enterprise_id AND k.month = o.month)
        RETURNING 1
    )
    SELECT (SELECT COUNT(*) FROM written), (SELECT COUNT(*) FROM gone)
    """


def refresh(enterprise_ids: list[int] | None = None, *, today: dt.date | None = None) -> int:
    """Recompute the monthly contribution of these enterprises (all when None) for the months the
    settings show; returns the number of rows written (new or changed: a re-run over the same data
    writes none). Rows of those months no longer backed by data are deleted. Each chunk is its own
    transaction."""
    if connection.vendor != "postgresql":
        return 0
    today = today or timezone.localdate()
    settings = ContributionSettings.current()
    start = first_month(today, settings.months)
    params = {"today": today, "start": start, "months": month_starts(start, today),
              "deposit_spread": settings.deposit_spread_pct, "loan_spread": settings.loan_spread_pct}
    sql = _sql()
    written = 0
    for chunk in id_chunks(enterprise_ids, CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "ids": chunk})
            changed, _gone = cursor.fetchone()
            written += changed
            from services.profile import update_value_tiers

            update_value_tiers(chunk, today=today, cursor=cursor)
    return written


# --- reading --------------------------------------------------------------------------------------------


@dataclass
class Contribution:
    """Monthly figures (oldest first) and their totals, for an enterprise or a group."""

    months: list[dict] = field(default_factory=list)
    deposit_income: Decimal = ZERO
    loan_income: Decimal = ZERO
    fee_income: Decimal = ZERO
    settings: ContributionSettings | None = None
    start: dt.date | None = None

    @property
    def total(self) -> Decimal:
        return self.deposit_income + self.loan_income + self.fee_income

    @property
    def this_month(self) -> dict | None:
        return self.months[-1] if self.months else None

    @property
    def peak(self) -> Decimal:
        return max((m["total"] for m in self.months), default=ZERO)

    def share(self, part: str) -> Decimal | None:
        total = self.total
        return (getattr(self, part) / total * 100) if total else None

    @property
    def deposit_share(self):
        return self.share("deposit_income")

    @property
    def loan_share(self):
        return self.share("loan_income")

    @property
    def fee_share(self):
        return self.share("fee_income")


def _read(rows, settings, start) -> Contribution:
    result = Contribution(settings=settings, start=start)
    for row in rows.values("month").annotate(
            deposit=Coalesce(Sum("deposit_income"), ZERO), loan=Coalesce(Sum("loan_income"), ZERO),
            fee=Coalesce(Sum("fee_income"), ZERO), avg_dep=Coalesce(Sum("avg_deposits"), ZERO),
            avg_loan=Coalesce(Sum("avg_loans"), ZERO)).order_by("month"):
        total = row["deposit"] + row["loan"] + row["fee"]
        result.months.append({"month": row["month"], "deposit_income": row["deposit"], "loan_income": row["loan"],
                              "fee_income": row["fee"], "avg_deposits": row["avg_dep"],
                              "avg_loans": row["avg_loan"], "total": total})
        result.deposit_income += row["deposit"]
        result.loan_income += row["loan"]
        result.fee_income += row["fee"]
    peak = result.peak
    for m in result.months:
        m["bar_pct"] = int(m["total"] / peak * 100) if peak > 0 and m["total"] > 0 else 0
    return result


def for_enterprise(enterprise, *, today: dt.date | None = None) -> Contribution:
    """The enterprise's months of the settings' window (2 queries: the settings, the rows)."""
    settings = ContributionSettings.current()
    start = first_month(today or timezone.localdate(), settings.months)
    pk = getattr(enterprise, "pk", enterprise)
    return _read(ContributionMonth.objects.filter(enterprise_id=pk, month__gte=start), settings, start)


def for_group(group, *, today: dt.date | None = None) -> Contribution:
    """The group's roll-up over its control-tree members (clients.GroupMembership), by month (2 queries)."""
    settings = ContributionSettings.current()
    start = first_month(today or timezone.localdate(), settings.months)
    members = GroupMembership.objects.filter(group_id=getattr(group, "pk", group)).values("enterprise_id")
    return _read(ContributionMonth.objects.filter(enterprise_id__in=members, month__gte=start), settings, start)


def method(settings: ContributionSettings | None = None) -> list[str]:
    """The method in words, with the rates in force: what the pages state beside the figures."""
    settings = settings or ContributionSettings.current()
    return [
        str(_("Deposit income = average daily deposit balance (demand and time accounts, CNY equivalent at each "
              "balance's date) × deposit spread %(spread)s a year ÷ 12.") % {"spread": money.percent(settings.deposit_spread_pct, 2)}),
        str(_("Loan income = average daily loan balance (loans and acceptance bills) × loan spread "
              "%(spread)s a year ÷ 12.") % {"spread": money.percent(settings.loan_spread_pct, 2)}),
        str(_("Fee income = balance (or contracted amount) of each fee-earning product held × the product's "
              "annual margin ÷ 12; financing products earn through the loan income instead.")),
        str(_("The current month counts the days so far; figures cover the last %(months)s months.")
            % {"months": settings.months}),
    ]


# --- head office's parameters ---------------------------------------------------------------------------

EDITABLE = ("deposit_spread_pct", "loan_spread_pct", "months")


@transaction.atomic
def settings_update(user, **values) -> ContributionSettings:
    """Head office sets the method's rates (the next refresh applies them); errors name the fields and
    the change keeps its history."""
    from core.history import save_with_history
    from core.permissions import ensure_head_office

    ensure_head_office(user, str(_("Only head office sets the contribution method.")))
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown parameters: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    row = ContributionSettings.objects.select_for_update().filter(pk=ContributionSettings.SINGLETON_PK).first()
    row = row or ContributionSettings(pk=ContributionSettings.SINGLETON_PK)
    for name, value in values.items():
        if value is not None:
            setattr(row, name, value)
    save_with_history(row, user=user)
    return row


def settings_history(limit: int = 10):
    from core.history import change_history

    row = ContributionSettings.objects.filter(pk=ContributionSettings.SINGLETON_PK).first()
    return change_history(instance=row, limit=limit) if row is not None else []
