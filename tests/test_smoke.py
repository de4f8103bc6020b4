from clients.models import GroupMembership


def test_bank_fixture_builds_groups_with_members(bank):
    assert GroupMembership.objects.filter(group=bank.group_gy).count() == 3
