"""limit_breach / limit_warning: fires and near miss at each level (group unified limit, member
sub-limit, facility, concentration), currencies, indirect control, reruns and clearing."""

from __future__ import annotations

from decimal import Decimal

from core.rulekit import Scope
from risk import alerts
from risk.models import AlertStatus, RelatedParty, RiskAlert, RiskSettings, Severity
from risk.rules import enterprise_key, group_key, load
from tests.risk.limits.conftest import AS_OF, facility, members, sub_limit


def _run(code, ids=None):
    rule = load()[code]
    scope = Scope(as_of=AS_OF, ids=ids)
    findings = rule.evaluate(scope, rule.defaults())
    alerts.sync(code, findings, rule.in_scope(scope))
    return {f.subject_key: f for f in findings}


def _limit(group, amount):
    group.unified_credit_limit = Decimal(amount)
    group.save()


def test_group_unified_limit_breach_warning_and_near_miss(bank):
    group = bank.group_gy
    core = group.core_enterprise
    _limit(group, 10_000_000)
    f = facility(core, 12_000_000, 8_999_999)  # 89.99999 % -> 90.0 % rounded: a warning
    assert group_key(group.pk) in _run("limit_warning")
    f.drawn = Decimal("8990000")  # 89.9 %: near miss
    f.save()
    assert group_key(group.pk) not in _run("limit_warning")
    assert group_key(group.pk) not in _run("limit_breach")
    f.drawn = Decimal("10000000")  # exactly 100 %: still a warning, not a breach
    f.save()
    assert group_key(group.pk) not in _run("limit_breach")
    f.drawn = Decimal("10050000")
    f.save()
    found = _run("limit_breach")[group_key(group.pk)]
    assert found.severity == Severity.HIGH and found.group_id == group.pk
    assert "集团统一授信额度" in found.evidence and "1,005.00万元" in found.evidence
    assert "group unified credit limit" in found.evidence_en and "100.5%" in found.evidence_en
    f.drawn = Decimal("11000000")  # 10 points over: critical
    f.save()
    assert _run("limit_breach")[group_key(group.pk)].severity == Severity.CRITICAL
    # The warning cleared (a breach now): the warning alert resolved itself.
    warning = RiskAlert.objects.get(rule="limit_warning", subject_key=group_key(group.pk))
    assert warning.status == AlertStatus.RESOLVED


def test_member_sub_limit_and_currency(bank, usd):
    group = bank.group_gy
    _limit(group, 100_000_000)
    _core, sub1, sub2 = members(group)
    sub_limit(group, sub1, 7_200_000)
    f = facility(sub1, 1_000_000, 1_000_000, currency="USD")  # 7,200,000 CNY: exactly at the sub-limit
    found = _run("limit_warning")
    assert enterprise_key(sub1.pk) in found and found[enterprise_key(sub1.pk)].group_id == group.pk
    assert enterprise_key(sub2.pk) not in found
    f.drawn = Decimal("1000100")  # 7,200,720 CNY: over
    f.limit_amount = Decimal("1100000")
    f.save()
    breach = _run("limit_breach")[enterprise_key(sub1.pk)]
    assert breach.figures["levels"][0]["level"] == "sub_limit"
    assert breach.severity == Severity.HIGH


def test_facility_drawn_over_its_limit(bank):
    core = bank.group_gy.core_enterprise
    f = facility(core, 1000, 1000)
    assert enterprise_key(core.pk) not in _run("limit_breach")
    f.drawn = Decimal("1000.01")
    f.save()
    found = _run("limit_breach")[enterprise_key(core.pk)]
    assert "drawn above their limit" in found.evidence_en and "用信超过其额度" in found.evidence


def test_concentration_limits(bank, capital):
    group = bank.group_gy
    _limit(group, 10_000_000_000)
    core, sub1, _sub2 = members(group)
    # One client: cap 1 亿 (10 % of 10 亿 net capital). 0.9 亿: warning; the group at 15 %: 1.5 亿, fine.
    facility(core, 200_000_000, 90_000_000)
    found = _run("limit_warning")
    assert [lv["level"] for lv in found[enterprise_key(core.pk)].figures["levels"]] == ["client_net_capital"]
    assert group_key(group.pk) not in found
    # The group over 1.5 亿 of net capital and 1.6 亿 of tier-1 (connected clients): critical.
    facility(sub1, 200_000_000, 80_000_000)
    breach = _run("limit_breach")[group_key(group.pk)]
    assert breach.severity == Severity.CRITICAL
    assert {lv["level"] for lv in breach.figures["levels"]} == {"group_net_capital", "connected_tier1"}
    # Capital not entered: no concentration levels at all.
    RiskSettings.objects.filter(pk=1).update(net_capital=0, tier1_capital=0)
    assert group_key(group.pk) not in _run("limit_breach")


def test_related_parties(bank, capital):
    group = bank.group_gy
    _limit(group, 10_000_000_000)
    core = group.core_enterprise
    RelatedParty.objects.create(enterprise=core, since=AS_OF)
    facility(core, 200_000_000, 95_000_000)  # 95 % of the 1 亿 related-party cap (10 %)
    found = _run("limit_warning")
    levels = [lv["level"] for lv in found[enterprise_key(core.pk)].figures["levels"]]
    assert "related_client" in levels
    RiskSettings.objects.filter(pk=1).update(related_total_pct=Decimal("9"))  # all related: 0.9 亿 cap
    assert "bank:related" in _run("limit_breach")
    assert "bank:related" not in _run("limit_breach", ids=[core.pk])  # bank-wide: full runs only


def test_incremental_scope_and_rerun(bank):
    gy, zy = bank.group_gy, bank.group_zy
    _limit(gy, 1000)
    _limit(zy, 1000)
    facility(gy.core_enterprise, 2000, 2000)
    facility(zy.core_enterprise, 2000, 2000)
    _run("limit_breach")
    assert RiskAlert.objects.filter(rule="limit_breach", status=AlertStatus.OPEN).count() == 2  # the 2 groups
    _run("limit_breach")
    assert RiskAlert.objects.filter(rule="limit_breach").count() == 2  # a rerun: no duplicates
    # A run over group_gy's members answers for group_gy only: group_zy's alert stays open.
    gy.core_enterprise.facilities.update(drawn=0)
    zy.core_enterprise.facilities.update(drawn=0)
    _run("limit_breach", ids=[gy.core_enterprise_id])
    assert RiskAlert.objects.get(rule="limit_breach", subject_key=group_key(gy.pk)).status == AlertStatus.RESOLVED
    assert RiskAlert.objects.get(rule="limit_breach", subject_key=group_key(zy.pk)).status == AlertStatus.OPEN


def test_facilities_without_a_unified_limit(bank):
    group = bank.group_gy
    _limit(group, 0)
    assert group_key(group.pk) not in _run("limit_breach")  # nothing drawn: nothing to say
    facility(group.core_enterprise, 1000, 1)
    found = _run("limit_breach")[group_key(group.pk)]
    assert "未核定统一授信额度" in found.evidence and "no unified credit limit" in found.evidence_en
    assert found.figures["levels"] == [{"level": "unified_missing", "used": "1.00", "limit": "0"}]
    assert found.severity == Severity.HIGH
