"""Industry playbooks on the group page: the items nobody of their role covers yet."""

import datetime as dt
from decimal import Decimal

from circles.models import CircleMember
from services.models import Holding, Need, Product
from services.playbooks import uncovered_items
from tests.factories import EnterpriseFactory


def codes(group):
    return {(u.item.role, u.product.code): u.enterprises for u in uncovered_items(group)}


def test_uncovered_items_follow_the_cores_section_and_the_roles_present(bank):
    group = bank.group_gy  # core in C36 (manufacturing)
    s1, s2 = EnterpriseFactory(), EnterpriseFactory()
    for s in (s1, s2):
        CircleMember.objects.create(group=group, enterprise=s, role="supplier")
    got = codes(group)
    assert got[("core", "cash_pool")] == 1 and got[("core", "fx_hedging")] == 1
    assert got[("supplier", "receivables_financing")] == 2
    assert not any(role == "distributor" for role, _ in got)  # no distributor in this circle
    assert not any(role == "project_loan" for _, role in got)  # K's items are not C's

    # A holding of the core covers its item; an open need of one supplier covers the suppliers' item.
    Holding.objects.create(enterprise=group.core_enterprise, product=Product.objects.get(code="cash_pool"),
                           since=dt.date(2025, 1, 1), source_system="t", external_ref="h1")
    need = Need.objects.create(enterprise=s2, group=group, product=Product.objects.get(code="receivables_financing"),
                               rule="manual", score=50, value=Decimal("1"), evidence="拜访获悉")
    got = codes(group)
    assert ("core", "cash_pool") not in got and ("supplier", "receivables_financing") not in got
    assert ("core", "fx_hedging") in got
    # A dismissed need or an ended holding covers nothing.
    need.status = "dismissed"
    need.save()
    Holding.objects.filter(external_ref="h1").update(until=dt.date(2025, 6, 30))
    got = codes(group)
    assert ("core", "cash_pool") in got and ("supplier", "receivables_financing") in got


def test_no_industry_no_playbook(bank):
    core = bank.group_gy.core_enterprise
    core.industry = ""
    core.save()
    assert uncovered_items(bank.group_gy) == []
    core.industry = "K70"
    core.save()
    assert ("core", "project_loan") in codes(bank.group_gy)
