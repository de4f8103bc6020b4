"""Writes on circles: circle members and guarantees. Every interface (page, API, import, task) calls these.

Controlled entities as circle members
-------------------------------------
A group's controlled entities (clients.GroupMembership, derived from the control tree) are members of
its circle in the role "subsidiary" with source "control", without anyone declaring them. They are
*materialised* as CircleMember rows by `circle_control_members_sync`, connected to the hook
`clients.hooks.membership_rebuilt` that the membership refresh sends for every batch of groups it
rebuilds (in the same transaction), rather than UNIONed into every read. Why:

- one table holds the whole circle, so the member table, its FilterSet, the API, the penetration
  and acquisition aggregates, imports and the enterprise-visibility source all read one model
  with ordinary indexes, and the page's query count stays that of a single-table read;
- the sync is set-based (one DELETE of the few rows that left, one UPDATE, one bulk INSERT per batch
  of groups, each with its history rows), so a full refresh of 10,000 groups stays linear;
- an RM may still declare an entity as a subsidiary; the declared row wins (the sync never
  overwrites it) and the control row is not duplicated.

Control rows are read-only through the services: they change with the control links.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from circles import rules
from circles.models import CircleMember, CircleRole, CircleSource, Guarantee
from clients import access
from clients.models import Enterprise, GroupClient, GroupMembership
from core.history import save_with_history, set_history_user
from core.permissions import ensure_can_edit_clients

CONTROL_REASON = "control tree"

# --- reach checks ---------------------------------------------------------------------------------


def _ensure_group_in_reach(user, group_id: int) -> None:
    """A circle member belongs to a group the user covers (re-checked inside the transaction)."""
    if not GroupClient.objects.for_user(user).filter(pk=group_id).exists():
        raise PermissionDenied(_("You do not cover this group client."))


# --- controlled entities --------------------------------------------------------------------------


def circle_control_members_sync(*, group_ids: Iterable[int]) -> None:
    """Make the "control" members of the given groups equal to their controlled entities (minus the
    core). Idempotent; a fixed number of queries whatever the number of groups and members, and every
    row that joins or leaves gets its history row ("control tree").

    Connected to clients.hooks.membership_rebuilt (circles.apps)."""
    group_ids = list(group_ids)
    if not group_ids:
        return
    controlled = GroupMembership.objects.filter(group_id__in=group_ids).exclude(
        enterprise_id=F("group__core_enterprise_id")
    )
    same = controlled.filter(group_id=OuterRef("group_id"), enterprise_id=OuterRef("enterprise_id"))
    control_rows = CircleMember.objects.filter(group_id__in=group_ids, source=CircleSource.CONTROL)
    # Entities no longer controlled leave the circle (few rows: those whose control changed).
    for member in control_rows.exclude(Exists(same)):
        set_history_user(member, None, CONTROL_REASON)
        member.delete()
    # Tiers follow the depth in the control tree.
    control_rows.update(tier=Subquery(same.values("depth")[:1]))
    # Newly controlled entities join; a declared "subsidiary" row for the same entity is kept as is.
    existing = CircleMember.objects.filter(
        group_id=OuterRef("group_id"), enterprise_id=OuterRef("enterprise_id"), role=CircleRole.SUBSIDIARY
    )
    new = controlled.exclude(Exists(existing)).values_list("group_id", "enterprise_id", "depth")
    bulk_create_with_history(
        [
            CircleMember(group_id=g, enterprise_id=e, role=CircleRole.SUBSIDIARY, tier=d,
                         source=CircleSource.CONTROL)
            for g, e, d in new
        ],
        CircleMember,
        batch_size=5000,
        default_change_reason=CONTROL_REASON,
    )


def on_membership_rebuilt(*, group_ids, **kwargs) -> None:
    circle_control_members_sync(group_ids=group_ids)


# --- circle members -------------------------------------------------------------------------------


def circle_member_check(member: CircleMember) -> None:
    """The rules of one circle member, said on the field at fault (the page, the API and the import
    all run them): not the group's core, not a derived source, not a role it already has."""
    if member.source == CircleSource.CONTROL:
        raise ValidationError(
            {"source": _("Members from the control tree are derived; change the control links instead.")}
        )
    if rules.core_pairs([(member.group_id, member.enterprise_id)]):
        raise ValidationError({"enterprise": rules.CORE_MESSAGE}, code="core")
    clash = CircleMember.objects.filter(
        group_id=member.group_id, enterprise_id=member.enterprise_id, role=member.role
    ).exclude(pk=member.pk)
    if clash.exists():
        raise ValidationError(
            {"role": _("This enterprise already has this role in the circle.")}, code="duplicate_role"
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
    """Add an enterprise on file to the circle of a group the user covers, in a role. The enterprise
    becomes the group coverage's counterparty (its card, its role, its flows with their own record),
    never more (clients.access)."""
    ensure_can_edit_clients(user)
    _ensure_group_in_reach(user, group.pk)
    member = CircleMember(group=group, enterprise=enterprise, role=role, tier=tier, source=source,
                          since=since, note=(note or "").strip())
    circle_member_check(member)
    save_with_history(member, user=user)
    return member


@transaction.atomic
def circle_members_join(*, user, members: Iterable[tuple[int, int, str, int | None]],
                        source: str = CircleSource.DETECTED, reason: str = "") -> list[CircleMember]:
    """Add partners to the circles of groups the user covers, many at once: (group id, enterprise id,
    role, tier) rows. Idempotent: an enterprise already in the group's circle (in any role) is left as
    it is, the group's core is never added, the first row for a pair wins. A fixed number of queries
    whatever the number of rows; every new member gets its history row, authored by `user`.

    Used by chains.services when a link is confirmed (the partner joins in the same transaction)."""
    ensure_can_edit_clients(user)
    wanted: dict[tuple[int, int], tuple[str, int | None]] = {}
    for group_id, enterprise_id, role, tier in members:
        wanted.setdefault((group_id, enterprise_id), (CircleRole(role).value, tier))
    if not wanted:
        return []
    group_ids = {g for g, _e in wanted}
    if set(GroupClient.objects.for_user(user).filter(pk__in=group_ids).values_list("pk", flat=True)) != group_ids:
        raise PermissionDenied(_("You do not cover this group client."))
    present = set(
        CircleMember.objects.filter(group_id__in=group_ids, enterprise_id__in={e for _g, e in wanted})
        .values_list("group_id", "enterprise_id")
    )
    skip = present | rules.core_pairs(wanted)
    new = [CircleMember(group_id=g, enterprise_id=e, role=role, tier=tier, source=source)
           for (g, e), (role, tier) in wanted.items() if (g, e) not in skip]
    with transaction.atomic():  # a concurrent writer adding the same member refuses cleanly
        try:
            bulk_create_with_history(new, CircleMember, batch_size=5000, default_user=user,
                                     default_change_reason=reason or None)
        except IntegrityError:
            raise ValidationError(
                {"role": _("This enterprise already has this role in the circle.")}, code="duplicate_role"
            ) from None
    return new


_EDITABLE = {"role", "tier", "source", "since", "note"}
_EDITABLE_ON_CONTROL = {"tier", "since", "note"}


@transaction.atomic
def circle_member_update(*, user, member: CircleMember, **fields) -> CircleMember:
    """Change a member's role, tier, source, since-date or note (group and enterprise stay)."""
    ensure_can_edit_clients(user)
    member = CircleMember.objects.select_for_update().get(pk=member.pk)
    _ensure_group_in_reach(user, member.group_id)
    is_control = member.source == CircleSource.CONTROL
    unknown = set(fields) - (_EDITABLE_ON_CONTROL if is_control else _EDITABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(
            {field: _("Members from the control tree are derived; change the control links instead.")
             if is_control else _("This field cannot be changed on this member.")}
        )
    for key, value in fields.items():
        setattr(member, key, value)
    if not is_control:
        circle_member_check(member)
    save_with_history(member, user=user)
    return member


@transaction.atomic
def circle_member_remove(*, user, member: CircleMember) -> None:
    ensure_can_edit_clients(user)
    _ensure_group_in_reach(user, member.group_id)
    if member.source == CircleSource.CONTROL:
        raise ValidationError(
            {"source": _("Members from the control tree are derived; change the control links instead.")}
        )
    set_history_user(member, user)
    member.delete()


# --- guarantees -----------------------------------------------------------------------------------


def guarantee_check(user, guarantee: Guarantee) -> None:
    """The rules of one guarantee, said on the field at fault: one party in the user's full record,
    a positive amount, a period in order, two different parties."""
    errors = {}
    if not access.full_record_ids(user, [guarantee.guarantor_id, guarantee.borrower_id]):
        errors["guarantor"] = _("The guarantor or the borrower must be an enterprise you cover.")
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


def _ensure_guarantee_in_reach(user, guarantee: Guarantee) -> None:
    if not access.full_record_ids(user, [guarantee.guarantor_id, guarantee.borrower_id]):
        raise PermissionDenied(_("You do not cover these enterprises."))


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
    ensure_can_edit_clients(user)
    guarantee = Guarantee(guarantor=guarantor, borrower=borrower, amount=amount,
                          currency=_normalise_currency(currency), start_date=start_date, end_date=end_date)
    guarantee_check(user, guarantee)
    save_with_history(guarantee, user=user)
    _refresh_risk_later([guarantor.pk, borrower.pk])
    return guarantee


def _refresh_risk_later(enterprise_ids) -> None:
    """Guarantees feed the early-warning rules (overreach, cycles, contagion): the parties' rules run
    again through the outbox, in the caller's transaction (risk.tasks)."""
    from risk.tasks import queue_enterprises_refresh

    queue_enterprises_refresh(enterprise_ids)


@transaction.atomic
def guarantee_update(*, user, guarantee: Guarantee, **fields) -> Guarantee:
    ensure_can_edit_clients(user)
    guarantee = Guarantee.objects.select_for_update().get(pk=guarantee.pk)
    _ensure_guarantee_in_reach(user, guarantee)
    parties_before = [guarantee.guarantor_id, guarantee.borrower_id]
    allowed = {"guarantor", "borrower", "amount", "currency", "start_date", "end_date"}
    for key, value in fields.items():
        if key not in allowed:
            raise ValidationError({key: _("This field cannot be changed.")})
        setattr(guarantee, key, _normalise_currency(value) if key == "currency" else value)
    guarantee_check(user, guarantee)
    save_with_history(guarantee, user=user)
    _refresh_risk_later([*parties_before, guarantee.guarantor_id, guarantee.borrower_id])
    return guarantee


@transaction.atomic
def guarantee_delete(*, user, guarantee: Guarantee) -> None:
    ensure_can_edit_clients(user)
    _ensure_guarantee_in_reach(user, guarantee)
    set_history_user(guarantee, user)
    _refresh_risk_later([guarantee.guarantor_id, guarantee.borrower_id])
    guarantee.delete()
