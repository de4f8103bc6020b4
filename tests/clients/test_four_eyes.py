"""Sensitive fields (DESIGN.md section 4): ownership changes by transfer request approved by the branch
heads of the giving and the receiving branch (or head office); unified credit limits and internal
ratings are set by risk officers and head office; each change keeps who asked, who approved, when.
Every rule is tried allowed and refused, through the pages and through the API."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from clients.approvals import approve, transfer_request
from clients.models import ChangeRequest, Enterprise, GroupClient
from staff.models import Role
from staff.services import staff_create
from tests.conftest import PASSWORD

API = "/api/v1"


@pytest.fixture
def head_zy(bank):
    return staff_create(username="head_zy", password=PASSWORD, role=Role.BRANCH_HEAD, branch=bank.zy,
                        display_name="head_zy")


@pytest.fixture
def core(bank):
    return bank.group_gy.core_enterprise


# --- ordinary edits never move ownership, limits or ratings ------------------------------------------------


@pytest.mark.parametrize(("payload", "field"), [
    ({"branch": "ZY1"}, "branch"), ({"rm": "rm_zy1"}, "rm"), ({"internal_rating": "AAA"}, "internal_rating"),
])
def test_an_rm_cannot_move_or_rate_an_enterprise_by_editing_it(bank, api_as, core, payload, field):
    response = api_as(bank.rm_gy1).patch(f"{API}/enterprises/{core.uscc}/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    core.refresh_from_db()
    assert (core.branch, core.rm, core.internal_rating) == (bank.gy1, bank.rm_gy1, "")


@pytest.mark.parametrize(("payload", "field"), [
    ({"branch": "ZY1"}, "branch"), ({"lead_rm": "rm_zy1"}, "lead_rm"), ({"team": ["rm_zy1"]}, "team"),
    ({"unified_credit_limit": "1.00"}, "unified_credit_limit"),
])
def test_an_rm_cannot_move_staff_or_limit_a_group_by_editing_it(bank, api_as, payload, field):
    group = bank.group_gy
    response = api_as(bank.rm_gy1).patch(f"{API}/group-clients/{group.pk}/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    group.refresh_from_db()
    assert (group.branch, group.lead_rm, list(group.team.all()), group.unified_credit_limit) == (
        bank.gy1, bank.rm_gy1, [], Decimal("5000000000.00"))


def test_an_rm_records_enterprises_and_groups_for_their_own_branch_only(bank, api_as):
    from tests.factories import uscc_for

    api = api_as(bank.rm_gy1)
    r = api.post(f"{API}/enterprises/", {"name": "外地企业", "uscc": uscc_for(77001), "branch": "ZY1"}, format="json")
    assert r.status_code == 400 and "branch" in r.json()
    r = api.post(f"{API}/enterprises/", {"name": "本地企业", "uscc": uscc_for(77002)}, format="json")
    assert r.status_code == 201 and (r.json()["branch"], r.json()["rm"]) == ("GY1", "rm_gy1")
    r = api.post(f"{API}/group-clients/", {"name": "新集团", "core_enterprise_uscc": uscc_for(77002),
                                          "lead_rm": "rm_zy1"}, format="json")
    assert r.status_code == 400 and "lead_rm" in r.json()
    r = api.post(f"{API}/group-clients/", {"name": "新集团", "core_enterprise_uscc": uscc_for(77002),
                                          "team": ["rm_gy2"]}, format="json")
    assert r.status_code == 400 and "team" in r.json()
    r = api.post(f"{API}/group-clients/", {"name": "新集团", "core_enterprise_uscc": uscc_for(77002),
                                          "unified_credit_limit": "100"}, format="json")
    assert r.status_code == 400 and "unified_credit_limit" in r.json()
    r = api.post(f"{API}/group-clients/", {"name": "新集团", "core_enterprise_uscc": uscc_for(77002)}, format="json")
    assert r.status_code == 201 and (r.json()["branch"], r.json()["lead_rm"]) == ("GY1", "rm_gy1")


# --- transfers --------------------------------------------------------------------------------------------------


def test_a_cross_branch_transfer_needs_both_branch_heads_through_the_pages(bank, client_as, core, head_zy):
    rm = client_as(bank.rm_gy1)
    r = rm.post(reverse("clients:enterprise_transfer", args=[core.pk]),
                {"branch": bank.zy1.pk, "rm": bank.rm_zy1.pk, "reason": "客户迁址遵义"})
    request = ChangeRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("clients:request_detail", args=[request.pk])
    assert set(request.sides.values_list("code", flat=True)) == {"GY1", "ZY1"}
    core.refresh_from_db()
    assert core.branch == bank.gy1  # nothing moves before both sides agree

    # The requester and a colleague cannot approve; the risk officer cannot either.
    for persona in (bank.rm_gy1, bank.rm_gy2, bank.risk_gy):
        page = client_as(persona).post(reverse("clients:request_decide", args=[request.pk, "approve"]))
        assert page.status_code in (403, 404), persona
    # Each branch head sees it waiting for them and approves their side.
    head_gy = client_as(bank.head_gy)
    assert request in head_gy.get(reverse("clients:request_list")).context["waiting"]
    head_gy.post(reverse("clients:request_decide", args=[request.pk, "approve"]))
    request.refresh_from_db()
    assert request.status == "pending"
    assert request not in head_gy.get(reverse("clients:request_list")).context["waiting"]
    zy = client_as(head_zy)
    detail = zy.get(reverse("clients:request_detail", args=[request.pk]))
    assert [s.code for s in detail.context["my_sides"]] == ["ZY1"]
    zy.post(reverse("clients:request_decide", args=[request.pk, "approve"]))
    request.refresh_from_db()
    core.refresh_from_db()
    assert request.status == "applied" and request.decided_by == head_zy
    assert (core.branch, core.rm) == (bank.zy1, bank.rm_zy1)
    approvals = {(a.branch.code, a.approved_by.username) for a in request.approvals.all()}
    assert approvals == {("GY1", "head_gy"), ("ZY1", "head_zy")}
    last = core.history.latest()
    assert last.history_user == head_zy and last.history_change_reason == f"Transfer of ownership #{request.pk}"
    # The client has moved: rm_zy1 has its record now, rm_gy1 no longer does.
    assert Enterprise.objects.for_user(bank.rm_zy1).filter(pk=core.pk).exists()


def test_a_transfer_through_the_api_is_approved_by_both_sides(bank, api_as, head_zy):
    group = bank.group_gy
    r = api_as(bank.rm_gy1).post(f"{API}/change-requests/", {"group": group.pk, "lead_rm": "rm_zy1", "branch": "ZY1",
                                                             "reason": "集团总部迁至遵义"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["kind"] == "transfer" and sorted(body["sides"]) == ["GY1", "ZY1"] and body["requested_by"] == "rm_gy1"
    url = f"{API}/change-requests/{body['id']}/approve/"
    assert api_as(bank.rm_gy1).post(url).status_code == 403
    assert api_as(bank.rm_zy1).post(url).status_code == 404  # not theirs to see: no side in an RM's reach
    assert api_as(head_zy).post(url).json()["status"] == "pending"
    assert api_as(head_zy).post(url).status_code == 403  # their side is done
    done = api_as(bank.head_gy).post(url)
    assert done.status_code == 200 and done.json()["status"] == "applied"
    group.refresh_from_db()
    assert (group.branch, group.lead_rm) == (bank.zy1, bank.rm_zy1)


def test_a_move_within_one_branch_is_approved_by_its_head_alone(bank, api_as):
    request = transfer_request(user=bank.rm_gy1, group=bank.group_gy, team=[bank.rm_gy2])
    assert set(request.sides.values_list("code", flat=True)) == {"GY1", "GY2"}
    approve(user=bank.head_gy, request=request)
    request.refresh_from_db()
    assert request.status == "applied"
    assert list(bank.group_gy.team.all()) == [bank.rm_gy2]


def test_a_branch_head_does_not_approve_their_own_request(bank):
    from django.core.exceptions import PermissionDenied

    request = transfer_request(user=bank.head_gy, enterprise=bank.group_gy.core_enterprise, branch=bank.gy2,
                               rm=bank.rm_gy2)
    with pytest.raises(PermissionDenied):
        approve(user=bank.head_gy, request=request)
    approve(user=bank.hq, request=request)  # four eyes: head office is the second pair
    request.refresh_from_db()
    assert request.status == "applied"


def test_head_office_transfers_at_once_and_the_request_keeps_the_record(bank):
    request = transfer_request(user=bank.hq, enterprise=bank.group_gy.core_enterprise, branch=bank.zy1,
                               rm=bank.rm_zy1)
    assert request.status == "applied" and request.decided_by == bank.hq
    assert Enterprise.objects.get(pk=bank.group_gy.core_enterprise.pk).branch == bank.zy1


def test_a_rejected_or_cancelled_request_changes_nothing(bank, api_as, head_zy):
    core = bank.group_gy.core_enterprise
    first = transfer_request(user=bank.rm_gy1, enterprise=core, branch=bank.zy1, rm=bank.rm_zy1)
    r = api_as(head_zy).post(f"{API}/change-requests/{first.pk}/reject/", {"note": "不接收"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["decision_note"] == "不接收"
    assert api_as(bank.head_gy).post(f"{API}/change-requests/{first.pk}/approve/").status_code == 400
    second = transfer_request(user=bank.rm_gy1, enterprise=core, branch=bank.zy1, rm=bank.rm_zy1)
    assert api_as(bank.head_gy).post(f"{API}/change-requests/{second.pk}/cancel/").status_code == 403
    assert api_as(bank.rm_gy1).post(f"{API}/change-requests/{second.pk}/cancel/").json()["status"] == "cancelled"
    core.refresh_from_db()
    assert (core.branch, core.rm) == (bank.gy1, bank.rm_gy1)


def test_a_transfer_needs_the_subject_in_full_record_and_a_real_change(bank, api_as):
    api = api_as(bank.rm_gy1)
    r = api.post(f"{API}/change-requests/", {"group": bank.group_zy.pk, "lead_rm": "rm_gy1"}, format="json")
    assert r.status_code == 400 and r.json() == {"group": ["No group client with this id."]}
    r = api.post(f"{API}/change-requests/", {"group": bank.group_gy.pk, "lead_rm": "rm_gy1"}, format="json")
    assert r.status_code == 400 and "Nothing to transfer" in r.json()["non_field_errors"][0]
    r = api.post(f"{API}/change-requests/", {"enterprise_uscc": bank.group_gy.core_enterprise.uscc,
                                            "rm": "rm_zy1"}, format="json")
    assert r.status_code == 400 and "receiving branch" in r.json()["rm"][0]
    assert api_as(bank.risk_gy).post(f"{API}/change-requests/", {"group": bank.group_gy.pk, "lead_rm": "rm_gy2"},
                                     format="json").status_code == 403


# --- limits and ratings -------------------------------------------------------------------------------------------


def test_limits_are_set_by_risk_officers_with_a_confirmation_for_large_moves(bank, client_as, api_as):
    group = bank.group_gy
    url = reverse("clients:group_limit", args=[group.pk])
    assert client_as(bank.rm_gy1).get(url).status_code == 403
    assert api_as(bank.rm_gy1).post(f"{API}/group-clients/{group.pk}/limit/",
                                    {"unified_credit_limit": "1"}, format="json").status_code == 403
    risk = client_as(bank.risk_gy)
    # The English page reads full yuan (its label says CNY). A 万元/元 slip: 500,000 typed for
    # 5,000,000,000 is 10,000 times smaller: refused until confirmed.
    assert "(CNY)" in risk.get(url).content.decode()
    r = risk.post(url, {"unified_credit_limit": "500000"})
    assert r.status_code == 200
    assert "check the unit" in r.context["form"].errors["unified_credit_limit"][0]
    group.refresh_from_db()
    assert group.unified_credit_limit == Decimal("5000000000.00")
    r = risk.post(url, {"unified_credit_limit": "6,000,000,000"})
    assert r.status_code == 302
    group.refresh_from_db()
    assert group.unified_credit_limit == Decimal("6000000000") and group.history.latest().history_user == bank.risk_gy
    # The Chinese page reads a bare number in 万元, and a written unit wins.
    risk.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "（万元）" in risk.get(url).content.decode()
    r = risk.post(url, {"unified_credit_limit": "60"})  # 60万 for 60亿
    assert r.status_code == 200 and "unified_credit_limit" in r.context["form"].errors
    assert risk.post(url, {"unified_credit_limit": "620000"}).status_code == 302  # 62亿 in 万元
    group.refresh_from_db()
    assert group.unified_credit_limit == Decimal("6200000000")
    assert risk.post(url, {"unified_credit_limit": "60亿"}).status_code == 302
    group.refresh_from_db()
    assert group.unified_credit_limit == Decimal("6000000000")
    r = risk.post(url, {"unified_credit_limit": "6 billion dollars"})
    assert r.status_code == 200 and "unified_credit_limit" in r.context["form"].errors
    api = api_as(bank.risk_gy)
    r = api.post(f"{API}/group-clients/{group.pk}/limit/", {"unified_credit_limit": "600000"}, format="json")
    assert r.status_code == 400 and "unified_credit_limit" in r.json()
    r = api.post(f"{API}/group-clients/{group.pk}/limit/", {"unified_credit_limit": "600000", "confirm": True},
                 format="json")
    assert r.status_code == 200 and r.json()["unified_credit_limit"] == "600000.00"
    # Another branch's risk officer does not reach the group at all.
    other = staff_create(username="risk_zy", password=PASSWORD, role=Role.RISK_OFFICER, branch=bank.zy)
    assert client_as(other).get(url).status_code == 404


def test_ratings_are_set_by_risk_officers_and_head_office(bank, client_as, api_as, core):
    url = reverse("clients:enterprise_rating", args=[core.pk])
    assert client_as(bank.rm_gy1).get(url).status_code == 403
    assert client_as(bank.head_gy).post(url, {"internal_rating": "A"}).status_code == 403
    assert client_as(bank.risk_gy).post(url, {"internal_rating": "AA"}).status_code == 302
    core.refresh_from_db()
    assert core.internal_rating == "AA" and core.history.latest().history_user == bank.risk_gy
    r = api_as(bank.hq).post(f"{API}/enterprises/{core.uscc}/rating/", {"internal_rating": "BBB"}, format="json")
    assert r.status_code == 200 and r.json()["internal_rating"] == "BBB"
    r = api_as(bank.risk_gy).post(f"{API}/enterprises/{core.uscc}/rating/", {"internal_rating": "ZZ"}, format="json")
    assert r.status_code == 400 and "internal_rating" in r.json()


def test_the_360_page_warns_when_the_limit_is_exceeded(bank, client_as):
    from clients.models import AccountBalance, BankAccount

    group = bank.group_gy
    GroupClient.objects.filter(pk=group.pk).update(unified_credit_limit=Decimal("1000"))
    account = BankAccount.objects.create(enterprise=group.core_enterprise, account_no="LOAN-1", kind="loan")
    AccountBalance.objects.create(account=account, date="2026-10-31", balance=Decimal("8435877"))
    page = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[group.pk])).content.decode()
    assert 'id="limit-warning"' in page


# --- persons -------------------------------------------------------------------------------------------------------


def test_recording_a_number_on_file_answers_as_for_a_new_one(bank, api_as):
    """No answer confirms a number the user cannot see: another recorder's person, the person behind
    a masked number on the user's own pages, or a brand-new number all answer 201 the same way."""
    from clients.models import ControlLink, Person
    from tests.factories import PersonFactory, ric_for

    hidden = PersonFactory(name="他行实控人", id_number=ric_for(4001))
    mine = PersonFactory(name="本行实控人", id_number=ric_for(4002))
    ControlLink.objects.create(parent_person=mine, child=bank.group_gy.core_enterprise, share_pct=Decimal("1"))
    api = api_as(bank.rm_gy1)
    answers = []
    for number in (ric_for(4001), ric_for(4002), ric_for(4003)):
        r = api.post(f"{API}/persons/", {"name": "试探", "id_number": number}, format="json")
        assert r.status_code == 201, r.json()
        body = r.json()
        answers.append((body["name"], body["id_number"][:4] + body["id_number"][-4:], len(body)))
        assert body["id"] not in (hidden.pk, mine.pk)
    assert len(set(a[0] for a in answers)) == 1 and {a[2] for a in answers} == {3}
    # The user's own duplicate is refused, and says only what they recorded themselves.
    again = api.post(f"{API}/persons/", {"name": "试探", "id_number": ric_for(4001)}, format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["You have already recorded a person with this ID number."]}
    assert Person.objects.filter(id_number=ric_for(4001)).count() == 2


def test_an_unattached_person_is_nobody_elses_to_take_over(bank, api_as):
    created = api_as(bank.rm_zy1).post(f"{API}/persons/", {"name": "遵义人", "id_number": _ric(4010)},
                                       format="json").json()
    r = api_as(bank.rm_gy1).post(f"{API}/control-links/", {"parent_person": created["id"],
                                                           "child_uscc": bank.group_gy.core_enterprise.uscc,
                                                           "share_pct": "60", "control_type": "actual"},
                                 format="json")
    assert r.status_code == 400 and r.json() == {"parent_person": ["No person with this id."]}
    assert api_as(bank.rm_gy1).get(f"{API}/persons/{created['id']}/").status_code == 404


def test_recording_persons_is_throttled(bank, api_as, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"persons": "3/hour", "registry": "600/hour"})
    api = api_as(bank.rm_gy1)
    codes = [api.post(f"{API}/persons/", {"name": "甲", "id_number": _ric(4100 + i)}, format="json").status_code
             for i in range(4)]
    assert codes == [201, 201, 201, 429]
    cache.clear()


def _ric(n):
    from tests.factories import ric_for

    return ric_for(n)
