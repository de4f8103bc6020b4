"""The client services on real public data (extracts and sources: tests/fixtures/realdata/README.md)."""

import csv
import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from clients.models import FinancialStatement, GroupMembership
from clients.services import (
    control_link_create,
    enterprise_create,
    financial_statement_upsert,
    group_client_create,
    group_membership_refresh,
)
from clients.validators import make_uscc

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "realdata"
EX21 = FIXTURES / "ex21_aep_atc_extract.csv"
NIKE = FIXTURES / "nike_10q_2023q3_extract.csv"

pytestmark = pytest.mark.django_db


def _codes():
    """Valid credit codes no other fixture uses (area 110000, organisation codes from 700000000)."""
    n = 700_000_000
    while True:
        n += 1
        yield make_uscc(f"91110000{n:09d}")


def _ex21_rows(filing: str) -> list[dict]:
    with EX21.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Filename"] == filing]
    # Exhibit 21 nests subsidiaries under intermediate holders and the CSV flattens the nesting: a
    # name listed twice is held by two different entities. Only names listed once are modelled as
    # direct holdings of the filer.
    seen = Counter(r["Subsidiary"].strip() for r in rows)
    return [r for r in rows if seen[r["Subsidiary"].strip()] == 1]


@pytest.mark.parametrize(
    "filing, parent_name",
    [
        ("4904-0000004904-09-000040", "American Electric Power Company, Inc. (CIK 4904)"),
        ("107815-0000107815-17-000106", "Filer CIK 107815"),
    ],
)
def test_exhibit_21_group_members_are_exactly_the_majority_owned_subsidiaries(bank, filing, parent_name):
    rows = _ex21_rows(filing)
    shares = {r["Subsidiary"].strip(): Decimal(r["Ownership Percentage"]) for r in rows}
    # The extract has what the rule must tell apart: full, partial majority, exactly 50 % and minority.
    assert any(s == 100 for s in shares.values())
    assert any(s <= 50 for s in shares.values())
    codes = _codes()
    user = bank.hq
    core = enterprise_create(user=user, name=parent_name, uscc=next(codes), region="11", is_client=True)
    group = group_client_create(
        user=user, name=parent_name, core_enterprise=core, lead_rm=bank.rm_gy1, branch=bank.gy1
    )
    enterprises = {}
    for name, share in shares.items():
        enterprises[name] = enterprise_create(user=user, name=name[:200], uscc=next(codes))
        control_link_create(user=user, parent_enterprise=core, child=enterprises[name], share_pct=share)

    written = group_membership_refresh(groups=[group])

    members = set(GroupMembership.objects.filter(group=group).values_list("enterprise_id", flat=True))
    expected = {core.pk} | {enterprises[name].pk for name, share in shares.items() if share > 50}
    assert members == expected
    assert written == len(expected)
    assert {enterprises[n].pk for n, s in shares.items() if s == 100} <= members
    assert not {enterprises[n].pk for n, s in shares.items() if s <= 50} & members
    for membership in GroupMembership.objects.filter(group=group).exclude(enterprise=core):
        name = membership.enterprise.name
        assert membership.controlled_share == shares[name]
        assert membership.depth == 1 and membership.via_id == core.pk


def test_exhibit_21_extract_keeps_the_boundary_cases():
    """AEP's list holds 98.7 % and 99.4 % (members), 50 % joint ventures and 47.6 % and 9.2 % stakes (not)."""
    shares = {
        r["Subsidiary"].strip(): Decimal(r["Ownership Percentage"])
        for r in _ex21_rows("4904-0000004904-09-000040")
    }
    assert shares["Appalachian Power Company"] == Decimal("98.7")
    assert shares["Electric Transmission Texas, LLC"] == Decimal("50.0")
    assert shares["The Arklahoma Corporation"] == Decimal("47.6")
    assert "Central Coal Company" not in shares  # listed twice (two holders): left out


def _nike_facts() -> dict[tuple[str, str], int]:
    """(concept, period start) -> value, for the us-gaap facts without dimensions ending 2023-02-28."""
    with NIKE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["dimensions"] == "" and r["units"] == "USD" and r["end_date"] == "2023-02-28" for r in rows)
    return {(r["fact"], r["start_date"]): int(r["value"]) for r in rows}


def test_nike_10q_figures_stored_through_the_service_equal_the_filing(bank):
    facts = _nike_facts()
    instant, nine_months = "2023-02-28", "2022-06-01"
    # The extract is a balanced balance sheet: total assets equal liabilities and equity.
    assert (
        facts[("Assets", instant)] == facts[("LiabilitiesAndStockholdersEquity", instant)] == 38_294_000_000
    )
    # NIKE tags no total-liabilities line: liabilities = (liabilities and equity) - equity - temporary equity.
    liabilities = (
        facts[("LiabilitiesAndStockholdersEquity", instant)]
        - facts[("StockholdersEquity", instant)]
        - facts[("TemporaryEquityCarryingAmountAttributableToParent", instant)]
    )
    figures = {
        "revenue": facts[("RevenueFromContractWithCustomerExcludingAssessedTax", nine_months)],
        "net_profit": facts[("NetIncomeLoss", nine_months)],
        "total_assets": facts[("Assets", instant)],
        "total_liabilities": liabilities,
        "current_assets": facts[("AssetsCurrent", instant)],
        "current_liabilities": facts[("LiabilitiesCurrent", instant)],
        "receivables": facts[("AccountsReceivableNetCurrent", instant)],
        "inventory": facts[("InventoryFinishedGoodsNetOfReserves", instant)],
        "operating_cash_flow": facts[("NetCashProvidedByUsedInOperatingActivities", nine_months)],
    }
    nike = enterprise_create(user=bank.hq, name="NIKE, Inc.", uscc=next(_codes()), region="11")

    financial_statement_upsert(
        user=bank.hq,
        enterprise=nike,
        period_end=dt.date(2023, 2, 28),
        period_type="quarter",
        source="SEC EDGAR 10-Q NIKE, Inc. 2023-02-28 (USD, nine months year to date)",
        **{k: Decimal(v) for k, v in figures.items()},
    )

    stored = FinancialStatement.objects.get(enterprise=nike, period_end=dt.date(2023, 2, 28))
    for field, value in figures.items():
        assert getattr(stored, field) == Decimal(value), field
    assert stored.revenue == Decimal("38392000000.00")
    assert stored.total_liabilities == Decimal("23763000000.00")
    assert stored.total_assets - stored.total_liabilities == Decimal(facts[("StockholdersEquity", instant)])
    assert stored.current_ratio.quantize(Decimal("0.01")) == Decimal("2.73")  # 26,035 / 9,548

    # Upserting the same period again replaces the figures instead of adding a second statement.
    financial_statement_upsert(
        user=bank.hq,
        enterprise=nike,
        period_end=dt.date(2023, 2, 28),
        period_type="quarter",
        net_profit=Decimal(facts[("NetIncomeLoss", "2022-12-01")]),
    )
    assert FinancialStatement.objects.filter(enterprise=nike).count() == 1
    assert FinancialStatement.objects.get(enterprise=nike).net_profit == Decimal("1240000000.00")
