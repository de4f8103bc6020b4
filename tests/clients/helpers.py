"""Builders for large client data sets, fast: bulk writes, then one membership refresh."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    Interaction,
)
from clients.services import group_membership_refresh
from tests.factories import uscc_for

_codes = itertools.count(50_000_000)


def bulk_enterprises(n, *, branch, prefix="批量企业"):
    return Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"{prefix}{i:04d}有限公司", uscc=uscc_for(next(_codes)), branch=branch,
                       industry="C36", region="52", is_client=i % 2 == 0)
            for i in range(n)
        ]
    )


def big_group(*, name, branch, lead_rm, members, tier="key", industry="C36", region="52"):
    """A group whose core holds 60 % of `members` subsidiaries, each with a statement, an account
    with balances and an interaction, so that every section of the 360 page has rows."""
    (core,) = bulk_enterprises(1, branch=branch, prefix=f"{name}核心")
    Enterprise.objects.filter(pk=core.pk).update(industry=industry, region=region)
    group = GroupClient.objects.create(
        name=name, core_enterprise=core, lead_rm=lead_rm, branch=branch, tier=tier,
        unified_credit_limit=Decimal("900000000.00"),
    )
    subs = bulk_enterprises(members, branch=branch, prefix=f"{name}子")
    ControlLink.objects.bulk_create(
        [ControlLink(parent_enterprise=core, child=e, share_pct=Decimal("60")) for e in subs]
    )
    everyone = [core, *subs]
    FinancialStatement.objects.bulk_create(
        [
            FinancialStatement(enterprise=e, period_end=date(year, 12, 31), period_type="annual",
                               revenue=Decimal("1000000"), net_profit=Decimal("50000"),
                               total_assets=Decimal("2000000"), total_liabilities=Decimal("1200000"))
            for e in everyone
            for year in (2023, 2024)
        ]
    )
    accounts = BankAccount.objects.bulk_create(
        [BankAccount(enterprise=e, account_no=f"AC{e.pk:012d}{kind}", kind=kind)
         for e in everyone for kind in ("demand", "loan")]
    )
    today = date(2026, 11, 1)
    AccountBalance.objects.bulk_create(
        [AccountBalance(account=a, date=today - timedelta(days=d), balance=Decimal("1000.00"))
         for a in accounts for d in (0, 1)]
    )
    Interaction.objects.bulk_create(
        [Interaction(enterprise=e, staff=lead_rm, kind="visit", occurred_at=timezone.now(), subject="走访")
         for e in everyone]
    )
    group_membership_refresh(groups=[group])
    group.refresh_from_db()
    return group
