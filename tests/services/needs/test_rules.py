"""Each rule: data that fires it and near-miss data that does not (PostgreSQL, the flow summary kept
by its triggers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clients.models import Enterprise, GroupMembership
from services.engine import refresh
from services.models import Need
from tests.services.needs.conftest import AS_OF, account, flow, flows, hold, member_of_circle, month_day

MONTHS = [1, 2, 3, 4, 5, 6]


def needs(rule):
    return {n.enterprise_id: n for n in Need.objects.filter(rule=rule)}


# --- receivables financing ---------------------------------------------------------------------------------


def _receivables(bank, paid):
    core = bank.group_gy.core_enterprise
    supplier = member_of_circle(bank.group_gy, "supplier")
    rows = [flow(core, supplier, 1_000_000, month_day(2026, m), kind="invoice") for m in MONTHS]
    rows.append(flow(core, supplier, paid, month_day(2026, 5), kind="payment"))
    flows(rows)
    return supplier


def test_receivables_fires_with_unpaid_invoices_and_slow_payment(bank):
    supplier = _receivables(bank, 3_500_000)  # unpaid 2.5 m of 6 m invoiced: 2.5 / 6 x 166 days = 69 days
    refresh(as_of=AS_OF)
    need = needs("receivables_financing")[supplier.pk]
    assert need.group_id == bank.group_gy.pk and need.product.code == "receivables_financing"
    assert need.basis == Decimal("2500000.00")
    assert need.value == Decimal("45000.00")  # 2.5 m x 1.80 %
    assert need.figures["average_days"] == 69
    assert need.evidence == "对核心企业未付发票：250.00万元；近180天平均账期：69天"
    assert need.evidence_en == "unpaid invoices to the core: CNY 2.50 m; average 69 days from invoice to payment over 180 days"
    assert 50 <= need.score <= 100 and need.status == "new" and need.is_current


def test_receivables_near_miss_unpaid_under_one_million(bank):
    _receivables(bank, 5_100_000)  # unpaid 0.9 m
    refresh(as_of=AS_OF)
    assert not needs("receivables_financing")


def test_receivables_near_miss_paid_within_45_days(bank):
    _receivables(bank, 4_400_000)  # unpaid 1.6 m: 1.6 / 6 x 166 = 44 days
    refresh(as_of=AS_OF)
    assert not needs("receivables_financing")


def test_receivables_needs_the_pair_to_be_supplier_and_core(bank):
    core = bank.group_gy.core_enterprise
    stranger = Enterprise.objects.create(name="无关企业", uscc=_uscc(), is_client=True)
    flows([flow(core, stranger, 1_000_000, month_day(2026, m), kind="invoice") for m in MONTHS])
    refresh(as_of=AS_OF)
    assert not needs("receivables_financing")


def _uscc():
    from tests.factories import uscc_for

    return uscc_for(987654)


# --- dealer financing --------------------------------------------------------------------------------------


def _dealer(bank, before, now):
    core = bank.group_gy.core_enterprise
    dealer = member_of_circle(bank.group_gy, "distributor")
    flows([flow(dealer, core, before, month_day(2026, 2)), flow(dealer, core, now, month_day(2026, 5))])
    return dealer


def test_dealer_fires_when_purchases_grow_over_20_percent(bank):
    dealer = _dealer(bank, 1_000_000, 1_250_000)
    refresh(as_of=AS_OF)
    need = needs("dealer_financing")[dealer.pk]
    assert need.figures["growth_pct"] == "25.0" and need.basis == Decimal("1250000.00")
    assert "up 25.0%" in need.evidence_en and "增长25.0%" in need.evidence


def test_dealer_near_miss_growth_of_20_percent(bank):
    _dealer(bank, 1_000_000, 1_200_000)
    refresh(as_of=AS_OF)
    assert not needs("dealer_financing")


def test_dealer_near_miss_holds_a_financing_product(bank):
    dealer = _dealer(bank, 1_000_000, 1_500_000)
    hold(dealer, "working_capital_loan")
    refresh(as_of=AS_OF)
    assert not needs("dealer_financing")


def test_dealer_a_financing_product_ended_before_does_not_count(bank):
    dealer = _dealer(bank, 1_000_000, 1_500_000)
    hold(dealer, "working_capital_loan", since=dt.date(2025, 1, 1), until=dt.date(2026, 1, 31))
    refresh(as_of=AS_OF)
    assert dealer.pk in needs("dealer_financing")


# --- cash pool --------------------------------------------------------------------------------------------


def _group_members(group):
    return list(Enterprise.objects.filter(pk__in=GroupMembership.objects.filter(group=group)
                                          .values("enterprise_id")).order_by("pk"))


def _cash_pool(bank, months=(3, 4, 5)):
    members = _group_members(bank.group_gy)
    assert len(members) == 3  # the core and two subsidiaries
    for m in members:
        account(m, {dt.date(2026, 5, 31): 2_000_000})
    flows([flow(members[0], members[1], 300_000, month_day(2026, m)) for m in months])
    return members


def test_cash_pool_fires_for_three_members_with_deposits_and_regular_transfers(bank):
    _cash_pool(bank)
    refresh(as_of=AS_OF)
    need = needs("cash_pool")[bank.group_gy.core_enterprise_id]
    assert need.group_id == bank.group_gy.pk and need.basis == Decimal("6000000.00")
    assert need.figures["members_with_deposits"] == 3 and need.figures["transfer_months"] == 3


def test_cash_pool_near_miss_transfers_in_two_months(bank):
    _cash_pool(bank, months=(4, 5))
    refresh(as_of=AS_OF)
    assert not needs("cash_pool")


def test_cash_pool_near_miss_a_member_already_pools(bank):
    members = _cash_pool(bank)
    hold(members[2], "cash_pool")
    refresh(as_of=AS_OF)
    assert not needs("cash_pool")


def test_cash_pool_near_miss_two_members_with_deposits(bank):
    members = _group_members(bank.group_gy)
    for m in members[:2]:
        account(m, {dt.date(2026, 5, 31): 2_000_000})
    flows([flow(members[0], members[1], 300_000, month_day(2026, m)) for m in (3, 4, 5)])
    refresh(as_of=AS_OF)
    assert not needs("cash_pool")


# --- cross-border settlement and FX hedging -----------------------------------------------------------------


def _rates():
    from core.models import FxRate

    FxRate.objects.create(currency="USD", date=dt.date(2026, 1, 2), rate=Decimal("7.1"), source="test")


def test_foreign_currency_flows_raise_cross_border_and_fx_hedging(bank):
    _rates()
    core = bank.group_gy.core_enterprise
    buyer = member_of_circle(bank.group_gy, "customer")
    flows([flow(buyer, core, 800_000, month_day(2026, 5), currency="USD")])  # CNY 5.68 m
    refresh(as_of=AS_OF)
    assert core.pk in needs("cross_border_settlement") and core.pk in needs("fx_hedging")
    need = needs("fx_hedging")[core.pk]
    assert need.figures["foreign"] == "5680000.00" and need.figures["currencies"] == "USD"
    assert "(USD)" in need.evidence_en


def test_foreign_currency_near_miss_under_the_threshold_and_product_held(bank):
    _rates()
    core = bank.group_gy.core_enterprise
    buyer = member_of_circle(bank.group_gy, "customer")
    flows([flow(buyer, core, 700_000, month_day(2026, 5), currency="USD"),  # CNY 4.97 m
           flow(core, buyer, 9_000_000, month_day(2026, 5))])  # CNY flows do not count
    refresh(as_of=AS_OF)
    assert not needs("fx_hedging") and not needs("cross_border_settlement")
    flows([flow(buyer, core, 100_000, month_day(2026, 6, 1), currency="USD")])  # now CNY 5.68 m
    hold(core, "fx_hedging")
    refresh(as_of=AS_OF)
    assert core.pk in needs("cross_border_settlement") and core.pk not in needs("fx_hedging")
    assert buyer.pk in needs("fx_hedging")  # the payer side holds nothing


def test_foreign_currency_without_a_rate_counts_nothing(bank):
    core = bank.group_gy.core_enterprise
    buyer = member_of_circle(bank.group_gy, "customer")
    flows([flow(buyer, core, 8_000_000, month_day(2026, 5), currency="EUR")])
    refresh(as_of=AS_OF)
    assert not needs("cross_border_settlement")


# --- settlement migration ---------------------------------------------------------------------------------


def _settlement(bank, other, this):
    core = bank.group_gy.core_enterprise
    supplier = member_of_circle(bank.group_gy, "supplier")
    flows([flow(core, supplier, other, month_day(2026, 5), channel="other_bank"),
           flow(core, supplier, this, month_day(2026, 5), channel="this_bank")])


def test_settlement_fires_when_half_goes_through_other_banks(bank):
    _settlement(bank, 1_000_000, 1_000_000)
    refresh(as_of=AS_OF)
    need = needs("settlement")[bank.group_gy.core_enterprise_id]
    assert need.figures["other_bank_pct"] == "50.0" and need.group_id == bank.group_gy.pk


def test_settlement_near_miss_under_half(bank):
    _settlement(bank, 990_000, 1_010_000)
    refresh(as_of=AS_OF)
    assert not needs("settlement")


# --- working capital loan ---------------------------------------------------------------------------------


def _working_capital(bank, *, rating="A", recent=600_000, out_recent=2_000_000):
    e = bank.group_gy.core_enterprise
    Enterprise.objects.filter(pk=e.pk).update(internal_rating=rating)
    account(e, {dt.date(2026, 2, 28): 1_000_000, dt.date(2026, 3, 31): 1_000_000,
                dt.date(2026, 4, 30): recent, dt.date(2026, 5, 31): recent})
    other = member_of_circle(bank.group_gy, "supplier")
    flows([flow(e, other, 1_000_000, month_day(2026, 3)), flow(e, other, out_recent, month_day(2026, 5))])
    return e


def test_working_capital_fires_for_a_well_rated_entity_draining_deposits(bank):
    e = _working_capital(bank)
    refresh(as_of=AS_OF)
    need = needs("working_capital_loan")[e.pk]
    assert need.figures["drop_pct"] == "40.0" and need.basis == Decimal("400000.00")


def test_working_capital_near_miss_rating_below_a(bank):
    _working_capital(bank, rating="BBB")
    refresh(as_of=AS_OF)
    assert not needs("working_capital_loan")


def test_working_capital_near_miss_fall_under_30_percent(bank):
    _working_capital(bank, recent=710_000)
    refresh(as_of=AS_OF)
    assert not needs("working_capital_loan")


def test_working_capital_near_miss_outflows_did_not_rise(bank):
    _working_capital(bank, out_recent=1_000_000)
    refresh(as_of=AS_OF)
    assert not needs("working_capital_loan")


# --- idle balances: wealth management and structured deposits ------------------------------------------------


def test_idle_balances_fire_one_need_per_idle_balance(bank):
    """Above the structured-deposit threshold (10 m) the structured deposit is the need; between the
    wealth threshold (5 m) and it, the wealth product; never both for the same money (the workbench
    would count it twice)."""
    large, medium = bank.group_gy.core_enterprise, bank.group_zy.core_enterprise
    account(large, {dt.date(2026, 2, 28): 12_000_000, dt.date(2026, 4, 30): 11_000_000,
                    dt.date(2026, 5, 31): 15_000_000})
    account(medium, {dt.date(2026, 2, 28): 8_000_000, dt.date(2026, 4, 30): 7_000_000,
                     dt.date(2026, 5, 31): 9_000_000})
    refresh(as_of=AS_OF)
    assert needs("deposit_structured")[large.pk].basis == Decimal("11000000.00")
    assert large.pk not in needs("wealth_management")
    assert needs("wealth_management")[medium.pk].basis == Decimal("7000000.00")
    assert medium.pk not in needs("deposit_structured")


def test_idle_balances_wealth_where_a_structured_deposit_is_held_or_its_rule_is_off(bank):
    from services.needs import rule_settings_update

    e = bank.group_gy.core_enterprise
    account(e, {dt.date(2026, 2, 28): 12_000_000, dt.date(2026, 5, 31): 12_000_000})
    rule_settings_update(bank.hq, "deposit_structured", enabled=False)
    refresh(as_of=AS_OF)
    assert needs("wealth_management")[e.pk].basis == Decimal("12000000.00")


def test_idle_balances_near_miss_one_dip_below_the_threshold(bank):
    e = bank.group_gy.core_enterprise
    account(e, {dt.date(2026, 2, 28): 12_000_000, dt.date(2026, 4, 30): 4_900_000, dt.date(2026, 5, 31): 15_000_000})
    refresh(as_of=AS_OF)
    assert not needs("wealth_management") and not needs("deposit_structured")


def test_idle_balances_need_a_balance_before_the_period(bank):
    e = bank.group_gy.core_enterprise
    account(e, {dt.date(2026, 4, 30): 20_000_000, dt.date(2026, 5, 31): 20_000_000})
    refresh(as_of=AS_OF)
    assert not needs("wealth_management")


def test_idle_balances_near_miss_product_held(bank):
    e = bank.group_gy.core_enterprise
    account(e, {dt.date(2026, 2, 28): 12_000_000, dt.date(2026, 5, 31): 12_000_000})
    hold(e, "wealth_management")
    refresh(as_of=AS_OF)
    assert not needs("wealth_management") and e.pk in needs("deposit_structured")
