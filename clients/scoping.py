"""Enterprises made visible by a group: its derived members (the core included)."""

from staff.access import register_enterprise_source


@register_enterprise_source
def group_members(groups):
    from clients.models import GroupMembership

    return GroupMembership.objects.filter(group__in=groups).values("enterprise_id")
