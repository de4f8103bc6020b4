"""Group membership derived from control links (clients.control, pure) and persisted (services)."""

from decimal import Decimal as D

import pytest

from clients.control import Edge, derive
from clients.models import GroupMembership

E = lambda n: ("e", n)  # noqa: E731
P = lambda n: ("p", n)  # noqa: E731


def members(result):
    return {n for n in result.members if n[0] == "e"}


def test_direct_majority_is_control_and_half_is_not():
    edges = [Edge(E(1), E(2), D("50.01")), Edge(E(1), E(3), D("50")), Edge(E(1), E(4), D("100"))]
    assert members(derive(E(1), edges)) == {E(1), E(2), E(4)}


def test_indirect_control_through_a_chain_of_majorities():
    # 1 -> 2 (60 %) -> 3 (70 %) -> 4 (51 %): 4 is controlled although 1's look-through share is 21 %.
    edges = [Edge(E(1), E(2), D("60")), Edge(E(2), E(3), D("70")), Edge(E(3), E(4), D("51"))]
    result = derive(E(1), edges)
    assert members(result) == {E(1), E(2), E(3), E(4)}
    assert result.members[E(4)].depth == 3
    assert result.members[E(4)].via == E(3)


def test_shares_held_by_controlled_entities_add_up():
    # 1 holds 30 % of 3 directly and controls 2, which holds 25 % of 3: 55 % is control.
    edges = [Edge(E(1), E(2), D("80")), Edge(E(1), E(3), D("30")), Edge(E(2), E(3), D("25"))]
    result = derive(E(1), edges)
    assert E(3) in members(result)
    assert result.members[E(3)].share == D("55")
    assert result.members[E(3)].via == E(1)  # the larger holder places it in the tree


def test_shares_held_by_uncontrolled_entities_do_not_count():
    # 2 is only 40 % owned, so its 30 % of 3 does not add to 1's 30 %.
    edges = [Edge(E(1), E(2), D("40")), Edge(E(1), E(3), D("30")), Edge(E(2), E(3), D("30"))]
    assert members(derive(E(1), edges)) == {E(1)}


@pytest.mark.parametrize("control_type", ["agreement", "actual", "kinship"])
def test_control_without_majority_by_agreement_or_actual_control(control_type):
    edges = [Edge(E(1), E(2), D("10"), control_type)]
    result = derive(E(1), edges)
    assert E(2) in members(result)
    assert result.members[E(2)].reason == "actual"


def test_person_who_controls_the_core_brings_their_other_companies():
    # Person 9 controls the core 1 and, separately, company 5: 5 is in the group.
    edges = [Edge(P(9), E(1), D("70")), Edge(P(9), E(5), D("90")), Edge(P(9), E(6), D("20"))]
    result = derive(E(1), edges)
    assert result.roots == [E(1), P(9)]
    assert members(result) == {E(1), E(5)}


def test_cycles_end_and_are_reported_once():
    # 1 -> 2 -> 3 -> 2 (cross-holding) and 3 -> 1 (back to the core).
    edges = [
        Edge(E(1), E(2), D("60")), Edge(E(2), E(3), D("60")), Edge(E(3), E(2), D("10")),
        Edge(E(3), E(1), D("5")),
    ]
    result = derive(E(1), edges)
    assert members(result) == {E(1), E(2), E(3)}
    cycles = {frozenset(c) for c in result.cycles}
    assert frozenset({E(2), E(3)}) in cycles
    assert frozenset({E(1), E(2), E(3)}) in cycles
    assert len(result.cycles) == 2


def test_a_long_cycle_of_majorities_terminates():
    n = 2000
    edges = [Edge(E(i), E(i + 1), D("60")) for i in range(1, n)] + [Edge(E(n), E(1), D("60"))]
    result = derive(E(1), edges)
    assert len(members(result)) == n
    assert len(result.cycles) == 1


def test_membership_refresh_persists_members_and_cycle_warnings(bank):
    from clients.models import ControlLink
    from clients.services import group_membership_refresh
    from tests.factories import EnterpriseFactory

    group = bank.group_gy
    sub = GroupMembership.objects.filter(group=group).exclude(enterprise=group.core_enterprise).first().enterprise
    grandchild = EnterpriseFactory()
    ControlLink.objects.create(parent_enterprise=sub, child=grandchild, share_pct=D("75"))
    ControlLink.objects.create(parent_enterprise=grandchild, child=sub, share_pct=D("5"))
    written = group_membership_refresh(groups=[group])
    assert written == 4
    row = GroupMembership.objects.get(group=group, enterprise=grandchild)
    assert (row.depth, row.via_id, row.reason) == (2, sub.pk, "majority")
    group.refresh_from_db()
    assert group.membership_warnings[0]["kind"] == "cycle"
    assert set(group.membership_warnings[0]["names"]) == {sub.name, grandchild.name}
    # Idempotent: a second run writes the same rows.
    before = sorted(GroupMembership.objects.filter(group=group).values_list("enterprise_id", "depth"))
    group_membership_refresh(groups=None)
    after = sorted(GroupMembership.objects.filter(group=group).values_list("enterprise_id", "depth"))
    assert before == after


def test_control_link_service_refreshes_membership_and_records_history(bank):
    from clients.services import control_link_create, control_link_delete
    from tests.factories import EnterpriseFactory

    newco = EnterpriseFactory(rm=bank.rm_gy1)  # a prospect the RM found and recorded
    link = control_link_create(user=bank.rm_gy1, parent_enterprise=bank.group_gy.core_enterprise, child=newco,
                               share_pct=D("51"))
    assert GroupMembership.objects.filter(group=bank.group_gy, enterprise=newco).exists()
    assert link.history.first().history_user == bank.rm_gy1
    control_link_delete(user=bank.rm_gy1, link=link)
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=newco).exists()


def test_rm_of_another_branch_cannot_add_links_to_a_group_they_do_not_cover(bank):
    """A control link must touch the writer's own full record: neither end is rm_zy1's here."""
    from django.core.exceptions import ValidationError

    from clients.models import ControlLink
    from clients.services import control_link_create
    from tests.factories import EnterpriseFactory

    with pytest.raises(ValidationError) as refused:
        control_link_create(user=bank.rm_zy1, parent_enterprise=bank.group_gy.core_enterprise,
                            child=EnterpriseFactory(), share_pct=D("51"))
    assert "must be an enterprise you cover" in str(refused.value)
    assert not ControlLink.objects.filter(parent_enterprise=bank.group_gy.core_enterprise, share_pct=D("51")).exists()


def test_rm_cannot_pull_their_enterprise_into_a_group_they_do_not_cover(bank):
    """Owning the child is not enough: the link would grow group_gy (another branch's group), so it
    becomes a request for group_gy's branch to approve, and nothing changes meanwhile."""
    from clients.models import ChangeRequest
    from clients.services import control_link_create

    zy_member = GroupMembership.objects.filter(group=bank.group_zy).exclude(
        enterprise=bank.group_zy.core_enterprise).first().enterprise
    result = control_link_create(user=bank.rm_zy1, parent_enterprise=bank.group_gy.core_enterprise,
                                 child=zy_member, share_pct=D("60"))
    assert isinstance(result, ChangeRequest)
    assert list(result.sides.values_list("code", flat=True)) == ["GY1"]
    assert result.payload["groups"] == [bank.group_gy.pk]
    assert not GroupMembership.objects.filter(group=bank.group_gy, enterprise=zy_member).exists()


def test_an_rm_cannot_edit_an_enterprise_out_of_their_own_reach(bank):
    """Handing a client to another RM is a transfer (four eyes): the edit is refused whole, for the RM
    and for the branch head alike; head office sets it directly."""
    from django.core.exceptions import ValidationError

    from clients.models import Enterprise
    from clients.services import enterprise_update
    from tests.factories import EnterpriseFactory

    prospect = EnterpriseFactory(rm=bank.rm_gy1, branch=None, is_client=False, name="原名")
    with pytest.raises(ValidationError):
        enterprise_update(user=bank.rm_gy1, enterprise=prospect, rm=bank.rm_zy1, name="改名")
    prospect.refresh_from_db()
    assert (prospect.rm_id, prospect.name) == (bank.rm_gy1.pk, "原名")
    other = EnterpriseFactory(branch=bank.gy1)
    with pytest.raises(ValidationError):
        enterprise_update(user=bank.head_gy, enterprise=other, rm=bank.rm_gy2)
    enterprise_update(user=bank.hq, enterprise=other, rm=bank.rm_gy2)
    assert Enterprise.objects.filter(rm=bank.rm_gy2).count() == 1
