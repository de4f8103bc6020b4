"""contagion: from an enterprise with an open high-severity alert to its guarantors and to those that
depend on it for 30 % or more of their sales or purchases, up to two steps; 29 % does not fire; a cleared
source resolves the contagion alerts on the next run; reruns are stable."""

from __future__ import annotations

import pytest

from risk.models import AlertStatus, RiskAlert, Severity
from risk.rules import enterprise_key
from tests.factories import EnterpriseFactory
from tests.risk.graph.conftest import guarantee, pay, run

pytestmark = pytest.mark.django_db


def _source_alert(enterprise, severity=Severity.HIGH, rule="past_due"):
    return RiskAlert.objects.create(rule=rule, subject_key=enterprise_key(enterprise.pk), enterprise=enterprise,
                                    severity=severity, evidence="逾期", evidence_en="past due")


@pytest.fixture
def web(bank):
    """S (group_gy's core) has a high alert. G guarantees S; D sells 35 % to S; N sells 29 % to S (near miss);
    E buys 50 % of its purchases from D (two steps); F guarantees E (three steps: beyond the default depth)."""
    s = bank.group_gy.core_enterprise
    g, d, n = EnterpriseFactory(branch=bank.zy1, rm=bank.rm_zy1), EnterpriseFactory(branch=bank.gy1), EnterpriseFactory()
    e, f, other = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory()
    o1, o2 = EnterpriseFactory(), EnterpriseFactory()  # big buyers: D and N are small parts of their purchases
    guarantee(g, s, "20000000")
    pay(s, d, 70)  # D's sales: 70 + 80 + 50 (from E) = 200, 35 % from S
    pay(o1, d, 80)
    pay(o1, other, 1000)
    pay(s, n, 29)
    pay(o2, n, 71)
    pay(o2, other, 1000)
    pay(e, d, 50)
    pay(e, other, 50)
    guarantee(f, e)
    alert = _source_alert(s)
    return {"s": s, "g": g, "d": d, "n": n, "e": e, "f": f, "other": other, "alert": alert}


def _contagion():
    return {a.enterprise_id: a for a in RiskAlert.objects.filter(rule="contagion", status=AlertStatus.OPEN)}


def test_paths_of_one_and_two_steps_and_near_miss(web, bank):
    s, g, d, e = web["s"], web["g"], web["d"], web["e"]
    assert run("contagion")["opened"] == 3
    found = _contagion()
    assert set(found) == {g.pk, d.pk, e.pk}  # not N (29 %), not F (three steps), not S itself
    assert list(found[g.pk].parties.values_list("enterprise_id", flat=True)) == [s.pk, g.pk]
    assert found[g.pk].severity == Severity.MEDIUM
    assert "提供担保" in found[g.pk].evidence and "guarantees the debt" in found[g.pk].evidence_en
    assert "Loans past due" in found[g.pk].evidence_en and "贷款逾期" in found[g.pk].evidence
    assert s.uscc in found[g.pk].evidence  # the rule by its name, not its code
    assert "35.0%" in found[d.pk].evidence and "sales" in found[d.pk].evidence_en
    two = found[e.pk]
    assert list(two.parties.values_list("enterprise_id", flat=True)) == [s.pk, d.pk, e.pk]
    assert two.severity == Severity.LOW and two.figures["depth"] == 2
    assert [st["relation"] for st in two.figures["steps"]] == ["sales", "purchases"]
    assert two.figures["steps"][1]["share_pct"] == "50.0" and two.figures["source_alert"] == web["alert"].pk
    # The guarantor in another branch is told, and so is the source's side.
    assert RiskAlert.objects.for_user(bank.rm_zy1).filter(pk=found[g.pk].pk).exists()
    assert RiskAlert.objects.for_user(bank.rm_gy1).filter(pk=found[g.pk].pk).exists()
    assert not RiskAlert.objects.for_user(bank.rm_gy2).filter(pk=found[g.pk].pk).exists()
    # Rerun: nothing written.
    assert run("contagion") == {"opened": 0, "updated": 0, "resolved": 0, "held_back": 0}


def test_deeper_setting_and_critical_source(web):
    from risk.models import AlertRule

    web["alert"].severity = Severity.CRITICAL
    web["alert"].save()
    AlertRule.objects.create(code="contagion", params={"max_depth": 3})
    run("contagion")
    found = _contagion()
    assert web["f"].pk in found and found[web["g"].pk].severity == Severity.HIGH
    assert len(found[web["f"].pk].figures["steps"]) == 3


def test_low_source_or_contagion_source_does_not_spread(bank, web):
    web["alert"].severity = Severity.MEDIUM
    web["alert"].save()
    assert run("contagion")["opened"] == 0


def test_clearing_the_source_resolves(web):
    run("contagion")
    assert len(_contagion()) == 3
    RiskAlert.objects.filter(pk=web["alert"].pk).update(status=AlertStatus.RESOLVED)
    # An incremental run elsewhere answers only for paths starting in its scope: nothing changes.
    assert run("contagion", ids=[web["other"].pk, web["g"].pk]) == {"opened": 0, "updated": 0, "resolved": 0,
                                                                    "held_back": 0}
    assert len(_contagion()) == 3
    # A run whose scope holds the source (its group on demand), or the nightly full run, resolves them.
    assert run("contagion", ids=[web["s"].pk])["resolved"] == 3
    assert not _contagion()


def test_an_incremental_run_flags_from_its_own_sources_only(web, bank):
    """A group's refresh starts from the sources among its enterprises; the full run from all."""
    other_source = EnterpriseFactory()
    guarantor = EnterpriseFactory()
    guarantee(guarantor, other_source)
    _source_alert(other_source)
    assert run("contagion", ids=[web["s"].pk])["opened"] == 3
    assert guarantor.pk not in _contagion()
    assert run("contagion")["opened"] == 1
    assert guarantor.pk in _contagion()

