"""API: circle-members and guarantees (scoping, writes through services, field errors, query counts)."""

import datetime
from decimal import Decimal

import pytest

from circles.models import CircleMember, CircleSource, Guarantee
from clients.models import Enterprise, GroupMembership
from tests.factories import EnterpriseFactory, uscc_for

MEMBERS = "/api/v1/circle-members/"
GUARANTEES = "/api/v1/guarantees/"


def _subsidiary(group):
    return GroupMembership.objects.filter(group=group, depth=1).order_by("enterprise_id").first().enterprise


def _guarantee(bank, **kw):
    data = {"guarantor_uscc": bank.group_gy.core_enterprise.uscc, "borrower_uscc": _subsidiary(bank.group_gy).uscc,
            "amount": "1000000.00", "currency": "CNY", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    data.update(kw)
    return data


def test_controlled_entities_are_listed_as_subsidiaries_over_the_api(bank, api_as):
    response = api_as(bank.rm_gy1).get(MEMBERS, {"group": bank.group_gy.pk, "source": "control"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["enterprise"]["id"] for r in rows} == set(
        GroupMembership.objects.filter(group=bank.group_gy, depth__gt=0).values_list("enterprise_id", flat=True)
    )
    assert {r["role"] for r in rows} == {"subsidiary"}


def test_rm_creates_updates_and_deletes_a_member(bank, api_as):
    api = api_as(bank.rm_gy1)
    prospect = EnterpriseFactory(is_client=False)
    response = api.post(MEMBERS, {"group": bank.group_gy.pk, "enterprise_uscc": prospect.uscc.lower(),
                                  "role": "supplier", "tier": 1, "since": "2025-01-01"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["enterprise"] == {"id": prospect.pk, "name": prospect.name, "uscc": prospect.uscc, "is_client": False}
    member = CircleMember.objects.get(pk=body["id"])
    assert member.history.get().history_user == bank.rm_gy1

    response = api.patch(f"{MEMBERS}{member.pk}/", {"role": "distributor", "tier": 2}, format="json")
    assert response.status_code == 200, response.json()
    member.refresh_from_db()
    assert (member.role, member.tier) == ("distributor", 2)

    assert api.delete(f"{MEMBERS}{member.pk}/").status_code == 204
    assert not CircleMember.objects.filter(pk=member.pk).exists()


def test_member_list_filters_by_is_client_and_role(bank, api_as):
    prospect = EnterpriseFactory(is_client=False)
    CircleMember.objects.create(group=bank.group_gy, enterprise=prospect, role="supplier")
    api = api_as(bank.rm_gy1)
    rows = api.get(MEMBERS, {"group": bank.group_gy.pk, "is_client": "false"}).json()["results"]
    assert [r["enterprise"]["id"] for r in rows] == [prospect.pk]
    rows = api.get(MEMBERS, {"role": "supplier"}).json()["results"]
    assert [r["enterprise"]["id"] for r in rows] == [prospect.pk]


def test_controlled_member_cannot_be_deleted_or_moved(bank, api_as):
    member = CircleMember.objects.filter(group=bank.group_gy, source=CircleSource.CONTROL).first()
    api = api_as(bank.rm_gy1)
    response = api.delete(f"{MEMBERS}{member.pk}/")
    assert response.status_code == 400 and "source" in response.json()
    response = api.patch(f"{MEMBERS}{member.pk}/", {"role": "supplier"}, format="json")
    assert response.status_code == 400 and "role" in response.json()
    assert CircleMember.objects.filter(pk=member.pk, role="subsidiary").exists()


def test_unknown_credit_code_is_a_field_error(bank, api_as):
    response = api_as(bank.rm_gy1).post(
        MEMBERS, {"group": bank.group_gy.pk, "enterprise_uscc": uscc_for(888_888), "role": "supplier"}, format="json"
    )
    assert response.status_code == 400
    code = uscc_for(888_888)
    assert response.json() == {"enterprise_uscc": [f"No enterprise with the credit code {code} is on file; create it first."]}
    response = api_as(bank.rm_gy1).post(GUARANTEES, _guarantee(bank, borrower_uscc=uscc_for(888_888)), format="json")
    assert response.status_code == 400 and list(response.json()) == ["borrower_uscc"]


def test_duplicate_member_role_is_a_field_error(bank, api_as):
    sub = _subsidiary(bank.group_gy)
    response = api_as(bank.rm_gy1).post(
        MEMBERS, {"group": bank.group_gy.pk, "enterprise_uscc": sub.uscc, "role": "subsidiary"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"role": ["This enterprise already has this role in the circle."]}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"start_date": "2026-06-01", "end_date": "2026-05-31"}, "end_date"),
        ({"currency": "RMB"}, "currency"),
        ({"currency": "US"}, "currency"),
    ],
)
def test_bad_guarantee_is_a_field_error(bank, api_as, changes, field):
    response = api_as(bank.rm_gy1).post(GUARANTEES, _guarantee(bank, **changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Guarantee.objects.exists()


def test_rm_creates_updates_and_deletes_a_guarantee(bank, api_as):
    api = api_as(bank.rm_gy1)
    response = api.post(GUARANTEES, _guarantee(bank, currency="usd"), format="json")
    assert response.status_code == 201, response.json()
    g = Guarantee.objects.get(pk=response.json()["id"])
    assert (g.currency, g.amount) == ("USD", Decimal("1000000.00"))
    response = api.patch(f"{GUARANTEES}{g.pk}/", {"end_date": "2025-01-01"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["end_date"]
    response = api.patch(f"{GUARANTEES}{g.pk}/", {"amount": "5.00"}, format="json")
    assert response.status_code == 200
    assert Guarantee.objects.get(pk=g.pk).history.count() == 2
    assert api.delete(f"{GUARANTEES}{g.pk}/").status_code == 204


# --- scoping ------------------------------------------------------------------------------------------


def test_anonymous_gets_401(bank, client):
    assert client.get(MEMBERS).status_code == 401
    assert client.get(GUARANTEES).status_code == 401


def test_rm_of_other_branch_sees_no_rows_and_gets_404(bank, api_as):
    member = CircleMember.objects.filter(group=bank.group_gy).first()
    g = Guarantee.objects.create(guarantor=bank.group_gy.core_enterprise, borrower=_subsidiary(bank.group_gy),
                                 amount=Decimal("1"), start_date=datetime.date(2026, 1, 1),
                                 end_date=datetime.date(2026, 2, 1))
    api = api_as(bank.rm_zy1)
    rows = api.get(MEMBERS).json()["results"]
    assert rows and {r["group"] for r in rows} == {bank.group_zy.pk}
    assert api.get(MEMBERS, {"group": bank.group_gy.pk}).json()["results"] == []
    assert api.get(f"{MEMBERS}{member.pk}/").status_code == 404
    assert api.patch(f"{MEMBERS}{member.pk}/", {"tier": 3}, format="json").status_code == 404
    assert api.delete(f"{MEMBERS}{member.pk}/").status_code == 404
    assert api.get(GUARANTEES).json()["results"] == []
    assert api.get(f"{GUARANTEES}{g.pk}/").status_code == 404
    # A group out of reach answers like an unknown one; enterprises on file may be named, but a
    # guarantee between two enterprises of someone else's record is not the user's to write.
    prospect = EnterpriseFactory(is_client=False)
    response = api.post(MEMBERS, {"group": bank.group_gy.pk, "enterprise_uscc": prospect.uscc, "role": "supplier"},
                        format="json")
    assert response.status_code == 400 and list(response.json()) == ["group"]
    before = Guarantee.objects.count()
    response = api.post(GUARANTEES, _guarantee(bank), format="json")
    assert response.status_code == 400 and response.json() == {
        "guarantor_uscc": ["The guarantor or the borrower must be an enterprise you cover."]}
    assert Guarantee.objects.count() == before


def test_risk_officer_reads_but_gets_403_on_writes(bank, api_as):
    api = api_as(bank.risk_gy)
    assert api.get(MEMBERS, {"group": bank.group_gy.pk}).json()["count"] == 2
    prospect = EnterpriseFactory(is_client=False)
    response = api.post(MEMBERS, {"group": bank.group_gy.pk, "enterprise_uscc": prospect.uscc, "role": "supplier"},
                        format="json")
    assert response.status_code == 403
    assert api.post(GUARANTEES, _guarantee(bank), format="json").status_code == 403
    member = CircleMember.objects.filter(group=bank.group_gy).first()
    assert api.delete(f"{MEMBERS}{member.pk}/").status_code == 403
    assert not CircleMember.objects.filter(enterprise=prospect).exists()


# --- query counts -------------------------------------------------------------------------------------


def _bulk_members(group, n, offset):
    es = Enterprise.objects.bulk_create([
        Enterprise(name=f"批量{offset + i}", uscc=uscc_for(offset + i), is_client=bool(i % 2)) for i in range(n)
    ])
    CircleMember.objects.bulk_create([CircleMember(group=group, enterprise=e, role="supplier") for e in es])
    Guarantee.objects.bulk_create([
        Guarantee(guarantor=e, borrower=group.core_enterprise, amount=Decimal("10"),
                  start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 6, 1))
        for e in es
    ])


@pytest.mark.parametrize("url", [MEMBERS, GUARANTEES])
def test_list_query_count_is_constant(bank, api_as, url, django_assert_num_queries):
    api = api_as(bank.rm_gy1)
    _bulk_members(bank.group_gy, 3, 200_000)
    with django_assert_num_queries(4):  # token with user, scope, count, page: nothing per row
        api.get(url)
    _bulk_members(bank.group_gy, 45, 300_000)
    with django_assert_num_queries(4):
        response = api.get(url)
    assert response.json()["count"] >= 48
