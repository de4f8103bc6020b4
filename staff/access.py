"""The one scoping mechanism (DESIGN.md section 4).

- Head office (and superusers) see everything.
- A branch head or risk officer sees everything owned by their branch subtree, and the enterprises
  in the circles of those groups.
- An RM sees the groups they cover (lead RM or coverage team) and the enterprises in those groups'
  circles, plus enterprises they are the RM of.
- A user without a staff profile sees nothing.

Every queryset that holds client data has a `for_user(user)` method built from the two functions
below; every page view and API viewset goes through it, so the rules live here only.
Apps add where enterprises come from (group membership, circle members, ...) by registering an
"enterprise source": a function from a queryset of visible groups to a queryset of enterprise ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from staff.models import Role

EnterpriseSource = Callable[[QuerySet], QuerySet]
_enterprise_sources: list[EnterpriseSource] = []


def register_enterprise_source(source: EnterpriseSource) -> EnterpriseSource:
    """Register a function mapping visible groups to the ids of enterprises they make visible."""
    if source not in _enterprise_sources:
        _enterprise_sources.append(source)
    return source


@dataclass(frozen=True)
class Scope:
    """What a user's role and branch say about their reach."""

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
        return self.role in (Role.BRANCH_HEAD, Role.RISK_OFFICER)

    @property
    def can_edit_clients(self) -> bool:
        """Risk officers read client data; they act on alerts and limits, not on client records."""
        return self.sees_all or self.role in (Role.RM, Role.BRANCH_HEAD)


def scope_for(user) -> Scope:
    """The user's scope, cached on the user object for the request."""
    cached = getattr(user, "_crm_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        scope = Scope(None, None, None, None, False)
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


def sees_unmasked_identity(user) -> bool:
    """Identity numbers of natural persons are shown in full to head office only."""
    return scope_for(user).sees_all


def branch_subtree_q(scope: Scope, field: str) -> Q:
    return Q(**{f"{field}__path__startswith": scope.branch_path})


def visible_groups(user, queryset: QuerySet) -> QuerySet:
    """Filter a GroupClient queryset to what the user may see."""
    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if scope.sees_nothing:
        return queryset.none()
    if scope.is_branch_wide:
        return queryset.filter(branch_subtree_q(scope, "branch"))
    # RM: lead or coverage team member. A subquery keeps the result free of join duplicates; as a
    # UNION of the two index lookups (lead RM, team rows of the user) rather than an OR over a LEFT
    # JOIN of every group with every team row, which PostgreSQL can only answer by scanning both.
    model = queryset.model
    led = model.objects.filter(lead_rm_id=scope.user_id).order_by().values("pk")
    on_team = model.team.through.objects.filter(user_id=scope.user_id).order_by().values(
        f"{model._meta.model_name}_id"
    )
    return queryset.filter(pk__in=led.union(on_team))


def visible_enterprises(user, queryset: QuerySet) -> QuerySet:
    """Filter an Enterprise queryset to what the user may see."""
    from clients.models import GroupClient

    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if scope.sees_nothing:
        return queryset.none()
    groups = visible_groups(user, GroupClient.objects.all())
    condition = Q()
    for source in _enterprise_sources:
        condition |= Q(pk__in=source(groups))
    if scope.is_branch_wide:
        condition |= branch_subtree_q(scope, "branch")
    else:
        condition |= Q(rm_id=scope.user_id)
    return queryset.filter(condition)


def restrict_to_visible_enterprises(user, queryset: QuerySet, *fields: str) -> QuerySet:
    """Filter a queryset to the rows where at least one of `fields` (enterprise foreign keys) points to
    an enterprise the user sees: the rule every "visible where its enterprise is" queryset applies.

    Head office sees every enterprise, so the filter is left out for them rather than written as
    `field IN (SELECT id FROM every enterprise)`: for a non-null foreign key that is always true, but
    PostgreSQL still hashes the whole enterprise table to check it. Nullable fields keep the filter
    (a NULL there matches nothing) unless another, non-null field of the list already matches all."""
    scope = scope_for(user)
    if scope.sees_nothing:
        return queryset.none()
    model = queryset.model
    if scope.sees_all and any(not model._meta.get_field(f).null for f in fields):
        return queryset
    from clients.models import Enterprise

    visible = Enterprise.objects.for_user(user)
    condition = Q()
    for f in fields:
        condition |= Q(**{f"{f}__in": visible})
    return queryset.filter(condition)
