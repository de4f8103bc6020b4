"""Template filters every app uses."""

from django import template

from staff.models import staff_name as _staff_name

register = template.Library()


@register.filter
def staff_name(user) -> str:
    """A member of staff as people see them: `{{ group.lead_rm|staff_name }}`."""
    return _staff_name(user) or "—"
