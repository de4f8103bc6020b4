"""The needs pages: list with filters (query count pinned), inline status change (htmx row), a need
by hand, head office's rules settings, the group's refresh button; access and hostile input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import JobRun
from services.engine import refresh
from services.models import Need, NeedRuleSetting
from tests.querycount import count_queries
from tests.services.needs.conftest import AS_OF, flow, flows, member_of_circle, month_day

HX = {"HTTP_HX_REQUEST": "true"}


def _raise(bank, n=1):
    made = []
    for _ in range(n):
        supplier = member_of_circle(bank.group_gy, "supplier", rm=bank.rm_gy1, branch=bank.gy1)
        core = bank.group_gy.core_enterprise
        flows([flow(core, supplier, 1_000_000, month_day(2026, m), kind="invoice") for m in range(1, 7)]
              + [flow(core, supplier, 3_500_000, month_day(2026, 5))])
        made.append(supplier)
    refresh(as_of=AS_OF)
    return made


def test_needs_list_shows_evidence_and_filters(bank, client_as):
    _raise(bank)
    page = client_as(bank.rm_gy1).get("/services/needs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "unpaid invoices to the core: CNY 2.50 m" in html and 'id="needs-list-table"' in html
    assert "Contacted" in html
    assert "unpaid invoices" not in client_as(bank.rm_zy1).get("/services/needs/").content.decode()
    risk = client_as(bank.risk_gy).get("/services/needs/").content.decode()
    assert "unpaid invoices" in risk and 'class="need-contacted"' not in risk  # risk officers read
    assert "unpaid invoices" not in client_as(bank.hq).get("/services/needs/?product=cash_pool").content.decode()
    assert client_as(bank.hq).get("/services/needs/?status=bogus").status_code == 200
    assert client_as(bank.hq).get("/services/needs/?group=abc&page=x").status_code == 200


def test_needs_list_query_count_does_not_grow(bank, client_as):
    _raise(bank, 1)
    client = client_as(bank.rm_gy1)
    client.get("/services/needs/")
    small = count_queries(client, "/services/needs/", label="needs list")
    _raise(bank, 5)
    large = count_queries(client, "/services/needs/", label="needs list")
    assert small == large


def test_inline_status_change_returns_the_row(bank, client_as):
    supplier, = _raise(bank)
    need = Need.objects.get(enterprise=supplier)
    url = f"/services/needs/{need.pk}/status/"
    client = client_as(bank.rm_gy1)
    response = client.post(url, {"status": "contacted"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<tr id="need-') and 'class="need-contacted"' not in html and "Contacted" in html
    assert Need.objects.get(pk=need.pk).status == "contacted"
    response = client.post(url, {"status": "dismissed", "reason": ""}, **HX)
    assert "errorlist" in response.content.decode() and Need.objects.get(pk=need.pk).status == "contacted"
    response = client.post(url, {"status": "dismissed", "reason": "<script>alert(1)</script>"}, **HX)
    assert "&lt;script&gt;" in response.content.decode() and "<script>alert" not in response.content.decode()
    assert client.post(url, {"status": "new"}).status_code == 302  # a plain form post goes back to the list


def test_status_change_access(bank, client_as):
    supplier, = _raise(bank)
    need = Need.objects.get(enterprise=supplier)
    url = f"/services/needs/{need.pk}/status/"
    assert client_as(bank.rm_zy1).post(url, {"status": "contacted"}, **HX).status_code == 404
    assert client_as(bank.risk_gy).post(url, {"status": "contacted"}, **HX).status_code == 403
    assert client_as(bank.rm_gy1).post(url, {"status": "contacted\x00"}, **HX).status_code in (200, 400)
    assert Need.objects.get(pk=need.pk).status == "new"
    assert client_as(bank.rm_gy1).get(url).status_code == 405


def test_record_a_need_by_hand(bank, client_as):
    core = bank.group_gy.core_enterprise
    client = client_as(bank.rm_gy1)
    page = client.get(f"/services/needs/new/?enterprise={core.uscc}")
    assert page.status_code == 200 and core.uscc in page.content.decode()
    response = client.post("/services/needs/new/", {"enterprise": core.uscc, "product": "payroll", "score": "70",
                                                     "value": "120,000", "evidence": "拜访：代发工资需求"})
    assert response.status_code == 302
    need = Need.objects.get(rule="manual")
    assert need.value == Decimal("120000.00") and need.group_id == bank.group_gy.pk
    assert client_as(bank.risk_gy).get("/services/needs/new/").status_code == 403


@pytest.mark.parametrize("change", [
    {"score": "101"}, {"value": "-5"}, {"enterprise": "91520100MA6DL4XX0X"}, {"product": "nope"},
    {"evidence": ""}, {"evidence": "x" * 3000}, {"group": "99999999"},
])
def test_record_a_need_hostile(bank, client_as, change):
    data = {"enterprise": bank.group_gy.core_enterprise.uscc, "product": "payroll", "score": "70",
            "value": "1000", "evidence": "拜访"}
    data.update(change)
    response = client_as(bank.rm_gy1).post("/services/needs/new/", data)
    assert response.status_code == 400 and not Need.objects.exists()


def test_a_need_for_another_branchs_client_is_refused(bank, client_as):
    response = client_as(bank.rm_zy1).post("/services/needs/new/", {
        "enterprise": bank.group_gy.core_enterprise.uscc, "product": "payroll", "score": "70", "value": "1000",
        "evidence": "拜访"})
    assert response.status_code == 400 and not Need.objects.exists()


def test_rules_settings_read_by_all_set_by_head_office(bank, client_as):
    page = client_as(bank.rm_gy1).get("/services/rules/")
    assert page.status_code == 200 and "Receivables financing" in page.content.decode()
    assert 'name="receivables_financing-min_unpaid"' not in page.content.decode()
    data = {"rule": "receivables_financing", "receivables_financing-enabled": "on",
            "receivables_financing-min_unpaid": "2,000,000", "receivables_financing-min_days": "60",
            "receivables_financing-window_days": "180"}
    assert client_as(bank.rm_gy1).post("/services/rules/", data).status_code == 403
    hq = client_as(bank.hq)
    assert 'name="receivables_financing-min_unpaid"' in hq.get("/services/rules/").content.decode()
    assert hq.post("/services/rules/", data).status_code == 302
    setting = NeedRuleSetting.objects.get(rule="receivables_financing")
    assert setting.params == {"min_unpaid": "2000000.00", "min_days": 60, "window_days": 180}
    assert setting.history.first().history_user == bank.hq
    page = hq.get("/services/rules/").content.decode()
    assert "min_unpaid: 2000000.00" in page


@pytest.mark.parametrize("key, value", [
    ("receivables_financing-min_days", "0"), ("receivables_financing-min_days", "99999"),
    ("receivables_financing-min_days", "4.5"), ("receivables_financing-min_unpaid", "-1"),
    ("receivables_financing-min_unpaid", "abc"), ("receivables_financing-window_days", "\x00"),
])
def test_rules_settings_validation(bank, client_as, key, value):
    data = {"rule": "receivables_financing", "receivables_financing-min_unpaid": "1000000",
            "receivables_financing-min_days": "45", "receivables_financing-window_days": "180", key: value}
    response = client_as(bank.hq).post("/services/rules/", data)
    assert response.status_code == 400 and not NeedRuleSetting.objects.exists()


def test_reraise_factor_setting(bank, client_as):
    hq = client_as(bank.hq)
    assert hq.post("/services/rules/", {"rule": "_engine", "_engine-reraise_factor": "1"}).status_code == 400
    assert hq.post("/services/rules/", {"rule": "_engine", "_engine-reraise_factor": "2"}).status_code == 302
    assert "2 times the basis" in hq.get("/services/rules/").content.decode()
    assert hq.post("/services/rules/", {"rule": "nope"}).status_code == 400


def test_group_refresh_button(transactional_db, catalogue, bank, client_as):
    url = f"/services/groups/{bank.group_gy.pk}/refresh-needs/"
    assert client_as(bank.rm_zy1).post(url).status_code == 404
    response = client_as(bank.rm_gy1).post(url, **HX)
    assert response.status_code == 202 and "Succeeded" in response.content.decode()
    run = JobRun.objects.get(job="refresh_needs")
    assert run.subject == bank.group_gy and run.user == bank.rm_gy1
    assert client_as(bank.rm_gy1).post(url).status_code == 302
    assert client_as(bank.rm_gy1).get(url).status_code == 405


def test_status_page_queries_do_not_depend_on_the_row(bank, client_as):
    supplier, = _raise(bank)
    need = Need.objects.get(enterprise=supplier)
    client = client_as(bank.rm_gy1)
    with CaptureQueriesContext(connection) as ctx:
        client.post(f"/services/needs/{need.pk}/status/", {"status": "contacted"}, **HX)
    assert len(ctx.captured_queries) < 40


def test_the_pages_in_chinese(bank, client_as):
    _raise(bank)
    client = client_as(bank.hq)
    for url in ("/services/needs/", "/services/rules/", "/services/needs/new/"):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200, url
    html = client.get("/services/needs/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "对核心企业未付发票：250.00万元；近180天平均账期：69天" in html


def test_the_needs_lists_group_filter_reads_all_when_empty(bank, client_as):
    html = client_as(bank.rm_gy1).get("/services/needs/").content.decode()
    assert "---------" not in html, [line for line in html.splitlines() if "-----" in line]
    assert html.count(">All</option>") >= 2


def test_the_record_a_need_form_asks_for_a_product_in_words(bank, client_as):
    html = client_as(bank.rm_gy1).get("/services/needs/new/").content.decode()
    assert "---------" not in html and "(choose a product)" in html
