"""The facilities, exposures, sub-limits, pledges, other-bank-financing and risk-settings endpoints:
who writes what, out of reach answers like missing, the allocation rule and pledge conflicts as 400s."""

from __future__ import annotations

from decimal import Decimal

from risk.models import Facility, OtherBankFinancing, Pledge, RiskSettings, SubLimit
from tests.risk.limits.conftest import facility, members

URL = "/api/v1/facilities/"


def _payload(enterprise, **kw):
    return {"reference": kw.pop("reference", "API-1"), "enterprise": enterprise.uscc,
            "product": "working_capital_loan", "limit_amount": "1000000.00", "drawn": "0", "currency": "CNY",
            "start_date": "2026-01-01", "end_date": "2027-01-01", **kw}


def test_risk_officer_records_rm_cannot_other_branch_404(bank, api_as):
    core = bank.group_gy.core_enterprise
    risk = api_as(bank.risk_gy)
    r = risk.post(URL, _payload(core), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["enterprise"] == core.uscc and r.json()["product_code"] == "working_capital_loan"
    assert Facility.objects.get(reference="API-1").history.first().history_user == bank.risk_gy
    # An RM reads but may not write: 403 before the payload is read.
    rm = api_as(bank.rm_gy1)
    assert rm.post(URL, {"junk": 1}, format="json").status_code == 403
    assert rm.get(URL).json()["count"] == 1
    # Another branch's RM: not found.
    other = api_as(bank.rm_zy1)
    pk = r.json()["id"]
    assert other.get(f"{URL}{pk}/").status_code == 404
    assert other.get(URL).json()["count"] == 0
    # A risk officer naming another branch's enterprise: an unknown credit code.
    zy_core = bank.group_zy.core_enterprise
    r = risk.post(URL, _payload(zy_core, reference="API-2"), format="json")
    assert r.status_code == 400 and "No enterprise with the credit code" in r.json()["enterprise"][0]


def test_bad_input_names_the_field(bank, api_as):
    core = bank.group_gy.core_enterprise
    hq = api_as(bank.hq)
    assert hq.post(URL, _payload(core), format="json").status_code == 201
    r = hq.post(URL, _payload(core), format="json")
    assert r.status_code == 400 and "reference" in r.json()
    assert "product" in hq.post(URL, _payload(core, reference="X2", product="nope"), format="json").json()
    assert "currency" in hq.post(URL, _payload(core, reference="X3", currency="ZZZ"), format="json").json()
    assert "limit_amount" in hq.post(URL, _payload(core, reference="X4", limit_amount="-5"), format="json").json()
    assert "end_date" in hq.post(URL, _payload(core, reference="X5", end_date="2200-01-01"), format="json").json()
    r = hq.post(URL, _payload(core, reference="bad\u0000ref"), format="json")
    assert r.status_code == 400


def test_allocation_refused_with_headroom(bank, api_as):
    group = bank.group_gy
    _core, sub1, _sub2 = members(group)
    hq = api_as(bank.hq)
    r = hq.post("/api/v1/sub-limits/", {"group": group.pk, "enterprise": sub1.uscc, "amount": "2000000"},
                format="json")
    assert r.status_code == 201, r.json()
    r = hq.post(URL, _payload(sub1, limit_amount="2500000"), format="json")
    assert r.status_code == 400 and "headroom is" in r.json()["limit_amount"][0]
    assert hq.post(URL, _payload(sub1, limit_amount="2000000"), format="json").status_code == 201
    # The sub-limits together within the unified limit (5 亿 in the fixture).
    r = hq.post("/api/v1/sub-limits/", {"group": group.pk, "enterprise": group.core_enterprise.uscc,
                                        "amount": "4999000000"}, format="json")
    assert r.status_code == 400 and "unified credit limit" in r.json()["amount"][0]
    # An RM may not set sub-limits.
    assert api_as(bank.rm_gy1).post("/api/v1/sub-limits/", {}, format="json").status_code == 403
    sub = SubLimit.objects.get(enterprise=sub1)
    r = hq.patch(f"/api/v1/sub-limits/{sub.pk}/", {"amount": "1000000"}, format="json")
    assert r.status_code == 400 and "cannot be lower" in r.json()["amount"][0]


def test_exposures_tree_and_404(bank, api_as):
    group = bank.group_gy
    group.unified_credit_limit = Decimal("10000000")
    group.save()
    facility(group.core_enterprise, 5_000_000, 4_000_000)
    r = api_as(bank.rm_gy1).get(f"/api/v1/exposures/?group={group.pk}")
    assert r.status_code == 200
    tree = r.json()["tree"]
    assert (tree["limit"], tree["used"], tree["headroom"], tree["use_pct"]) == (
        "10000000.00", "4000000.00", "6000000.00", "40.0")
    core = tree["children"][0]
    assert core["uscc"] == group.core_enterprise.uscc and core["children"][0]["used"] == "4000000.00"
    assert api_as(bank.rm_zy1).get(f"/api/v1/exposures/?group={group.pk}").status_code == 404
    assert api_as(bank.rm_gy1).get("/api/v1/exposures/").status_code == 400
    assert api_as(bank.rm_gy1).get("/api/v1/exposures/?group=abc").status_code == 400


def test_pledge_conflict_is_a_400_naming_the_earlier(bank, api_as):
    core = bank.group_gy.core_enterprise
    _c, sub1, _s = members(bank.group_gy)
    f1 = facility(core, 1000000, reference="FAC-EARLY")
    f2 = facility(sub1, 1000000)
    hq = api_as(bank.hq)
    body = {"kind": "receivable", "invoice_no": " inv-001 ", "debtor": sub1.uscc, "amount": "1000.00",
            "confirmed_on": "2026-05-01", "confirmation_ref": "QR-1"}
    r = hq.post("/api/v1/pledges/", {**body, "facility": f1.pk}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["invoice_no"] == "INV-001"
    r = hq.post("/api/v1/pledges/", {**body, "facility": f2.pk, "invoice_no": "INV-001"}, format="json")
    assert r.status_code == 400
    assert "FAC-EARLY" in r.json()["invoice_no"][0] and core.name in r.json()["invoice_no"][0]
    pledge = Pledge.objects.get()
    assert hq.post(f"/api/v1/pledges/{pledge.pk}/release/").status_code == 200
    assert hq.post("/api/v1/pledges/", {**body, "facility": f2.pk}, format="json").status_code == 201
    # Another branch's facility: the facility is unknown.
    zy = facility(bank.group_zy.core_enterprise, 1000)
    r = api_as(bank.risk_gy).post("/api/v1/pledges/", {**body, "facility": zy.pk, "invoice_no": "Z"}, format="json")
    assert r.status_code == 400 and "facility" in r.json()


def test_other_bank_financing_and_settings(bank, api_as):
    core = bank.group_gy.core_enterprise
    body = {"enterprise": core.uscc, "lender": "某股份制银行", "amount": "3000000", "as_of": "2026-06-01"}
    assert api_as(bank.rm_gy1).post("/api/v1/other-bank-financing/", body, format="json").status_code == 201
    assert api_as(bank.risk_gy).post("/api/v1/other-bank-financing/", body, format="json").status_code == 201
    assert api_as(bank.rm_gy2).post("/api/v1/other-bank-financing/", body, format="json").status_code == 400
    assert OtherBankFinancing.objects.count() == 2
    assert api_as(bank.rm_zy1).get("/api/v1/other-bank-financing/").json()["count"] == 0
    r = api_as(bank.rm_gy1).get(f"/api/v1/exposures/?group={bank.group_gy.pk}")
    assert r.json()["other_banks_total"] == "6000000.00"
    # Concentration limits: everyone reads, head office writes.
    assert api_as(bank.rm_gy1).get("/api/v1/risk-settings/1/").json()["group_pct"] == "15.00"
    assert api_as(bank.risk_gy).patch("/api/v1/risk-settings/1/", {"group_pct": "12"}, format="json").status_code == 403
    r = api_as(bank.hq).patch("/api/v1/risk-settings/1/", {"group_pct": "12", "net_capital": "100"}, format="json")
    assert r.status_code == 200 and r.json()["group_pct"] == "12.00"
    assert RiskSettings.current().group_pct == Decimal("12")
    assert api_as(bank.hq).patch("/api/v1/risk-settings/1/", {"group_pct": "120"}, format="json").status_code == 400
    assert api_as(bank.hq).patch("/api/v1/risk-settings/2/", {"group_pct": "1"}, format="json").status_code == 404


def test_hostile_filters_never_fail(bank, api_as, client_as):
    hq = api_as(bank.hq)
    for url in ("/api/v1/facilities/?group=99999999999999999999999", "/api/v1/facilities/?group=-1",
                "/api/v1/facilities/?enterprise=%00", "/api/v1/facilities/?status=x", "/api/v1/facilities/?group=1.5",
                "/api/v1/sub-limits/?group=99999999999999999999999", "/api/v1/pledges/?facility=99999999999999999999",
                "/api/v1/other-bank-financing/?group=99999999999999999999999",
                "/api/v1/exposures/?group=999999999999999999", "/api/v1/facilities/preview/?enterprise=x&limit=1",
                "/api/v1/facilities/preview/?enterprise=91520100000001006C&limit=1e400"):
        assert hq.get(url).status_code in (200, 400, 404), url
    c = client_as(bank.hq)
    for url in ("/risk/facilities/?group=99999999999999999999999", "/risk/other-banks/?group=99999999999999999999",
                "/risk/facilities/preview/?enterprise_uscc=%E4%B8%AD&limit_amount=1e400"):
        assert c.get(url).status_code in (200, 400), url


def test_update_close_and_preview(bank, api_as, usd):
    group = bank.group_gy
    _core, sub1, _ = members(group)
    SubLimit.objects.create(group=group, enterprise=sub1, amount=Decimal("7200000"))
    hq = api_as(bank.hq)
    r = hq.get("/api/v1/facilities/preview/", {"enterprise": sub1.uscc, "limit": "1000001", "currency": "USD"})
    assert r.status_code == 200 and r.json()["refused"] is True and r.json()["added_cny"] == "7200007.20"
    pk = hq.post(URL, _payload(sub1, limit_amount="100"), format="json").json()["id"]
    r = hq.patch(f"{URL}{pk}/", {"drawn": "50"}, format="json")
    assert r.status_code == 200 and r.json()["drawn"] == "50.00"
    assert hq.patch(f"{URL}{pk}/", {"limit_amount": "8000000"}, format="json").status_code == 400
    assert api_as(bank.risk_gy).delete(f"{URL}{pk}/").status_code == 400  # drawn: cannot close
    hq.patch(f"{URL}{pk}/", {"drawn": "0"}, format="json")
    r = hq.delete(f"{URL}{pk}/")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert api_as(bank.rm_gy1).delete(f"{URL}{pk}/").status_code == 403


def test_exposures_and_pages_with_the_concentration_limits_set(bank, api_as, client_as, capital):
    """With the bank's capital on file every level reads against the caps (net capital 10 亿: a group
    client's cap 1.5 亿): the roll-up in the API, the limit page and the group page."""
    group = bank.group_gy
    facility(group.core_enterprise, 200_000_000, 140_000_000)  # 1.4 亿 of a 1.5 亿 cap: 93.3 %, a warning
    r = api_as(bank.risk_gy).get(f"/api/v1/exposures/?group={group.pk}")
    assert r.status_code == 200, r.content[:300]
    by_limit = {c["limit"]: c for c in r.json()["concentration"]}
    group_cap = next(c for c in by_limit.values() if c["cap"] == "150000000.00")
    assert (group_cap["used"], group_cap["use_pct"], group_cap["status"]) == ("140000000.00", "93.3", "warning")
    for url in (f"/risk/groups/{group.pk}/limits/", f"/clients/groups/{group.pk}/"):
        assert client_as(bank.risk_gy).get(url).status_code == 200, url
