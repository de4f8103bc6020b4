"""Enterprises made visible by a group: its declared, imported and detected circle members."""

from staff.access import register_enterprise_source


@register_enterprise_source
def circle_members(groups):
    from circles.models import CircleMember

    return CircleMember.objects.filter(group__in=groups).values("enterprise_id")
