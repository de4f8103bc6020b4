"""`/api/v1/needs/`, `/api/v1/job-runs/`, `POST /api/v1/group-clients/{id}/refresh-needs/`: filters,
PATCH, POST, 202 refresh, access, hostile input, query counts."""

from __future__ import annotations

import pytest

from core.models import JobRun
from services.engine import refresh
from services.models import Need
from tests.querycount import exact_queries
from tests.services.needs.conftest import AS_OF, flow, flows, member_of_circle, month_day

URL = "/api/v1/needs/"


def _raise(bank, group=None, n=1):
    group = group or bank.group_gy
    rm, branch = (bank.rm_gy1, bank.gy1) if group == bank.group_gy else (bank.rm_zy1, bank.zy1)
    made = []
    for _ in range(n):
        supplier = member_of_circle(group, "supplier", rm=rm, branch=branch)
        core = group.core_enterprise
        flows([flow(core, supplier, 1_000_000, month_day(2026, m), kind="invoice") for m in range(1, 7)]
              + [flow(core, supplier, 3_500_000, month_day(2026, 5))])
        made.append(supplier)
    refresh(as_of=AS_OF)
    return made


def test_list_shape_and_filters(bank, api_as):
    supplier, = _raise(bank)
    _raise(bank, bank.group_zy)
    api = api_as(bank.rm_gy1)
    body = api.get(URL).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["product"] == "receivables_financing" and row["enterprise"] == supplier.uscc
    assert row["group"] == bank.group_gy.pk and row["status"] == "new" and row["value"] == "45000.00"
    assert row["evidence"].startswith("unpaid invoices to the core") and row["rule"] == "receivables_financing"
    assert set(row) >= {"id", "product_name", "enterprise_name", "score", "reason", "is_current", "created_at",
                        "refreshed_at"}
    hq = api_as(bank.hq)
    assert hq.get(URL).json()["count"] == 2
    assert hq.get(URL, {"group": bank.group_gy.pk}).json()["count"] == 1
    assert hq.get(URL, {"enterprise": supplier.uscc}).json()["count"] == 1
    assert hq.get(URL, {"product": "cash_pool"}).json()["count"] == 0
    assert hq.get(URL, {"status": "new"}).json()["count"] == 2
    assert hq.get(URL, {"status": "bogus"}).status_code == 400
    assert hq.get(URL, {"group": "abc"}).status_code == 400


def test_patch_status_and_access(bank, api_as):
    supplier, = _raise(bank)
    need = Need.objects.get(enterprise=supplier)
    url = f"{URL}{need.pk}/"
    assert api_as(bank.rm_zy1).get(url).status_code == 404
    assert api_as(bank.rm_zy1).patch(url, {"status": "contacted"}).status_code == 404
    assert api_as(bank.risk_gy).get(url).status_code == 200
    assert api_as(bank.risk_gy).patch(url, {"status": "contacted"}).status_code == 403
    api = api_as(bank.rm_gy1)
    response = api.patch(url, {"status": "dismissed"})
    assert response.status_code == 400 and "reason" in response.json()
    response = api.patch(url, {"status": "contacted"})
    assert response.status_code == 200 and response.json()["status"] == "contacted"
    response = api.patch(url, {"status": "dismissed", "reason": "他行已做保理"})
    assert response.json()["status"] == "dismissed" and response.json()["reason"] == "他行已做保理"


@pytest.mark.parametrize("body, field", [
    ({"status": "done"}, "status"),
    ({"status": 1}, "status"),
    ({"status": "dismissed", "reason": "x" * 501}, "reason"),
    ({"status": "dismissed", "reason": 42}, "reason"),
    ({"status": "new"}, "status"),
])
def test_patch_hostile(bank, api_as, body, field):
    supplier, = _raise(bank)
    need = Need.objects.get(enterprise=supplier)
    response = api_as(bank.rm_gy1).patch(f"{URL}{need.pk}/", body)
    assert response.status_code == 400 and field in response.json()
    assert Need.objects.get(pk=need.pk).status == "new"


def test_patch_nul_and_script(bank, api_as):
    supplier, = _raise(bank)
    need = Need.objects.get(enterprise=supplier)
    api = api_as(bank.rm_gy1)
    response = api.patch(f"{URL}{need.pk}/", '{"status": "dismissed", "reason": "a\\u0000b"}',
                         content_type="application/json")
    assert response.status_code == 400
    response = api.patch(f"{URL}{need.pk}/", {"status": "dismissed", "reason": "<script>alert(1)</script>"})
    assert response.status_code == 200 and response.json()["reason"] == "<script>alert(1)</script>"


def test_post_manual_need(bank, api_as):
    core = bank.group_gy.core_enterprise
    body = {"enterprise": core.uscc, "product": "payroll", "score": 60, "value": "80000.00",
            "evidence": "拜访：人力总监提到代发需求"}
    response = api_as(bank.rm_gy1).post(URL, body)
    assert response.status_code == 201, response.json()
    assert response.json()["rule"] == "manual" and response.json()["group"] == bank.group_gy.pk
    assert api_as(bank.risk_gy).post(URL, body).status_code == 403
    response = api_as(bank.rm_zy1).post(URL, body)
    assert response.status_code == 400 and "enterprise" in response.json()


@pytest.mark.parametrize("change, field", [
    ({"score": 101}, "score"),
    ({"score": "50"}, "score"),
    ({"value": "-5.00"}, "value"),
    ({"value": 5}, "value"),
    ({"product": "nope"}, "product"),
    ({"enterprise": "91520100MA6DL4XX0X"}, "enterprise"),
    ({"enterprise": "x" * 100}, "enterprise"),
    ({"evidence": ""}, "evidence"),
    ({"evidence": "x" * 5000}, "evidence"),
    ({"group": "abc"}, "group"),
])
def test_post_hostile(bank, api_as, change, field):
    body = {"enterprise": bank.group_gy.core_enterprise.uscc, "product": "payroll", "score": 60,
            "value": "80000.00", "evidence": "拜访"}
    body.update(change)
    response = api_as(bank.rm_gy1).post(URL, body)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Need.objects.exists()


def test_refresh_needs_answers_202_with_the_finished_run(transactional_db, catalogue, bank, api_as):
    """Real commits (transactional_db): the outbox hands the task over after the commit, eagerly here."""
    supplier = member_of_circle(bank.group_gy, "supplier", rm=bank.rm_gy1, branch=bank.gy1)
    core = bank.group_gy.core_enterprise
    import datetime as dt

    from django.utils import timezone
    today = timezone.localdate()
    flows([flow(core, supplier, 2_000_000, today - dt.timedelta(days=d), kind="invoice") for d in (20, 50, 80)])
    url = f"/api/v1/group-clients/{bank.group_gy.pk}/refresh-needs/"
    assert api_as(bank.rm_zy1).post(url).status_code == 404
    response = api_as(bank.risk_gy).post(url)  # a reading role may refresh: no client data is written
    assert response.status_code == 202
    body = response.json()
    run = JobRun.objects.get(pk=body["job_run"])
    assert body["status"] == run.status == "success" and run.subject == bank.group_gy
    assert run.counts["raised"] == 1 and Need.objects.filter(enterprise=supplier).exists()
    runs = api_as(bank.rm_gy1).get("/api/v1/job-runs/", {"job": "refresh_needs"}).json()
    assert [r["id"] for r in runs["results"]] == [run.pk]
    assert api_as(bank.rm_zy1).get("/api/v1/job-runs/", {"job": "refresh_needs"}).json()["count"] == 0
    assert api_as(bank.rm_zy1).get(f"/api/v1/job-runs/{run.pk}/").status_code == 404
    assert api_as(bank.hq).get("/api/v1/job-runs/", {"status": "nope"}).status_code == 400


def test_needs_list_query_count_does_not_grow(bank, api_as):
    _raise(bank, n=1)
    api = api_as(bank.rm_gy1)
    api.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert api.get(URL).status_code == 200
    _raise(bank, n=4)
    with CaptureQueriesContext(connection) as large:
        assert api.get(URL).json()["count"] == 5
    assert len(large.captured_queries) == len(small.captured_queries)
    with exact_queries(len(small.captured_queries), label="needs API"):
        api.get(URL)
