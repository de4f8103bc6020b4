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
    assert view.evidence_visible and view.figures == {"length": 3, "total_cny": "60000000.00"}
    assert "edges" not in view.figures  # amounts only through the filtered edges


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
    assert all(amount is not None for amount in _amounts(alert_view(bank.hq, cycle.alert)).values())


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
    assert "60000000.00" in mine
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
    assert mine["figures"] == {"length": 3, "total_cny": "60000000.00"} and theirs["figures"] == {}
    assert "Guarantee loop" in mine["evidence"] and "Guarantee loop" not in theirs["evidence"]
