"""An RM's journey in a real browser: log in, switch language, search a group, open its 360 page
and see its control tree (nested list with shares, and the ECharts chart drawn)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clients.models import ControlLink
from clients.services import group_membership_refresh
from tests.factories import EnterpriseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_logs_in_switches_language_searches_and_sees_the_control_tree(bank, login, live_server):
    group = bank.group_gy
    member = group.memberships.exclude(enterprise=group.core_enterprise).first().enterprise
    grandchild = EnterpriseFactory(name="遵循测试孙公司")
    ControlLink.objects.create(parent_enterprise=member, child=grandchild, share_pct=Decimal("75.5"))
    group_membership_refresh(groups=[group])

    page = login("rm_gy1")
    expect(page.locator(".whoami")).to_contain_text("rm_gy1")
    # The default language is Simplified Chinese; switch to English.
    expect(page.locator("nav.mainnav")).to_contain_text("集团客户")
    page.click("button[data-lang=en]")
    expect(page.locator("nav.mainnav")).to_contain_text("Group clients")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto(f"{live_server.url}/clients/groups/")
    page.fill("#id_q", "汽车")
    page.keyboard.press("Enter")
    rows = page.locator("#group-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(group.name)
    page.click(f"#group-table >> text={group.name}")

    expect(page.locator("h1")).to_contain_text(group.name)
    tree = page.locator("#control-tree")
    expect(tree).to_contain_text(group.core_enterprise.name)
    expect(tree).to_contain_text(member.name)
    expect(tree).to_contain_text(grandchild.name)
    expect(tree).to_contain_text("75.5")
    # The ECharts chart drew into its container (a canvas exists).
    expect(page.locator("#control-tree-chart canvas")).to_have_count(1)


def test_rm_of_another_branch_cannot_open_the_group(bank, login, live_server):
    page = login("rm_zy1")
    response = page.goto(f"{live_server.url}/clients/groups/{bank.group_gy.pk}/")
    assert response.status == 404
    page.goto(f"{live_server.url}/clients/groups/")
    expect(page.locator("#group-table")).not_to_contain_text(bank.group_gy.name)
