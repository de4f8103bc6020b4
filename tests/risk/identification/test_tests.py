"""risk.identification: each of the regulator's four tests raises a proposal with its evidence; confirmation
makes a member (kept by the membership refresh); a rejection is not raised again on the same evidence but
is on new evidence; vanished evidence withdraws a pending proposal; another branch's candidate needs that
branch's consent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from chains.models import Flow
from circles.models import Guarantee
from clients.models import ControlLink, GroupMembership, KeyPerson, MembershipReason
from clients.services import group_membership_refresh
from risk import identification
from risk.identification import proposal_confirm, proposal_reject, waiting_for
from risk.models import GroupProposal, IdentificationTest, ProposalStatus
from tests.factories import EnterpriseFactory, PersonFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 15)
_n = iter(range(1, 10**6))


def refresh(ids=None):
    return identification.refresh(ids, as_of=AS_OF)


def members(group):
    return sorted(group.memberships.exclude(enterprise=group.core_enterprise).values_list("enterprise", flat=True))


def flow(payer, payee, amount, kind="payment", day=dt.date(2026, 4, 10)):
    Flow.objects.create(payer_id=getattr(payer, "pk", payer), payee_id=getattr(payee, "pk", payee), amount=Decimal(str(amount)), currency="CNY", value_date=day, kind=kind,
                        channel="this_bank", source_system="test", external_ref=f"IDENT-{next(_n):07d}")


def proposals(group, test=None, **kw):
    qs = GroupProposal.objects.filter(group=group, **kw)
    return qs.filter(test=test) if test else qs


def test_control_parent_of_core_confirmed_becomes_member_and_its_subsidiary_follows(bank):
    g = bank.group_gy
    parent = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_enterprise=parent, child=g.core_enterprise, share_pct=Decimal("70"))
    sibling = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_enterprise=parent, child=sibling, share_pct=Decimal("80"))
    counts = refresh()
    p = proposals(g, IdentificationTest.CONTROL).get(enterprise=parent)
    assert counts["proposed"] >= 1 and p.status == ProposalStatus.PENDING and not p.needs_owner_consent
    assert "控制成员" in p.evidence and parent.uscc in p.evidence and "70.00%" in p.evidence
    assert "Controls a member" in p.evidence_en
    # The sibling is jointly controlled by the same third party (the parent, not yet a member).
    s = proposals(g, IdentificationTest.COMMON_CONTROL).get(enterprise=sibling)
    assert parent.name in s.evidence and "80.00%" in s.evidence
    assert refresh()["proposed"] == 0  # rerun: nothing new

    proposal_confirm(bank.rm_gy1, p, "核实")
    p.refresh_from_db()
    assert (p.status, p.decided_by, p.group_confirmed_by) == (ProposalStatus.CONFIRMED, bank.rm_gy1, bank.rm_gy1)
    row = GroupMembership.objects.get(group=g, enterprise=parent)
    assert row.reason == MembershipReason.IDENTIFIED
    group_membership_refresh(groups=[g])  # the derivation from control links keeps confirmed members
    assert GroupMembership.objects.get(group=g, enterprise=parent).reason == MembershipReason.IDENTIFIED
    assert p.history.count() == 2
    # Now a member, the parent's subsidiary is controlled by a member: test 1; the sibling's test-2
    # proposal (the controller is now inside the group) is withdrawn.
    counts = refresh()
    assert proposals(g, IdentificationTest.CONTROL).filter(enterprise=sibling, status="pending").exists()
    assert not proposals(g, IdentificationTest.COMMON_CONTROL).filter(enterprise=sibling).exists()
    assert counts["withdrawn"] == 1
    assert GroupProposal.history.filter(id=s.pk, history_type="-",
                                        history_change_reason=identification.WITHDRAWN).exists()


def test_common_control_by_a_person(bank):
    g = bank.group_gy
    m1 = members(g)[0]
    x = PersonFactory(name="王五")
    ControlLink.objects.create(parent_person=x, child_id=m1, share_pct=Decimal("0"), control_type="actual")
    other = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_person=x, child=other, share_pct=Decimal("65"))
    near = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_person=x, child=near, share_pct=Decimal("50"))  # not above 50 %: no control
    refresh()
    p = proposals(g, IdentificationTest.COMMON_CONTROL).get(enterprise=other)
    assert "王五" in p.evidence and "65.00%" in p.evidence and x.id_number not in p.evidence
    assert not proposals(g).filter(enterprise=near).exists()
    proposal_reject(bank.risk_gy, p, "非同一控制")
    refresh()
    assert proposals(g, enterprise=other).count() == 1  # the same evidence: not raised again
    # New evidence (a second member controlled by the same person): a new proposal.
    m2 = members(g)[1]
    ControlLink.objects.create(parent_person=x, child_id=m2, share_pct=Decimal("0"), control_type="agreement")
    refresh()
    assert proposals(g, enterprise=other, status="pending").count() == 1


def test_key_persons_and_kinship(bank):
    g = bank.group_gy
    m1 = members(g)[0]
    k = PersonFactory(name="李四")
    KeyPerson.objects.create(enterprise_id=m1, person=k, role="chairman")
    shared = EnterpriseFactory(branch=bank.gy1)
    KeyPerson.objects.create(enterprise=shared, person=k, role="legal_rep")
    relative = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_person=k, child=relative, share_pct=Decimal("10"), control_type="kinship")
    cfo_only = EnterpriseFactory(branch=bank.gy1)
    KeyPerson.objects.create(enterprise=cfo_only, person=k, role="cfo")  # not a controlling role
    refresh()
    found = {p.enterprise_id: p for p in proposals(g, IdentificationTest.KEY_PERSONS)}
    assert set(found) == {shared.pk, relative.pk}
    assert "李四" in found[shared.pk].evidence and "董事长" in found[shared.pk].evidence
    assert "through kinship" in found[relative.pk].evidence_en
    proposal_reject(bank.rm_gy1, found[shared.pk], "同名不同人")
    refresh()
    assert proposals(g, enterprise=shared).count() == 1
    # The same person becomes its general manager too: new evidence, a new proposal.
    KeyPerson.objects.create(enterprise=shared, person=k, role="gm")
    refresh()
    assert proposals(g, enterprise=shared, status="pending").count() == 1


def test_non_fair_flows_and_guarantees(bank):
    g = bank.group_gy
    m1, m2 = members(g)
    sink = EnterpriseFactory(branch=bank.gy1)
    flow(m1, sink, 8_000_000)
    flow(m2, sink, 4_000_000)
    flow(sink, m1, 500_000)  # back: 4 %
    traded = EnterpriseFactory(branch=bank.gy1)
    flow(m1, traded, 20_000_000)
    flow(traded, m1, 20_000_000, kind="invoice")  # a trade basis: no proposal
    small = EnterpriseFactory(branch=bank.gy1)
    flow(m1, small, 9_000_000)  # below the threshold
    free = EnterpriseFactory(branch=bank.gy1)
    Guarantee.objects.create(guarantor_id=m2, borrower=free, amount=Decimal("30000000"), currency="CNY",
                             start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 1, 1))
    paid_for = EnterpriseFactory(branch=bank.gy1)
    Guarantee.objects.create(guarantor_id=m2, borrower=paid_for, amount=Decimal("30000000"), currency="CNY",
                             start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 1, 1))
    flow(paid_for, m2, 300_000)  # a guarantee fee: consideration
    refresh()
    found = {p.enterprise_id: p for p in proposals(g, IdentificationTest.NON_FAIR)}
    assert set(found) == {sink.pk, free.pk}
    assert "1,200.00万元" in found[sink.pk].evidence and "CNY 12.00 m" in found[sink.pk].evidence_en
    assert found[sink.pk].figures["paid_cny"] == ["12000000.00"]
    assert "无对价担保" in found[free.pk].evidence
    proposal_reject(bank.rm_gy1, found[sink.pk], "正常预付款")
    flow(m1, sink, 1_000_000)  # more of the same: same evidence key (the flow rule and counterparty)
    refresh()
    assert proposals(g, enterprise=sink).count() == 1
    # New evidence: a member also guarantees it without consideration.
    Guarantee.objects.create(guarantor_id=m2, borrower=sink, amount=Decimal("1000000"), currency="CNY",
                             start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 1, 1))
    refresh()
    assert proposals(g, enterprise=sink, status="pending").count() == 1


def test_reject_needs_a_note_and_out_of_reach_is_missing(bank):
    g = bank.group_gy
    parent = EnterpriseFactory(branch=bank.gy1)
    ControlLink.objects.create(parent_enterprise=parent, child=g.core_enterprise, share_pct=Decimal("70"))
    refresh()
    p = proposals(g).get(enterprise=parent)
    with pytest.raises(ValidationError) as err:
        proposal_reject(bank.rm_gy1, p, "  ")
    assert "note" in err.value.message_dict
    with pytest.raises(ValidationError):
        proposal_reject(bank.rm_gy1, p, "bad\x00")
    for user in (bank.rm_gy2, bank.rm_zy1, bank.outsider):
        with pytest.raises(GroupProposal.DoesNotExist):
            proposal_confirm(user, p)
        assert not GroupProposal.objects.for_user(user).filter(pk=p.pk).exists()
    proposal_confirm(bank.risk_gy, p)
    with pytest.raises(ValidationError):
        proposal_confirm(bank.rm_gy1, p)


def test_another_branch_candidate_needs_its_consent(bank):
    g = bank.group_gy
    parent = EnterpriseFactory(branch=bank.zy1, rm=bank.rm_zy1)
    ControlLink.objects.create(parent_enterprise=parent, child=g.core_enterprise, share_pct=Decimal("70"))
    refresh()
    p = proposals(g).get(enterprise=parent)
    assert p.needs_owner_consent and waiting_for(p) == ["group", "owner"]
    # The owning branch's RM sees it (the candidate is theirs) and the group's RM too.
    assert GroupProposal.objects.for_user(bank.rm_zy1).filter(pk=p.pk).exists()
    proposal_confirm(bank.rm_gy1, p)
    p.refresh_from_db()
    assert p.status == ProposalStatus.PENDING and waiting_for(p) == ["owner"]
    assert not GroupMembership.objects.filter(group=g, enterprise=parent).exists()
    proposal_confirm(bank.rm_zy1, p, "同意")
    p.refresh_from_db()
    assert p.status == ProposalStatus.CONFIRMED and p.owner_confirmed_by == bank.rm_zy1
    assert GroupMembership.objects.filter(group=g, enterprise=parent, reason=MembershipReason.IDENTIFIED).exists()


def test_head_office_alone_suffices_and_owner_may_reject(bank):
    g = bank.group_gy
    a, b = EnterpriseFactory(branch=bank.zy1, rm=bank.rm_zy1), EnterpriseFactory(branch=bank.zy1, rm=bank.rm_zy1)
    ControlLink.objects.create(parent_enterprise=a, child=g.core_enterprise, share_pct=Decimal("70"))
    ControlLink.objects.create(parent_enterprise=g.core_enterprise, child=b, share_pct=Decimal("30"),
                               control_type="agreement")
    group_membership_refresh(groups=[g])  # b is a member by agreement now; only a is proposed
    refresh()
    p = proposals(g).get(enterprise=a)
    proposal_confirm(bank.hq, p)
    p.refresh_from_db()
    assert p.status == ProposalStatus.CONFIRMED and p.owner_confirmed_by == bank.hq == p.group_confirmed_by


def test_incremental_refresh_touches_only_its_groups(bank):
    parent_zy = EnterpriseFactory(branch=bank.zy1)
    ControlLink.objects.create(parent_enterprise=parent_zy, child=bank.group_zy.core_enterprise,
                               share_pct=Decimal("70"))
    refresh([bank.group_gy.core_enterprise.pk])
    assert not GroupProposal.objects.filter(group=bank.group_zy).exists()
    refresh([parent_zy.pk, bank.group_zy.core_enterprise.pk])
    assert GroupProposal.objects.filter(group=bank.group_zy, enterprise=parent_zy).exists()
    # A run over the candidate alone (no group of its own) leaves the group's proposal alone.
    assert refresh([parent_zy.pk])["withdrawn"] == 0
    assert GroupProposal.objects.filter(group=bank.group_zy, enterprise=parent_zy).exists()


def test_candidate_side_alone_decides_only_for_another_branch(bank):
    """The candidate's RM in the group's own branch sees the proposal but the group's side decides."""
    from django.core.exceptions import PermissionDenied

    from staff.services import staff_create

    g = bank.group_gy
    rm_other = staff_create(username="rm_gy1b", password="pw-test-2026", role="rm", branch=bank.gy1,
                            display_name="rm_gy1b")
    parent = EnterpriseFactory(branch=bank.gy1, rm=rm_other)
    ControlLink.objects.create(parent_enterprise=parent, child=g.core_enterprise, share_pct=Decimal("70"))
    refresh()
    p = proposals(g).get(enterprise=parent)
    assert not p.needs_owner_consent
    assert GroupProposal.objects.for_user(rm_other).filter(pk=p.pk).exists()
    for act in (lambda: proposal_confirm(rm_other, p), lambda: proposal_reject(rm_other, p, "no")):
        with pytest.raises(PermissionDenied):
            act()
