"""Proposal pages: the list (pending by default, filters), confirm and reject through htmx, out of reach
answers 404, the group page's block, head office's thresholds; query counts pinned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clients.models import ControlLink
from risk import identification
from risk.models import GroupProposal, ProposalStatus
from tests.factories import EnterpriseFactory
from tests.querycount import count_queries

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _make(bank, n=1):
    g = bank.group_gy
    made = []
    for _ in range(n):
        parent = EnterpriseFactory(branch=bank.gy1)
        ControlLink.objects.create(parent_enterprise=parent, child=g.core_enterprise, share_pct=Decimal("20"),
                                   control_type="agreement")
        made.append(parent)
    identification.refresh(None, as_of=dt.date(2026, 6, 15))
    return list(GroupProposal.objects.filter(enterprise__in=made).order_by("pk"))


def test_list_filters_and_actions(client_as, bank):
    p, q = _make(bank, 2)
    client = client_as(bank.rm_gy1)
    page = client.get("/risk/proposals/").content.decode()
    assert f"proposal-{p.pk}" in page and p.enterprise.uscc in page and "Controls a member" in page
    assert "---------" not in page
    assert f"proposal-{p.pk}" not in client.get("/risk/proposals/?status=rejected").content.decode()
    assert client.get("/risk/proposals/?status=bogus&test=x&group=abc").status_code == 200
    row = client.post(f"/risk/proposals/{p.pk}/reject/", {"note": ""}, **HX).content.decode()
    assert "errorlist" in row
    row = client.post(f"/risk/proposals/{p.pk}/confirm/", {"note": "ok"}, **HX).content.decode()
    assert "Confirmed" in row and 'class="proposal-confirm"' not in row
    row = client.post(f"/risk/proposals/{q.pk}/reject/", {"note": "不是"}, **HX).content.decode()
    q.refresh_from_db()
    assert q.status == ProposalStatus.REJECTED and "不是" in row
    assert client.post(f"/risk/proposals/{q.pk}/delete/", {}).status_code == 404
    other = client_as(bank.rm_gy2)
    assert f"proposal-{p.pk}" not in other.get("/risk/proposals/?status=all").content.decode()
    assert other.post(f"/risk/proposals/{p.pk}/confirm/", {}).status_code == 404


def test_group_page_block_and_query_counts(client_as, bank):
    client = client_as(bank.rm_gy1)
    url = f"/clients/groups/{bank.group_gy.pk}/"
    _make(bank, 1)
    page = client.get(url).content.decode()
    assert 'id="group-proposals"' in page
    one_list = count_queries(client, "/risk/proposals/", label="proposals list")
    one_group = count_queries(client, url, label="group page")
    _make(bank, 11)  # more than the block shows
    assert count_queries(client, "/risk/proposals/", label="proposals list") == one_list
    page = client.get(url).content.decode()
    assert count_queries(client, url, label="group page") == one_group
    assert "All of the group&#x27;s proposals" in page or "All of the group's proposals" in page


def test_list_query_count_pinned(client_as, bank):
    _make(bank, 3)
    client = client_as(bank.rm_gy1)
    n = count_queries(client, "/risk/proposals/", label="proposals list")
    # session, user, role; groups for the filter; count; the page (group, candidate, branch); who may decide
    # (the groups in reach, the candidates in the full record)
    assert n == 9, n


def test_thresholds_head_office_only(client_as, bank):
    rm = client_as(bank.rm_gy1)
    assert rm.get("/risk/proposals/thresholds/").status_code == 200
    assert rm.post("/risk/proposals/thresholds/", {"flow_min_amount": "1"}).status_code == 403
    hq = client_as(bank.hq)
    bad = hq.post("/risk/proposals/thresholds/", {"flow_min_amount": "-1", "one_way_max_pct": "10",
                                                   "window_months": "12"})
    assert bad.status_code == 400
    ok = hq.post("/risk/proposals/thresholds/", {"flow_min_amount": "5000000", "one_way_max_pct": "5",
                                                  "window_months": "6"})
    assert ok.status_code == 302
    assert identification.thresholds() == {"flow_min_amount": "5000000.00", "one_way_max_pct": "5",
                                           "window_months": 6}
    assert client_as(bank.outsider).get("/risk/proposals/thresholds/").status_code == 403  # a login without a role: refused, like every page without an object


def test_login_required_and_no_role_sees_nothing(client, client_as, bank):
    p = _make(bank, 1)[0]
    assert client.get("/risk/proposals/").status_code == 302
    assert client.get("/risk/proposals/thresholds/").status_code == 302
    assert client.post(f"/risk/proposals/{p.pk}/confirm/").status_code in (302, 403)
    outsider = client_as(bank.outsider)
    assert f"proposal-{p.pk}" not in outsider.get("/risk/proposals/?status=all").content.decode()
    assert outsider.post(f"/risk/proposals/{p.pk}/confirm/", {}).status_code == 404


def test_buttons_only_for_those_who_may_decide(client_as, bank):
    g = bank.group_gy
    theirs = EnterpriseFactory(branch=bank.zy1, rm=bank.rm_zy1)
    ControlLink.objects.create(parent_enterprise=theirs, child=g.core_enterprise, share_pct=Decimal("70"))
    identification.refresh(None, as_of=dt.date(2026, 6, 15))
    p = GroupProposal.objects.get(enterprise=theirs)
    for user in (bank.rm_gy1, bank.rm_zy1, bank.hq):
        page = client_as(user).get("/risk/proposals/").content.decode()
        assert f"proposal-{p.pk}" in page and 'class="proposal-confirm"' in page, user
    assert "both sides confirm" in client_as(bank.rm_gy1).get("/risk/proposals/").content.decode()


def test_candidate_rm_of_the_same_branch_reads_without_buttons(client_as, bank):
    from staff.services import staff_create

    rm_other = staff_create(username="rm_gy1c", password="pw-test-2026", role="rm", branch=bank.gy1,
                            display_name="rm_gy1c")
    mine = EnterpriseFactory(branch=bank.gy1, rm=rm_other)
    ControlLink.objects.create(parent_enterprise=mine, child=bank.group_gy.core_enterprise, share_pct=Decimal("70"))
    identification.refresh(None, as_of=dt.date(2026, 6, 15))
    p = GroupProposal.objects.get(enterprise=mine)
    page = client_as(rm_other).get("/risk/proposals/").content.decode()
    assert f"proposal-{p.pk}" in page and 'class="proposal-confirm"' not in page
