"""`/api/v1/alerts/` and `/api/v1/alert-rules/` with tokens: fields, filters, actions, access per
persona, 403 before validation for read-only writes, 400 naming the field or threshold."""

from __future__ import annotations

import pytest

from risk.models import AlertRule, AlertStatus, RiskAlert
from tests.risk.alerts.conftest import raise_alert
from tests.risk.alerts.test_pages import test_rule  # noqa: F401 (fixture)

PINNED = 6  # auth and scope, count, page, the paths' parties, the full record among them


def test_list_fields_and_filters(bank, api_as, simple, cycle):
    api = api_as(bank.rm_gy1)
    rows = api.get("/api/v1/alerts/").json()["results"]
    assert [r["id"] for r in rows] == [cycle.alert.pk, simple.pk]  # critical first
    one = next(r for r in rows if r["id"] == simple.pk)
    assert one["rule"] == "test_rule" and one["severity"] == 3 and one["severity_name"] == "High"
    assert one["status"] == "open" and one["evidence"] == "English evidence x"
    assert one["enterprise"] == bank.group_gy.core_enterprise.uscc and one["group"] == bank.group_gy.pk
    assert one["path"] == [bank.group_gy.core_enterprise.uscc] and one["figures"] == {"n": "1"}
    assert set(one) >= {"rule_name", "opened_at", "refreshed_at", "assignee", "edges"}
    zh = api.get(f"/api/v1/alerts/{simple.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh["evidence"] == "中文证据x"

    def ids(query):
        response = api.get(f"/api/v1/alerts/?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids("rule=guarantee_cycle") == [cycle.alert.pk]
    assert ids("severity=3") == [simple.pk]
    assert ids(f"group={bank.group_gy.pk}") == [cycle.alert.pk, simple.pk]
    assert ids(f"enterprise={cycle.b.uscc}") == [cycle.alert.pk]  # a party of the path
    assert ids(f"enterprise={bank.group_gy.core_enterprise.uscc.lower()}") == [simple.pk]
    assert ids("status=resolved") == []
    assert api.get("/api/v1/alerts/?severity=9").status_code == 400
    assert api.get("/api/v1/alerts/?status=bogus").status_code == 400


def test_actions(bank, api_as, simple):
    api = api_as(bank.risk_gy)
    url = f"/api/v1/alerts/{simple.pk}/"
    response = api.post(f"{url}acknowledge/", {"comment": "跟进"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    response = api.post(f"{url}acknowledge/", {}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    response = api.post(f"{url}resolve/", {}, format="json")
    assert response.status_code == 400 and "comment" in response.json()
    response = api.post(f"{url}resolve/", {"comment": "a\x00b"}, format="json")
    assert response.status_code == 400
    response = api.post(f"{url}assign/", {"assignee": bank.rm_zy1.pk}, format="json")
    assert response.status_code == 400 and "assignee" in response.json()
    response = api.post(f"{url}assign/", {"assignee": bank.rm_gy1.pk}, format="json")
    assert response.status_code == 200 and response.json()["assignee"] == bank.rm_gy1.pk
    response = api.post(f"{url}comments/", {"text": "补充材料"}, format="json")
    assert response.status_code == 201 and response.json()["author"] == "risk_gy"
    assert [c["text"] for c in api.get(f"{url}comments/").json()] == ["跟进", "补充材料"]
    response = api.post(f"{url}false-positive/", {"comment": "重复预警"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "false_positive"
    assert RiskAlert.objects.get(pk=simple.pk).suppresses


@pytest.mark.parametrize("who", ["rm_gy2", "rm_zy1"])
def test_out_of_reach_is_404(bank, api_as, simple, who):
    api = api_as(getattr(bank, who))
    url = f"/api/v1/alerts/{simple.pk}/"
    assert api.get(url).status_code == 404
    for action, body in (("acknowledge", {}), ("resolve", {"comment": "x"}), ("false-positive", {"comment": "x"}),
                         ("assign", {"assignee": None}), ("comments", {"text": "x"})):
        assert api.post(f"{url}{action}/", body, format="json").status_code == 404, action
    assert RiskAlert.objects.get(pk=simple.pk).status == AlertStatus.OPEN


def test_outsider_gets_nothing(bank, api_as, simple):
    api = api_as(bank.outsider)
    assert api.get("/api/v1/alerts/").json()["count"] == 0
    assert api.post(f"/api/v1/alerts/{simple.pk}/acknowledge/", {}, format="json").status_code == 403
    assert api.get("/api/v1/alert-rules/").status_code == 403


def test_alert_rules_read_by_all_patched_by_head_office(bank, api_as, test_rule):  # noqa: F811
    for who in ("rm_gy1", "risk_gy", "head_gy"):
        api = api_as(getattr(bank, who))
        row = api.get("/api/v1/alert-rules/delta_probe/").json()
        assert row["params"] == {"min_pct": "30", "days": 30} and row["enabled"] is True
        assert [p["key"] for p in row["spec"]] == ["min_pct", "days"]
        assert api.patch("/api/v1/alert-rules/delta_probe/", {"params": "garbage"}, format="json").status_code == 403
    hq = api_as(bank.hq)
    assert any(r["code"] == "delta_probe" for r in hq.get("/api/v1/alert-rules/").json())
    response = hq.patch("/api/v1/alert-rules/delta_probe/", {"params": {"min_pct": "500"}}, format="json")
    assert response.status_code == 400 and "params.min_pct" in response.json()
    response = hq.patch("/api/v1/alert-rules/delta_probe/", {"params": {"bogus": 1}}, format="json")
    assert response.status_code == 400 and "bogus" in str(response.json())
    response = hq.patch("/api/v1/alert-rules/delta_probe/", {"params": {"days": 60}, "enabled": False}, format="json")
    assert response.status_code == 200 and response.json()["params"] == {"min_pct": "30", "days": 60}
    assert response.json()["enabled"] is False
    assert AlertRule.objects.get(code="delta_probe").history.first().history_user == bank.hq
    assert hq.patch("/api/v1/alert-rules/nope/", {}, format="json").status_code == 404


def test_list_queries_do_not_grow(bank, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as(bank.risk_gy)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/alerts/").status_code == 200
        return len(ctx.captured_queries)

    raise_alert(bank.group_gy.core_enterprise, rule="r0")
    small = count()
    for i in range(10):
        raise_alert(bank.group_gy.memberships.first().enterprise, rule=f"r{i + 1}")
    assert count() == small == PINNED
