"""A user's reach, as their role and branch define it: the ground every access rule stands on.

This module knows staff only (roles, branches). What a reach means for client data (the three levels
of DESIGN.md section 4: full record, counterparty, registry card) is `clients.access`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from staff.models import Role


@dataclass(frozen=True)
class Scope:
    """What a user's role and branch say about their reach and the changes they may make."""

    user_id: int | None
    role: str | None
    branch_id: int | None
    branch_path: str | None
    sees_all: bool

    @property
    def sees_nothing(self) -> bool:
        return not self.sees_all and self.role is None

    @property
    def is_branch_wide(self) -> bool:
        """Branch heads and risk officers reach their whole branch subtree."""
        return not self.sees_all and self.role in (Role.BRANCH_HEAD, Role.RISK_OFFICER)

    @property
    def is_rm(self) -> bool:
        return not self.sees_all and self.role == Role.RM

    @property
    def can_edit_clients(self) -> bool:
        """Risk officers read client data; they act on alerts, limits and ratings, not on client records."""
        return self.sees_all or self.role in (Role.RM, Role.BRANCH_HEAD)

    @property
    def can_set_limits_and_ratings(self) -> bool:
        """Unified credit limits and internal ratings: risk officers and head office, never RMs."""
        return self.sees_all or self.role == Role.RISK_OFFICER

    @property
    def can_approve(self) -> bool:
        """Transfers and control-link proposals are approved by branch heads (their subtree) or head office."""
        return self.sees_all or self.role == Role.BRANCH_HEAD

    def covers_branch(self, branch) -> bool:
        """Whether a branch (or its materialised path) lies in the user's branch subtree."""
        if self.sees_all:
            return True
        path = getattr(branch, "path", branch)
        return bool(self.branch_path and path and str(path).startswith(self.branch_path))


NO_SCOPE = Scope(None, None, None, None, False)


def scope_for(user) -> Scope:
    """The user's scope, cached on the user object for the request."""
    cached = getattr(user, "_crm_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        scope = NO_SCOPE
    else:
        from staff.models import StaffProfile

        profile = StaffProfile.objects.select_related("branch").filter(user_id=user.pk).first()
        role = profile.role if profile else None
        sees_all = bool(user.is_superuser or role == Role.HQ_ADMIN)
        scope = Scope(
            user_id=user.pk,
            role=role,
            branch_id=profile.branch_id if profile else None,
            branch_path=profile.branch.path if profile else None,
            sees_all=sees_all,
        )
    try:
        user._crm_scope = scope
    except AttributeError:  # pragma: no cover - exotic user objects
        pass
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope (after a role or branch change in the same request or test)."""
    if hasattr(user, "_crm_scope"):
        del user._crm_scope


def branch_subtree_q(scope: Scope, field: str) -> Q:
    """Rows whose `field` (a Branch foreign key) lies in the user's branch subtree."""
    return Q(**{f"{field}__path__startswith": scope.branch_path})
