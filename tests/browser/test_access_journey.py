"""The access model in a real browser (DESIGN.md section 4):

1. rm_gy1 looks up another branch's client by its exact credit code, sees its registry card (owning
   branch 遵义汇川支行), adds it to their group's circle as a supplier, then opens it: a counterparty page
   with only the flows between it and their own group, no financials, no accounts.
2. rm_gy1 asks to transfer their group to 遵义; the request waits until both branch heads approve it,
   each in their own browser session, then the group has moved.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clients.models import BankAccount, ChangeRequest, FinancialStatement, GroupClient, GroupMembership
from staff.models import Role
from staff.services import staff_create
from tests.conftest import PASSWORD
from tests.factories import FlowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.click("button[data-lang=en]")


def test_an_rm_looks_up_another_branchs_client_and_works_it_as_a_counterparty(bank, page, live_server):
    zy_core = bank.group_zy.core_enterprise
    zy_member = GroupMembership.objects.filter(group=bank.group_zy).exclude(enterprise=zy_core).first().enterprise
    gy_core = bank.group_gy.core_enterprise
    FinancialStatement.objects.create(enterprise=zy_core, period_end="2025-12-31", period_type="annual",
                                      revenue=Decimal("918273645"))
    BankAccount.objects.create(enterprise=zy_core, account_no="ZY-ACCOUNT-77", kind="demand")
    FlowFactory(payer=gy_core, payee=zy_core, amount=Decimal("123456.78"), external_ref="GY-PAYS-ZY")
    FlowFactory(payer=zy_core, payee=zy_member, amount=Decimal("876543.21"), external_ref="ZY-INTERNAL")

    _login(page, live_server, "rm_gy1")
    page.click("nav.mainnav >> text=Look up")
    page.fill("#id_uscc", zy_core.uscc.lower())
    page.click("#lookup")
    card = page.locator("#registry-card")
    expect(card).to_contain_text(zy_core.name)
    expect(card).to_contain_text("遵义汇川支行")
    # rm_gy1's core already pays it, so it is their counterparty: a page they may open, not its record.
    expect(page.locator("#lookup-result")).to_contain_text("Open it as a counterparty")
    expect(page.locator("body")).not_to_contain_text("rm_zy1")

    page.select_option("#add-group", str(bank.group_gy.pk))
    page.select_option("#add-role", "supplier")
    page.click("#add-to-circle button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Member added to the circle")
    expect(page.locator("h1")).to_contain_text(bank.group_gy.name)

    page.goto(f"{live_server.url}/clients/enterprises/{zy_core.pk}/")
    expect(page.locator("h1")).to_contain_text(zy_core.name)
    expect(page.locator("#reach-note")).to_be_visible()
    expect(page.locator("#counterparty-circles")).to_contain_text("Supplier")
    flows = page.locator("#counterparty-flows")
    expect(flows).to_contain_text("123,457")  # English tables: whole yuan (core.money), the exact figure on hover
    expect(flows.locator(".money").first).to_have_attribute("title", "CNY 123,456.78")
    expect(flows).not_to_contain_text("876,543")
    body = page.locator("body")
    expect(body).not_to_contain_text("918,273,645")
    expect(body).not_to_contain_text("ZY-ACCOUNT-77")
    expect(page.locator("#financials")).to_have_count(0)
    page.screenshot(path="/tmp/counterparty.png", full_page=True)

    # Chinese too: the same page reads in Simplified Chinese.
    page.click("button[data-lang=zh-hans]")
    expect(page.locator("#counterparty-flows h2")).to_contain_text("笔")


def test_a_transfer_is_approved_by_the_two_branch_heads(bank, page, live_server):
    staff_create(username="head_zy", password=PASSWORD, role=Role.BRANCH_HEAD, branch=bank.zy, display_name="遵义行长")
    group = bank.group_gy

    _login(page, live_server, "rm_gy1")
    page.goto(f"{live_server.url}/clients/groups/{group.pk}/")
    page.click("text=Request transfer")
    page.select_option("#id_branch", str(bank.zy1.pk))
    page.select_option("#id_lead_rm", str(bank.rm_zy1.pk))
    page.fill("#id_reason", "集团总部迁往遵义")
    page.click("main button[type=submit]")
    expect(page.locator("#request-status")).to_contain_text("Waiting for approval")
    request = ChangeRequest.objects.get()
    expect(page.locator("#request-changes")).to_contain_text("遵义汇川支行")

    for head, status in (("head_gy", "Waiting for approval"), ("head_zy", "Approved and applied")):
        _login(page, live_server, head)
        page.click("nav.mainnav >> text=Requests")
        page.click(f"#waiting tr[data-request='{request.pk}'] a")
        page.click("#approve")
        expect(page.locator("#request-status")).to_contain_text(status)

    group.refresh_from_db()
    assert (group.branch, group.lead_rm) == (bank.zy1, bank.rm_zy1)
    assert GroupClient.objects.for_user(bank.rm_zy1).filter(pk=group.pk).exists()
    approvers = sorted(request.approvals.values_list("approved_by__username", flat=True))
    assert approvers == ["head_gy", "head_zy"]
