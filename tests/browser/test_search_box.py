"""The header search box in a real browser: type, see the hits appear (htmx, debounced), move with the
keyboard, open one; Enter with no choice opens the results page; Escape closes the list."""

import pytest
from playwright.sync_api import expect

from tests.factories import EnterpriseFactory, uscc_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_type_see_the_hits_and_open_one_from_the_keyboard(bank, login, live_server):
    group = bank.group_gy  # 贵州测试汽车集团
    page = login("rm_gy1")
    box = page.locator("#site-search-q")
    hits = page.locator("#site-search-hits")
    expect(hits).to_be_hidden()

    box.press_sequentially("gzcsqc", delay=30)  # pinyin initials of the group's name
    expect(hits).to_be_visible()
    expect(hits.locator("[role=status]")).to_contain_text("1")
    expect(hits.locator("[role=option]").first).to_contain_text(group.name)
    expect(box).to_have_attribute("aria-expanded", "true")

    box.press("ArrowDown")
    first = hits.locator("[role=option]").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", f"site-search-group-{group.pk}")
    box.press("Escape")
    expect(hits).to_be_hidden()

    box.press("ArrowDown")  # reopens the list and chooses the first hit
    expect(hits).to_be_visible()
    box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/clients/groups/{group.pk}/")
    expect(page.locator("h1")).to_contain_text(group.name)


def test_enter_without_a_choice_opens_all_results_and_other_branches_stay_out(bank, login, live_server):
    EnterpriseFactory(name="遵义建材测试有限公司", uscc=uscc_for(790001), branch=bank.zy1, rm=bank.rm_zy1)
    EnterpriseFactory(name="贵阳建材测试有限公司", uscc=uscc_for(790002), branch=bank.gy1, rm=bank.rm_gy1)
    page = login("rm_gy1")
    box = page.locator("#site-search-q")
    box.press_sequentially("建材", delay=30)
    hits = page.locator("#site-search-hits")
    expect(hits.locator("[role=option]").first).to_contain_text("贵阳建材测试有限公司")
    expect(hits).not_to_contain_text("遵义建材测试有限公司")
    box.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/search/?q=%E5%BB%BA%E6%9D%90")
    expect(page.locator("#search-enterprises")).to_contain_text("1")
    page.click("main >> text=贵阳建材测试有限公司")
    expect(page.locator("h1")).to_contain_text("贵阳建材测试有限公司")
