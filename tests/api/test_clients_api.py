"""The clients API: authentication, natural keys, validation, scoping, writes through services."""

from decimal import Decimal

import pytest

from clients.models import ControlLink, Enterprise, FinancialStatement, GroupMembership, Person
from tests.factories import EnterpriseFactory, PersonFactory, uscc_for

API = "/api/v1"


def valid_ric(n: int) -> str:
    """A valid resident ID number (Beijing Chaoyang, born 1980-01-01, sequence n)."""
    from stdnum.cn import ric

    body = f"11010519800101{n:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def bad_check_character(code: str) -> str:
    """The same code with a wrong (but well-formed) check character."""
    last = "0" if code[-1] != "0" else "1"
    return code[:-1] + last


# --- authentication --------------------------------------------------------------------------------------


def test_token_authenticates_an_internal_system(bank, api_as):
    response = api_as(bank.hq).get(f"{API}/enterprises/")
    assert response.status_code == 200
    assert response.json()["count"] == Enterprise.objects.count()


def test_missing_token_gets_401_json(bank, client):
    response = client.get(f"{API}/enterprises/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_invalid_token_gets_401_json(bank):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api.get(f"{API}/group-clients/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_session_login_also_works(bank, client_as):
    response = client_as(bank.rm_gy1).get(f"{API}/group-clients/")
    assert response.status_code == 200
    assert [g["name"] for g in response.json()["results"]] == [bank.group_gy.name]


# --- enterprises -----------------------------------------------------------------------------------------


def test_enterprise_created_with_only_name_and_credit_code(bank, api_as):
    code = uscc_for(900001)
    response = api_as(bank.rm_gy1).post(
        f"{API}/enterprises/", {"name": "新供应商有限公司", "uscc": code}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["uscc"] == code and body["rm"] == "rm_gy1" and body["branch"] == "GY1"
    stored = Enterprise.objects.get(uscc=code)
    assert stored.is_client is False and stored.rm == bank.rm_gy1
    assert stored.history.latest().history_user == bank.rm_gy1


def test_enterprise_credit_code_is_normalised(bank, api_as):
    code = uscc_for(900002)
    response = api_as(bank.rm_gy1).post(
        f"{API}/enterprises/", {"name": "甲", "uscc": f" {code.lower()} "}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Enterprise.objects.filter(uscc=code).exists()


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (bad_check_character(uscc_for(900003)), "check character"),
        ("91520100123", "18 characters"),
        ("91520100MA6DNQ5XIO", "not allowed"),
    ],
)
def test_bad_credit_code_gets_400_naming_uscc(bank, api_as, code, fragment):
    response = api_as(bank.rm_gy1).post(f"{API}/enterprises/", {"name": "乙", "uscc": code}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["uscc"]
    assert any(fragment in m for m in errors["uscc"]), errors
    assert not Enterprise.objects.filter(name="乙").exists()


def test_duplicate_credit_code_gets_400_naming_uscc(bank, api_as):
    existing = bank.group_gy.core_enterprise
    response = api_as(bank.rm_gy1).post(
        f"{API}/enterprises/", {"name": "丙", "uscc": existing.uscc}, format="json"
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["uscc"][0]


def test_missing_name_gets_400_naming_name(bank, api_as):
    response = api_as(bank.rm_gy1).post(f"{API}/enterprises/", {"uscc": uscc_for(900004)}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_enterprise_is_addressed_by_credit_code(bank, api_as):
    core = bank.group_gy.core_enterprise
    api = api_as(bank.rm_gy1)
    response = api.get(f"{API}/enterprises/{core.uscc}/")
    assert response.status_code == 200
    assert response.json()["name"] == core.name
    assert api.get(f"{API}/enterprises/{core.uscc.lower()}/").status_code == 200


def test_enterprise_filters_by_uscc_and_q(bank, api_as):
    core = bank.group_gy.core_enterprise
    api = api_as(bank.hq)
    by_code = api.get(f"{API}/enterprises/", {"uscc": core.uscc}).json()
    assert [e["uscc"] for e in by_code["results"]] == [core.uscc]
    by_name = api.get(f"{API}/enterprises/", {"q": "贵州测试汽车"}).json()
    assert [e["uscc"] for e in by_name["results"]] == [core.uscc]
    by_code_in_q = api.get(f"{API}/enterprises/", {"q": core.uscc.lower()}).json()
    assert [e["uscc"] for e in by_code_in_q["results"]] == [core.uscc]


def test_enterprise_update_records_api_user_in_history(bank, api_as):
    core = bank.group_gy.core_enterprise
    response = api_as(bank.rm_gy1).patch(f"{API}/enterprises/{core.uscc}/", {"size": "large"}, format="json")
    assert response.status_code == 200, response.json()
    core.refresh_from_db()
    assert core.size == "large"
    latest = core.history.latest()
    assert latest.history_user == bank.rm_gy1 and latest.history_type == "~"


def test_enterprises_cannot_be_deleted(bank, api_as):
    core = bank.group_gy.core_enterprise
    assert api_as(bank.hq).delete(f"{API}/enterprises/{core.uscc}/").status_code == 405
    assert Enterprise.objects.filter(pk=core.pk).exists()


# --- scoping -----------------------------------------------------------------------------------------------


def test_rm_of_other_branch_gets_404_on_retrieve(bank, api_as):
    api = api_as(bank.rm_zy1)
    gy_core = bank.group_gy.core_enterprise
    assert api.get(f"{API}/enterprises/{gy_core.uscc}/").status_code == 404
    assert api.get(f"{API}/group-clients/{bank.group_gy.pk}/").status_code == 404
    link = ControlLink.objects.filter(parent_enterprise=gy_core).first()
    assert api.get(f"{API}/control-links/{link.pk}/").status_code == 404
    assert api.patch(f"{API}/enterprises/{gy_core.uscc}/", {"name": "x"}, format="json").status_code == 404


def test_rm_of_other_branch_sees_only_own_rows_in_lists(bank, api_as):
    api = api_as(bank.rm_zy1)
    zy_ids = set(
        GroupMembership.objects.filter(group=bank.group_zy).values_list("enterprise__uscc", flat=True)
    )
    enterprises = {e["uscc"] for e in api.get(f"{API}/enterprises/").json()["results"]}
    assert enterprises == zy_ids
    groups = [g["id"] for g in api.get(f"{API}/group-clients/").json()["results"]]
    assert groups == [bank.group_zy.pk]
    links = api.get(f"{API}/control-links/").json()["results"]
    assert links and all(link["child_uscc"] in zy_ids for link in links)
    assert api.get(f"{API}/enterprises/", {"uscc": bank.group_gy.core_enterprise.uscc}).json()["count"] == 0


def test_user_without_role_sees_nothing_and_cannot_write(bank, api_as):
    api = api_as(bank.outsider)
    assert api.get(f"{API}/enterprises/").json()["count"] == 0
    response = api.post(f"{API}/enterprises/", {"name": "丁", "uscc": uscc_for(900005)}, format="json")
    assert response.status_code == 403


def test_risk_officer_reads_but_gets_403_on_writes(bank, api_as):
    api = api_as(bank.risk_gy)
    core = bank.group_gy.core_enterprise
    assert api.get(f"{API}/group-clients/{bank.group_gy.pk}/").status_code == 200
    assert api.get(f"{API}/enterprises/{core.uscc}/").status_code == 200
    created = api.post(f"{API}/enterprises/", {"name": "戊", "uscc": uscc_for(900006)}, format="json")
    assert created.status_code == 403
    assert "detail" in created.json()
    changed = api.patch(f"{API}/enterprises/{core.uscc}/", {"internal_rating": "D"}, format="json")
    assert changed.status_code == 403
    core.refresh_from_db()
    assert core.internal_rating != "D"
    link = ControlLink.objects.filter(parent_enterprise=core).first()
    assert api.delete(f"{API}/control-links/{link.pk}/").status_code == 403
    assert ControlLink.objects.filter(pk=link.pk).exists()


# --- group clients and control links -------------------------------------------------------------------------


def test_group_detail_includes_members_tree_and_key_figures(bank, api_as):
    body = api_as(bank.rm_gy1).get(f"{API}/group-clients/{bank.group_gy.pk}/").json()
    assert body["member_count"] == 3
    assert {m["uscc"] for m in body["members"]} == set(
        GroupMembership.objects.filter(group=bank.group_gy).values_list("enterprise__uscc", flat=True)
    )
    root = body["control_tree"]
    assert root["kind"] == "group"
    core = root["children"][0]
    assert core["uscc"] == bank.group_gy.core_enterprise.uscc and len(core["children"]) == 2
    assert set(body["key_figures"]) >= {"deposits", "loans", "limit", "limit_used_pct"}


def test_group_list_is_brief(bank, api_as):
    row = api_as(bank.rm_gy1).get(f"{API}/group-clients/").json()["results"][0]
    assert row["member_count"] == 3
    assert "members" not in row and "control_tree" not in row


def test_group_client_created_by_natural_keys(bank, api_as):
    api = api_as(bank.hq)
    core = EnterpriseFactory(rm=bank.rm_gy1, branch=bank.gy1)
    payload = {
        "name": "新集团",
        "core_enterprise_uscc": core.uscc,
        "lead_rm": "rm_gy1",
        "team": ["rm_gy2"],
        "branch": "GY1",
        "tier": "strategic",
        "unified_credit_limit": "1000000.00",
    }
    response = api.post(f"{API}/group-clients/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["core_enterprise"]["uscc"] == core.uscc and body["team"] == ["rm_gy2"]
    assert [m["uscc"] for m in body["members"]] == [core.uscc]
    again = api.post(f"{API}/group-clients/", {**payload, "name": "重复"}, format="json")
    assert again.status_code == 400 and "core_enterprise_uscc" in again.json()


def test_group_client_core_out_of_scope_reads_as_unknown(bank, api_as):
    payload = {
        "name": "越权集团",
        "core_enterprise_uscc": bank.group_zy.core_enterprise.uscc,
        "lead_rm": "rm_gy1",
        "branch": "GY1",
    }
    response = api_as(bank.rm_gy1).post(f"{API}/group-clients/", payload, format="json")
    assert response.status_code == 400
    code = bank.group_zy.core_enterprise.uscc
    assert response.json()["core_enterprise_uscc"] == [
        f"No enterprise with the credit code {code} is on file; create it first."]


def test_control_link_create_refreshes_membership(bank, api_as):
    api = api_as(bank.rm_gy1)
    core = bank.group_gy.core_enterprise
    new_code = uscc_for(900010)
    assert (
        api.post(f"{API}/enterprises/", {"name": "新子公司", "uscc": new_code}, format="json").status_code
        == 201
    )
    response = api.post(
        f"{API}/control-links/",
        {"parent_uscc": core.uscc, "child_uscc": new_code, "share_pct": "70", "control_type": "equity"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["parent_uscc"] == core.uscc
    assert ControlLink.objects.get(child__uscc=new_code).history.latest().history_user == bank.rm_gy1
    detail = api.get(f"{API}/group-clients/{bank.group_gy.pk}/").json()
    assert new_code in {m["uscc"] for m in detail["members"]}
    core_node = detail["control_tree"]["children"][0]
    node = next(c for c in core_node["children"] if c["uscc"] == new_code)
    assert node["share_pct"] == 70.0


def test_control_link_delete_refreshes_membership(bank, api_as):
    api = api_as(bank.rm_gy1)
    link = ControlLink.objects.filter(parent_enterprise=bank.group_gy.core_enterprise).first()
    assert api.delete(f"{API}/control-links/{link.pk}/").status_code == 204
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=link.child).exists()


def test_control_link_to_a_person(bank, api_as):
    api = api_as(bank.rm_gy1)
    person = api.post(f"{API}/persons/", {"name": "王五", "id_number": valid_ric(77)}, format="json")
    assert person.status_code == 201, person.json()
    response = api.post(
        f"{API}/control-links/",
        {
            "parent_person": person.json()["id"],
            "child_uscc": bank.group_gy.core_enterprise.uscc,
            "share_pct": "51",
            "control_type": "actual",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    tree = api.get(f"{API}/group-clients/{bank.group_gy.pk}/").json()["control_tree"]
    assert tree["children"][0]["kind"] == "person" and tree["children"][0]["name"] == "王五"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"share_pct": "100.5"}, "share_pct", "100"),
        ({"share_pct": "-1"}, "share_pct", "0"),
        ({"parent_person": "PERSON"}, "parent_uscc", "not both"),
        ({"child_uscc": uscc_for(999999)}, "child_uscc", "is on file; create it first."),
        ({"child_uscc": "1234"}, "child_uscc", "18 characters"),
        ({"parent_uscc": None}, "parent_uscc", "Give the parent"),
        ({"child_uscc": "CORE"}, "child_uscc", "itself"),
    ],
)
def test_control_link_validation_names_the_field(bank, api_as, change, field, fragment):
    core = bank.group_gy.core_enterprise
    child = EnterpriseFactory(rm=bank.rm_gy1)
    payload = {"parent_uscc": core.uscc, "child_uscc": child.uscc, "share_pct": "60"}
    payload.update(change)
    if payload.get("parent_person") == "PERSON":
        payload["parent_person"] = PersonFactory(recorded_by=bank.rm_gy1).pk
    if payload["child_uscc"] == "OTHER_BRANCH":
        payload["child_uscc"] = bank.group_zy.core_enterprise.uscc
    if payload["child_uscc"] == "CORE":
        payload["child_uscc"] = core.uscc
    before = ControlLink.objects.count()
    response = api_as(bank.rm_gy1).post(f"{API}/control-links/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert any(fragment in m for m in errors[field]), errors
    assert ControlLink.objects.count() == before


def test_records_of_an_enterprise_out_of_reach_answer_like_an_unknown_code(bank, api_as):
    """A statement, account or interaction belongs to the full record: another branch's client is
    answered exactly like a code that is not on file (only the message's code differs)."""
    api = api_as(bank.rm_gy1)
    for endpoint, extra in [("financial-statements", {"period_end": "2025-12-31", "period_type": "annual"}),
                            ("accounts", {"account_no": "X-1", "kind": "demand"}),
                            ("interactions", {"kind": "visit", "occurred_at": "2026-11-01T10:00:00+08:00",
                                              "subject": "拜访"})]:
        answers = []
        for code in (uscc_for(999998), bank.group_zy.core_enterprise.uscc):
            response = api.post(f"{API}/{endpoint}/", {"enterprise_uscc": code, **extra}, format="json")
            assert response.status_code == 400, endpoint
            answers.append(response.json()["enterprise_uscc"][0].replace(code, "CODE"))
        assert answers[0] == answers[1] == "No enterprise with the credit code CODE is on file; create it first."


def test_a_control_link_pulling_another_branchs_client_becomes_a_request(bank, api_as):
    """rm_gy1 says their core holds 60 % of group_zy's core: that would put another branch's client in
    rm_gy1's group. It is not written; it waits for the owning branch's head."""
    from clients.models import ChangeRequest

    zy_core = bank.group_zy.core_enterprise
    payload = {"parent_uscc": bank.group_gy.core_enterprise.uscc, "child_uscc": zy_core.uscc, "share_pct": "60"}
    response = api_as(bank.rm_gy1).post(f"{API}/control-links/", payload, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["kind"] == "control_link" and body["status"] == "pending"
    assert [s for s in body["sides"]] == ["ZY1"]
    assert not ControlLink.objects.filter(child=zy_core).exists()
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=zy_core).exists()
    assert api_as(bank.rm_gy1).get(f"{API}/enterprises/{zy_core.uscc}/").status_code == 404
    assert ChangeRequest.objects.get(pk=body["id"]).requested_by == bank.rm_gy1


# --- financials, accounts, persons, interactions ------------------------------------------------------------


def test_financial_statement_post_is_an_upsert(bank, api_as):
    api = api_as(bank.rm_gy1)
    core = bank.group_gy.core_enterprise
    payload = {
        "enterprise_uscc": core.uscc,
        "period_end": "2025-12-31",
        "period_type": "annual",
        "revenue": "1000.00",
        "total_assets": "500.00",
        "total_liabilities": "250.00",
    }
    first = api.post(f"{API}/financial-statements/", payload, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["debt_ratio"] == "0.5000"
    second = api.post(f"{API}/financial-statements/", {**payload, "revenue": "1200.00"}, format="json")
    assert second.status_code == 200
    stored = FinancialStatement.objects.get(enterprise=core)
    assert stored.revenue == Decimal("1200.00")
    assert stored.history.latest().history_user == bank.rm_gy1
    listed = api.get(f"{API}/financial-statements/", {"enterprise": core.uscc}).json()
    assert listed["count"] == 1
    # Implausible but storable figures give a ratio, not a 500 (found by bench.fuzz): 10^18 over 0.01.
    extreme = {**payload, "period_end": "2024-12-31", "total_assets": "0.01", "total_liabilities": "999999999999999999.99",
               "current_assets": "999999999999999999.99", "current_liabilities": "0.01"}
    r = api.post(f"{API}/financial-statements/", extreme, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["debt_ratio"] == "99999999999999999999.0000"
    assert r.json()["current_ratio"] == "99999999999999999999.0000"


def test_account_with_balances_pushed_and_listed(bank, api_as):
    api = api_as(bank.hq)
    core = bank.group_gy.core_enterprise
    created = api.post(
        f"{API}/accounts/",
        {"enterprise_uscc": core.uscc, "account_no": "6222000011112222", "kind": "demand"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    account_id = created.json()["id"]
    for day, amount in [("2026-01-01", "100.00"), ("2026-01-02", "250.00"), ("2026-01-02", "300.00")]:
        pushed = api.post(
            f"{API}/accounts/{account_id}/balances/", {"date": day, "balance": amount}, format="json"
        )
        assert pushed.status_code == 201, pushed.json()
    balances = api.get(f"{API}/accounts/{account_id}/balances/").json()
    assert [(b["date"], b["balance"]) for b in balances["results"]] == [
        ("2026-01-02", "300.00"),
        ("2026-01-01", "100.00"),
    ]
    assert (
        api.get(f"{API}/accounts/{account_id}/balances/", {"date_before": "2026-01-01"}).json()["count"] == 1
    )
    account = api.get(f"{API}/accounts/{account_id}/").json()
    assert account["latest_balance"] == "300.00" and account["latest_balance_date"] == "2026-01-02"
    assert api_as(bank.rm_zy1).get(f"{API}/accounts/{account_id}/balances/").status_code == 404
    figures = api.get(f"{API}/group-clients/{bank.group_gy.pk}/").json()["key_figures"]
    assert Decimal(figures["deposits"]) == Decimal("300.00")


def test_duplicate_account_number_names_the_field(bank, api_as):
    api = api_as(bank.hq)
    payload = {"enterprise_uscc": bank.group_gy.core_enterprise.uscc, "account_no": "1", "kind": "loan"}
    assert api.post(f"{API}/accounts/", payload, format="json").status_code == 201
    again = api.post(f"{API}/accounts/", payload, format="json")
    assert again.status_code == 400 and "account_no" in again.json()


def test_person_id_number_masked_for_rm_and_full_for_head_office(bank, api_as):
    person = PersonFactory()
    ControlLink.objects.create(
        parent_person=person, child=bank.group_gy.core_enterprise, share_pct=Decimal("40")
    )
    as_rm = api_as(bank.rm_gy1).get(f"{API}/persons/{person.pk}/").json()
    assert as_rm["id_number"] != person.id_number
    assert as_rm["id_number"].startswith(person.id_number[:4]) and "*" in as_rm["id_number"]
    listed = api_as(bank.rm_gy1).get(f"{API}/persons/").json()["results"]
    assert [p["id_number"] for p in listed] == [as_rm["id_number"]]
    assert api_as(bank.hq).get(f"{API}/persons/{person.pk}/").json()["id_number"] == person.id_number
    assert api_as(bank.rm_zy1).get(f"{API}/persons/{person.pk}/").status_code == 404


def test_person_created_answer_is_masked_too(bank, api_as):
    number = valid_ric(88)
    response = api_as(bank.rm_gy1).post(
        f"{API}/persons/", {"name": "赵六", "id_number": number}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["id_number"] != number
    assert Person.objects.get(pk=response.json()["id"]).id_number == number
    bad = api_as(bank.rm_gy1).post(f"{API}/persons/", {"name": "错", "id_number": "123"}, format="json")
    assert bad.status_code == 400 and "id_number" in bad.json()


def test_interaction_logged_by_the_api_user(bank, api_as):
    api = api_as(bank.rm_gy1)
    core = bank.group_gy.core_enterprise
    response = api.post(
        f"{API}/interactions/",
        {
            "enterprise_uscc": core.uscc,
            "kind": "visit",
            "occurred_at": "2026-02-01T10:00:00+08:00",
            "subject": "年度走访",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["staff"] == "rm_gy1"
    listed = api.get(f"{API}/interactions/", {"enterprise": core.uscc}).json()
    assert [i["subject"] for i in listed["results"]] == ["年度走访"]
    assert api_as(bank.rm_zy1).get(f"{API}/interactions/").json()["count"] == 0


# --- schema ---------------------------------------------------------------------------------------------------


def test_openapi_schema_builds_for_a_logged_in_user(bank, api_as):
    response = api_as(bank.rm_gy1).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/enterprises/",
        "/api/v1/enterprises/{uscc}/",
        "/api/v1/group-clients/{id}/",
        "/api/v1/control-links/",
        "/api/v1/financial-statements/",
        "/api/v1/accounts/{id}/balances/",
        "/api/v1/persons/",
        "/api/v1/interactions/",
    ]:
        assert path in paths
    create = paths["/api/v1/enterprises/"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(create)


def test_openapi_schema_refused_to_anonymous(bank, client):
    response = client.get("/api/schema/")
    assert response.status_code in (401, 403)


def test_control_link_patch_below_majority_drops_the_member(bank, api_as):
    api = api_as(bank.rm_gy1)
    link = ControlLink.objects.filter(parent_enterprise=bank.group_gy.core_enterprise).first()
    response = api.patch(f"{API}/control-links/{link.pk}/", {"share_pct": "30"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["share_pct"] == "30.0000"
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=link.child).exists()
    assert ControlLink.objects.get(pk=link.pk).history.latest().history_user == bank.rm_gy1


def test_duplicate_control_link_names_child_uscc(bank, api_as):
    link = ControlLink.objects.filter(parent_enterprise=bank.group_gy.core_enterprise).first()
    payload = {"parent_uscc": link.parent_enterprise.uscc, "child_uscc": link.child.uscc, "share_pct": "10"}
    response = api_as(bank.rm_gy1).post(f"{API}/control-links/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"child_uscc": ["This parent already has a link to this child."]}


def test_group_client_team_change_is_recorded_with_api_user(bank, api_as):
    """Head office changes a team directly (it is the approver); an RM may not (test_four_eyes)."""
    api = api_as(bank.hq)
    response = api.patch(f"{API}/group-clients/{bank.group_gy.pk}/", {"team": ["rm_gy2"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["team"] == ["rm_gy2"]
    assert list(bank.group_gy.team.values_list("username", flat=True)) == ["rm_gy2"]
    assert bank.group_gy.history.latest().history_user == bank.hq
    assert api_as(bank.rm_gy2).get(f"{API}/group-clients/{bank.group_gy.pk}/").status_code == 200
    unknown = api.patch(f"{API}/group-clients/{bank.group_gy.pk}/", {"lead_rm": "nobody"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {"lead_rm": ["No staff member with this username."]}


def test_openapi_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`: every field typed, every enum named."""
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/enterprises/{uscc}/" in target.read_text()


def test_a_group_with_a_tiny_limit_and_huge_loans_answers_with_its_figures(bank, api_as):
    """A limit of 0.01 against loans of 10^17 is a use of 10^21 %: implausible, but the detail and the
    limit endpoint answer with it, never a 500 (found by bench.fuzz)."""
    from tests.clients.lists_helpers import group_with

    group = group_with(name="极端额度集团", branch=bank.gy1, lead_rm=bank.rm_gy1, limit="0.01",
                       loans="99999999999999999.99")
    detail = api_as(bank.rm_gy1).get(f"{API}/group-clients/{group.pk}/")
    assert detail.status_code == 200, detail.json()
    assert detail.json()["key_figures"]["limit_used_pct"] == "999999999999999999900.0"
    r = api_as(bank.risk_gy).post(f"{API}/group-clients/{group.pk}/limit/", {"unified_credit_limit": "0.02",
                                                                             "confirm": True}, format="json")
    assert r.status_code == 200, r.json()
