"""Alerts for the alert tests, written the engine's way (risk.alerts.sync with Findings).

- `simple`: a high alert on group_gy's core (rm_gy1's full record), rule `test_rule`;
- `cycle`: a 3-cycle of guarantees across two branches: A (group_gy member, GY1) guarantees B
  (group_zy's core, ZY1), B guarantees C (group_zy member, ZY1), C guarantees A; the alert's subject is
  A (figures["edges"] carries each guarantee's amount)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from circles.models import Guarantee
from core.rulekit import Scope
from risk import alerts
from risk.models import RiskAlert
from risk.rules import Finding, enterprise_key, enterprise_scope, party_scope, path_key

AS_OF = dt.date(2026, 6, 15)


def raise_alert(enterprise, *, rule="test_rule", severity=3, group=None, text="x", figures=None) -> RiskAlert:
    finding = Finding(subject_key=enterprise_key(enterprise.pk), enterprise_id=enterprise.pk, severity=severity,
                      evidence=f"中文证据{text}", evidence_en=f"English evidence {text}",
                      group_id=group.pk if group else None, figures=figures or {"n": "1"})
    alerts.sync(rule, [finding], enterprise_scope(Scope(as_of=AS_OF, ids=[enterprise.pk])))
    return RiskAlert.objects.get(rule=rule, subject_key=finding.subject_key, status__in=["open", "acknowledged"])


@dataclass
class Cycle:
    a: object
    b: object
    c: object
    alert: RiskAlert


def make_cycle(bank, *, rule="guarantee_cycle") -> Cycle:
    a = bank.group_gy.memberships.exclude(enterprise=bank.group_gy.core_enterprise).first().enterprise
    b = bank.group_zy.core_enterprise
    c = bank.group_zy.memberships.exclude(enterprise=b).first().enterprise
    amounts = {(a, b): "10000000.00", (b, c): "20000000.00", (c, a): "30000000.00"}
    for (g, r), amount in amounts.items():
        Guarantee.objects.create(guarantor=g, borrower=r, amount=Decimal(amount), currency="CNY",
                                 start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 12, 31))
    path = (a.pk, b.pk, c.pk)
    finding = Finding(
        subject_key=path_key("cycle", path), enterprise_id=a.pk, group_id=bank.group_gy.pk, severity=4,
        evidence=f"连环担保：{a.name}→{b.name}→{c.name}→{a.name}，3家企业",
        evidence_en=f"Guarantee loop: {a.name} → {b.name} → {c.name} → {a.name}, 3 enterprises",
        figures={"length": 3, "total_cny": "60000000.00",
                 "edges": [{"from": g.pk, "to": r.pk, "amount_cny": amt} for (g, r), amt in amounts.items()]},
        path=path)
    alerts.sync(rule, [finding], party_scope(Scope(as_of=AS_OF)))
    return Cycle(a, b, c, RiskAlert.objects.get(rule=rule, subject_key=finding.subject_key))


@pytest.fixture
def simple(bank):
    return raise_alert(bank.group_gy.core_enterprise, group=bank.group_gy)


@pytest.fixture
def cycle(bank):
    return make_cycle(bank)
