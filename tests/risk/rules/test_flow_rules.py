"""inflow_drop, large_outflow, intra_group_spike: data that fires each and near-miss data that does not
(PostgreSQL, the flow summary kept by its triggers, exact-day windows)."""

from __future__ import annotations

import datetime as dt

from circles.models import CircleMember
from tests.risk.rules.bravo_data import AS_OF, account, alerts, days_ago, flow, flows, members, run, stranger

# --- inflow_drop ------------------------------------------------------------------------------------------------

# The trailing window: AS_OF - 119 .. AS_OF - 30 (2026-02-16 .. 2026-05-16); the recent one 2026-05-17 .. AS_OF.
TRAILING_DAYS = (dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1))


def _inflows(bank, monthly, recent, *, recent_day=dt.date(2026, 6, 1), index=0):
    payee = members(bank.group_gy)[index]
    payer = stranger()
    rows = [flow(payer, bank.group_gy.memberships.get(enterprise_id=payee).enterprise, monthly, d) for d in TRAILING_DAYS]
    if recent:
        rows.append(flow(payer, rows[0].payee, recent, recent_day))
    flows(rows)
    return payee


def test_inflow_drop_fires_at_half_the_monthly_average(bank):
    payee = _inflows(bank, 3_000_000, 1_500_000)  # average 3 m a month, 1.5 m in the last 30 days: -50 %
    run()
    alert = alerts("inflow_drop")[payee]
    assert alert.group_id == bank.group_gy.pk and alert.severity == 2 and alert.subject_key == f"e:{payee}"
    assert alert.figures["drop_pct"] == "50.0" and alert.figures["monthly_average"] == "3000000.00"
    assert alert.evidence == "近30天资金流入：150.00万元，较此前90天月均流入（300.00万元）下降50.0%"
    assert alert.evidence_en == ("inflows in the last 30 days: CNY 1.50 m, down 50.0% on the monthly average of "
                                 "the 90 days before (CNY 3.00 m)")


def test_inflow_drop_of_80_percent_or_more_is_high(bank):
    payee = _inflows(bank, 3_000_000, 600_000)  # -80 %
    run()
    assert alerts("inflow_drop")[payee].severity == 3


def test_inflow_drop_near_miss_down_less_than_40_percent(bank):
    _inflows(bank, 3_000_000, 1_900_000)  # -36.7 %
    run()
    assert not alerts("inflow_drop")


def test_inflow_drop_ignores_small_histories(bank):
    _inflows(bank, 900_000, 0)  # average 0.9 m < 1 m
    run()
    assert not alerts("inflow_drop")


def test_inflow_drop_window_is_exact_to_the_day(bank):
    # 2.0 m on the recent window's first day (2026-05-17) counts as recent: -33 %, no alert; a day earlier it
    # would fall in the trailing window.
    _inflows(bank, 3_000_000, 2_000_000, recent_day=dt.date(2026, 5, 17))
    run()
    assert not alerts("inflow_drop")
    other = _inflows(bank, 3_000_000, 2_000_000, recent_day=dt.date(2026, 5, 16), index=1)  # another member
    run()
    assert list(alerts("inflow_drop")) == [other]


# --- large_outflow -----------------------------------------------------------------------------------------------


def _payer(bank, balance=10_000_000):
    payer = bank.group_gy.memberships.exclude(enterprise_id=bank.group_gy.core_enterprise_id).first().enterprise
    account(payer, {days_ago(20): balance * 2, days_ago(5): balance})
    return payer


def test_large_outflow_fires_above_30_percent_of_the_balance(bank):
    payer = _payer(bank)
    outside = stranger(name="圈外贸易公司")
    flows([flow(payer, outside, 4_000_000, days_ago(3)), flow(payer, outside, 3_500_000, days_ago(10))])
    run()
    alert = alerts("large_outflow")[payer.pk]
    assert alert.severity == 2 and alert.group_id == bank.group_gy.pk
    assert alert.figures["largest"] == "4000000.00" and alert.figures["balance"] == "10000000.00"
    assert alert.figures["count"] == 2 and alert.figures["total"] == "7500000.00"
    assert alert.evidence.startswith(f"近30天向圈外企业圈外贸易公司（{outside.uscc}）单笔付款400.00万元")
    assert "占最新存款余额1,000.00万元的40.0%" in alert.evidence
    assert "CNY 4.00 m" in alert.evidence_en and "40.0% of the latest deposit balance of CNY 10.00 m" in alert.evidence_en


def test_large_outflow_above_the_whole_balance_is_high(bank):
    payer = _payer(bank)
    flows([flow(payer, stranger(), 12_000_000, days_ago(1))])
    run()
    assert alerts("large_outflow")[payer.pk].severity == 3


def test_large_outflow_near_misses(bank):
    payer = _payer(bank)
    fellow = bank.group_gy.core_enterprise
    supplier = stranger()
    CircleMember.objects.create(group=bank.group_gy, enterprise=supplier, role="supplier")
    flows([
        flow(payer, stranger(), 2_900_000, days_ago(2)),  # 29 % of the balance
        flow(payer, stranger(), 9_000_000, days_ago(31)),  # before the 30 days
        flow(payer, fellow, 9_000_000, days_ago(2)),  # the group's core
        flow(payer, supplier, 9_000_000, days_ago(2)),  # in the group's circle
        flow(payer, stranger(), 9_000_000, days_ago(2), kind="invoice"),  # not a payment
    ])
    run()
    assert not alerts("large_outflow")


def test_large_outflow_needs_a_balance(bank):
    payer = bank.group_zy.core_enterprise  # no account
    flows([flow(payer, stranger(), 9_000_000, days_ago(2))])
    run()
    assert not alerts("large_outflow")


# --- intra_group_spike -------------------------------------------------------------------------------------------

HISTORY = [dt.date(2025, 12, 10), dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10),
           dt.date(2026, 4, 10), dt.date(2026, 5, 10)]


def _intra(bank, monthly, recent):
    from clients.models import Enterprise

    a, b = (Enterprise.objects.get(pk=pk) for pk in members(bank.group_gy)[:2])
    rows = [flow(a, b, monthly, d) for d in HISTORY]
    rows.append(flow(a, b, recent, days_ago(10)))
    rows.append(flow(a, stranger(), recent * 5, days_ago(10)))  # outside the group: not counted
    flows(rows)
    return a


def test_intra_group_spike_fires_at_three_times_the_history(bank):
    payer = _intra(bank, 1_000_000, 6_000_000)  # 6x the monthly average of 1 m
    run()
    alert = alerts("intra_group_spike")[payer.pk]
    assert alert.severity == 3 and alert.group_id == bank.group_gy.pk  # twice the factor: high
    assert alert.figures["times"] == "6.0" and alert.figures["payees"] == 1
    assert alert.evidence == "近30天向集团内1家成员企业转账600.00万元，为此前6个月月均（100.00万元）的6.0倍"
    assert alert.evidence_en == ("transfers to 1 fellow member(s) of the group in the last 30 days: CNY 6.00 m, "
                                 "6.0 times the monthly average of the 6 months before (CNY 1.00 m)")


def test_intra_group_spike_near_miss_under_three_times(bank):
    _intra(bank, 2_000_000, 5_500_000)  # 2.75x
    run()
    assert not alerts("intra_group_spike")


def test_intra_group_spike_near_miss_under_the_minimum_amount(bank):
    _intra(bank, 100_000, 4_900_000)  # 49x but below 5 m
    run()
    assert not alerts("intra_group_spike")


def test_intra_group_spike_without_history(bank):
    from clients.models import Enterprise

    a, b = (Enterprise.objects.get(pk=pk) for pk in members(bank.group_gy)[:2])
    flows([flow(a, b, 5_000_000, AS_OF)])
    run()
    alert = alerts("intra_group_spike")[a.pk]
    assert alert.severity == 3 and "此前6个月无集团内转账" in alert.evidence
