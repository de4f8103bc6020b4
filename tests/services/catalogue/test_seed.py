"""seed_demo fills exchange rates, foreign-currency flows and holdings, keeps the flow summary equal to
a rebuild, and gives the needs rules something to find."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min

from chains.models import Flow, FlowSummary
from core.models import FxRate
from demo import seed as demo
from services.models import Holding

AS_OF = dt.date(2026, 10, 31)
SMALL = {"groups": 12, "flows": 4000, "as_of": AS_OF}

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return demo.build(seed=2026, **SMALL)


def summary_rows():
    fields = [f.name for f in FlowSummary._meta.concrete_fields if f.name != "id"]
    return sorted(FlowSummary.objects.values_list(*fields))


def test_rates_cover_the_flow_window_on_weekdays(seeded):
    assert FxRate.objects.count() > 0
    assert set(FxRate.objects.values_list("currency", flat=True).distinct()) == {"USD", "EUR", "HKD", "JPY"}
    span = FxRate.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span["first"] <= Flow.objects.aggregate(d=Min("value_date"))["d"]
    assert span["last"] >= AS_OF - dt.timedelta(days=3)
    assert not FxRate.objects.filter(date__week_day__in=[1, 7]).exists()  # Sunday, Saturday
    usd = FxRate.objects.filter(currency="USD").aggregate(lo=Min("rate"), hi=Max("rate"))
    assert Decimal("6.8") < usd["lo"] and usd["hi"] < Decimal("7.6")


def test_some_flows_are_in_foreign_currencies_and_all_convert(seeded):
    by_currency = dict(Flow.objects.values_list("currency").annotate(n=Count("id")))
    assert by_currency["CNY"] > 0.7 * sum(by_currency.values())
    assert by_currency.get("USD", 0) > 0 and by_currency.get("EUR", 0) + by_currency.get("HKD", 0) > 0
    assert FlowSummary.objects.exists()
    assert not FlowSummary.objects.filter(unconverted__gt=0).exists()  # every foreign flow has a rate


def test_holdings_are_realistic(seeded):
    assert Holding.objects.count() > 0
    assert not Holding.objects.filter(enterprise__is_client=False).exists()
    codes = set(Holding.objects.values_list("product__code", flat=True))
    assert {"settlement", "payroll", "receivables_financing", "dealer_financing"} <= codes
    assert Holding.objects.filter(partner__isnull=False).exists()
    assert not Holding.objects.filter(partner__isnull=False).exclude(product__family="value_added").exists()
    assert Holding.objects.filter(currency="USD").exists()
    pairs = Holding.objects.values("enterprise", "product").annotate(n=Count("id")).filter(n__gt=1)
    assert not pairs.exists()
    assert Holding.history.count() == Holding.objects.count()  # each seeded holding has its baseline


def test_summary_equals_a_rebuild(seeded):
    from chains.summary import rebuild

    before = summary_rows()
    rebuild()
    assert summary_rows() == before


def test_reseed_after_reset_works_and_is_deterministic(seeded):
    holdings = sorted(Holding.objects.values_list("external_ref", "balance", "currency"))
    rates = FxRate.objects.count()
    demo.reset()
    assert not FxRate.objects.exists() and not Holding.objects.exists()
    demo.build(seed=2026, **SMALL)
    assert sorted(Holding.objects.values_list("external_ref", "balance", "currency")) == holdings
    assert FxRate.objects.count() == rates


def test_every_rule_of_the_issue_fires_somewhere_on_demo_data():
    """The demo is for showing the needs engine: each rule finds something (as of the data's date)."""
    from services.engine import refresh
    from services.models import Need

    demo.build(seed=2026, groups=30, flows=20_000, as_of=AS_OF)
    refresh(as_of=AS_OF)
    fired = dict(Need.objects.values_list("rule").annotate(n=Count("id")))
    expected = {"receivables_financing", "dealer_financing", "cash_pool", "cross_border_settlement", "fx_hedging",
                "settlement", "working_capital_loan", "wealth_management", "deposit_structured"}
    print("rules fired on demo data:", sorted(fired.items()))
    assert expected <= {rule for rule, n in fired.items() if n}, fired
