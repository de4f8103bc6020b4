"""/api/v1/flows/: bulk POST through the import engine; cursor-paginated, filtered, scoped GET."""

import pytest

from chains.models import Flow
from tests.factories import uscc_for
from tests.imports.helpers import members

URL = "/api/v1/flows/"


@pytest.fixture
def codes(bank):
    return members(bank.group_gy)


def flow(payer, payee, ref, **kw):
    data = {"payer": payer, "payee": payee, "amount": "100.00", "currency": "CNY", "value_date": "2025-03-04",
            "kind": "payment", "channel": "this_bank", "source_system": "core_banking", "external_ref": ref}
    data.update(kw)
    return data


def test_post_single_object_creates_it(bank, api_as, codes):
    response = api_as(bank.rm_gy1).post(URL, flow(codes[0], codes[1], "A1"), format="json")
    assert response.status_code == 201 and response.json() == {"created": 1, "already_present": 0}
    assert Flow.objects.get().payer.uscc == codes[0]


def test_post_list_is_idempotent(bank, api_as, codes):
    api = api_as(bank.rm_gy1)
    body = [flow(codes[0], codes[1], f"A{i}") for i in range(3)]
    assert api.post(URL, body, format="json").json() == {"created": 3, "already_present": 0}
    again = api.post(URL, body, format="json")
    assert again.status_code == 200 and again.json() == {"created": 0, "already_present": 3}
    assert Flow.objects.count() == 3


def test_post_with_one_bad_row_changes_nothing_and_names_rows(bank, api_as, codes):
    body = [flow(codes[0], codes[1], "A1"), flow(codes[0], codes[1], "A2", amount="-1"),
            flow(codes[0], codes[1], "A3", value_date="2025-02-31", currency="XXX"),
            flow(uscc_for(888888), codes[1], "A4"), flow(codes[0], codes[1], "A1"),
            {"payer": codes[0], "bogus": 1}]
    response = api_as(bank.rm_gy1).post(URL, body, format="json")
    assert response.status_code == 400
    found = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert {(1, "amount"), (2, "value_date"), (2, "currency"), (3, "payer"), (4, "external_ref"),
            (5, "bogus"), (5, "amount")} <= found
    assert Flow.objects.count() == 0


def test_post_amount_rules(bank, api_as, codes):
    body = [flow(codes[0], codes[1], "A1", amount="0"), flow(codes[0], codes[1], "A2", amount="abc"),
            flow(codes[0], codes[1], "A3", amount="1.001"), flow(codes[0], codes[1], "A4", kind="gift"),
            flow(codes[0], codes[1], "A5", channel="cash")]
    errors = api_as(bank.rm_gy1).post(URL, body, format="json").json()["errors"]
    assert {(e["row"], e["field"]) for e in errors} == {(0, "amount"), (1, "amount"), (2, "amount"),
                                                        (3, "kind"), (4, "channel")}


def test_post_existing_reference_with_other_content_is_refused(bank, api_as, codes):
    api = api_as(bank.rm_gy1)
    api.post(URL, flow(codes[0], codes[1], "A1"), format="json")
    response = api.post(URL, [flow(codes[0], codes[1], "A1", amount="1.00")], format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["row"] == 0
    assert Flow.objects.get().amount == 100


def test_post_empty_list_is_refused(bank, api_as):
    assert api_as(bank.rm_gy1).post(URL, [], format="json").status_code == 400


def test_rm_of_other_branch_cannot_post_flows_of_group_gy(bank, api_as, codes):
    """Both codes are on file (they may be named), but neither party is in rm_zy1's full record."""
    response = api_as(bank.rm_zy1).post(URL, flow(codes[0], codes[1], "A1"), format="json")
    assert response.status_code == 400
    assert [(e["row"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (0, "payer", "Neither the payer nor the payee is an enterprise you cover.")]
    assert Flow.objects.count() == 0


def test_a_flow_with_another_branchs_client_is_accepted_and_grants_no_full_record(bank, api_as, client_as, codes):
    """Naming rule: rm_gy1 may record a flow between their group and a client of another branch; the
    other party becomes a counterparty, its record stays unseen."""
    from clients.models import Enterprise

    other = members(bank.group_zy)[0]
    response = api_as(bank.rm_gy1).post(URL, flow(codes[0], other, "X1"), format="json")
    assert response.status_code == 201, response.json()
    pk = Enterprise.objects.get(uscc=other).pk
    assert not Enterprise.objects.for_user(bank.rm_gy1).filter(pk=pk).exists()
    page = client_as(bank.rm_gy1).get(f"/clients/enterprises/{pk}/")
    assert page.status_code == 200
    assert "clients/enterprise_counterparty.html" in [t.name for t in page.templates]


@pytest.mark.parametrize("source", ["", "no_such_system", "old_erp"])
def test_each_row_names_an_active_source_system(bank, api_as, codes, source):
    body = [flow(codes[0], codes[1], "A1"), flow(codes[0], codes[1], "A2", source_system=source)]
    response = api_as(bank.rm_gy1).post(URL, body, format="json")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "source_system")]
    assert Flow.objects.count() == 0


def test_risk_officer_may_read_but_not_post(bank, api_as, codes):
    api = api_as(bank.risk_gy)
    assert api.get(URL).status_code == 200
    assert api.post(URL, flow(codes[0], codes[1], "A1"), format="json").status_code == 403
    assert Flow.objects.count() == 0


def test_anonymous_gets_401(bank, client):
    assert client.get(URL).status_code == 401


def test_get_is_scoped_cursor_paginated_and_filtered(bank, api_as, codes, django_assert_max_num_queries):
    gy, zy = codes, members(bank.group_zy)
    hq = api_as(bank.hq)
    hq.post(URL, [flow(gy[0], gy[1], f"G{i}", value_date=f"2025-03-{i + 1:02d}") for i in range(5)]
            + [flow(zy[0], zy[1], "Z1", kind="invoice", channel="other_bank")], format="json")
    api = api_as(bank.rm_gy1)
    with django_assert_max_num_queries(8):
        page = api.get(URL, {"page_size": 2}).json()
    assert [r["external_ref"] for r in page["results"]] == ["G4", "G3"]
    nxt = api.get(page["next"]).json()
    assert [r["external_ref"] for r in nxt["results"]] == ["G2", "G1"]
    assert all(r["external_ref"] != "Z1" for r in api.get(URL, {"page_size": 100}).json()["results"])
    def refs(**params):
        return sorted(r["external_ref"] for r in hq.get(URL, params).json()["results"])
    assert refs(kind="invoice") == ["Z1"]
    assert refs(channel="other_bank") == ["Z1"]
    assert refs(payer=zy[0]) == ["Z1"]
    assert refs(payee=gy[1]) == ["G0", "G1", "G2", "G3", "G4"]
    assert refs(date_from="2025-03-02", date_to="2025-03-03") == ["G1", "G2"]
    assert refs(group=bank.group_zy.pk) == ["Z1"]


def test_openapi_schema_builds_with_flows(bank, api_as):
    response = api_as(bank.hq).get("/api/schema/")
    assert response.status_code == 200 and b"/api/v1/flows/" in response.content


def test_filtering_by_a_group_the_user_does_not_cover_returns_nothing(bank, api_as, codes):
    """Otherwise rm_zy1 could learn which of their own enterprises belong to group_gy."""
    zy = members(bank.group_zy)
    gy_core = bank.group_gy.core_enterprise
    # An enterprise of rm_zy1's group also sits in group_gy's circle.
    from circles.models import CircleMember
    from clients.models import Enterprise

    shared = Enterprise.objects.get(uscc=zy[1])
    CircleMember.objects.create(group=bank.group_gy, enterprise=shared, role="supplier")
    api_as(bank.hq).post(URL, [flow(zy[0], zy[1], "Z9")], format="json")
    zy_api = api_as(bank.rm_zy1)
    assert [r["external_ref"] for r in zy_api.get(URL, {"group": bank.group_zy.pk}).json()["results"]] == ["Z9"]
    assert zy_api.get(URL, {"group": bank.group_gy.pk}).json()["results"] == []
    assert gy_core.uscc not in str(zy_api.get(URL).json())
