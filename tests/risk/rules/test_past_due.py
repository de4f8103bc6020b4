"""past_due: 1, 30, 60, 90 days past due give rising severity; near misses do not fire (PostgreSQL)."""

from __future__ import annotations

from risk.models import AlertRule
from tests.risk.rules.bravo_data import alerts, days_ago, facility, run, stranger


def test_past_due_severity_rises_with_the_days(bank):
    cases = {1: 1, 29: 1, 30: 2, 59: 2, 60: 3, 90: 4, 400: 4}
    borrowers = {}
    for days in cases:
        e = stranger()
        facility(e, 10_000_000, drawn=8_000_000, past_due=1_234_567.8, since=days_ago(days))
        borrowers[days] = e.pk
    run()
    found = alerts("past_due")
    assert {days: found[pk].severity for days, pk in borrowers.items()} == cases


def test_past_due_evidence_names_each_facility_and_the_longest(bank):
    e = bank.group_gy.core_enterprise
    f1 = facility(e, 10_000_000, past_due=2_000_000, since=days_ago(65))
    f2 = facility(e, 5_000_000, past_due=500_000, since=days_ago(3))
    run()
    alert = alerts("past_due")[e.pk]
    assert alert.severity == 3 and alert.group_id == bank.group_gy.pk
    assert alert.figures == {"days": 65, "past_due": "2500000.00", "facilities": 2,
                             "references": [f1.reference, f2.reference], "unconverted": 0}
    assert alert.evidence == (f"贷款逾期：最长65天，逾期金额合计250.00万元，共2笔（{f1.reference}逾期65天，200.00万元；"
                              f"{f2.reference}逾期3天，50.00万元）")


def test_past_due_near_misses(bank):
    facility(stranger(), 1_000_000, past_due=100, since=days_ago(0))  # due today: not yet one day
    facility(stranger(), 1_000_000, past_due=0, since=days_ago(100))  # nothing past due
    facility(stranger(), 1_000_000, past_due=100, since=None)
    facility(stranger(), 1_000_000, past_due=100, since=days_ago(100), status="closed")
    run()
    assert not alerts("past_due")


def test_past_due_thresholds_are_editable_and_repayment_resolves(bank):
    e = stranger()
    f = facility(e, 1_000_000, past_due=100, since=days_ago(20))
    AlertRule.objects.create(code="past_due", params={"low_days": 1, "medium_days": 15, "high_days": 60,
                                                      "critical_days": 90})
    run()
    assert alerts("past_due")[e.pk].severity == 2
    f.past_due_amount, f.past_due_since = 0, None
    f.save()
    run()
    assert not alerts("past_due")
    assert "resolved automatically" in e.risk_alerts.get(rule="past_due").resolution_note
