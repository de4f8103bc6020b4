"""Helpers of the limits tests: facilities written directly (the services are tested on their own),
exchange rates, capital figures, and an indirect control chain.

The group of the `bank` fixture: core (depth 0) holds 60 % of two subsidiaries. `deep_group` adds a
grandchild (60 % of a subsidiary: indirect control, depth 2)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from clients.models import GroupMembership
from clients.services import group_membership_refresh
from core.models import FxRate
from risk.models import Facility, RiskSettings, SubLimit
from services.models import Product
from tests.factories import ControlLinkFactory, EnterpriseFactory

AS_OF = dt.date(2026, 6, 15)
_refs = itertools.count(1)


def facility(enterprise, limit, drawn=0, *, currency="CNY", product="working_capital_loan", **kwargs):
    return Facility.objects.create(
        reference=kwargs.pop("reference", f"FAC-{next(_refs):06d}"), enterprise=enterprise,
        product=Product.objects.get(code=product), limit_amount=Decimal(str(limit)), drawn=Decimal(str(drawn)),
        currency=currency, start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 1, 1), **kwargs)


def members(group):
    """The group's members by depth: [core, sub1, sub2, ...]."""
    return [m.enterprise for m in GroupMembership.objects.filter(group=group).select_related("enterprise")
            .order_by("depth", "enterprise_id")]


def sub_limit(group, enterprise, amount):
    return SubLimit.objects.create(group=group, enterprise=enterprise, amount=Decimal(str(amount)))


@pytest.fixture
def usd(db):
    FxRate.objects.create(currency="USD", date=dt.date(2026, 1, 2), rate=Decimal("7.1"))
    FxRate.objects.create(currency="USD", date=AS_OF, rate=Decimal("7.2"))
    return Decimal("7.2")


@pytest.fixture
def capital(db):
    """Net capital 1 亿 yuan... 10 亿: a group cap (15 %) of 1.5 亿, a client cap (10 %) of 1 亿; tier-1 8 亿:
    connected clients (20 %) 1.6 亿, large exposure from 0.8 亿."""
    conf = RiskSettings.current()
    conf.net_capital = Decimal("1000000000")
    conf.tier1_capital = Decimal("800000000")
    conf.save()
    return conf


@pytest.fixture
def deep_group(bank):
    """group_gy with a grandchild: core -> sub1 (60 %) -> grandchild (60 %)."""
    group = bank.group_gy
    core, sub1, sub2 = members(group)
    grandchild = EnterpriseFactory(name="测试孙公司", branch=bank.gy1)
    ControlLinkFactory(parent_enterprise=sub1, child=grandchild, share_pct=Decimal("60"))
    group_membership_refresh(groups=[group])
    group.refresh_from_db()
    return group, core, sub1, sub2, grandchild


@pytest.fixture(autouse=True)
def _products(db):
    """The catalogue again where a transactional test (the concurrent pledges) flushed it."""
    if not Product.objects.exists():
        from services import catalogue_data
        from services.models import Partner, PlaybookItem

        catalogue_data.load(Product, Partner, PlaybookItem)
