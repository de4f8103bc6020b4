"""Pages: the facilities list and a facility, the facility form with its preview, the pledge form's
conflict, the group limit page with the tree and sub-limit editing, the group and enterprise pages'
sections, other banks' financing, concentration limits; access per persona; Chinese; query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from risk.models import Facility, OtherBankFinancing, Pledge, RelatedParty, RiskSettings, SubLimit
from tests.querycount import count_queries
from tests.risk.limits.conftest import AS_OF, facility, members


def test_facility_pages_per_persona(bank, client_as):
    core = bank.group_gy.core_enterprise
    f = facility(core, 1_000_000, 400_000, reference="PG-1")
    for user in (bank.hq, bank.head_gy, bank.risk_gy, bank.rm_gy1):
        page = client_as(user).get("/risk/facilities/")
        assert page.status_code == 200 and "PG-1" in page.content.decode(), user
        assert client_as(user).get(f"/risk/facilities/{f.pk}/").status_code == 200
    for user in (bank.rm_gy2, bank.rm_zy1):
        assert "PG-1" not in client_as(user).get("/risk/facilities/").content.decode()
        assert client_as(user).get(f"/risk/facilities/{f.pk}/").status_code == 404
    assert client_as(bank.rm_gy1).get("/risk/facilities/new/").status_code == 403
    assert client_as(bank.rm_gy1).post(f"/risk/facilities/{f.pk}/close/").status_code == 403
    # Filters and sorting never fail.
    c = client_as(bank.risk_gy)
    for query in ("?status=active", "?sort=-drawn", "?sort=bogus", f"?group={bank.group_gy.pk}", "?group=x",
                  "?product=nope", "?enterprise=测试", "?page=999"):
        assert c.get(f"/risk/facilities/{query}").status_code == 200, query
    assert "PG-1" not in c.get(f"/risk/facilities/?group={bank.group_zy.pk}").content.decode()


def test_facility_form_preview_and_allocation(bank, client_as):
    group = bank.group_gy
    _core, sub1, _ = members(group)
    SubLimit.objects.create(group=group, enterprise=sub1, amount=Decimal("2000000"))
    facility(sub1, 1_500_000)
    c = client_as(bank.risk_gy)
    assert c.get("/risk/facilities/new/").status_code == 200
    preview = c.get("/risk/facilities/preview/", {"enterprise_uscc": sub1.uscc, "limit_amount": "1000000",
                                                 "currency": "CNY"}).content.decode()
    assert "preview-member" in preview and "125.0%" in preview and "saving will be refused" in preview
    assert "preview-group" in preview
    bad = c.get("/risk/facilities/preview/", {"enterprise_uscc": bank.group_zy.core_enterprise.uscc,
                                             "limit_amount": "1"}).content.decode()
    assert "No enterprise with the credit code" in bad
    assert c.get("/risk/facilities/preview/", {"limit_amount": "abc"}).status_code == 200
    data = {"reference": "PG-NEW", "enterprise_uscc": sub1.uscc, "product": "working_capital_loan",
            "limit_amount": "1000000", "drawn": "0", "currency": "CNY", "start_date": "2026-01-01",
            "end_date": "2027-01-01"}
    page = c.post("/risk/facilities/new/", data)
    assert page.status_code == 200 and "the headroom is" in page.content.decode()
    data["limit_amount"] = "500000"
    page = c.post("/risk/facilities/new/", data)
    assert page.status_code == 302
    f = Facility.objects.get(reference="PG-NEW")
    assert c.get(f"/risk/facilities/{f.pk}/edit/").status_code == 200
    assert c.post(f"/risk/facilities/{f.pk}/edit/", {**data, "drawn": "100"}).status_code == 302
    assert Facility.objects.get(pk=f.pk).drawn == Decimal("100")
    assert "history" in c.get(f"/risk/facilities/{f.pk}/").content.decode()


def test_pledge_conflict_on_the_page(bank, client_as):
    core = bank.group_gy.core_enterprise
    _c, sub1, _s = members(bank.group_gy)
    f1 = facility(core, 1000, reference="EARLY-1")
    f2 = facility(sub1, 1000)
    c = client_as(bank.risk_gy)
    body = {"kind": "inventory", "lot_ref": "lot 7", "amount": "100", "currency": "CNY"}
    assert c.post(f"/risk/facilities/{f1.pk}/pledges/new/", body).status_code == 302
    page = c.post(f"/risk/facilities/{f2.pk}/pledges/new/", {**body, "lot_ref": " LOT7 "})
    text = page.content.decode()
    assert page.status_code == 200 and "EARLY-1" in text and core.name in text
    pledge = Pledge.objects.get()
    assert c.post(f"/risk/pledges/{pledge.pk}/release/").status_code == 302
    assert Pledge.objects.get().released_at is not None
    assert client_as(bank.rm_zy1).post(f"/risk/pledges/{pledge.pk}/release/").status_code == 404  # out of reach
    assert client_as(bank.rm_gy1).post(f"/risk/pledges/{pledge.pk}/release/").status_code == 403  # an RM's role


def test_group_limit_page_and_sub_limits(bank, client_as):
    group = bank.group_gy
    group.unified_credit_limit = Decimal("10000000")
    group.save()
    _core, sub1, _ = members(group)
    facility(sub1, 5_000_000, 4_600_000)
    c = client_as(bank.risk_gy)
    page = c.post(f"/risk/groups/{group.pk}/limits/", {"enterprise": sub1.uscc, "amount": "5000000"})
    assert page.status_code == 302
    text = c.get(f"/risk/groups/{group.pk}/limits/").content.decode()
    assert 'id="limit-tree"' in text and "limit-near" in text and "sub-limit-form" in text  # 92 % of the sub-limit
    page = c.post(f"/risk/groups/{group.pk}/limits/", {"enterprise": sub1.uscc, "amount": "20000000"})
    assert "unified credit limit" in page.content.decode()
    rm = client_as(bank.rm_gy1).get(f"/risk/groups/{group.pk}/limits/").content.decode()
    assert 'id="limit-tree"' in rm and "sub-limit-form" not in rm
    assert client_as(bank.rm_gy1).post(f"/risk/groups/{group.pk}/limits/", {}).status_code == 403
    assert client_as(bank.rm_zy1).get(f"/risk/groups/{group.pk}/limits/").status_code == 404
    sub = SubLimit.objects.get()
    assert c.post(f"/risk/sub-limits/{sub.pk}/remove/").status_code == 302
    assert not SubLimit.objects.exists()
    # The group 360 page's section, and the enterprise page's facilities.
    page = c.get(f"/clients/groups/{group.pk}/").content.decode()
    assert 'id="limit-tree"' in page and 'id="group-headroom"' in page
    page = client_as(bank.rm_gy1).get(f"/clients/enterprises/{sub1.pk}/").content.decode()
    assert 'id="enterprise-facilities"' in page


def test_other_banks_concentration_related_parties(bank, client_as):
    core = bank.group_gy.core_enterprise
    rm = client_as(bank.rm_gy1)
    body = {"enterprise_uscc": core.uscc, "lender": "某城商行", "amount": "1000", "currency": "CNY",
            "as_of": "2026-06-01"}
    assert rm.post("/risk/other-banks/new/", body).status_code == 302
    row = OtherBankFinancing.objects.get()
    assert "某城商行" in rm.get("/risk/other-banks/").content.decode()
    assert "某城商行" not in client_as(bank.rm_zy1).get("/risk/other-banks/").content.decode()
    assert client_as(bank.rm_zy1).get(f"/risk/other-banks/{row.pk}/edit/").status_code == 404
    assert rm.post(f"/risk/other-banks/{row.pk}/delete/").status_code == 302
    assert rm.get("/risk/concentration/").status_code == 200
    assert rm.post("/risk/concentration/", {}).status_code == 403
    hq = client_as(bank.hq)
    data = {"net_capital": "1000000000", "tier1_capital": "800000000", "client_pct": "10", "group_pct": "15",
            "connected_group_pct": "20", "large_exposure_pct": "10", "related_client_pct": "10",
            "related_group_pct": "15", "related_total_pct": "50", "warning_pct": "85"}
    assert hq.post("/risk/concentration/", data).status_code == 302
    assert RiskSettings.current().warning_pct == Decimal("85")
    assert hq.post("/risk/concentration/", {**data, "warning_pct": "150"}).status_code == 200
    assert hq.post("/risk/related-parties/", {"enterprise_uscc": core.uscc, "since": "2026-01-01"}).status_code == 302
    assert RelatedParty.objects.filter(enterprise=core).exists()
    assert client_as(bank.risk_gy).post("/risk/related-parties/", {"remove": "1"}).status_code == 403
    assert core.name in client_as(bank.rm_gy1).get("/risk/related-parties/").content.decode()


def test_pages_in_chinese(bank, client_as, settings):
    group = bank.group_gy
    facility(group.core_enterprise, 1_000_000, 500_000)
    c = client_as(bank.risk_gy)
    for url in ("/risk/facilities/", f"/risk/groups/{group.pk}/limits/", "/risk/other-banks/",
                "/risk/concentration/", "/risk/related-parties/", "/risk/facilities/new/"):
        page = c.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200, url


@pytest.mark.parametrize("n", [1, 6])
def test_query_counts_do_not_grow(bank, client_as, n):
    group = bank.group_gy
    for e in members(group):
        for _ in range(n):
            facility(e, 1000, 10)
        SubLimit.objects.get_or_create(group=group, enterprise=e, defaults={"amount": Decimal("100000")})
        OtherBankFinancing.objects.create(enterprise=e, lender="L", amount=1, as_of=AS_OF)
    c = client_as(bank.risk_gy)
    counts = {
        "limits": count_queries(c, f"/risk/groups/{group.pk}/limits/", label="group limits"),
        "list": count_queries(c, "/risk/facilities/", label="facilities"),
        "other": count_queries(c, "/risk/other-banks/", label="other banks"),
    }
    f = Facility.objects.filter(enterprise__in=members(group)).first()
    counts["detail"] = count_queries(c, f"/risk/facilities/{f.pk}/", label="facility")
    assert counts == PINNED, counts


# The same for 1 and 6 facilities per member (sessions, user, scope, then the page's own reads).
PINNED = {"limits": 13, "list": 8, "other": 8, "detail": 9}


def test_group_page_in_chinese_shows_the_tree(bank, client_as):
    group = bank.group_gy
    facility(group.core_enterprise, 1_000_000, 500_000)
    page = client_as(bank.rm_gy1).get(f"/clients/groups/{group.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and 'id="limit-tree"' in page.content.decode()
    assert client_as(bank.rm_zy1).get(f"/clients/groups/{group.pk}/").status_code == 404
