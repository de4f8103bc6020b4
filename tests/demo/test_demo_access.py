"""The demo data against the access model (clients.access, DESIGN.md section 4): seed data is head-office
data, prospects are unowned counterparties anyone may claim, and the demo logins find a cross-branch
transfer waiting for both branch heads."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client

from chains.models import ChainLink
from circles.models import CircleMember, CircleSource
from clients import access, approvals
from clients.models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Enterprise,
    GroupClient,
    GroupMembership,
    Person,
)
from clients.selectors import change_history
from clients.services import enterprise_claim
from demo import seed as demo
from staff.scope import scope_for

AS_OF = dt.date(2026, 10, 31)
SMALL = {"groups": 10, "flows": 2000, "as_of": AS_OF}

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    demo.build(seed=2026, **SMALL)
    return {u.username: u for u in get_user_model().objects.select_related("profile__branch")}


def test_seed_records_belong_to_head_office_and_prospects_to_nobody(users):
    assert not Enterprise.objects.filter(recorded_by__isnull=False).exists()
    assert not Person.objects.filter(recorded_by__isnull=False).exists()
    # Clients have an owning branch and an RM; prospects have neither.
    assert not Enterprise.objects.filter(is_client=True, branch__isnull=True).exists()
    assert not Enterprise.objects.filter(is_client=True, rm__isnull=True).exists()
    assert not Enterprise.objects.filter(is_client=False, branch__isnull=False).exists()
    assert not Enterprise.objects.filter(is_client=False, rm__isnull=False).exists()
    declared = CircleMember.objects.exclude(source=CircleSource.CONTROL)
    assert declared.filter(enterprise__is_client=False).exists()
    assert ChainLink.objects.filter(supplier__is_client=False).exists() or ChainLink.objects.filter(
        buyer__is_client=False
    ).exists()


def test_an_unowned_prospect_in_a_circle_is_a_counterparty_its_rm_may_claim(users):
    rm = users["rm_gy1"]
    members = CircleMember.objects.filter(group__lead_rm=rm, enterprise__is_client=False)
    prospect = Enterprise.objects.filter(pk__in=members.values("enterprise_id")).order_by("pk").first()
    assert prospect is not None and prospect.is_unowned
    assert access.reach(rm, prospect) == access.Reach.COUNTERPARTY
    # Nobody has it in their full record, so any branch may claim it; the claim makes it the RM's.
    assert access.reach(users["rm_zy1"], prospect) == access.Reach.REGISTRY
    enterprise_claim(user=rm, enterprise=prospect)
    assert access.reach(rm, prospect) == access.Reach.FULL
    (claimed, created) = change_history(instance=prospect)[:2]
    assert created.kind == "+" and {c.field for c in claimed.changes} >= {"branch", "rm"}


def test_demo_logins_see_what_the_readme_says(users):
    hq, head_gy, head_zy, risk_gy = (users[n] for n in ("hq", "head_gy", "head_zy", "risk_gy"))
    rm_gy1, rm_gy2, rm_zy1 = (users[n] for n in ("rm_gy1", "rm_gy2", "rm_zy1"))
    assert head_zy.profile.role == "branch_head" and head_zy.profile.branch.name == "遵义分行"
    gy_groups = set(access.groups_in_reach(head_gy).values_list("pk", flat=True))
    zy_groups = set(access.groups_in_reach(head_zy).values_list("pk", flat=True))
    assert gy_groups and zy_groups and not gy_groups & zy_groups
    assert set(access.groups_in_reach(risk_gy).values_list("pk", flat=True)) == gy_groups
    for rm in (rm_gy1, rm_gy2):
        assert set(access.groups_in_reach(rm).values_list("pk", flat=True)) <= gy_groups
    led_by_gy1 = set(GroupClient.objects.filter(lead_rm=rm_gy1).values_list("pk", flat=True))
    assert len(led_by_gy1) == 3
    assert not led_by_gy1 & set(access.groups_in_reach(rm_gy2).values_list("pk", flat=True))
    # risk_gy reads but does not edit; sets limits and ratings.
    assert not scope_for(risk_gy).can_edit_clients and scope_for(risk_gy).can_set_limits_and_ratings
    assert set(access.groups_in_reach(rm_zy1).values_list("pk", flat=True)) <= zy_groups
    assert access.groups_in_reach(hq).count() == 10
    # Another branch's client: registry card only, by exact credit code.
    core = Enterprise.objects.filter(led_group__lead_rm=rm_gy1).order_by("pk").first()
    assert access.reach(rm_zy1, core) == access.Reach.REGISTRY
    assert access.registry_lookup(rm_zy1, core.uscc) == core
    # Identity numbers: head office only.
    person = Person.objects.for_user(rm_gy1).first()
    assert person.id_number_for(hq) == person.id_number != person.id_number_for(rm_gy1)


def test_a_cross_branch_transfer_waits_for_both_branch_heads(users):
    (request,) = ChangeRequest.objects.all()
    assert request.kind == ChangeRequestKind.TRANSFER and request.status == ChangeRequestStatus.PENDING
    assert request.requested_by == users["rm_gy1"]
    enterprise = request.enterprise
    # A controlled subsidiary (not a core) of a group rm_gy1 leads, served by rm_gy1 in 贵阳分行.
    assert enterprise.rm == users["rm_gy1"]
    assert not GroupClient.objects.filter(core_enterprise=enterprise).exists()
    assert GroupMembership.objects.filter(enterprise=enterprise, group__lead_rm=users["rm_gy1"]).exists()
    assert request.payload == {"branch": users["rm_zy1"].profile.branch_id, "rm": users["rm_zy1"].pk}
    sides = {b.code for b in request.sides.all()}
    assert sides == {users["rm_gy1"].profile.branch.code, users["rm_zy1"].profile.branch.code}
    for name in ("head_gy", "head_zy", "hq"):
        assert list(approvals.waiting_for(users[name])) == [request], name
    for name in ("rm_gy1", "rm_zy1", "risk_gy", "rm_gy2"):
        assert not approvals.waiting_for(users[name]).exists(), name

    # The list page shows it to head_gy.
    client = Client()
    client.force_login(users["head_gy"])
    page = client.get("/clients/requests/")
    assert page.status_code == 200 and enterprise.name in page.content.decode()

    with pytest.raises(PermissionDenied):
        approvals.approve(user=users["rm_gy1"], request=request)
    approvals.approve(user=users["head_gy"], request=request)
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.PENDING
    approvals.approve(user=users["head_zy"], request=request)
    request.refresh_from_db()
    enterprise.refresh_from_db()
    assert request.status == ChangeRequestStatus.APPLIED
    assert enterprise.rm == users["rm_zy1"] and enterprise.branch == users["rm_zy1"].profile.branch
    assert access.reach(users["rm_zy1"], enterprise) == access.Reach.FULL
    # The seeded record's first change shows its diff, authored by the last approver.
    latest = change_history(instance=enterprise)[0]
    assert latest.user == users["head_zy"]
    assert {c.field for c in latest.changes} >= {"branch", "rm"}
