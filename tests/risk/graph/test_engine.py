"""The graph rules inside the engine (risk.engine.refresh): a mutual guarantee and a source alert give a
cycle alert and a contagion alert; a second run writes nothing; an incremental run over a cycle member
keeps the cycle."""

from __future__ import annotations

import pytest

from risk import engine
from risk.models import AlertStatus, RiskAlert, Severity
from risk.rules import enterprise_key
from tests.factories import EnterpriseFactory
from tests.risk.graph.conftest import AS_OF, guarantee

pytestmark = pytest.mark.django_db


def test_engine_runs_graph_rules_and_reruns_stable(bank):
    a, b = bank.group_gy.core_enterprise, bank.group_zy.core_enterprise
    guarantee(a, b)
    guarantee(b, a)
    g = EnterpriseFactory()
    guarantee(g, a)
    # A rule the engine does not run (a real one would resolve it: there is no facility past due here).
    RiskAlert.objects.create(rule="test_source", subject_key=enterprise_key(a.pk), enterprise=a, severity=Severity.HIGH,
                             evidence="逾期", evidence_en="past due")
    first = engine.refresh(None, as_of=AS_OF)
    assert first["rules"]["guarantee_cycle"]["opened"] == 1
    mine = RiskAlert.objects.filter(rule__in=["guarantee_cycle", "contagion"], status=AlertStatus.OPEN)
    before = sorted(mine.values_list("rule", "subject_key", "severity"))
    assert ("contagion", enterprise_key(g.pk), int(Severity.MEDIUM)) in before
    # b guarantees a too: contagion reaches it as a guarantor of the source.
    assert ("contagion", enterprise_key(b.pk), int(Severity.MEDIUM)) in before
    # The cycle's own alert spreads nothing: a is the only source.
    assert {alert.figures["source_alert"] for alert in mine.filter(rule="contagion")} == {
        RiskAlert.objects.get(rule="test_source").pk}
    second = engine.refresh(None, as_of=AS_OF)
    for code in ("guarantee_cycle", "contagion"):
        assert second["rules"][code] == {"opened": 0, "updated": 0, "resolved": 0, "held_back": 0}
    engine.refresh([a.pk], as_of=AS_OF)
    assert sorted(mine.values_list("rule", "subject_key", "severity")) == before
