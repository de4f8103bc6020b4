"""Asset-allocation advice (资产配置建议): figures on hand-computed balances, too little history, the
settings' validation and who may change them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clients.models import AccountBalance, BankAccount
from core.models import FxRate
from services import allocation
from services.models import AllocationSettings

T = dt.date(2026, 6, 30)


def deposit(enterprise, balances, *, currency="CNY", kind="demand"):
    acc = BankAccount.objects.create(enterprise=enterprise, account_no=f"A{BankAccount.objects.count() + 1}",
                                     kind=kind, currency=currency)
    for day, amount in balances:
        AccountBalance.objects.create(account=acc, date=day, balance=Decimal(amount))
    return acc


@pytest.fixture
def group(bank):
    """200 days of history: 10 m until T-100, then 7 m (a 3 m outflow once)."""
    g = bank.group_gy
    deposit(g.core_enterprise, [(T - dt.timedelta(days=199), "10000000"), (T - dt.timedelta(days=99), "7000000"),
                                (T, "7000000")])
    return g


def test_advice_on_hand_computed_balances(group):
    advice = allocation.advice_for_group(group)
    assert advice.ok, advice.message
    assert advice.as_of == T
    assert advice.balance == Decimal("7000000.00")
    assert advice.windows == 170  # days T-169 .. T have a day 30 days earlier on file
    # 30 of the 170 windows saw the 3 m drop: the 95th percentile is 3 m.
    assert advice.outflow_percentile == Decimal("3000000.00")
    assert advice.buffer == Decimal("300000.00")
    assert advice.liquid == Decimal("3300000.00")
    assert advice.rest == Decimal("3700000.00")
    assert [(b.key, b.amount) for b in advice.buckets] == [
        ("notice", Decimal("1110000.00")), ("time", Decimal("1110000.00")),
        ("structured", Decimal("925000.00")), ("wealth", Decimal("555000.00"))]
    assert advice.baseline_income == Decimal("7000.00")  # 7 m at 0.10 %
    # 3.3 m x 0.10 % + 1.11 m x 0.80 % + 1.11 m x 1.35 % + 0.925 m x 1.90 % + 0.555 m x 2.40 %
    assert advice.advised_income == Decimal("58060.00")
    assert advice.gain == Decimal("51060.00")
    assert any("3,000,000" in line or "3.00 m" in line for line in advice.reasoning), advice.reasoning


def test_a_lower_percentile_keeps_less_liquid(group):
    AllocationSettings.objects.create(pk=1, percentile=Decimal("80"))
    advice = allocation.advice_for_group(group)
    assert advice.outflow_percentile == 0 and advice.liquid == 0
    assert sum(b.amount for b in advice.buckets) == Decimal("7000000.00")


def test_members_balances_in_foreign_currency_convert_and_outsiders_do_not_count(bank, group):
    member = bank.group_gy.memberships.exclude(enterprise=bank.group_gy.core_enterprise).first().enterprise
    FxRate.objects.create(currency="USD", date=T - dt.timedelta(days=300), rate=Decimal("7.0"), source="t")
    deposit(member, [(T - dt.timedelta(days=10), "100000")], currency="USD")
    deposit(bank.group_zy.core_enterprise, [(T, "99000000")])
    deposit(member, [(T, "5000000")], kind="loan")  # loans are not balances to allocate
    advice = allocation.advice_for_group(group)
    assert advice.balance == Decimal("7700000.00")


def test_too_little_history_says_so(bank):
    deposit(bank.group_gy.core_enterprise, [(T - dt.timedelta(days=59), "1000000"), (T, "1000000")])
    advice = allocation.advice_for_group(bank.group_gy)
    assert not advice.ok and advice.windows == 30
    assert "Too little history" in str(advice.message) and "60 days" in str(advice.message)


def test_no_balances(bank):
    advice = allocation.advice_for_group(bank.group_gy)
    assert not advice.ok and "nothing to allocate" in str(advice.message)


def test_only_head_office_sets_the_parameters(bank):
    for user in (bank.rm_gy1, bank.head_gy, bank.risk_gy):
        with pytest.raises(PermissionDenied):
            allocation.settings_update(user, percentile=Decimal("90"))
    row = allocation.settings_update(bank.hq, percentile=Decimal("90"))
    assert AllocationSettings.current().percentile == Decimal("90") and row.history.count() == 1


@pytest.mark.parametrize("values, fields", [
    ({"notice_share_pct": Decimal("50")}, {"notice_share_pct", "time_share_pct", "structured_share_pct",
                                           "wealth_share_pct"}),
    ({"wealth_yield_pct": Decimal("-1")}, {"wealth_yield_pct"}),
    ({"demand_yield_pct": Decimal("101")}, {"demand_yield_pct"}),
    ({"percentile": Decimal("20")}, {"percentile"}),
    ({"lookback_days": 10}, {"lookback_days"}),
])
def test_settings_validation_names_the_fields(bank, values, fields):
    with pytest.raises(ValidationError) as caught:
        allocation.settings_update(bank.hq, **values)
    assert set(caught.value.message_dict) >= fields
    assert not AllocationSettings.objects.exists()
