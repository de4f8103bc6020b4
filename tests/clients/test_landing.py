"""The landing page per role (clients.landing, staff.views.home): an RM's groups by limit use and pending
requests, a branch head's tiles and sub-branch table, a risk officer's groups near or over their limit,
head office's branches; figures from the user's reach only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clients import landing
from clients.approvals import transfer_request
from tests.clients.lists_helpers import group_with


@pytest.fixture
def figures(bank):
    """GY1: group_gy (50 亿, no loans) and two groups of rm_gy1 near and over their limit; GY2: one group
    of rm_gy2; a transfer rm_gy1 asked for, waiting for head_gy."""
    near = group_with(name="接近额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="100000000", loans="95000000")
    over = group_with(name="超出额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="100000000", loans="120000000")
    other = group_with(name="南明测试集团", branch=bank.gy2, lead_rm=bank.rm_gy2, limit="30000000", loans="1000000")
    request = transfer_request(user=bank.rm_gy1, group=bank.group_gy, team=[bank.rm_gy2])
    return {"near": near, "over": over, "other": other, "request": request}


def home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, {p.key: p for p in response.context["panels"]}


def tile_values(panel):
    return {str(t.label): t.value for t in panel.context["tiles"]}


def test_rm_sees_their_groups_by_limit_use_and_their_pending_requests(bank, client_as, figures):
    response, panels = home(client_as(bank.rm_gy1))
    assert list(panels) == ["tiles", "my-needs", "my-alerts", "my-groups", "my-requests"]  # my-alerts: risk.panels
    assert [g.name for g in panels["my-groups"].context["groups"]] == ["超出额度集团", "接近额度集团", bank.group_gy.name]
    assert tile_values(panels["tiles"]) == {
        "My groups": 3, "Clients in my book": 5, "Unified limits of my groups": Decimal("5200000000.00"),
        "My pending requests": 1,
    }
    assert [r.pk for r in panels["my-requests"].context["requests"]] == [figures["request"].pk]
    body = response.content.decode()
    assert "南明测试集团" not in body  # rm_gy2's group
    assert 'data-level="over">120.0%' in body and 'data-level="near">95.0%' in body
    assert "CNY 5.20 bn" in body  # the tile: m / bn in English
    assert "120,000,000" in body  # loans in full grouped yuan


def test_branch_head_sees_the_branch_tiles_and_a_row_per_sub_branch(bank, client_as, figures):
    response, panels = home(client_as(bank.head_gy))
    assert list(panels) == ["tiles", "branches", "approvals", "needs-summary"]
    tiles = tile_values(panels["tiles"])
    assert tiles["Group clients"] == 4 and tiles["Requests awaiting my approval"] == 1
    assert tiles["Total unified limit"] == Decimal("5230000000.00")
    rows = {r.name: r for r in panels["branches"].context["rows"]}
    assert set(rows) == {bank.gy1.name, bank.gy2.name}
    assert (rows[bank.gy1.name].groups, rows[bank.gy1.name].limit) == (3, Decimal("5200000000.00"))
    assert (rows[bank.gy2.name].groups, rows[bank.gy2.name].limit) == (1, Decimal("30000000.00"))
    assert rows[bank.gy2.name].clients == 1
    assert panels["branches"].context["total"].groups == 4
    body = response.content.decode()
    assert bank.group_zy.name not in body and "遵义" not in body
    assert f"?sub_branch={bank.gy2.pk}" in body


def test_risk_officer_sees_the_groups_near_or_over_their_limit(bank, client_as, figures):
    response, panels = home(client_as(bank.risk_gy))
    assert list(panels) == ["tiles", "alerts-by-severity", "high-alerts", "near-limit"]  # alerts: risk.panels
    assert [g.name for g in panels["near-limit"].context["groups"]] == ["超出额度集团", "接近额度集团"]
    tiles = tile_values(panels["tiles"])
    assert (tiles["Near their limit"], tiles["Over their limit"]) == (1, 1)
    body = response.content.decode()
    assert "南明测试集团" not in body.split('id="panel-near-limit"')[1]
    assert reverse("clients:request_list") not in body.split('id="landing"')[1]  # not a requests role


def test_head_office_sees_a_row_per_branch(bank, client_as, figures):
    response, panels = home(client_as(bank.hq))
    rows = {r.name: r for r in panels["branches"].context["rows"]}
    assert set(rows) == {bank.gy.name, bank.zy.name}
    assert rows[bank.gy.name].groups == 4 and rows[bank.zy.name].groups == 1
    assert panels["branches"].context["total"].limit == Decimal("10230000000.00")
    assert tile_values(panels["tiles"])["Requests awaiting my approval"] == 1


def test_chinese_landing_reads_yi_and_wan_yuan(bank, client_as, figures):
    body = client_as(bank.head_gy).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "52.30亿元" in body  # the tile
    assert "（万元）" in body and "520,000.00" in body  # GY1's limits in the table


def test_a_login_without_a_role_gets_an_empty_landing(bank, client_as):
    response = client_as(bank.outsider).get(reverse("home"))
    assert response.status_code == 200 and response.context["panels"] == []
    assert 'id="no-role"' in response.content.decode()


def test_the_rm_of_another_branch_sees_none_of_it(bank, client_as, figures):
    body = client_as(bank.rm_zy1).get(reverse("home")).content.decode()
    for name in ("接近额度集团", "超出额度集团", "南明测试集团", bank.group_gy.name):
        assert name not in body


def test_branch_table_rolls_deeper_branches_up_to_their_sub_branch(bank):
    from staff.services import branch_create

    office = branch_create(code="GY1A", name="观山湖营业部", level="sub_branch", parent=bank.gy1)
    group_with(name="营业部测试集团", branch=office, lead_rm=bank.rm_gy1, limit="7")
    table, total = landing.branch_table(bank.head_gy)
    rows = {r.name: r for r in table}
    assert office.name not in rows and rows[bank.gy1.name].groups == 2
