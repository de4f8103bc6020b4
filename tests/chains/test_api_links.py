"""/api/v1/chain-links/: CRUD by credit codes, confirm and dismiss, scoping, field-named errors."""

import pytest
from rest_framework.test import APIClient

from chains.models import ChainLink, LinkStatus
from chains.services import chain_links_detect
from tests.chains.conftest import END, START
from tests.factories import uscc_for

URL = "/api/v1/chain-links/"


@pytest.fixture
def proposed(chain):
    chain_links_detect(group=chain.group, start=START, end=END)
    return ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)


def payload(chain, **extra):
    return {"group": chain.group.pk, "supplier_uscc": chain.x.uscc, "buyer_uscc": chain.m2.uscc, "tier": -1,
            "goods": "paint", **extra}


def test_list_shows_links_with_natural_keys(chain, bank, api_as):
    response = api_as(bank.rm_gy1).get(URL, {"group": chain.group.pk, "tier": -1})
    assert response.status_code == 200
    rows = {r["goods"]: r for r in response.json()["results"]}
    assert set(rows) == {"steel", "glass"}
    steel = rows["steel"]
    assert steel["supplier_uscc"] == chain.s1.uscc and steel["buyer_uscc"] == chain.core.uscc
    assert (steel["group"], steel["tier"], steel["status"]) == (chain.group.pk, -1, "declared")


def test_list_filters_by_status(chain, proposed, bank, api_as):
    response = api_as(bank.rm_gy1).get(URL, {"status": "detected"})
    assert {r["id"] for r in response.json()["results"]} == set(
        ChainLink.objects.filter(status="detected").values_list("pk", flat=True)
    )


def test_create_declares_a_link_through_the_service(chain, bank, api_as):
    response = api_as(bank.rm_gy1).post(URL, payload(chain), format="json")
    assert response.status_code == 201, response.json()
    link = ChainLink.objects.get(pk=response.json()["id"])
    assert (link.supplier, link.buyer, link.status, link.goods) == (chain.x, chain.m2, "declared", "paint")
    assert link.history.first().history_user_id == bank.rm_gy1.pk


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"supplier_uscc": uscc_for(999999)}, "supplier_uscc", "is on file; create it first"),
        ({"buyer_uscc": "91520100000000000X"}, "buyer_uscc", "check character"),
        ({"tier": 3}, "tier", "less than or equal to 2"),
        ({"tier": -3}, "tier", "greater than or equal to -2"),
        ({"buyer_uscc": "SUPPLIER"}, "buyer_uscc", "must differ"),
        ({"group": 987654}, "group", "does not exist"),
    ],
)
def test_bad_input_gets_field_errors(chain, bank, api_as, extra, field, message):
    if extra.get("buyer_uscc") == "SUPPLIER":
        extra = {"buyer_uscc": chain.x.uscc}
    before = ChainLink.objects.count()
    response = api_as(bank.rm_gy1).post(URL, payload(chain, **extra), format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert ChainLink.objects.count() == before


def test_duplicate_link_is_refused_on_buyer_uscc(chain, bank, api_as):
    response = api_as(bank.rm_gy1).post(
        URL, payload(chain, supplier_uscc=chain.s1.uscc, buyer_uscc=chain.core.uscc), format="json"
    )
    assert response.status_code == 400
    assert "already exists" in " ".join(response.json()["buyer_uscc"])


def test_rm_may_not_create_in_a_group_of_another_branch(chain, bank, api_as):
    response = api_as(bank.rm_zy1).post(URL, payload(chain), format="json")
    assert response.status_code == 400 and "group" in response.json()
    assert not ChainLink.objects.filter(supplier=chain.x).exists()


def test_update_changes_tier_and_goods_only(chain, bank, api_as):
    response = api_as(bank.rm_gy1).patch(f"{URL}{chain.glass.pk}/", {"goods": "float glass", "tier": -2},
                                         format="json")
    assert response.status_code == 200, response.json()
    chain.glass.refresh_from_db()
    assert (chain.glass.goods, chain.glass.tier, chain.glass.supplier) == ("float glass", -2, chain.s2)
    bad = api_as(bank.rm_gy1).patch(f"{URL}{chain.glass.pk}/", {"tier": 5}, format="json")
    assert bad.status_code == 400 and "tier" in bad.json()


def test_delete_removes_the_link_with_history(chain, bank, api_as):
    assert api_as(bank.rm_gy1).delete(f"{URL}{chain.ore.pk}/").status_code == 204
    assert not ChainLink.objects.filter(pk=chain.ore.pk).exists()
    assert ChainLink.history.filter(id=chain.ore.pk, history_type="-").get().history_user_id == bank.rm_gy1.pk


def test_confirm_action_confirms_a_detected_link(chain, proposed, bank, api_as):
    response = api_as(bank.rm_gy1).post(f"{URL}{proposed.pk}/confirm/", {"tier": -1, "goods": "paint"},
                                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "confirmed"
    proposed.refresh_from_db()
    assert (proposed.status, proposed.goods) == (LinkStatus.CONFIRMED, "paint")
    assert proposed.history.first().history_user_id == bank.rm_gy1.pk


def test_dismiss_action_dismisses_and_detection_keeps_it_dismissed(chain, proposed, bank, api_as):
    response = api_as(bank.rm_gy1).post(f"{URL}{proposed.pk}/dismiss/")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    chain_links_detect(group=chain.group, start=START, end=END)
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.DISMISSED


def test_dismissing_a_declared_link_names_the_status(chain, bank, api_as):
    response = api_as(bank.rm_gy1).post(f"{URL}{chain.steel.pk}/dismiss/")
    assert response.status_code == 400 and "status" in response.json()


def test_rm_of_other_branch_sees_nothing_of_the_group(chain, proposed, bank, api_as):
    api = api_as(bank.rm_zy1)
    assert api.get(URL).json()["count"] == 0
    assert api.get(URL, {"group": chain.group.pk}).json()["count"] == 0
    assert api.get(f"{URL}{chain.steel.pk}/").status_code == 404
    assert api.post(f"{URL}{proposed.pk}/confirm/", {}, format="json").status_code == 404
    assert api.delete(f"{URL}{chain.steel.pk}/").status_code == 404


def test_anonymous_gets_401(chain):
    api = APIClient()
    assert api.get(URL).status_code == 401
    assert api.post(f"{URL}{chain.steel.pk}/confirm/").status_code == 401


def test_risk_officer_reads_but_may_not_change(chain, proposed, bank, api_as):
    api = api_as(bank.risk_gy)
    assert api.get(URL, {"group": chain.group.pk}).json()["count"] == 7
    assert api.post(f"{URL}{proposed.pk}/confirm/", {}, format="json").status_code == 403
    assert api.post(f"{URL}{proposed.pk}/dismiss/").status_code == 403
    assert api.post(URL, payload(chain, buyer_uscc=chain.m1.uscc), format="json").status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == LinkStatus.DETECTED
