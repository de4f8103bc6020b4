"""The RM workbench in a real browser: an RM opens the landing page, sees a receivables-financing need
the engine raised (with its evidence), marks it contacted inline (htmx: the row updates, the page does
not reload); the group page shows the asset-allocation advice and the profile tags."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from chains.models import Flow
from circles.models import CircleMember
from clients.models import AccountBalance, BankAccount
from services import contribution, engine, profile
from services.models import Need
from tests.factories import EnterpriseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _flow(payer, payee, amount, day, kind, n):
    return Flow(payer=payer, payee=payee, amount=Decimal(amount), currency="CNY", value_date=day, kind=kind,
                channel="this_bank", source_system="browser", external_ref=f"WB-{n:05d}")


def _data(bank):
    """A supplier of group_gy (rm_gy1's client) with 6 m invoiced to the core over six months and 3.5 m
    paid: the receivables rule fires. The core's deposits over 200 days give the advice its history."""
    today = dt.date.today()
    group, core = bank.group_gy, bank.group_gy.core_enterprise
    supplier = EnterpriseFactory(name="黔南建材供应有限公司", branch=bank.gy1, rm=bank.rm_gy1)
    CircleMember.objects.create(group=group, enterprise=supplier, role="supplier")
    rows = [_flow(core, supplier, "1000000", today - dt.timedelta(days=20 + 28 * k), "invoice", k) for k in range(6)]
    rows.append(_flow(core, supplier, "3500000", today - dt.timedelta(days=40), "payment", 99))
    Flow.objects.bulk_create(rows)
    acc = BankAccount.objects.create(enterprise=core, account_no="WB-DEP-1", kind="demand")
    for days, amount in ((199, "10000000"), (99, "7000000"), (0, "7000000")):
        AccountBalance.objects.create(account=acc, date=today - dt.timedelta(days=days), balance=Decimal(amount))
    engine.refresh()
    profile.refresh()
    contribution.refresh()
    return supplier, Need.objects.get(enterprise=supplier, product__code="receivables_financing")


def test_rm_marks_a_need_contacted_on_the_workbench_and_sees_the_advice(bank, catalogue, login, live_server):
    supplier, need = _data(bank)
    page = login("rm_gy1")
    page.click("button[data-lang=en]")
    page.goto(f"{live_server.url}/")

    row = page.locator(f"#panel-my-needs #need-{need.pk}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(supplier.name)
    expect(row).to_contain_text("Receivables financing")
    expect(row).to_contain_text("unpaid invoices to the core")  # the evidence, in the page's language
    expect(row).to_contain_text("New")

    page.evaluate("window.__notReloaded = true")
    row.locator("button.need-contacted").click()
    expect(row).to_contain_text("Contacted")
    expect(row.locator("button.need-contacted")).to_have_count(0)
    assert page.evaluate("window.__notReloaded === true")  # the row was swapped, the page kept
    need.refresh_from_db()
    assert need.status == "contacted"

    # The filter swaps the list in place (htmx) too.
    page.select_option("#needs-filter-product", "receivables_financing")
    expect(page.locator("#needs-list")).to_contain_text(supplier.name)
    assert page.evaluate("window.__notReloaded === true")

    page.goto(f"{live_server.url}/clients/groups/{bank.group_gy.pk}/")
    advice = page.locator("#allocation-advice")
    expect(advice.locator("#allocation-split")).to_be_visible()
    expect(advice).to_contain_text("Liquidity reserve (demand)")
    expect(page.locator("#allocation-reasoning")).to_contain_text("percentile")
    expect(page.locator("#allocation-gain")).not_to_be_empty()
    expect(advice.locator("[data-allocation-chart] canvas")).to_have_count(1)
    expect(page.locator('#profile-core-tags [data-tag="role:core"]')).to_be_visible()
    expect(page.locator("#profile-group-tags")).to_contain_text("Group member")
    expect(page.locator(f"#group-needs #need-{need.pk}")).to_contain_text("Contacted")
