"""Builders for the list and landing tests: groups with a name, a limit and loans at a chosen use."""

from datetime import date
from decimal import Decimal

from clients.models import AccountBalance, BankAccount, GroupClient
from clients.services import group_membership_refresh
from tests.factories import EnterpriseFactory


def group_with(*, name, branch, lead_rm, limit="100000000", loans=None, tier="general", team=()):
    """A group (its core only) with `limit` and, when given, loans of `loans` on the core's loan account
    (an older, larger balance too: only the latest counts)."""
    core = EnterpriseFactory(name=f"{name}核心", branch=branch, rm=lead_rm, is_client=True)
    group = GroupClient.objects.create(name=name, core_enterprise=core, lead_rm=lead_rm, branch=branch, tier=tier,
                                       unified_credit_limit=Decimal(limit))
    group.team.set(team)
    group_membership_refresh(groups=[group])
    if loans is not None:
        account = BankAccount.objects.create(enterprise=core, account_no=f"LN-{core.pk}", kind="loan")
        AccountBalance.objects.create(account=account, date=date(2026, 9, 30), balance=Decimal(loans) * 3)
        AccountBalance.objects.create(account=account, date=date(2026, 10, 31), balance=Decimal(loans))
    return group
