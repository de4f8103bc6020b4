"""risk.alerts.sync: one open alert per rule and subject, updates without duplicates, auto-resolution,
people's closures not undone on the same evidence, paths, and who sees a cross-branch path."""

from __future__ import annotations

import datetime as dt

from core.rulekit import Scope
from risk import alerts
from risk.models import AlertStatus, RiskAlert
from risk.rules import Finding, enterprise_key, enterprise_scope, party_scope, path_key

AS_OF = dt.date(2026, 6, 15)


def _finding(e, severity=2, text="x"):
    return Finding(subject_key=enterprise_key(e.pk), enterprise_id=e.pk, severity=severity, evidence=f"证据{text}",
                   evidence_en=f"evidence {text}", figures={"n": text})


def _all(scope_ids):
    return enterprise_scope(Scope(as_of=AS_OF, ids=scope_ids))


def test_rerun_updates_never_duplicates_and_clearing_resolves(bank):
    a, b = bank.group_gy.core_enterprise, bank.group_zy.core_enterprise
    ids = [a.pk, b.pk]
    counts = alerts.sync("test_rule", [_finding(a), _finding(b)], _all(ids))
    assert counts["opened"] == 2
    assert alerts.sync("test_rule", [_finding(a), _finding(b)], _all(ids))["opened"] == 0  # same input: nothing
    assert RiskAlert.objects.filter(rule="test_rule").count() == 2
    counts = alerts.sync("test_rule", [_finding(a, severity=3, text="y"), _finding(b)], _all(ids))
    assert (counts["opened"], counts["updated"]) == (0, 1)
    alert_a = RiskAlert.objects.get(enterprise=a)
    assert (alert_a.severity, alert_a.evidence_en) == (3, "evidence y")
    counts = alerts.sync("test_rule", [_finding(a, severity=3, text="y")], _all(ids))
    assert counts["resolved"] == 1
    gone = RiskAlert.objects.get(enterprise=b)
    assert gone.status == AlertStatus.RESOLVED and gone.status_changed_by is None
    assert "resolved automatically" in gone.resolution_note
    # Out of scope: not resolved.
    assert alerts.sync("test_rule", [], _all([b.pk]))["resolved"] == 0
    assert RiskAlert.objects.get(enterprise=a).status == AlertStatus.OPEN
    # The condition comes back: a new alert, the resolved one kept for its history.
    assert alerts.sync("test_rule", [_finding(a, 3, "y"), _finding(b)], _all(ids))["opened"] == 1
    assert RiskAlert.objects.filter(enterprise=b).count() == 2
    assert RiskAlert.history.filter(id=alert_a.pk).count() == 2  # opened, updated


def test_person_closure_holds_until_cleared_or_worse(bank):
    a = bank.group_gy.core_enterprise
    alerts.sync("test_rule", [_finding(a, 2)], _all([a.pk]))
    RiskAlert.objects.filter(enterprise=a).update(status=AlertStatus.FALSE_POSITIVE, suppresses=True)
    counts = alerts.sync("test_rule", [_finding(a, 2, "z")], _all([a.pk]))
    assert (counts["opened"], counts["held_back"]) == (0, 1)
    assert alerts.sync("test_rule", [_finding(a, 3)], _all([a.pk]))["opened"] == 1  # worse: raised again
    RiskAlert.objects.filter(enterprise=a, status=AlertStatus.OPEN).update(status=AlertStatus.RESOLVED,
                                                                          suppresses=True)
    alerts.sync("test_rule", [], _all([a.pk]))  # cleared once: no longer holds back
    assert not RiskAlert.objects.filter(enterprise=a, suppresses=True).exists()
    assert alerts.sync("test_rule", [_finding(a, 1)], _all([a.pk]))["opened"] == 1


def test_path_alert_seen_by_each_branch_on_it(bank):
    a, b = bank.group_gy.core_enterprise, bank.group_zy.core_enterprise
    key = path_key("cycle", sorted([a.pk, b.pk]))
    finding = Finding(subject_key=key, enterprise_id=min(a.pk, b.pk), severity=3, evidence="互保", evidence_en="mutual",
                      path=(a.pk, b.pk))
    alerts.sync("test_cycle", [finding], party_scope(Scope(as_of=AS_OF)))
    alert = RiskAlert.objects.get(rule="test_cycle")
    assert list(alert.parties.values_list("enterprise_id", flat=True)) == [a.pk, b.pk]
    for user in (bank.rm_gy1, bank.rm_zy1, bank.risk_gy, bank.head_gy, bank.hq):
        assert RiskAlert.objects.for_user(user).filter(pk=alert.pk).exists(), user
    for user in (bank.rm_gy2, bank.outsider):
        assert not RiskAlert.objects.for_user(user).filter(pk=alert.pk).exists(), user
    # The path changes: the parties follow, the alert stays.
    c = bank.group_gy.memberships.exclude(enterprise=a).first().enterprise
    moved = Finding(subject_key=key, enterprise_id=finding.enterprise_id, severity=3, evidence="互保",
                    evidence_en="mutual", path=(a.pk, c.pk, b.pk))
    assert alerts.sync("test_cycle", [moved], party_scope(Scope(as_of=AS_OF)))["updated"] == 1
    assert list(alert.parties.values_list("enterprise_id", flat=True)) == [a.pk, c.pk, b.pk]
    assert alerts.sync("test_cycle", [], party_scope(Scope(as_of=AS_OF, ids=[c.pk])))["resolved"] == 1
