"""A hand-built chain around group_gy whose metrics are worked out by hand in the tests.

Period under study: 2026-01-01 .. 2026-03-31 (90 days); previous period 2025-10-03 .. 2025-12-31.

    S3 --ore(-2)--> S1 --steel(-1)--> core C <--glass(-1)-- S2 -> M1 (member)
                                      C --cars(+1)--> B1
Undeclared: M2 pays X; S1 pays C (a refund: C "supplies" S1); S2 pays Y (both circle suppliers).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from chains.models import ChainLink, Flow, LinkStatus
from circles.models import CircleMember
from clients.models import Enterprise, GroupMembership
from tests.factories import EnterpriseFactory

START, END = date(2026, 1, 1), date(2026, 3, 31)
_refs = count(1)


def flow(payer, payee, amount, day, kind="payment", channel="this_bank"):
    return Flow(payer=payer, payee=payee, amount=Decimal(amount), value_date=day, kind=kind, channel=channel,
                currency="CNY", source_system="test", external_ref=f"T{next(_refs)}")


@dataclass
class Chain:
    group: object
    core: Enterprise
    m1: Enterprise
    m2: Enterprise
    s1: Enterprise
    s2: Enterprise
    s3: Enterprise
    b1: Enterprise
    x: Enterprise
    y: Enterprise
    steel: ChainLink
    glass: ChainLink
    cars: ChainLink
    ore: ChainLink


@pytest.fixture
def chain(bank) -> Chain:
    group = bank.group_gy
    core = group.core_enterprise
    m1, m2 = [
        m.enterprise for m in GroupMembership.objects.filter(group=group).exclude(enterprise=core)
        .select_related("enterprise").order_by("enterprise_id")
    ]
    s1, s2, s3, b1, x, y = (EnterpriseFactory(name=n, is_client=False) for n in
                            ["一号钢材供应商", "二号玻璃供应商", "三号矿石供应商", "一号经销商", "未申报供应商X", "二级供应商Y"])
    links = {
        "steel": ChainLink(group=group, supplier=s1, buyer=core, tier=-1, goods="steel"),
        "glass": ChainLink(group=group, supplier=s2, buyer=m1, tier=-1, goods="glass"),
        "cars": ChainLink(group=group, supplier=core, buyer=b1, tier=1, goods="cars"),
        "ore": ChainLink(group=group, supplier=s3, buyer=s1, tier=-2, goods="ore"),
    }
    ChainLink.objects.bulk_create(links.values())
    CircleMember.objects.bulk_create([
        CircleMember(group=group, enterprise=s2, role="supplier"),
        CircleMember(group=group, enterprise=y, role="supplier"),
    ])
    Flow.objects.bulk_create([
        # steel: core pays S1
        flow(core, s1, "0.01", date(2026, 1, 5), kind="invoice"),
        flow(core, s1, "100000", date(2026, 1, 20)),  # 15 days after the 01-05 invoice
        flow(s1, core, "0.01", date(2026, 2, 1), kind="invoice"),  # invoice recorded the other way round
        flow(core, s1, "300000", date(2026, 2, 11), channel="other_bank"),  # 10 days
        flow(core, s1, "100000", date(2026, 3, 1)),  # 28 days after 02-01
        flow(core, s1, "400000", date(2025, 11, 15)),  # previous period
        flow(core, s1, "999", date(2025, 6, 1)),  # before both periods
        flow(core, s1, "777", date(2026, 4, 1)),  # after the period
        flow(s1, core, "20000", date(2026, 2, 20)),  # refund: S1 pays the core
        # glass: M1 pays S2, nothing before
        flow(m1, s2, "500000", date(2026, 2, 15)),
        # cars: B1 pays the core
        flow(b1, core, "800000", date(2026, 3, 10), channel="other_bank"),
        flow(b1, core, "1000000", date(2025, 12, 1)),
        # ore: S1 pays S3
        flow(s1, s3, "50000", date(2026, 1, 10)),
        # undeclared
        flow(m2, x, "250000", date(2026, 3, 15)),
        flow(s2, y, "10000", date(2026, 3, 20)),
        # an order is not a payment
        flow(m2, x, "5000000", date(2026, 3, 16), kind="order"),
    ])
    return Chain(group, core, m1, m2, s1, s2, s3, b1, x, y, **links)


def detected(group):
    return set(
        ChainLink.objects.filter(group=group, status=LinkStatus.DETECTED).values_list("supplier_id", "buyer_id", "tier")
    )


@pytest.fixture(autouse=True)
def _every_pair_detected(every_pair_detected):
    """The hand-built chain has one payment per undeclared pair: its tests see every pair proposed
    (tests/chains/test_thresholds.py sets the thresholds it tests)."""
    return every_pair_detected


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read English messages and number formats."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
