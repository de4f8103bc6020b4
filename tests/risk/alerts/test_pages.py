"""The alert pages: the queue (filters, order, access), an alert's detail and its htmx actions, the
rules page (every role reads, head office edits, history kept), the group and enterprise panels and
the group risk level; query counts do not grow with the number of alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.rulekit import Param, Unit
from risk import selectors
from risk.models import AlertRule, AlertStatus, RiskAlert
from risk.rules import RULES, Rule, register
from tests.factories import EnterpriseFactory
from tests.querycount import count_queries
from tests.risk.alerts.conftest import make_cycle, raise_alert

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def test_rule():
    rule = register(Rule(code="delta_probe", label="Probe rule", description="A rule for the page tests.",
                         params=(Param("min_pct", "Minimum share", Unit.PCT, "30", "1", "100"),
                                 Param("days", "Window", Unit.DAYS, 30, 7, 180)),
                         evaluate=lambda scope, params: []))
    yield rule
    RULES.pop("delta_probe", None)


def _ids(html: str, alerts) -> list[int]:
    found = [(html.index(f'id="alert-{a.pk}"'), a.pk) for a in alerts if f'id="alert-{a.pk}"' in html]
    return [pk for _, pk in sorted(found)]


def test_queue_sorted_by_severity_then_age_and_filtered(bank, client_as):
    core = bank.group_gy.core_enterprise
    member = bank.group_gy.memberships.exclude(enterprise=core).first().enterprise
    low = raise_alert(core, rule="rule_low", severity=1, group=bank.group_gy)
    high = raise_alert(member, rule="rule_high", severity=3)
    old_high = raise_alert(core, rule="rule_old", severity=3, group=bank.group_gy)
    RiskAlert.objects.filter(pk=old_high.pk).update(opened_at=timezone.now() - dt.timedelta(days=40))
    other = raise_alert(bank.group_zy.core_enterprise, rule="rule_zy", severity=4)
    client = client_as(bank.risk_gy)
    html = client.get("/risk/alerts/").content.decode()
    assert _ids(html, [low, high, old_high, other]) == [old_high.pk, high.pk, low.pk]  # ZY's not in reach
    assert _ids(client.get("/risk/alerts/?severity=3").content.decode(), [low, high, old_high]) == [old_high.pk,
                                                                                                   high.pk]
    assert _ids(client.get("/risk/alerts/?rule=rule_low").content.decode(), [low, high, old_high]) == []  # unknown
    assert _ids(client.get("/risk/alerts/?age=30").content.decode(), [low, high, old_high]) == [old_high.pk]
    assert _ids(client.get(f"/risk/alerts/?group={bank.group_gy.pk}").content.decode(),
                [low, high, old_high]) == [old_high.pk, high.pk, low.pk]  # members' alerts count
    assert _ids(client.get(f"/risk/alerts/?branch={bank.zy.pk}").content.decode(), [low, high, old_high]) == []
    assert _ids(client.get(f"/risk/alerts/?branch={bank.gy1.pk}").content.decode(),
                [low, high, old_high]) == [old_high.pk, high.pk, low.pk]
    RiskAlert.objects.filter(pk=high.pk).update(status=AlertStatus.RESOLVED, assignee=bank.risk_gy)
    RiskAlert.objects.filter(pk=low.pk).update(assignee=bank.risk_gy)
    assert _ids(client.get("/risk/alerts/").content.decode(), [low, high, old_high]) == [old_high.pk, low.pk]
    assert _ids(client.get("/risk/alerts/?status=resolved").content.decode(), [low, high, old_high]) == [high.pk]
    assert _ids(client.get("/risk/alerts/?status=all&assignee=mine").content.decode(),
                [low, high, old_high]) == [high.pk, low.pk]
    assert _ids(client.get("/risk/alerts/?assignee=unassigned").content.decode(),
                [low, high, old_high]) == [old_high.pk]
    fragment = client.get("/risk/alerts/?severity=1", **HTMX).content.decode()
    assert fragment.startswith('<div id="alerts-results">') and _ids(fragment, [low]) == [low.pk]
    # Choices: "All", never "---------"
    assert "---------" not in html and "All" in html


@pytest.mark.parametrize("query", ["severity=9", "age=-1", "age=abc", "branch=x", "group=x", "status=bogus",
                                   "page=999", "assignee=x", "rule=%00"])
def test_queue_bad_filters_never_500(bank, client_as, query):
    assert client_as(bank.risk_gy).get(f"/risk/alerts/?{query}").status_code in (200, 400)  # NUL: 400


def test_queue_for_each_persona(bank, client_as, simple):
    assert client_as(bank.outsider).get("/risk/alerts/").status_code == 403
    assert f'id="alert-{simple.pk}"' not in client_as(bank.rm_zy1).get("/risk/alerts/").content.decode()
    for user in (bank.hq, bank.head_gy, bank.risk_gy, bank.rm_gy1):
        assert f'id="alert-{simple.pk}"' in client_as(user).get("/risk/alerts/").content.decode(), user


def test_queue_and_detail_queries_do_not_grow(bank, client_as):
    client = client_as(bank.risk_gy)
    raise_alert(bank.group_gy.core_enterprise, rule="r0")
    cycle = make_cycle(bank)
    client.post(f"/risk/alerts/{cycle.alert.pk}/comment/", {"text": "one"})
    client.post(f"/risk/alerts/{cycle.alert.pk}/acknowledge/", {})
    client.post(f"/risk/alerts/{cycle.alert.pk}/assign/", {"assignee": bank.head_gy.pk})
    small = (count_queries(client, "/risk/alerts/", label="queue"),
             count_queries(client, f"/risk/alerts/{cycle.alert.pk}/", label="detail"))
    for i in range(12):
        e = EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1)
        raise_alert(e, rule=f"r{i + 1}")
    for text in ("two", "three"):
        client.post(f"/risk/alerts/{cycle.alert.pk}/comment/", {"text": text})
    client.post(f"/risk/alerts/{cycle.alert.pk}/assign/", {"assignee": bank.risk_gy.pk})
    large = (count_queries(client, "/risk/alerts/", label="queue"),
             count_queries(client, f"/risk/alerts/{cycle.alert.pk}/", label="detail"))
    assert small == large == (8, 12)  # the detail: + comments, history (3: records, users' names)


def test_detail_shows_evidence_path_and_acts_by_htmx(bank, client_as, simple):
    client = client_as(bank.rm_gy1)
    html = client.get(f"/risk/alerts/{simple.pk}/").content.decode()
    assert "English evidence x" in html and "alert-acknowledge" in html
    zh = client.get(f"/risk/alerts/{simple.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(f"/risk/alerts/{simple.pk}/acknowledge/", {"comment": "在跟进"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<section class="card" id="alert-work">')
    assert "Acknowledged" in body and "在跟进" in body and "alert-acknowledge" not in body
    response = client.post(f"/risk/alerts/{simple.pk}/resolve/", {"comment": ""}, **HTMX)
    assert "This field is required." in response.content.decode()
    response = client.post(f"/risk/alerts/{simple.pk}/assign/", {"assignee": bank.risk_gy.pk}, **HTMX)
    assert "risk_gy" in response.content.decode()
    response = client.post(f"/risk/alerts/{simple.pk}/false-positive/", {"comment": "重复"})
    assert response.status_code == 302
    simple.refresh_from_db()
    assert simple.status == AlertStatus.FALSE_POSITIVE and simple.assignee == bank.risk_gy
    assert zh.status_code == 200 and "中文证据x" in zh.content.decode()
    assert client.post(f"/risk/alerts/{simple.pk}/bogus/", {}).status_code == 404
    assert client_as(bank.rm_zy1).post(f"/risk/alerts/{simple.pk}/acknowledge/", {}).status_code == 404
    assert client_as(bank.outsider).get(f"/risk/alerts/{simple.pk}/").status_code == 403


def test_rules_page_read_by_all_edited_by_head_office(bank, client_as, test_rule):
    for user in (bank.rm_gy1, bank.risk_gy, bank.head_gy):
        client = client_as(user)
        html = client.get("/risk/rules/").content.decode()
        assert "Probe rule" in html and 'id="rule-delta_probe"' in html and 'name="delta_probe-min_pct"' not in html
        assert client.post("/risk/rules/", {"rule": "delta_probe", "delta_probe-min_pct": "50"}).status_code == 403
    hq = client_as(bank.hq)
    assert 'name="delta_probe-min_pct"' in hq.get("/risk/rules/").content.decode()
    bad = hq.post("/risk/rules/", {"rule": "delta_probe", "delta_probe-enabled": "on", "delta_probe-min_pct": "500",
                                   "delta_probe-days": "30"})
    assert bad.status_code == 400 and "Ensure this value is less than or equal to 100" in bad.content.decode()
    ok = hq.post("/risk/rules/", {"rule": "delta_probe", "delta_probe-min_pct": "50", "delta_probe-days": "60"})
    assert ok.status_code == 302
    setting = AlertRule.objects.get(code="delta_probe")
    assert (setting.enabled, setting.params) == (False, {"min_pct": "50", "days": 60})
    assert setting.history.first().history_user == bank.hq
    assert hq.post("/risk/rules/", {"rule": "nope"}).status_code == 400
    assert client_as(bank.outsider).get("/risk/rules/").status_code == 403


def test_group_page_shows_risk_level_and_open_alerts(bank, client_as):
    group = bank.group_gy
    member = group.memberships.exclude(enterprise=group.core_enterprise).first().enterprise
    assert selectors.group_risk_level(group).code == "none"
    alert = raise_alert(member, severity=2)
    raise_alert(group.core_enterprise, rule="other", severity=3, group=group)
    assert selectors.group_risk_level(group).code == "high"
    assert selectors.group_risk_levels([group.pk, bank.group_zy.pk]) == {
        group.pk: selectors.RiskLevel(3), bank.group_zy.pk: selectors.RiskLevel(0)}
    html = client_as(bank.rm_gy1).get(f"/clients/groups/{group.pk}/").content.decode()
    assert 'id="group-risk-level"' in html and "Risk level: High" in html and f'id="group-alert-{alert.pk}"' in html
    html = client_as(bank.rm_gy1).get(f"/clients/enterprises/{member.pk}/").content.decode()
    assert f'id="enterprise-alert-{alert.pk}"' in html
    RiskAlert.objects.update(status=AlertStatus.RESOLVED)
    assert selectors.group_risk_level(group).code == "none"


def test_landing_panels(bank, client_as, simple):
    mine = raise_alert(EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1), rule="r2", severity=1)
    RiskAlert.objects.filter(pk=mine.pk).update(assignee=bank.rm_gy1)
    html = client_as(bank.rm_gy1).get("/").content.decode()
    assert html.index(f'id="panel-alert-{mine.pk}"') < html.index(f'id="panel-alert-{simple.pk}"')  # mine first
    html = client_as(bank.risk_gy).get("/").content.decode()
    assert 'id="panel-alerts-by-severity"' in html and f'id="panel-alert-{simple.pk}"' in html
    assert f'id="panel-alert-{mine.pk}"' not in html  # low: not among the newest high


def test_rules_page_queries_do_not_grow(bank, client_as, test_rule):
    from risk.rule_settings import alert_rule_update

    hq, rm = client_as(bank.hq), client_as(bank.rm_gy1)
    alert_rule_update(bank.hq, "delta_probe", params={"days": 40})
    small = (count_queries(hq, "/risk/rules/", label="rules hq"), count_queries(rm, "/risk/rules/", label="rules rm"))
    for days in range(41, 50):
        alert_rule_update(bank.hq, "delta_probe", params={"days": days})
    large = (count_queries(hq, "/risk/rules/", label="rules hq"), count_queries(rm, "/risk/rules/", label="rules rm"))
    assert small == large == (6, 6)
