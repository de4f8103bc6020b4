"""financial_deterioration and guarantee_overreach: data that fires each and near-miss data that does
not (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.models import FxRate
from tests.risk.rules.bravo_data import alerts, guarantee, run, statement, stranger

# --- financial_deterioration ------------------------------------------------------------------------------------


def test_deterioration_all_four_conditions_is_critical(bank):
    e = bank.group_gy.core_enterprise
    statement(e, 2024, revenue=100_000_000, profit=10_000_000, assets=200_000_000, liabilities=140_000_000,
              current_assets=80_000_000, current_liabilities=60_000_000)
    statement(e, 2025, revenue=60_000_000, profit=-5_000_000, assets=200_000_000, liabilities=170_000_000,
              current_assets=40_000_000, current_liabilities=50_000_000)
    run()
    alert = alerts("financial_deterioration")[e.pk]
    assert alert.severity == 4 and alert.group_id == bank.group_gy.pk
    assert alert.figures["conditions"] == 4 and alert.figures["debt_ratio_pct"] == "85.0"
    assert alert.figures["current_ratio"] == "0.80" and alert.figures["revenue_drop_pct"] == "40.0"
    assert alert.evidence == (
        "2025-12-31年报财务指标恶化（4项）：资产负债率85.0%（上年70.0%，上升15.0个百分点）；流动比率0.80（低于1）；"
        "净利润由盈转亏：-500.00万元（上年1,000.00万元）；营业收入6,000.00万元，较上年（1.00亿元）下降40.0%")
    assert alert.evidence_en.startswith("annual statement to 2025-12-31 deteriorating (4 condition(s)): "
                                        "debt-to-assets 85.0% (previous year 70.0%, up 15.0 points)")


def test_deterioration_a_rise_of_ten_points_alone_is_low(bank):
    e = bank.group_gy.core_enterprise
    statement(e, 2024, assets=100, liabilities=64)
    statement(e, 2025, assets=100, liabilities=75)
    run()
    alert = alerts("financial_deterioration")[e.pk]
    assert alert.severity == 1 and alert.figures["conditions"] == 1


def test_deterioration_level_without_a_previous_year(bank):
    e = bank.group_gy.core_enterprise
    statement(e, 2025, assets=100, liabilities=80)  # exactly 80 %: at the level
    run()
    assert alerts("financial_deterioration")[e.pk].evidence == "2025-12-31年报财务指标恶化（1项）：资产负债率80.0%"


def test_deterioration_near_misses(bank):
    e = bank.group_gy.core_enterprise
    statement(e, 2024, revenue=100, profit=0, assets=100, liabilities=70, current_assets=50, current_liabilities=50)
    statement(e, 2025, revenue=71, profit=1, assets=100, liabilities=79, current_assets=50, current_liabilities=50)
    # A half-year statement and a statement after the run's date are not the latest annual one.
    statement(e, 2026, assets=100, liabilities=99, period_type="half", end=dt.date(2026, 6, 30))
    statement(e, 2026, assets=100, liabilities=99, end=dt.date(2026, 12, 31))
    run()
    assert not alerts("financial_deterioration")


def test_deterioration_clears_when_a_better_year_arrives(bank):
    e = bank.group_gy.core_enterprise
    statement(e, 2024, assets=100, liabilities=90)
    run()
    assert alerts("financial_deterioration")
    statement(e, 2025, assets=100, liabilities=60)
    run()
    assert not alerts("financial_deterioration")


# --- guarantee_overreach ---------------------------------------------------------------------------------------


def test_overreach_fires_above_net_assets_in_cny(bank):
    guarantor = bank.group_gy.core_enterprise
    statement(guarantor, 2025, assets=300_000_000, liabilities=200_000_000)
    FxRate.objects.create(currency="USD", date=dt.date(2026, 6, 1), rate=Decimal("7.1"))
    guarantee(guarantor, stranger(), 80_000_000)
    guarantee(guarantor, stranger(), 5_000_000, currency="USD")  # 35.5 m
    run()
    alert = alerts("guarantee_overreach")[guarantor.pk]
    assert alert.severity == 2 and alert.group_id == bank.group_gy.pk
    assert alert.figures["guarantees"] == "115500000.00" and alert.figures["net_assets"] == "100000000.00"
    assert alert.evidence == "对外担保2笔，在保余额合计1.16亿元，为净资产1.00亿元的115.5%（2025-12-31报表）"
    assert alert.evidence_en == ("2 guarantee(s) given in force: CNY 115.50 m, 115.5% of the net assets of "
                                 "CNY 100.00 m (statement to 2025-12-31)")


def test_overreach_negative_net_assets_is_high(bank):
    guarantor = bank.group_gy.core_enterprise
    statement(guarantor, 2025, assets=100, liabilities=120)
    guarantee(guarantor, stranger(), 1_000)
    run()
    assert alerts("guarantee_overreach")[guarantor.pk].severity == 3


def test_overreach_near_misses(bank):
    guarantor = bank.group_gy.core_enterprise
    statement(guarantor, 2025, assets=300_000_000, liabilities=200_000_000)
    guarantee(guarantor, stranger(), 100_000_000)  # exactly the net assets: not above
    guarantee(guarantor, stranger(), 50_000_000, start=dt.date(2024, 1, 1), end=dt.date(2026, 6, 14))  # expired
    guarantee(guarantor, stranger(), 50_000_000, start=dt.date(2026, 6, 16))  # not yet in force
    guarantee(stranger(), guarantor, 900_000_000)  # received, not given
    no_statement = stranger()
    guarantee(no_statement, stranger(), 900_000_000)  # nothing to judge it by
    run()
    assert not alerts("guarantee_overreach")
