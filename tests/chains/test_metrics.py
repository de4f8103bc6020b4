"""Chain metrics on the hand-built example of conftest.py, every figure worked out by hand."""

from datetime import date
from decimal import Decimal

from chains.selectors import Period, chain_overview, default_period
from tests.chains.conftest import END, START


def overview(chain):
    return chain_overview(group=chain.group, period=Period(START, END))


def rows_by_goods(ov):
    return {row.goods: row for row in ov.links}


def test_previous_period_has_the_same_length_and_ends_the_day_before():
    period = Period(START, END)
    assert period.days == 90
    assert period.previous() == Period(date(2025, 10, 3), date(2025, 12, 31))


def test_default_period_is_the_last_twelve_months():
    assert default_period(date(2026, 11, 29)) == Period(date(2025, 11, 30), date(2026, 11, 29))


def test_link_volume_and_count_take_only_the_buyers_payments_to_the_supplier_in_the_period(chain):
    steel = rows_by_goods(overview(chain))["steel"]
    # 100,000 + 300,000 + 100,000; the refund the other way, the 2025 and April payments stay out.
    assert steel.volume == Decimal("500000.00")
    assert steel.count == 3
    assert steel.previous_volume == Decimal("400000.00")


def test_trend_is_the_change_against_the_previous_period_in_percent(chain):
    rows = rows_by_goods(overview(chain))
    assert rows["steel"].trend_pct == Decimal("25.0")  # 500,000 vs 400,000
    assert rows["cars"].trend_pct == Decimal("-20.0")  # 800,000 vs 1,000,000
    assert rows["glass"].trend_pct is None  # nothing before: no ratio


def test_days_from_invoice_to_payment_average_over_payments_the_latest_earlier_invoice(chain):
    rows = rows_by_goods(overview(chain))
    # 01-20 - 01-05 = 15; 02-11 - 02-01 = 10 (invoice recorded seller -> buyer); 03-01 - 02-01 = 28.
    assert rows["steel"].avg_invoice_to_payment_days == Decimal("17.7")  # 53 / 3
    assert rows["glass"].avg_invoice_to_payment_days is None  # no invoice at all


def test_other_bank_share_is_the_share_of_volume_settled_elsewhere(chain):
    rows = rows_by_goods(overview(chain))
    assert rows["steel"].other_bank_pct == Decimal("60.0")  # 300,000 / 500,000
    assert rows["cars"].other_bank_pct == Decimal("100.0")
    assert rows["glass"].other_bank_pct == Decimal("0.0")


def test_hhi_squares_each_suppliers_share_of_the_groups_purchase_payments(chain):
    c = overview(chain).concentration
    # Members paid outsiders 500,000 (S1) + 500,000 (S2) + 250,000 (X) = 1,250,000:
    # shares 40 %, 40 %, 20 % -> 1600 + 1600 + 400.
    assert c.purchases == Decimal("1250000.00")
    assert c.supplier_count == 3
    assert c.hhi == Decimal("3600.0")
    assert c.hhi_level == "high"
    # Outsiders paid members 800,000 (B1) + 20,000 (S1's refund).
    assert c.sales == Decimal("820000.00")
    assert c.buyer_count == 2


def test_hhi_labels_follow_the_bands():
    from chains.selectors import Concentration

    def level(hhi):
        return Concentration(Decimal(1), 1, hhi, Decimal(0), 0).hhi_level

    assert level(Decimal("1499.9")) == "unconcentrated"
    assert level(Decimal("1500")) == "moderate"
    assert level(Decimal("2500")) == "moderate"
    assert level(Decimal("2500.1")) == "high"
    assert level(None) == ""


def test_sankey_runs_upstream_through_the_core_to_downstream_sized_by_amount(chain):
    sankey = overview(chain).sankey
    names = {n["name"]: n["label"] for n in sankey["nodes"]}
    edges = {(e["source"], e["target"]): e["value"] for e in sankey["links"]}
    s1, s2, s3, b1 = (f"-1:{chain.s1.pk}", f"-1:{chain.s2.pk}", f"-2:{chain.s3.pk}", f"1:{chain.b1.pk}")
    assert names["core"] == chain.group.name
    # M1 is a member: its supplier S2 flows into the core node.
    assert edges == {(s3, s1): 50000.0, (s1, "core"): 500000.0, (s2, "core"): 500000.0, ("core", b1): 800000.0}
    assert names[b1] == chain.b1.name


def test_dismissed_links_leave_the_page_and_detected_ones_are_listed_apart(chain):
    from chains.models import LinkStatus

    chain.ore.status = LinkStatus.DISMISSED
    chain.ore.save()
    chain.glass.status = LinkStatus.DETECTED
    chain.glass.save()
    ov = overview(chain)
    assert {r.goods for r in ov.links} == {"steel", "cars"}
    assert [link.goods for link in ov.queue] == ["glass"]
    assert ov.detected_count == 1
