"""The risk officer's alert queue in a real browser: risk_gy opens the queue, filters it by severity
(htmx: the results swap, the page stays), opens a contagion alert, reads its evidence and its path
(names and credit codes of each step, another branch's enterprise on its registry card), acknowledges
it (the status changes on the page without a reload); the group page shows the limit tree with
headroom (helper alpha's `#limit-tree`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.rulekit import Scope
from risk import alerts
from risk.models import Facility, RiskAlert
from risk.rules import Finding, enterprise_key, enterprise_scope, party_scope
from services.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date.today()


def _data(bank):
    """A past-due alert (critical) on group_zy's core in Zunyi; a member of group_gy (Guiyang) sells 45 %
    of its output to that core: a contagion alert on the member with the path core -> member; a low
    alert elsewhere for the filter; a facility on the member for the limit tree."""
    group = bank.group_gy
    member = group.memberships.exclude(enterprise=group.core_enterprise).first().enterprise
    source = bank.group_zy.core_enterprise
    alerts.sync("past_due", [Finding(
        subject_key=enterprise_key(source.pk), enterprise_id=source.pk, group_id=bank.group_zy.pk, severity=4,
        evidence="贷款逾期95天", evidence_en="A loan is 95 days past due")],
        enterprise_scope(Scope(as_of=AS_OF, ids=[source.pk])))
    alerts.sync("contagion", [Finding(
        subject_key=enterprise_key(member.pk), enterprise_id=member.pk, group_id=group.pk, severity=3,
        evidence=f"风险传染：{member.name}的销售收入45.00%来自{source.name}（{source.uscc}），后者有严重预警：贷款逾期。",
        evidence_en=f"Contagion: {member.name} sells 45.00% of its output to {source.name} ({source.uscc}), "
                    "which has a critical alert: a loan past due.",
        figures={"share_pct": "45.00"}, path=(source.pk, member.pk))],
        party_scope(Scope(as_of=AS_OF)))
    alerts.sync("large_outflow", [Finding(
        subject_key=enterprise_key(group.core_enterprise.pk), enterprise_id=group.core_enterprise.pk, severity=1,
        evidence="大额流出", evidence_en="A large outflow")],
        enterprise_scope(Scope(as_of=AS_OF, ids=[group.core_enterprise.pk])))
    product = Product.objects.filter(active=True).first()
    Facility.objects.create(reference="BR-FAC-1", enterprise=member, product=product,
                            limit_amount=Decimal("300000000"), drawn=Decimal("120000000"),
                            start_date=AS_OF - dt.timedelta(days=100), end_date=AS_OF + dt.timedelta(days=265))
    return member, source, RiskAlert.objects.get(rule="contagion")


def test_risk_officer_works_a_contagion_alert(bank, catalogue, login, live_server):
    member, source, alert = _data(bank)
    page = login("risk_gy")
    page.click("button[data-lang=en]")
    page.goto(f"{live_server.url}/risk/alerts/")
    results = page.locator("#alerts-results")
    expect(results.locator(f"#alert-{alert.pk}")).to_be_visible()
    expect(results).to_contain_text(member.name)

    page.evaluate("window.__notReloaded = true")
    page.select_option("#alerts-filter-severity", "3")
    expect(results.locator("tr.alert-row")).to_have_count(1)
    expect(results.locator(f"#alert-{alert.pk}")).to_be_visible()
    assert page.evaluate("window.__notReloaded === true")  # htmx swapped the results

    results.locator(f"#alert-{alert.pk} a.alert-link").click()
    page.wait_for_url(f"**/risk/alerts/{alert.pk}/")
    expect(page.locator("#alert-evidence")).to_contain_text("sells 45.00% of its output")
    steps = page.locator("#alert-path li.path-step")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text(source.name)
    expect(steps.nth(0)).to_contain_text(source.uscc)
    expect(steps.nth(0)).to_contain_text(bank.zy1.name)  # another branch's client: its registry card
    expect(steps.nth(1)).to_contain_text(member.name)
    expect(steps.nth(1)).to_contain_text(member.uscc)
    expect(page.locator("#alert-status")).to_contain_text("Open")

    page.evaluate("window.__notReloaded = true")
    page.click("#alert-acknowledge")
    expect(page.locator("#alert-status")).to_contain_text("Acknowledged")
    expect(page.locator("#alert-acknowledge")).to_have_count(0)
    assert page.evaluate("window.__notReloaded === true")
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.status_changed_by == bank.risk_gy

    page.goto(f"{live_server.url}/clients/groups/{bank.group_gy.pk}/")
    tree = page.locator("#limit-tree")
    expect(tree).to_be_visible()
    expect(tree).to_contain_text("Headroom")
    expect(tree.locator(f'tr[data-uscc="{member.uscc}"]')).to_be_visible()
    expect(page.locator("#group-risk-level")).to_contain_text("High")
    expect(page.locator(f"#group-alert-{alert.pk}")).to_contain_text("Acknowledged")
