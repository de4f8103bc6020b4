"""Writes on circles: circle members and guarantees. Every interface (page, API, import, task) calls these.

Controlled entities as circle members
-------------------------------------
A group's controlled entities (clients.GroupMembership, derived from the control tree) are members of
its circle in the role "subsidiary" with source "control", without anyone declaring them. They are
*materialised* as CircleMember rows by `circle_control_members_sync`, which
`clients.services.group_membership_refresh` calls for every batch of groups it rebuilds (in the
same transaction), rather than UNIONed into every read. Why:

- one table holds the whole circle, so the member table, its FilterSet, the API, the penetration
  and acquisition aggregates, imports and the enterprise-visibility source all read one model
  with ordinary indexes, and the page's query count stays that of a single-table read;
- the sync is set-based (one DELETE, one bulk INSERT ... ON CONFLICT DO NOTHING, one UPDATE per
  batch of groups), so a full refresh of 10,000 groups stays linear;
- an RM may still declare an entity as a subsidiary; the declared row wins (the sync never
  overwrites it) and the control row is not duplicated.

Control rows are read-only through the services: they change with the control links.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils.translation import gettext as _

from circles.models import CircleMember, CircleRole, CircleSource, Guarantee
from clients.models import Enterprise, GroupClient, GroupMembership
from core.history import set_history_user
from staff.access import scope_for

# --- permission helpers ---------------------------------------------------------------------------


def _ensure_can_edit(user) -> None:
    if not scope_for(user).can_edit_clients:
        raise PermissionDenied(_("Your role may not change client data."))


def _ensure_group_visible(user, group_id: int) -> None:
    if not GroupClient.objects.for_user(user).filter(pk=group_id).exists():
        raise PermissionDenied(_("You do not cover this group client."))


def _save(obj, *, user) -> None:
    obj.full_clean()
    set_history_user(obj, user)
    obj.save()


def _ensure_linkable(user, enterprise: Enterprise, *, field: str) -> None:
    from circles.selectors import linkable_enterprises

    if not linkable_enterprises(user=user).filter(pk=enterprise.pk).exists():
        raise ValidationError({field: _("No enterprise with this credit code.")}, code="unknown_uscc")


# --- controlled entities --------------------------------------------------------------------------


def circle_control_members_sync(*, group_ids: Iterable[int]) -> None:
    """Make the "control" members of the given groups equal to their controlled entities (minus the
    core). Idempotent; three queries whatever the number of groups and members.

    Called by clients.services.group_membership_refresh after it rewrites the memberships."""
    group_ids = list(group_ids)
    if not group_ids:
        return
    controlled = GroupMembership.objects.filter(group_id__in=group_ids).exclude(
        enterprise_id=F("group__core_enterprise_id")
    )
    same = controlled.filter(group_id=OuterRef("group_id"), enterprise_id=OuterRef("enterprise_id"))
    control_rows = CircleMember.objects.filter(group_id__in=group_ids, source=CircleSource.CONTROL)
    # Entities no longer controlled leave the circle (a raw delete: no per-row signals in a batch job).
    stale = control_rows.exclude(Exists(same))
    stale._raw_delete(stale.db)
    # Tiers follow the depth in the control tree.
    control_rows.update(tier=Subquery(same.values("depth")[:1]))
    # Newly controlled entities join; a declared "subsidiary" row for the same entity is kept as is.
    existing = CircleMember.objects.filter(
        group_id=OuterRef("group_id"), enterprise_id=OuterRef("enterprise_id"), role=CircleRole.SUBSIDIARY
    )
    new = controlled.exclude(Exists(existing)).values_list("group_id", "enterprise_id", "depth")
    CircleMember.objects.bulk_create(
        [
            CircleMember(group_id=g, enterprise_id=e, role=CircleRole.SUBSIDIARY, tier=d,
                         source=CircleSource.CONTROL)
            for g, e, d in new
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )


# --- circle members -------------------------------------------------------------------------------


def _check_duplicate(member: CircleMember) -> None:
    """Name the field: the unique constraint alone would report a non-field error."""
    clash = CircleMember.objects.filter(
        group_id=member.group_id, enterprise_id=member.enterprise_id, role=member.role
    ).exclude(pk=member.pk)
    if clash.exists():
        raise ValidationError(
            {"role": _("This enterprise already has this role in the circle.")}, code="duplicate_role"
        )


def _check_not_core(member: CircleMember) -> None:
    if GroupClient.objects.filter(pk=member.group_id, core_enterprise_id=member.enterprise_id).exists():
        raise ValidationError(
            {"enterprise": _("The core enterprise is the centre of the circle, not a member of it.")},
            code="core",
        )


@transaction.atomic
def circle_member_add(
    *,
    user,
    group: GroupClient,
    enterprise: Enterprise,
    role: str,
    tier: int | None = None,
    source: str = CircleSource.DECLARED,
    since: datetime.date | None = None,
    note: str = "",
) -> CircleMember:
    """Add an enterprise to a group's circle in a role. The enterprise then becomes visible to the
    group's coverage (circles.scoping)."""
    _ensure_can_edit(user)
    _ensure_group_visible(user, group.pk)
    if source == CircleSource.CONTROL:
        raise ValidationError(
            {"source": _("Members from the control tree are derived; change the control links instead.")}
        )
    _ensure_linkable(user, enterprise, field="enterprise")
    member = CircleMember(group=group, enterprise=enterprise, role=role, tier=tier, source=source,
                          since=since, note=(note or "").strip())
    _check_not_core(member)
    _check_duplicate(member)
    _save(member, user=user)
    return member


_EDITABLE = {"role", "tier", "source", "since", "note"}
_EDITABLE_ON_CONTROL = {"tier", "since", "note"}


@transaction.atomic
def circle_member_update(*, user, member: CircleMember, **fields) -> CircleMember:
    """Change a member's role, tier, source, since-date or note (group and enterprise stay)."""
    _ensure_can_edit(user)
    member = CircleMember.objects.select_for_update().get(pk=member.pk)
    _ensure_group_visible(user, member.group_id)
    allowed = _EDITABLE_ON_CONTROL if member.source == CircleSource.CONTROL else _EDITABLE
    unknown = set(fields) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(
            {field: _("This field cannot be changed on this member.")
             if member.source != CircleSource.CONTROL
             else _("Members from the control tree are derived; change the control links instead.")}
        )
    if fields.get("source") == CircleSource.CONTROL:
        raise ValidationError({"source": _("Only the control tree makes members with this source.")})
    for key, value in fields.items():
        setattr(member, key, value)
    _check_duplicate(member)
    _save(member, user=user)
    return member


@transaction.atomic
def circle_member_remove(*, user, member: CircleMember) -> None:
    _ensure_can_edit(user)
    _ensure_group_visible(user, member.group_id)
    if member.source == CircleSource.CONTROL:
        raise ValidationError(
            {"source": _("Members from the control tree are derived; change the control links instead.")}
        )
    set_history_user(member, user)
    member.delete()


# --- guarantees -----------------------------------------------------------------------------------


def _ensure_guarantee_visible(user, guarantee: Guarantee) -> None:
    """A guarantee is the user's to change when they see its guarantor or its borrower."""
    ids = [i for i in (guarantee.guarantor_id, guarantee.borrower_id) if i]
    if not Enterprise.objects.for_user(user).filter(pk__in=ids).exists():
        raise PermissionDenied(_("You do not cover these enterprises."))


def _check_guarantee(guarantee: Guarantee) -> None:
    """The model's check constraints, reported on the field at fault."""
    errors = {}
    if guarantee.amount is not None and guarantee.amount <= 0:
        errors["amount"] = _("The amount must be positive.")
    if guarantee.start_date and guarantee.end_date and guarantee.end_date < guarantee.start_date:
        errors["end_date"] = _("The end date cannot be before the start date.")
    if guarantee.guarantor_id and guarantee.guarantor_id == guarantee.borrower_id:
        errors["borrower"] = _("An enterprise cannot guarantee itself.")
    if errors:
        raise ValidationError(errors)


def _normalise_currency(value):
    return (value or "").strip().upper()


@transaction.atomic
def guarantee_create(
    *,
    user,
    guarantor: Enterprise,
    borrower: Enterprise,
    amount: Decimal,
    start_date: datetime.date,
    end_date: datetime.date,
    currency: str = "CNY",
) -> Guarantee:
    _ensure_can_edit(user)
    guarantee = Guarantee(guarantor=guarantor, borrower=borrower, amount=amount,
                          currency=_normalise_currency(currency), start_date=start_date, end_date=end_date)
    _ensure_guarantee_visible(user, guarantee)
    _check_guarantee(guarantee)
    _save(guarantee, user=user)
    return guarantee


@transaction.atomic
def guarantee_update(*, user, guarantee: Guarantee, **fields) -> Guarantee:
    _ensure_can_edit(user)
    guarantee = Guarantee.objects.select_for_update().get(pk=guarantee.pk)
    _ensure_guarantee_visible(user, guarantee)
    allowed = {"guarantor", "borrower", "amount", "currency", "start_date", "end_date"}
    for key, value in fields.items():
        if key not in allowed:
            raise ValidationError({key: _("This field cannot be changed.")})
        setattr(guarantee, key, _normalise_currency(value) if key == "currency" else value)
    _ensure_guarantee_visible(user, guarantee)
    _check_guarantee(guarantee)
    _save(guarantee, user=user)
    return guarantee


@transaction.atomic
def guarantee_delete(*, user, guarantee: Guarantee) -> None:
    _ensure_can_edit(user)
    _ensure_guarantee_visible(user, guarantee)
    set_history_user(guarantee, user)
    guarantee.delete()


__all__ = [
    "circle_control_members_sync",
    "circle_member_add",
    "circle_member_update",
    "circle_member_remove",
    "guarantee_create",
    "guarantee_update",
    "guarantee_delete",
]
