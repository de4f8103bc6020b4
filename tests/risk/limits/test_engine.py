"""The limit rules through the engine: a second run writes nothing new, clearing resolves."""

from __future__ import annotations

from decimal import Decimal

from risk import engine
from risk.models import AlertStatus, RiskAlert
from tests.risk.limits.conftest import AS_OF, facility


def test_engine_twice_same_alerts_and_clearing_resolves(bank):
    group = bank.group_gy
    group.unified_credit_limit = Decimal("1000")
    group.save()
    f = facility(group.core_enterprise, 5000, 950)
    first = engine.refresh(as_of=AS_OF)
    assert first["rules"]["limit_warning"]["opened"] == 1
    before = list(RiskAlert.objects.filter(rule__startswith="limit_").values_list("pk", "status", "evidence"))
    second = engine.refresh(as_of=AS_OF)
    assert second["rules"]["limit_warning"] == {"opened": 0, "updated": 0, "resolved": 0, "held_back": 0}
    assert list(RiskAlert.objects.filter(rule__startswith="limit_").values_list("pk", "status", "evidence")) == before
    f.drawn = Decimal("100")
    f.save()
    third = engine.refresh([group.core_enterprise_id], as_of=AS_OF)
    assert third["rules"]["limit_warning"]["resolved"] == 1
    assert RiskAlert.objects.get(rule="limit_warning").status == AlertStatus.RESOLVED
