"""Writes on branches and staff."""

from django.contrib.auth import get_user_model
from django.db import transaction

from staff.models import Branch, BranchLevel, StaffProfile


@transaction.atomic
def branch_create(*, code: str, name: str, level: str, parent: Branch | None = None) -> Branch:
    """Create a branch and set its materialised path ("/<root id>/.../<own id>/")."""
    if (level == BranchLevel.HEAD_OFFICE) != (parent is None):
        raise ValueError("Only the head office has no parent")
    branch = Branch.objects.create(code=code, name=name, level=level, parent=parent)
    branch.path = f"{parent.path if parent else '/'}{branch.pk}/"
    branch.save(update_fields=["path"])
    return branch


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, branch: Branch, display_name: str = "",
                 is_staff: bool = False):
    """Create a login with its role and branch."""
    user = get_user_model().objects.create_user(username=username, password=password, is_staff=is_staff)
    StaffProfile.objects.create(user=user, role=role, branch=branch, display_name=display_name)
    return user
