"""Controlled entities from the control tree are circle members without anyone declaring them."""

from decimal import Decimal

from circles.models import CircleMember, CircleRole, CircleSource
from circles.services import circle_member_add
from clients.models import GroupMembership
from clients.services import control_link_create, control_link_delete, group_membership_refresh
from tests.factories import EnterpriseFactory


def _control_members(group):
    return set(
        CircleMember.objects.filter(group=group, source=CircleSource.CONTROL).values_list("enterprise_id", "role")
    )


def test_controlled_entities_appear_as_subsidiaries_without_declaration(bank):
    group = bank.group_gy
    controlled = set(
        GroupMembership.objects.filter(group=group)
        .exclude(enterprise_id=group.core_enterprise_id)
        .values_list("enterprise_id", flat=True)
    )
    assert len(controlled) == 2
    assert _control_members(group) == {(pk, CircleRole.SUBSIDIARY) for pk in controlled}
    # The core is the centre, not a member.
    assert not CircleMember.objects.filter(group=group, enterprise_id=group.core_enterprise_id).exists()
    assert set(CircleMember.objects.filter(group=group, source=CircleSource.CONTROL).values_list("tier", flat=True)) == {1}


def test_new_control_link_adds_member_and_removed_link_drops_it(bank):
    group = bank.group_gy
    child = EnterpriseFactory(branch=bank.gy1)
    grandchild = EnterpriseFactory(branch=bank.gy1)
    link = control_link_create(user=bank.hq, parent_enterprise=group.core_enterprise, child=child,
                               share_pct=Decimal("51"))
    control_link_create(user=bank.hq, parent_enterprise=child, child=grandchild, share_pct=Decimal("80"))
    rows = dict(CircleMember.objects.filter(group=group, source=CircleSource.CONTROL).values_list("enterprise_id", "tier"))
    assert rows[child.pk] == 1 and rows[grandchild.pk] == 2

    control_link_delete(user=bank.hq, link=link)
    ids = {e for e, _ in _control_members(group)}
    assert child.pk not in ids and grandchild.pk not in ids


def test_declared_subsidiary_is_kept_and_not_duplicated_by_the_control_tree(bank):
    group = bank.group_gy
    child = EnterpriseFactory(branch=bank.gy1, rm=bank.rm_gy1)
    circle_member_add(user=bank.rm_gy1, group=group, enterprise=child, role=CircleRole.SUBSIDIARY)
    control_link_create(user=bank.rm_gy1, parent_enterprise=group.core_enterprise, child=child,
                        share_pct=Decimal("70"))
    rows = CircleMember.objects.filter(group=group, enterprise=child)
    assert [(r.role, r.source) for r in rows] == [(CircleRole.SUBSIDIARY, CircleSource.DECLARED)]
    group_membership_refresh(groups=[group])  # idempotent
    assert CircleMember.objects.filter(group=group, enterprise=child).count() == 1
