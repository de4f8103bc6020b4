"""The chain and circle pages sum in CNY equivalent (each flow at its value date's rate), say how many
flows had no rate, stay exact to the day while reading the summary, and keep their query counts flat;
the flow import's preview total is in CNY equivalent too."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chains import summary
from chains.models import Flow
from chains.selectors import Period, chain_overview
from circles.models import CircleMember, CircleRole
from circles.selectors import circle_acquisition_list, circle_graph, volume_since
from clients.models import GroupMembership
from core.fx import to_cny
from core.models import FxRate
from imports.services import import_file
from tests.chains.conftest import END, START, flow
from tests.factories import EnterpriseFactory
from tests.imports.helpers import csv_bytes, flow_row, members


def foreign(payer, payee, amount, day, currency, kind="payment", channel="this_bank"):
    f = flow(payer, payee, amount, day, kind=kind, channel=channel)
    f.currency = currency
    return f


@pytest.fixture
def usd(db):
    FxRate.objects.create(currency="USD", date=dt.date(2025, 1, 1), rate=Decimal("7.0000"), source="test")
    FxRate.objects.create(currency="USD", date=dt.date(2026, 2, 1), rate=Decimal("7.2000"), source="test")


# --- chain page ---------------------------------------------------------------------------------------------------


def test_link_volumes_are_in_cny_equivalent_and_unconverted_payments_are_counted(chain, usd):
    Flow.objects.bulk_create([
        foreign(chain.core, chain.s1, "1000", dt.date(2026, 1, 25), "USD"),  # 7.0 -> 7,000
        foreign(chain.core, chain.s1, "1000", dt.date(2026, 2, 25), "USD", channel="other_bank"),  # 7.2 -> 7,200
        foreign(chain.core, chain.s1, "1000", dt.date(2026, 3, 25), "EUR"),  # no rate: left out, counted
        foreign(chain.core, chain.s1, "1000", dt.date(2025, 11, 25), "USD"),  # previous period: 7,000
    ])
    ov = chain_overview(group=chain.group, period=Period(START, END))
    steel = {r.goods: r for r in ov.links}["steel"]
    assert steel.volume == Decimal("514200.00")  # 500,000 CNY + 7,000 + 7,200
    assert steel.count == 6  # every payment, converted or not
    assert steel.unconverted == 1
    assert steel.previous_volume == Decimal("407000.00")
    assert steel.other_bank_pct == Decimal("59.7")  # (300,000 + 7,200) / 514,200
    assert ov.links_unconverted == 1
    # The core's purchases from outside suppliers: S1 (CNY + USD) and X (M2 pays X 250,000), S2 is outside too.
    assert ov.concentration.purchases == Decimal("500000") + Decimal("14200") + Decimal("500000") + Decimal("250000")
    assert ov.concentration.unconverted == 1


def test_chain_page_says_how_many_payments_lacked_a_rate(chain, usd, bank, client_as):
    Flow.objects.bulk_create([foreign(chain.core, chain.s1, "10", dt.date(2026, 3, 2), "EUR"),
                              foreign(chain.core, chain.s1, "10", dt.date(2026, 3, 3), "GBP")])
    response = client_as(bank.rm_gy1).get(reverse("chains:group_chain", args=[chain.group.pk]),
                                           {"start": START.isoformat(), "end": END.isoformat()})
    body = response.content.decode()
    assert "All amounts are in CNY equivalent" in body
    assert 'id="links-unconverted"' in body and "2 payments in other currencies without a rate are not included" in body
    assert 'id="concentration-unconverted"' in body


@pytest.mark.parametrize(("start", "end"), [
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),  # whole months only
    (dt.date(2026, 1, 15), dt.date(2026, 3, 10)),  # partial months at both edges
    (dt.date(2026, 2, 3), dt.date(2026, 2, 20)),  # inside one month
    (dt.date(2025, 12, 31), dt.date(2026, 1, 1)),  # two days across a year
])
def test_concentration_is_exact_to_the_day_while_reading_the_summary(chain, usd, start, end):
    days = [dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 1, 14),
            dt.date(2026, 1, 15), dt.date(2026, 2, 2), dt.date(2026, 2, 3), dt.date(2026, 2, 20),
            dt.date(2026, 2, 21), dt.date(2026, 3, 10), dt.date(2026, 3, 11), dt.date(2026, 3, 31)]
    Flow.objects.filter(payer=chain.m2).delete()
    Flow.objects.bulk_create([foreign(chain.m2, chain.x, f"{i + 1}00", d, "USD" if i % 2 else "CNY")
                              for i, d in enumerate(days)])
    expected = sum((to_cny(f.amount, f.currency, f.value_date) for f in Flow.objects.filter(
        kind="payment", payer__in=GroupMembership.objects.filter(group=chain.group).values("enterprise"),
        value_date__range=(start, end)).exclude(payee__in=GroupMembership.objects.filter(
            group=chain.group).values("enterprise"))), Decimal(0))
    assert chain_overview(group=chain.group, period=Period(start, end)).concentration.purchases == expected


def test_chain_page_query_count_does_not_grow_with_foreign_flows(chain, usd, bank, client_as):
    c = client_as(bank.rm_gy1)
    url = reverse("chains:group_chain", args=[chain.group.pk])
    params = {"start": "2026-01-15", "end": "2026-03-10"}
    with CaptureQueriesContext(connection) as small:
        assert c.get(url, params).status_code == 200
    Flow.objects.bulk_create([foreign(chain.core, chain.s1, "5", START + dt.timedelta(days=i % 90),
                                      ("USD", "EUR", "CNY")[i % 3]) for i in range(600)])
    with CaptureQueriesContext(connection) as big:
        assert c.get(url, params).status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries) <= 11  # tests/chains pins 11


# --- circle page --------------------------------------------------------------------------------------------------


@pytest.fixture
def circle(bank, usd):
    group = bank.group_gy
    core = group.core_enterprise
    p1, p2 = EnterpriseFactory(is_client=False), EnterpriseFactory(is_client=False)
    CircleMember.objects.bulk_create([CircleMember(group=group, enterprise=p1, role=CircleRole.SUPPLIER),
                                      CircleMember(group=group, enterprise=p2, role=CircleRole.DISTRIBUTOR)])
    today = dt.date.today()
    Flow.objects.bulk_create([
        foreign(p1, core, "100", today - dt.timedelta(days=3), "USD"),
        foreign(core, p1, "50", today - dt.timedelta(days=3), "CNY"),
        foreign(p2, core, "80", today - dt.timedelta(days=3), "EUR"),  # no rate
        foreign(p2, core, "999", volume_since() - dt.timedelta(days=1), "CNY"),  # before the window
    ])
    return group, p1, p2


def test_circle_volumes_are_cny_equivalent_and_name_unconverted_flows(circle):
    group, p1, p2 = circle
    ranked = {e.pk: e for e in circle_acquisition_list(group=group)}
    assert ranked[p1.pk].volume == Decimal("770.00")  # 100 USD at 7.2 + 50 CNY
    assert ranked[p1.pk].flow_count == 2
    assert (ranked[p2.pk].volume, ranked[p2.pk].flow_count, ranked[p2.pk].unconverted) == (Decimal("0"), 1, 1)
    graph = circle_graph(group=group, guarantees=[])
    assert graph["unconverted"] == 1


def test_circle_window_is_twelve_calendar_months():
    assert volume_since(dt.date(2026, 11, 29)) == dt.date(2025, 12, 1)
    assert volume_since(dt.date(2026, 1, 1)) == dt.date(2025, 2, 1)
    assert volume_since(dt.date(2026, 12, 31)) == dt.date(2026, 1, 1)


def test_circle_page_states_cny_and_unconverted(circle, bank, client_as):
    group, _p1, _p2 = circle
    body = client_as(bank.rm_gy1).get(reverse("circles:group_circle", args=[group.pk])).content.decode()
    assert "in CNY equivalent at the rate of each payment" in body
    assert 'id="unconverted-flows"' in body and "1 flow in another currency without a rate is not included" in body


# --- import preview ----------------------------------------------------------------------------------------------


def test_flow_import_preview_total_is_in_cny_equivalent(bank, usd):
    a, b = members(bank.group_gy)[:2]
    content = csv_bytes([
        flow_row(a, b, "P1", amount="100.00", value_date="2026-02-01"),
        flow_row(a, b, "P2", amount="10.00", currency="USD", value_date="2026-02-03"),  # 72.00
        flow_row(a, b, "P3", amount="10.00", currency="EUR", value_date="2026-02-03"),  # no rate
    ])
    result = import_file(user=None, kind="flows", fh=io.BytesIO(content), filename="f.csv", commit=False,
                         source_system="erp")
    assert (result.total_amount, result.other_currency_rows) == (Decimal("172.00"), 1)
    assert not Flow.objects.exists()


# --- readers -------------------------------------------------------------------------------------------------------


def test_readers_sum_whole_months_in_cny(chain, usd):
    Flow.objects.bulk_create([foreign(chain.core, chain.s1, "10", dt.date(2026, 2, 10), "USD"),
                              foreign(chain.core, chain.s1, "10", dt.date(2026, 2, 11), "EUR")])
    t = summary.totals(payers=[chain.core.pk], payees=[chain.s1.pk], kinds=["payment"],
                       since=dt.date(2026, 2, 15), until=dt.date(2026, 2, 15))  # whole February
    assert (t.count, t.amount_cny, t.unconverted) == (3, Decimal("300072.00"), 1)
    assert (t.first_date, t.last_date) == (dt.date(2026, 2, 10), dt.date(2026, 2, 11))
    assert t.mean_date == dt.date(2026, 2, 11)  # (10 + 11 + 11) / 3 days into February, rounded
    pairs = summary.pair_totals([(chain.core.pk, chain.s1.pk), (chain.b1.pk, chain.core.pk)],
                                since=START, until=END, kinds=["payment"])
    assert pairs[(chain.b1.pk, chain.core.pk)].amount_cny == Decimal("800000.00")
    both = summary.enterprise_totals([chain.s1.pk], since=START, until=END, kinds=["payment"])
    assert both[chain.s1.pk]["in"].amount_cny == Decimal("500000.00") + Decimal("72.00")
    assert both[chain.s1.pk]["out"].amount_cny == Decimal("70000.00")  # 20,000 to the core + 50,000 to S3
    assert summary.month_window(dt.date(2026, 1, 15), dt.date(2026, 2, 3)).end == dt.date(2026, 2, 28)


def test_pages_of_another_branch_group_answer_404(chain, bank, client_as):
    c = client_as(bank.rm_zy1)
    assert c.get(reverse("chains:group_chain", args=[chain.group.pk])).status_code == 404
    assert c.get(reverse("circles:group_circle", args=[chain.group.pk])).status_code == 404


def test_unconverted_counts_are_integers(chain):
    Flow.objects.bulk_create([foreign(chain.core, chain.s1, "10", dt.date(2026, 3, 2), "EUR")])
    ov = chain_overview(group=chain.group, period=Period(START, END))
    assert type(ov.concentration.unconverted) is int and ov.concentration.unconverted == 1
    assert type(ov.links_unconverted) is int
