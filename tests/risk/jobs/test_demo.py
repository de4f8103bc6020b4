"""The demo's risk data (risk.demo, run by seed_demo): facilities, sub-limits, pledges with the core's
confirmation, other banks' financing, and every deliberate condition raising its alert when the risk job
runs at the data's date; a rerun changes nothing."""

from __future__ import annotations

import datetime as dt

from demo import seed as demo
from risk.models import Facility, OtherBankFinancing, Pledge, RiskAlert, SubLimit

AS_OF = dt.date(2026, 10, 31)


def test_the_demo_fires_every_deliberate_rule_and_a_rerun_changes_nothing(catalogue):
    demo.build(seed=2026, groups=12, flows=4000, as_of=AS_OF)
    assert Facility.objects.filter(currency="USD").exists() and Facility.objects.filter(currency="CNY").exists()
    assert SubLimit.objects.exists() and OtherBankFinancing.objects.exists()
    assert Pledge.objects.filter(kind="receivable", confirmed_on__isnull=False).exists()
    assert Pledge.objects.filter(kind="inventory").exists()
    fired = set(RiskAlert.objects.values_list("rule", flat=True))
    assert {"past_due", "financial_deterioration", "guarantee_overreach", "guarantee_cycle", "large_outflow",
            "intra_group_spike", "contagion", "limit_breach", "limit_warning"} <= fired, fired
    assert set(RiskAlert.objects.filter(rule="past_due").values_list("severity", flat=True)) == {1, 2, 3, 4}
    cycle = RiskAlert.objects.get(rule="guarantee_cycle", subject_key__startswith="cycle:2-")
    branches = {p.enterprise.branch.path.split("/")[2] for p in cycle.parties.select_related("enterprise__branch")}
    assert len(branches) == 2  # two branches, not two sub-branches of one
    from risk.tasks import refresh_risk_all

    again = refresh_risk_all(as_of=AS_OF.isoformat())
    assert (again["opened"], again["updated"], again["resolved"]) == (0, 0, 0)
