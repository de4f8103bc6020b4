"""guarantee_cycle: mutual guarantees (互保) and loops (连环担保) of 2, 3 and 5 enterprises across two groups
and two branches; chains and expired guarantees do not fire; reruns are stable; a removed guarantee
resolves its alert; an incremental run answers only for cycles through its enterprises."""

from __future__ import annotations

import datetime as dt

import pytest

from risk.models import AlertStatus, RiskAlert, Severity
from risk.rules import path_key
from risk.rules.graph import canonical, find_cycles
from tests.factories import EnterpriseFactory
from tests.risk.graph.conftest import guarantee, run

pytestmark = pytest.mark.django_db


def _members(group, n):
    """n enterprises of the group (the core and its members, then new members' stand-ins in its branch)."""
    ids = list(group.memberships.order_by("enterprise_id").values_list("enterprise", flat=True))
    out = [e for e in group.core_enterprise.__class__.objects.filter(pk__in=ids).order_by("pk")]
    while len(out) < n:
        out.append(EnterpriseFactory(branch=group.branch))
    return out[:n]


def test_canonical_rotation_and_search():
    assert canonical([8, 3, 5]) == (3, 5, 8)
    assert canonical([5, 9, 2, 7]) == (2, 7, 5, 9)
    edges = [(1, 2), (2, 1), (3, 4), (4, 5), (5, 3), (6, 7), (7, 8)]
    assert find_cycles(edges, 6) == [(1, 2), (3, 4, 5)]
    assert find_cycles(edges, 2) == [(1, 2)]
    assert find_cycles(edges, 6, through=[5]) == [(3, 4, 5)]


def test_cycles_of_two_three_and_five_across_groups_and_branches(bank):
    gy, zy = _members(bank.group_gy, 3), _members(bank.group_zy, 3)
    # 互保 across branches.
    guarantee(gy[0], zy[0], "30000000")
    guarantee(zy[0], gy[0], "20000000")
    # A loop of 3: gy1 -> zy1 -> gy2 -> gy1.
    guarantee(gy[1], zy[1])
    guarantee(zy[1], gy[2])
    guarantee(gy[2], gy[1])
    # A loop of 5, big enough to be critical, through enterprises outside any group too.
    x, y = EnterpriseFactory(branch=bank.zy1), EnterpriseFactory()
    five = [zy[2], x, gy[0], y, gy[2]]
    for a, b in zip(five, five[1:] + five[:1], strict=True):
        guarantee(a, b, "80000000")
    # Near misses: a chain, and a loop closed only by an expired guarantee.
    c1, c2, c3 = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory()
    guarantee(c1, c2)
    guarantee(c2, c3)
    guarantee(c3, c1, end=dt.date(2026, 3, 31))

    counts = run("guarantee_cycle")
    assert counts["opened"] == 3
    alerts = {a.figures["length"]: a for a in RiskAlert.objects.filter(rule="guarantee_cycle")}
    assert sorted(alerts) == [2, 3, 5]
    two = alerts[2]
    ids2 = canonical([gy[0].pk, zy[0].pk])
    assert two.subject_key == path_key("cycle", ids2) and two.severity == Severity.HIGH
    assert two.enterprise_id == min(gy[0].pk, zy[0].pk)
    assert "互保" in two.evidence and gy[0].uscc in two.evidence and zy[0].name in two.evidence
    assert "30,000,000" not in two.evidence and "3,000" not in two.evidence  # amounts in figures only
    assert {(e["from"], e["to"]): e["amount_cny"] for e in two.figures["edges"]} == {
        (gy[0].pk, zy[0].pk): "30000000.00", (zy[0].pk, gy[0].pk): "20000000.00"}
    three = alerts[3]
    assert list(three.parties.values_list("enterprise_id", flat=True)) == list(canonical([gy[1].pk, zy[1].pk, gy[2].pk]))
    assert three.severity == Severity.HIGH and "连环担保" in three.evidence
    five_alert = alerts[5]
    assert five_alert.severity == Severity.CRITICAL
    assert list(five_alert.parties.values_list("enterprise_id", flat=True)) == list(canonical([e.pk for e in five]))
    assert five_alert.group_id == (bank.group_gy.pk if five_alert.enterprise_id in {e.pk for e in gy}
                                   else bank.group_zy.pk if five_alert.enterprise_id in {e.pk for e in zy} else None)
    # Each branch involved sees the cross-branch alerts.
    for user in (bank.rm_gy1, bank.rm_zy1, bank.risk_gy, bank.hq):
        assert RiskAlert.objects.for_user(user).filter(pk=two.pk).exists(), user
    assert not RiskAlert.objects.for_user(bank.rm_gy2).filter(pk=two.pk).exists()

    # Rerun: same alerts, nothing written.
    assert run("guarantee_cycle") == {"opened": 0, "updated": 0, "resolved": 0, "held_back": 0}
    assert RiskAlert.objects.filter(rule="guarantee_cycle").count() == 3


def test_removed_guarantee_resolves_and_incremental_scope(bank):
    gy, zy = _members(bank.group_gy, 2), _members(bank.group_zy, 2)
    g1 = guarantee(gy[0], zy[0])
    guarantee(zy[0], gy[0])
    guarantee(gy[1], zy[1])
    guarantee(zy[1], gy[1])
    run("guarantee_cycle")
    assert RiskAlert.objects.filter(rule="guarantee_cycle", status=AlertStatus.OPEN).count() == 2
    g1.delete()
    # An incremental run over other enterprises answers for nothing of this cycle.
    assert run("guarantee_cycle", ids=[gy[1].pk])["resolved"] == 0
    counts = run("guarantee_cycle", ids=[gy[0].pk])
    assert counts["resolved"] == 1
    gone = RiskAlert.objects.get(subject_key=path_key("cycle", canonical([gy[0].pk, zy[0].pk])))
    assert gone.status == AlertStatus.RESOLVED and "resolved automatically" in gone.resolution_note
    assert RiskAlert.objects.get(subject_key=path_key("cycle", canonical([gy[1].pk, zy[1].pk]))).is_open
