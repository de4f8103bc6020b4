"""In the browser (Chinese locale): a risk officer's menu has no Import, and the page they cannot
open, like an address that does not exist, answers a page in Chinese inside the layout."""

import pytest
from django.utils import translation

pytestmark = pytest.mark.browser


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_a_risk_officer_sees_no_import_link_and_gets_403_in_chinese(bank, login, live_server):
    page = login("risk_gy")
    page.goto(f"{live_server.url}/clients/groups/")
    nav = page.locator("nav.mainnav")
    nav.locator("a[data-menu=groups]").wait_for()
    assert nav.locator("a[data-menu=imports]").count() == 0
    assert nav.locator("a[data-menu=requests]").count() == 0
    assert zh("Import") not in nav.inner_text() and zh("Group clients") in nav.inner_text()

    response = page.goto(f"{live_server.url}/imports/")  # typed by hand: the page still refuses
    assert response.status == 403
    assert page.locator("section.error-page[data-status='403'] h1").inner_text().startswith(zh("Access refused"))
    assert zh("Your role may not change client data.") in page.locator("section.error-page").inner_text()


def test_a_404_is_a_chinese_page_inside_the_layout(bank, login, live_server):
    page = login("rm_gy1")
    response = page.goto(f"{live_server.url}/clients/no-such-page/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("header.topbar nav.mainnav a[data-menu=groups]").inner_text() == "集团客户"
    error = page.locator("main section.error-page[data-status='404']")
    assert error.locator("h1").inner_text().startswith(zh("Page not found"))
    assert "Traceback" not in page.content()
    error.locator("a[data-error-home]").click()  # back to the start page, still logged in
    page.wait_for_load_state()
    assert page.locator("nav.mainnav").count() == 1
