"""Lists people can work, in a real browser, one journey per role: the landing page after login, then
sorting (header clicks, htmx, the URL keeps the order) and filtering a list; amounts read in 万元 /
亿元 in Chinese and as full grouped figures in English. Screenshots of the landing pages and lists in
both languages go to SCREENS (/work/screens/lists/ by default) for a person to look at."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.clients.lists_helpers import group_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(os.environ.get("LIST_SCREENS_DIR", "/work/screens/lists"))


@pytest.fixture
def book(bank):
    """rm_gy1 (GY1): group_gy (50 亿, no loans), one group near and one over its limit; rm_gy2 (GY2):
    three groups with Chinese names whose pinyin order differs from their code-point order."""
    group_with(name="接近额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="100000000", loans="95000000",
               tier="strategic")
    group_with(name="超出额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="100000000", loans="120000000")
    for name, limit in [("张家测试集团", "300000000"), ("阿里测试集团", "120000000"), ("白云测试集团", "45000000")]:
        group_with(name=name, branch=bank.gy2, lead_rm=bank.rm_gy2, limit=limit, loans="1000000")
    return bank


def _login(page, live_server, username):
    from tests.conftest import PASSWORD

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def _english(page):
    """Switch to English: the switch comes back to the list as it is now (filters and sort that htmx
    pushed into the address bar included: static/js/lang-next.js)."""
    here = page.url
    page.click("button[data-lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == here


def _sort_by(page, key, direction):
    page.click(f"th[data-sort-key={key}] a")
    expect(page.locator(f"th[data-sort-key={key}]")).to_have_attribute("aria-sort", direction)


def _column(page, table, index):
    return [t.strip() for t in page.locator(f"#{table} tbody tr td:nth-child({index})").all_inner_texts()]


def test_rm_lands_on_their_groups_by_limit_use_and_sorts_their_list(book, page, live_server):
    _login(page, live_server, "rm_gy1")
    landing = page.locator("#landing")
    expect(page.locator("#panel-my-groups tbody tr").first).to_contain_text("超出额度集团")
    expect(page.locator("#panel-my-groups td.limit-over").first).to_have_text("120.0%")
    expect(page.locator("#panel-my-groups td.limit-near")).to_have_text("95.0%")
    expect(page.locator("#panel-tiles")).to_contain_text("52.00亿元")  # 50 亿 + 1 亿 + 1 亿 of limits
    expect(page.locator("#panel-my-groups")).to_contain_text("12,000.00")  # 1.2 亿 of loans in 万元
    expect(page.locator("#panel-my-groups thead")).to_contain_text("（万元）")
    _shot(page, "rm_landing_zh")

    page.click("#panel-tiles .kpi a.value >> nth=0")  # my groups, most used first
    expect(page).to_have_url(f"{live_server.url}/clients/groups/?mine=covered&sort=-limit_use")
    expect(page.locator("#group-table tbody tr").first).to_contain_text("超出额度集团")
    _sort_by(page, "limit", "descending")
    assert "sort=-limit" in page.url
    assert _column(page, "group-table", 1)[0] == book.group_gy.name
    expect(page.locator("#group-totals")).to_contain_text("520,000.00")  # 52 亿 in 万元
    page.select_option("#id_tier", "strategic")
    expect(page.locator("#group-table tbody tr")).to_have_count(1)
    assert "sort=-limit" in page.url and "tier=strategic" in page.url  # the order survives the filter
    _shot(page, "rm_list_zh")

    _english(page)
    expect(page.locator("#group-totals")).to_contain_text("100,000,000")
    page.goto(f"{live_server.url}/")
    expect(landing).to_contain_text("CNY 5.20 bn")
    expect(page.locator("#panel-my-groups")).to_contain_text("120,000,000")
    _shot(page, "rm_landing_en")


def test_branch_head_lands_on_branch_tiles_and_works_a_sub_branch_in_pinyin_order(book, page, live_server):
    _login(page, live_server, "head_gy")
    expect(page.locator("#panel-tiles")).to_contain_text("56.65亿元")  # every group of 贵阳分行
    rows = page.locator("#branch-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#branch-table")).to_contain_text(book.gy2.name)
    expect(page.locator("#branch-table")).to_contain_text("46,500.00")  # GY2: 4.65 亿 in 万元
    _shot(page, "head_landing_zh")

    page.click(f"#branch-table >> text={book.gy2.name}")
    expect(page.locator("#group-table tbody tr")).to_have_count(3)
    assert _column(page, "group-table", 1) == ["阿里测试集团", "白云测试集团", "张家测试集团"]  # pinyin
    _sort_by(page, "name", "descending")
    assert _column(page, "group-table", 1) == ["张家测试集团", "白云测试集团", "阿里测试集团"]
    page.select_option("#id_sub_branch", str(book.gy1.pk))
    expect(page.locator("#group-table")).to_contain_text("超出额度集团")
    expect(page.locator("#group-table tbody tr")).to_have_count(3)
    page.select_option("#id_lead_rm", str(book.rm_gy2.pk))  # nobody of GY2 leads a group in GY1
    expect(page.locator("#group-table tbody tr")).to_have_count(1)
    expect(page.locator("#group-table")).not_to_contain_text("超出额度集团")
    page.select_option("#id_lead_rm", str(book.rm_gy1.pk))
    expect(page.locator("#group-table tbody tr")).to_have_count(3)
    assert _column(page, "group-table", 1) == ["接近额度集团", "贵州测试汽车集团", "超出额度集团"]  # jie, gui, chao
    assert "sort=-name" in page.url and f"sub_branch={book.gy1.pk}" in page.url
    expect(page.locator("#results-indicator")).to_have_css("opacity", "0")  # no request in flight
    _shot(page, "head_list_zh")

    _english(page)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#panel-tiles")).to_contain_text("CNY 5.67 bn")
    expect(page.locator("#branch-table")).to_contain_text("465,000,000")
    _shot(page, "head_landing_en")


def test_risk_officer_lands_on_the_groups_near_their_limit_and_sorts_by_use(book, page, live_server):
    _login(page, live_server, "risk_gy")
    near = page.locator("#panel-near-limit tbody tr")
    expect(near).to_have_count(2)
    expect(near.first).to_contain_text("超出额度集团")
    expect(page.locator("#panel-tiles .kpi.limit-over")).to_contain_text("1")
    _shot(page, "risk_landing_zh")

    page.goto(f"{live_server.url}/clients/groups/")
    _sort_by(page, "limit_use", "descending")
    expect(page.locator("#group-table tbody tr").first.locator("td.limit-over")).to_have_text("120.0%")
    expect(page.locator("#group-table tbody tr").nth(1).locator("td.limit-near")).to_have_text("95.0%")
    _sort_by(page, "limit_use", "ascending")
    assert "sort=limit_use" in page.url
    _shot(page, "risk_list_zh")
    _english(page)
    _shot(page, "risk_list_en")


def test_head_office_lands_on_the_branches_and_filters_a_branch_subtree(book, page, live_server):
    _login(page, live_server, "hq")
    table = page.locator("#branch-table")
    expect(table).to_contain_text(book.gy.name)
    expect(table).to_contain_text(book.zy.name)
    expect(page.locator("#panel-tiles")).to_contain_text("106.65亿元")
    _shot(page, "hq_landing_zh")

    page.goto(f"{live_server.url}/clients/groups/")
    page.select_option("#id_branch", str(book.gy.pk))  # the branch and both its sub-branches
    expect(page.locator("#group-table tbody tr")).to_have_count(6)
    expect(page.locator("#group-table")).not_to_contain_text(book.group_zy.name)
    _sort_by(page, "branch", "ascending")
    assert "branch=" in page.url and "sort=branch" in page.url
    _shot(page, "hq_list_zh")

    _english(page)
    expect(page.locator("#group-totals")).to_contain_text("5,665,000,000")
    _shot(page, "hq_list_en")
    page.goto(f"{live_server.url}/clients/enterprises/?sort=-name")
    expect(page.locator("th[data-sort-key=name]")).to_have_attribute("aria-sort", "descending")
    _shot(page, "hq_enterprises_en")
    page.goto(f"{live_server.url}/")
    expect(page.locator("#panel-tiles")).to_contain_text("CNY 10.67 bn")
    _shot(page, "hq_landing_en")
