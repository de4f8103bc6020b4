"""/api/v1/group-proposals/: list and filters, confirm and reject with a note, out of reach is a 404,
the cross-branch consent seen in `waiting_for`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clients.models import ControlLink, GroupMembership
from risk import identification
from risk.models import GroupProposal
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/group-proposals/"


@pytest.fixture
def proposals(bank):
    g = bank.group_gy
    mine = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_enterprise=mine, child=g.core_enterprise, share_pct=Decimal("70"))
    theirs = EnterpriseFactory(branch=bank.zy1, rm=bank.rm_zy1)
    ControlLink.objects.create(parent_enterprise=g.core_enterprise, child=theirs, share_pct=Decimal("20"))
    ControlLink.objects.create(parent_enterprise=mine, child=theirs, share_pct=Decimal("60"))
    identification.refresh(None, as_of=dt.date(2026, 6, 15))
    return {"mine": GroupProposal.objects.get(enterprise=mine, test="control"),
            "theirs": GroupProposal.objects.get(enterprise=theirs, test="common_control")}


def test_list_filters_and_reach(api_as, bank, proposals):
    api = api_as(bank.rm_gy1)
    body = api.get(URL, {"group": bank.group_gy.pk, "status": "pending"}).json()
    assert {row["id"] for row in body["results"]} == {p.pk for p in proposals.values()}
    row = api.get(f"{URL}{proposals['mine'].pk}/").json()
    assert row["enterprise"] == proposals["mine"].enterprise.uscc and row["test"] == "control"
    assert "Controls a member" in row["evidence"] and row["waiting_for"] == ["group"]
    assert api.get(URL, {"test": "common_control"}).json()["count"] == 1
    assert api.get(URL, {"enterprise": proposals["mine"].enterprise.uscc}).json()["count"] == 1
    assert api.get(URL, {"status": "nonsense"}).status_code == 400
    assert api_as(bank.rm_gy2).get(f"{URL}{proposals['mine'].pk}/").status_code == 404
    assert api_as(bank.rm_gy2).post(f"{URL}{proposals['mine'].pk}/confirm/", {}).status_code == 404
    # The owning branch's RM sees only the proposal about its client.
    assert [r["id"] for r in api_as(bank.rm_zy1).get(URL).json()["results"]] == [proposals["theirs"].pk]


def test_confirm_and_reject(api_as, bank, proposals):
    api = api_as(bank.rm_gy1)
    assert api.post(f"{URL}{proposals['mine'].pk}/reject/", {"note": ""}, format="json").json().keys() == {"note"}
    answer = api.post(f"{URL}{proposals['mine'].pk}/confirm/", {"note": "核实"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "confirmed"
    assert api.post(f"{URL}{proposals['mine'].pk}/confirm/", {}, format="json").status_code == 400
    theirs = proposals["theirs"]
    row = api.post(f"{URL}{theirs.pk}/confirm/", {}, format="json").json()
    assert row["status"] == "pending" and row["waiting_for"] == ["owner"]
    row = api_as(bank.rm_zy1).post(f"{URL}{theirs.pk}/reject/", {"note": "不属实"}, format="json").json()
    assert row["status"] == "rejected" and row["decision_note"] == "不属实"
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=theirs.enterprise).exists()
    assert api_as(bank.outsider).post(f"{URL}{theirs.pk}/confirm/", {}, format="json").status_code in (403, 404)


def test_hostile_input_is_never_a_500(api_as, client_as, bank, proposals):
    api = api_as(bank.rm_gy1)
    for params in ({"enterprise": "a\x00b"}, {"group": "99999999999999999999"}, {"test": "%ED%A0%80"},
                   {"enterprise": "' OR 1=1 --"}):
        assert api.get(URL, params).status_code in (200, 400), params
    pk = proposals["mine"].pk
    assert api.post(f"{URL}{pk}/reject/", {"note": "x\x00"}, format="json").status_code == 400
    assert api.post(f"{URL}{pk}/confirm/", {"note": "x" * 501}, format="json").status_code == 400
    page = client_as(bank.rm_gy1)
    assert page.get("/risk/proposals/", {"group": "a\x00", "test": "\x00"}).status_code in (200, 400)
    assert page.get("/risk/proposals/", {"group": "abc", "test": "nope", "status": "x"}).status_code == 200
    assert page.post(f"/risk/proposals/{pk}/reject/", {"note": "\x00"}, HTTP_HX_REQUEST="true").status_code in (200, 400)
