"""Group key figures and limit use in CNY equivalent (core.fx): an account in dollars counts at the rate
of its balance's date; one without a rate by then counts nothing rather than dollars as yuan."""

from datetime import date
from decimal import Decimal

import pytest

from clients import limits
from clients.models import AccountBalance, BankAccount, GroupClient
from clients.selectors import group_key_figures
from core.models import FxRate

pytestmark = pytest.mark.django_db


def _account(enterprise, no, kind, currency, balance, day=date(2026, 10, 30)):
    account = BankAccount.objects.create(enterprise=enterprise, account_no=no, kind=kind, currency=currency)
    AccountBalance.objects.create(account=account, date=day, balance=Decimal(balance))
    return account


def test_key_figures_and_limit_use_convert_foreign_balances_at_the_balance_date(bank):
    g = bank.group_gy
    core = g.core_enterprise
    FxRate.objects.create(currency="USD", date=date(2026, 10, 29), rate=Decimal("7.2"))
    FxRate.objects.create(currency="USD", date=date(2026, 10, 31), rate=Decimal("9.9"))  # after the balance date
    _account(core, "CNY-D", "demand", "CNY", "1000000.00")
    _account(core, "USD-D", "demand", "USD", "100000.00")  # 720,000 yuan at the 29th's rate
    _account(core, "CNY-L", "loan", "CNY", "2000000.00")
    _account(core, "USD-L", "loan", "USD", "500000.00")  # 3,600,000 yuan
    _account(core, "EUR-L", "loan", "EUR", "1.00")  # no EUR rate: not counted
    figures = group_key_figures(group=g)
    assert figures.deposits == Decimal("1720000.00")
    assert figures.loans == Decimal("5600000.00")
    GroupClient.objects.filter(pk=g.pk).update(unified_credit_limit=Decimal("8000000"))
    row = limits.with_limit_use(GroupClient.objects.filter(pk=g.pk)).get()
    assert row.loans == Decimal("5600000.00")
    assert row.limit_use_pct == Decimal("70.0")
