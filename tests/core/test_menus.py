"""The main menu shows a role what it may open, and only that (core.menu): for every persona and every
menu item, a shown item opens (200) and a hidden one is refused (403) by the page itself."""

import re

import pytest
from django.urls import reverse

from core.menu import MENU
from tests.admin.helpers import staff_with_all_permissions

NAV = re.compile(r'<nav class="mainnav".*?</nav>', re.S)
ITEM = re.compile(r'data-menu="([a-z_]+)"')

EVERYONE = {"groups", "enterprises", "lookup", "catalogue", "facilities", "proposals"}
ROLES = EVERYONE | {"risk_alerts"}  # any role works the alerts in its reach
EDITORS = ROLES | {"requests", "imports"}
HEAD_OFFICE = EDITORS | {"operations", "audit", "api_docs"}

# What each persona's menu holds, written out (not derived from the rules under test).
EXPECTED = {
    "rm_gy1": EDITORS,
    "rm_zy1": EDITORS,  # an RM of another branch: the same menu, other data
    "head_gy": EDITORS,  # branch heads edit clients, import and approve requests
    "risk_gy": ROLES,  # risk officers read: no import, no requests, no head-office pages
    "hq": HEAD_OFFICE,  # head office without is_staff: everything but the Django admin
    "hq_admin_staff": HEAD_OFFICE | {"admin"},
    "outsider": EVERYONE,  # a login without a role: the lists show nothing
}


def _user(bank, persona):
    if persona == "hq_admin_staff":
        return staff_with_all_permissions(bank.hq)
    return getattr(bank, persona)


def menu_keys(html: str) -> list[str]:
    nav = NAV.search(html)
    assert nav, "the page has no main menu"
    return ITEM.findall(nav.group(0))


def test_every_menu_item_is_listed_in_the_expectations():
    assert {item.key for item in MENU} == set().union(*EXPECTED.values())


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_the_menu_shows_exactly_what_the_role_may_open(bank, client_as, persona):
    client = client_as(_user(bank, persona))
    response = client.get(reverse("clients:group_list"))
    assert response.status_code == 200
    shown = menu_keys(response.content.decode())
    assert shown == [item.key for item in MENU if item.key in EXPECTED[persona]]  # menu order kept

    for item in MENU:
        status = client.get(reverse(item.url_name)).status_code
        if item.key in EXPECTED[persona]:
            assert status == 200, (persona, item.key, status)
        else:
            assert status == 403, (persona, item.key, status)


def test_a_hidden_item_s_page_refuses_with_the_403_page_and_its_reason(bank, client_as):
    response = client_as(bank.risk_gy).get(reverse("imports:upload"))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-status="403"' in html and "Your role may not change client data." in html
    assert menu_keys(html) == ["groups", "enterprises", "lookup", "catalogue", "risk_alerts", "facilities",
                              "proposals"]  # inside the layout, with the user's menu


def test_risk_officers_are_refused_every_requests_page(bank, client_as):
    from clients.approvals import transfer_request

    request = transfer_request(user=bank.rm_gy1, enterprise=bank.group_gy.core_enterprise, branch=bank.gy2,
                               rm=bank.rm_gy2, reason="移交测试")
    risk = client_as(bank.risk_gy)
    assert risk.get(reverse("clients:request_detail", args=[request.pk])).status_code == 403
    decide = reverse("clients:request_decide", args=[request.pk, "approve"])
    assert risk.post(decide).status_code == 403
    request.refresh_from_db()
    assert request.status == "pending"
    assert client_as(bank.head_gy).get(reverse("clients:request_detail", args=[request.pk])).status_code == 200


def test_the_change_requests_api_keeps_the_pages_rule(bank, api_as):
    """The same rule on the API (core.permissions.takes_part_in_requests): a risk officer's token neither
    lists nor decides requests; the approver's does."""
    from clients.approvals import transfer_request

    request = transfer_request(user=bank.rm_gy1, enterprise=bank.group_gy.core_enterprise, branch=bank.gy2,
                               rm=bank.rm_gy2, reason="移交测试")
    risk = api_as(bank.risk_gy)
    assert risk.get("/api/v1/change-requests/").status_code == 403
    assert risk.get(f"/api/v1/change-requests/{request.pk}/").status_code == 403
    assert risk.post(f"/api/v1/change-requests/{request.pk}/approve/", {}, format="json").status_code == 403
    request.refresh_from_db()
    assert request.status == "pending"
    assert api_as(bank.head_gy).get("/api/v1/change-requests/").json()["count"] == 1


def test_the_current_page_s_item_is_marked(bank, client_as):
    html = client_as(bank.rm_gy1).get(reverse("imports:upload")).content.decode()
    nav = NAV.search(html).group(0)
    assert re.search(r'data-menu="imports" class="active" aria-current="page"', nav)
    assert nav.count('class="active"') == 1


def test_the_menu_speaks_the_user_s_language(bank, client_as):
    client = client_as(bank.risk_gy)
    html = client.get(reverse("clients:group_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    nav = NAV.search(html).group(0)
    assert "集团客户" in nav and "Group clients" not in nav


HREF = re.compile(r'<a\b[^>]*\shref="(/[^"#?]*)')
NOT_PAGES = ("/static/", "/logout/", "/i18n/")


@pytest.mark.parametrize("persona", ["rm_gy1", "head_gy", "risk_gy", "rm_zy1", "hq"])
def test_no_page_links_a_role_to_a_page_that_refuses_it(bank, client_as, persona):
    """Beyond the menu: the start page, the menu's pages and every page they link to (one step further)
    never link a role to a page that answers 403 (or fails)."""
    from clients.approvals import transfer_request

    transfer_request(user=bank.rm_gy1, enterprise=bank.group_gy.core_enterprise, branch=bank.gy2, rm=bank.rm_gy2,
                     reason="移交测试")  # so request lists and panels have a link to follow
    client = client_as(_user(bank, persona))
    start = [reverse("home"), *(reverse(item.url_name) for item in MENU if item.key in EXPECTED[persona])]
    seen: dict[str, int] = {}
    linked_from: dict[str, str] = {}
    frontier = start
    for _depth in range(2):
        found = []
        for path in frontier:
            if path in seen:
                continue
            response = client.get(path)
            seen[path] = response.status_code
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                for href in HREF.findall(response.content.decode()):
                    if not href.startswith(NOT_PAGES) and href not in seen:
                        linked_from.setdefault(href, path)
                        found.append(href)
        frontier = found
    for path in frontier:
        if path not in seen:
            seen[path] = client.get(path).status_code
    refused = {path: (status, linked_from.get(path)) for path, status in seen.items()
               if status == 403 or status >= 500}
    assert refused == {}, persona
    assert len(seen) > len(start)  # the walk did follow links
