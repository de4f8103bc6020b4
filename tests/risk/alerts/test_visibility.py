"""Who sees what of a guarantee cycle across two branches (README, "Risk alerts across branches"):
each side sees the alert, every enterprise's registry card, the amount of a guarantee only where one
end is in their full record, the figures and evidence only where the subject is theirs; a third
branch sees nothing (404 on page and API)."""

from __future__ import annotations

from risk.models import RiskAlert
from risk.visibility import alert_view


def _amounts(view):
    return {(e.source.id, e.target.id): e.amount_cny for e in view.edges}


def test_subject_side_sees_its_edges_the_cards_and_its_figures(bank, cycle):
    view = alert_view(bank.rm_gy1, cycle.alert)
    a, b, c = cycle.a, cycle.b, cycle.c
    assert [card.uscc for card in view.path] == [a.uscc, b.uscc, c.uscc]
    assert [card.full for card in view.path] == [True, False, False]
    assert view.path[1].name == b.name and view.path[1].branch == bank.zy1.name and view.path[1].is_client
    assert _amounts(view) == {(a.pk, b.pk): "10000000.00", (b.pk, c.pk): None, (c.pk, a.pk): "30000000.00"}
    # One edge is hidden from this side: the path's total would tell its amount, so it is left out.
    assert view.evidence_visible and view.figures == {"length": 3}
    assert "edges" not in view.figures  # amounts only through the filtered edges
    assert all(e.relation_label == "guarantees the debt of" for e in view.edges)


def test_other_side_sees_all_its_edges_but_not_the_subjects_figures(bank, cycle):
    view = alert_view(bank.rm_zy1, cycle.alert)
    a, b, c = cycle.a, cycle.b, cycle.c
    assert [card.full for card in view.path] == [False, True, True]
    assert _amounts(view) == {(a.pk, b.pk): "10000000.00", (b.pk, c.pk): "20000000.00", (c.pk, a.pk): "30000000.00"}
    assert not view.evidence_visible and view.figures == {}
    assert "another branch's client" in view.evidence
    assert a.name not in view.evidence  # the subject's evidence text is its branch's


def test_branch_heads_and_risk_officers_follow_their_branch(bank, cycle):
    for user in (bank.head_gy, bank.risk_gy):
        view = alert_view(user, cycle.alert)
        assert _amounts(view)[(cycle.b.pk, cycle.c.pk)] is None
    head_office = alert_view(bank.hq, cycle.alert)
    assert all(amount is not None for amount in _amounts(head_office).values())
    assert head_office.figures == {"length": 3, "total_cny": "60000000.00"}  # every edge seen: the total too


def test_a_third_branch_sees_nothing(bank, cycle, client_as, api_as):
    assert not RiskAlert.objects.for_user(bank.rm_gy2).filter(pk=cycle.alert.pk).exists()
    assert client_as(bank.rm_gy2).get(f"/risk/alerts/{cycle.alert.pk}/").status_code == 404
    assert api_as(bank.rm_gy2).get(f"/api/v1/alerts/{cycle.alert.pk}/").status_code == 404
    assert api_as(bank.rm_gy2).get("/api/v1/alerts/").json()["count"] == 0


def test_the_pages_show_each_side_its_part(bank, cycle, client_as):
    url = f"/risk/alerts/{cycle.alert.pk}/"
    mine = client_as(bank.rm_gy1).get(url).content.decode()
    theirs = client_as(bank.rm_zy1).get(url).content.decode()
    for html in (mine, theirs):
        for e in (cycle.a, cycle.b, cycle.c):
            assert e.uscc in html and e.name in html
    assert "10000000.00" in mine and "30000000.00" in mine and "20000000.00" not in mine
    assert "20000000.00" in theirs and "60000000.00" not in theirs
    assert "60000000.00" not in mine  # the total over a hidden edge
    assert f'href="/clients/enterprises/{cycle.a.pk}/"' in mine  # own client: linked
    assert "Guarantee loop" in mine and "Guarantee loop" not in theirs


def test_the_api_shows_each_side_its_part(bank, cycle, api_as):
    url = f"/api/v1/alerts/{cycle.alert.pk}/"
    mine, theirs = api_as(bank.rm_gy1).get(url).json(), api_as(bank.rm_zy1).get(url).json()
    codes = [cycle.a.uscc, cycle.b.uscc, cycle.c.uscc]
    assert mine["path"] == theirs["path"] == codes
    assert mine["enterprise"] == theirs["enterprise"] == cycle.a.uscc
    assert [e["amount_cny"] for e in mine["edges"]] == ["10000000.00", None, "30000000.00"]
    assert [e["amount_cny"] for e in theirs["edges"]] == ["10000000.00", "20000000.00", "30000000.00"]
    assert mine["figures"] == {"length": 3} and theirs["figures"] == {}
    assert "Guarantee loop" in mine["evidence"] and "Guarantee loop" not in theirs["evidence"]


def test_contagion_steps_follow_the_same_rule(bank):
    """A contagion path from another branch's source: the step's share shows where one end is in the
    viewer's full record."""
    from core.rulekit import Scope
    from risk import alerts
    from risk.rules import Finding, enterprise_key, party_scope
    from tests.risk.alerts.conftest import AS_OF

    source, flagged = bank.group_zy.core_enterprise, bank.group_gy.core_enterprise
    far = bank.group_zy.memberships.exclude(enterprise=source).first().enterprise
    alerts.sync("contagion", [Finding(
        subject_key=enterprise_key(flagged.pk), enterprise_id=flagged.pk, severity=2, evidence="传染",
        evidence_en="contagion", path=(far.pk, source.pk, flagged.pk),
        figures={"depth": 2, "steps": [{"from": far.pk, "to": source.pk, "relation": "guarantor", "amount_cny": "5.00"},
                                       {"from": source.pk, "to": flagged.pk, "relation": "sales",
                                        "share_pct": "45.0"}]})], party_scope(Scope(as_of=AS_OF)))
    alert = RiskAlert.objects.get(rule="contagion")
    view = alert_view(bank.rm_gy1, alert)
    assert [(e.relation, e.amount_cny, e.share_pct, e.visible) for e in view.edges] == [
        ("guarantor", None, None, False), ("sales", None, "45.0", True)]
    assert view.figures == {"depth": 2}
    view = alert_view(bank.rm_zy1, alert)
    assert [(e.amount_cny, e.share_pct) for e in view.edges] == [("5.00", None), (None, "45.0")]
    assert view.figures == {} and not view.evidence_visible


def test_the_engines_cycle_alert_is_filtered_alike(bank, api_as):
    """The guarantee_cycle rule itself (risk.rules.graph) over the same three guarantees: each side sees
    the amounts of its own guarantees only."""
    import datetime as dt
    from decimal import Decimal

    from circles.models import Guarantee
    from risk import engine

    a = bank.group_gy.memberships.exclude(enterprise=bank.group_gy.core_enterprise).first().enterprise
    b = bank.group_zy.core_enterprise
    c = bank.group_zy.memberships.exclude(enterprise=b).first().enterprise
    for g, r, amount in ((a, b, "10000000"), (b, c, "20000000"), (c, a, "30000000")):
        Guarantee.objects.create(guarantor=g, borrower=r, amount=Decimal(amount), currency="CNY",
                                 start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 12, 31))
    engine.refresh(as_of=dt.date(2026, 6, 15))
    alert = RiskAlert.objects.get(rule="guarantee_cycle")
    mine = api_as(bank.rm_gy1).get(f"/api/v1/alerts/{alert.pk}/").json()
    theirs = api_as(bank.rm_zy1).get(f"/api/v1/alerts/{alert.pk}/").json()
    assert sorted(mine["path"]) == sorted(theirs["path"]) == sorted([a.uscc, b.uscc, c.uscc])
    hidden = [e for e in mine["edges"] if e["amount_cny"] is None]
    assert [(e["from"], e["to"]) for e in hidden] == [(b.uscc, c.uscc)]
    assert all(e["amount_cny"] is not None for e in theirs["edges"])
    assert "min_amount_cny" not in mine["figures"]
    assert api_as(bank.rm_gy2).get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
