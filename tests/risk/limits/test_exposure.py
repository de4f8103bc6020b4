"""Limit arithmetic (risk.exposure): roll-up through indirect control, currencies, sub-limits, levels;
the SQL used by the rules and the Python tree of the pages agree."""

from __future__ import annotations

from decimal import Decimal

from core.rulekit import fetch
from risk import exposure
from risk.models import RiskSettings
from tests.risk.limits.conftest import AS_OF, facility, sub_limit


def test_roll_up_through_indirect_control_and_currencies(deep_group, usd):
    group, core, sub1, sub2, grandchild = deep_group
    group.unified_credit_limit = Decimal("100000000")
    group.save()
    facility(core, 10_000_000, 4_000_000)
    facility(sub1, 5_000_000, 1_000_000)
    facility(grandchild, 1_000_000, 500_000, currency="USD")  # 3,600,000 CNY at 7.2
    facility(grandchild, 9_000_000, 9_000_000, status="closed")  # closed: no exposure
    sub_limit(group, grandchild, 8_000_000)
    tree = exposure.group_limit_tree(group, as_of=AS_OF)
    nodes = {n.obj.pk: n for n in tree.members}
    assert nodes[grandchild.pk].used == Decimal("3600000.00")
    assert nodes[grandchild.pk].use_pct == Decimal("45.0")  # of its 8,000,000 sub-limit
    assert nodes[grandchild.pk].headroom == Decimal("4400000.00")
    assert nodes[sub1.pk].subtree == Decimal("4600000.00")  # its own 1m + the grandchild's 3.6m
    assert nodes[core.pk].subtree == Decimal("8600000.00")  # the whole group
    assert nodes[sub2.pk].subtree == 0
    assert tree.root.used == Decimal("8600000.00")
    assert tree.root.headroom == Decimal("91400000.00")
    assert tree.root.use_pct == Decimal("8.6")
    # The SQL of the rules: same figures.
    rows = {r[1]: r for r in fetch(exposure.member_figures_sql("g.id = %(g)s"), {"day": AS_OF, "g": group.pk})}
    assert Decimal(rows[grandchild.pk][4]) == Decimal("3600000.00")
    assert Decimal(rows[sub1.pk][9]) == Decimal("4600000.00")
    assert Decimal(rows[core.pk][9]) == Decimal("8600000.00")
    assert rows[grandchild.pk][8] == Decimal("8000000")
    (row,) = fetch(exposure.group_figures_sql("g.id = %(g)s"), {"day": AS_OF, "g": group.pk})
    assert Decimal(row[2]) == Decimal("8600000.00")
    # The rate of the run's date: an earlier date takes the earlier rate.
    early = exposure.group_limit_tree(group, as_of=AS_OF.replace(month=3))
    assert early.root.used == Decimal("8550000.00")  # 3,550,000 at 7.1


def test_a_currency_without_rate_is_left_out_and_counted(bank):
    group = bank.group_gy
    facility(group.core_enterprise, 1000, 1000, currency="EUR")
    tree = exposure.group_limit_tree(group, as_of=AS_OF)
    assert tree.root.used == 0 and tree.unconverted == 1


def test_levels_warning_and_breach(bank, capital):
    assert exposure.level_of(899, 1000, 90) == ""
    assert exposure.level_of(Decimal("899.5"), 1000, 90) == exposure.WARNING  # 90.0 % rounded
    assert exposure.level_of(1000, 1000, 90) == exposure.WARNING
    assert exposure.level_of(Decimal("1000.01"), 1000, 90) == exposure.BREACH  # over, though 100.0 % rounded
    assert exposure.level_of(5, 0, 90) == ""
    group = bank.group_gy
    group.unified_credit_limit = Decimal("10000000")
    group.save()
    facility(group.core_enterprise, 9_500_000, 9_500_000)
    tree = exposure.group_limit_tree(group, as_of=AS_OF)
    assert tree.root.level == exposure.WARNING and tree.root.css == "limit-near"
    conc = {c.label: c for c in tree.concentration}
    assert conc["group_net_capital"].cap == Decimal("150000000.00")
    assert conc["connected_tier1"].cap == Decimal("160000000.00")
    assert not tree.large_exposure
    RiskSettings.objects.filter(pk=1).update(warning_pct=Decimal("96"))
    assert exposure.group_limit_tree(group, as_of=AS_OF).root.level == ""
