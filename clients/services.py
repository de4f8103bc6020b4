"""Writes on client data. Every interface (page, API, admin, command, task) calls these.

Each service checks that the acting user may make the change, validates, writes atomically and
records who made it in the change history.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.control import Edge, Graph, derive
from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    Person,
)
from clients.validators import normalize_uscc
from core.history import set_history_user
from staff.access import scope_for
from staff.models import Role

# --- permission helpers ---------------------------------------------------------------------------


def _ensure_can_edit_clients(user) -> None:
    if not scope_for(user).can_edit_clients:
        raise PermissionDenied(_("Your role may not change client data."))


def _ensure_visible(user, obj) -> None:
    """Re-check inside the transaction that the object is (still) the user's to change."""
    if not type(obj).objects.for_user(user).filter(pk=obj.pk).exists():
        raise PermissionDenied(_("You do not cover this client."))


def _save(obj, *, user, exclude: Iterable[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude))
    set_history_user(obj, user)
    obj.save()


def _apply(obj, data: dict) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


# --- enterprises -----------------------------------------------------------------------------------


@transaction.atomic
def enterprise_create(*, user, name: str, uscc: str, **fields) -> Enterprise:
    """Create an enterprise. Only a name and a valid credit code are needed (prospects often come so).

    An RM who creates one becomes its RM, and it belongs to their branch unless said otherwise."""
    _ensure_can_edit_clients(user)
    scope = scope_for(user)
    enterprise = Enterprise(name=name.strip(), uscc=normalize_uscc(uscc), **fields)
    if enterprise.branch_id is None and scope.branch_id and not scope.sees_all:
        enterprise.branch_id = scope.branch_id
    if enterprise.rm_id is None and scope.role == Role.RM:
        enterprise.rm_id = user.pk
    _save(enterprise, user=user)
    _ensure_visible(user, enterprise)
    return enterprise


@transaction.atomic
def enterprise_update(*, user, enterprise: Enterprise, **fields) -> Enterprise:
    _ensure_can_edit_clients(user)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _ensure_visible(user, enterprise)
    if "uscc" in fields:
        fields["uscc"] = normalize_uscc(fields["uscc"])
    _apply(enterprise, fields)
    _save(enterprise, user=user)
    # An edit may not move the enterprise out of the editor's own reach (e.g. an RM handing it to
    # another branch): that is the branch head's decision. Raising rolls the change back.
    _ensure_visible(user, enterprise)
    return enterprise


# --- persons ---------------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, user, name: str, id_number: str) -> Person:
    _ensure_can_edit_clients(user)
    person = Person(name=name.strip(), id_number=id_number.strip().upper())
    _save(person, user=user)
    return person


# --- group clients ---------------------------------------------------------------------------------


@transaction.atomic
def group_client_create(*, user, name: str, core_enterprise: Enterprise, lead_rm, branch, team=(),
                        **fields) -> GroupClient:
    _ensure_can_edit_clients(user)
    _ensure_visible(user, core_enterprise)
    group = GroupClient(name=name.strip(), core_enterprise=core_enterprise, lead_rm=lead_rm, branch=branch,
                        **fields)
    _save(group, user=user)
    group.team.set(team)
    group_membership_refresh(groups=[group])
    _ensure_visible(user, group)
    return group


@transaction.atomic
def group_client_update(*, user, group: GroupClient, team=None, **fields) -> GroupClient:
    _ensure_can_edit_clients(user)
    group = GroupClient.objects.select_for_update().get(pk=group.pk)
    _ensure_visible(user, group)
    core_changed = "core_enterprise" in fields and fields["core_enterprise"].pk != group.core_enterprise_id
    _apply(group, fields)
    _save(group, user=user)
    if team is not None:
        group.team.set(team)
    if core_changed:
        group_membership_refresh(groups=[group])
    _ensure_visible(user, group)
    return group


# --- control links and membership --------------------------------------------------------------------


def _groups_touched_by(link: ControlLink) -> list[GroupClient]:
    """Groups whose membership may change when this link appears, changes or goes."""
    enterprise_ids = {link.child_id}
    if link.parent_enterprise_id:
        enterprise_ids.add(link.parent_enterprise_id)
    if link.parent_person_id:
        enterprise_ids.update(
            ControlLink.objects.filter(parent_person_id=link.parent_person_id).values_list("child_id", flat=True)
        )
    return list(
        GroupClient.objects.filter(
            Q(memberships__enterprise_id__in=enterprise_ids) | Q(core_enterprise_id__in=enterprise_ids)
        ).distinct()
    )


def _check_link_visible(user, link: ControlLink) -> None:
    """A link is the user's to change only when they see both ends: otherwise an RM could pull an
    enterprise into (or out of) a group they do not cover."""
    ids = {link.child_id} | ({link.parent_enterprise_id} if link.parent_enterprise_id else set())
    if Enterprise.objects.for_user(user).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied(_("You do not cover these enterprises."))


@transaction.atomic
def control_link_create(*, user, child: Enterprise, share_pct: Decimal, control_type: str = "equity",
                        parent_enterprise: Enterprise | None = None, parent_person: Person | None = None,
                        note: str = "") -> ControlLink:
    """Record that a parent (enterprise or person) holds or controls a child; refresh the groups."""
    _ensure_can_edit_clients(user)
    link = ControlLink(parent_enterprise=parent_enterprise, parent_person=parent_person, child=child,
                       share_pct=share_pct, control_type=control_type, note=note)
    _check_link_visible(user, link)
    _save(link, user=user)
    group_membership_refresh(groups=_groups_touched_by(link))
    return link


@transaction.atomic
def control_link_update(*, user, link: ControlLink, **fields) -> ControlLink:
    _ensure_can_edit_clients(user)
    link = ControlLink.objects.select_for_update().get(pk=link.pk)
    _check_link_visible(user, link)
    before = _groups_touched_by(link)
    _apply(link, fields)
    _check_link_visible(user, link)
    _save(link, user=user)
    group_membership_refresh(groups={g.pk: g for g in [*before, *_groups_touched_by(link)]}.values())
    return link


@transaction.atomic
def control_link_delete(*, user, link: ControlLink) -> None:
    _ensure_can_edit_clients(user)
    # The stored row, not the caller's copy: the history records what was actually removed.
    link = ControlLink.objects.select_for_update().get(pk=link.pk)
    _check_link_visible(user, link)
    touched = _groups_touched_by(link)
    set_history_user(link, user)
    link.delete()
    group_membership_refresh(groups=touched)


def _load_edges() -> list[Edge]:
    rows = ControlLink.objects.values_list(
        "parent_enterprise_id", "parent_person_id", "child_id", "share_pct", "control_type"
    )
    return [
        Edge(("e", pe) if pe else ("p", pp), ("e", child), share, ctype)
        for pe, pp, child, share, ctype in rows.iterator(chunk_size=5000)
    ]


def _component_edges(core_ids: Iterable[int]) -> list[Edge]:
    """The links reachable downward from the given cores and from the persons who control them.

    Walks the graph in SQL one level at a time, so a refresh of a few groups reads only their part."""
    frontier_e = set(core_ids)
    frontier_p = set(
        ControlLink.objects.filter(child_id__in=frontier_e, parent_person__isnull=False)
        .values_list("parent_person_id", flat=True)
    )
    seen_e: set[int] = set()
    seen_p: set[int] = set()
    edges: dict[int, Edge] = {}
    # The person -> core links themselves are needed to find the controlling persons.
    for pk, pp, child, share, ctype in ControlLink.objects.filter(
        child_id__in=frontier_e, parent_person__isnull=False
    ).values_list("pk", "parent_person_id", "child_id", "share_pct", "control_type"):
        edges[pk] = Edge(("p", pp), ("e", child), share, ctype)
    while frontier_e or frontier_p:
        seen_e |= frontier_e
        seen_p |= frontier_p
        rows = ControlLink.objects.filter(
            Q(parent_enterprise_id__in=frontier_e) | Q(parent_person_id__in=frontier_p)
        ).values_list("pk", "parent_enterprise_id", "parent_person_id", "child_id", "share_pct", "control_type")
        next_e: set[int] = set()
        for pk, pe, pp, child, share, ctype in rows:
            edges[pk] = Edge(("e", pe) if pe else ("p", pp), ("e", child), share, ctype)
            if child not in seen_e:
                next_e.add(child)
        frontier_e, frontier_p = next_e, set()
    return list(edges.values())


def group_membership_refresh(*, groups: Iterable[GroupClient] | None = None, chunk_size: int = 500) -> int:
    """Rebuild the derived membership of the given groups (all groups when None). Idempotent.

    Returns the number of membership rows written."""
    from clients.models import MembershipReason

    if groups is None:
        graph = Graph(_load_edges())
        group_iter = GroupClient.objects.order_by("pk").only("pk", "core_enterprise_id").iterator(
            chunk_size=chunk_size
        )
    else:
        groups = list(groups)
        graph = Graph(_component_edges(g.core_enterprise_id for g in groups))
        group_iter = iter(groups)

    names: dict[int, str] = {}
    written = 0
    now = timezone.now()
    batch: list[tuple[GroupClient, list[GroupMembership], list[dict]]] = []

    def flush():
        nonlocal written
        if not batch:
            return
        with transaction.atomic():
            GroupMembership.objects.filter(group_id__in=[g.pk for g, _, _ in batch]).delete()
            rows = [m for _, members, _ in batch for m in members]
            GroupMembership.objects.bulk_create(rows, batch_size=5000)
            stamped = [GroupClient(pk=g.pk, membership_refreshed_at=now, membership_warnings=warnings)
                       for g, _, warnings in batch]
            GroupClient.objects.bulk_update(stamped, ["membership_refreshed_at", "membership_warnings"],
                                            batch_size=1000)
            # Controlled entities are circle members (role subsidiary, source control).
            from circles.services import circle_control_members_sync

            circle_control_members_sync(group_ids=[g.pk for g, _, _ in batch])
            written += len(rows)
        batch.clear()

    for group in group_iter:
        result = derive(("e", group.core_enterprise_id), graph)
        members = [
            GroupMembership(
                group_id=group.pk, enterprise_id=node[1], depth=c.depth, controlled_share=c.share,
                via_id=c.via[1] if c.via and c.via[0] == "e" else None, via_share=c.via_share,
                reason={"core": MembershipReason.CORE, "majority": MembershipReason.MAJORITY}.get(
                    c.reason, MembershipReason.ACTUAL),
            )
            for node, c in result.members.items()
            if node[0] == "e"
        ]
        warnings = []
        for cycle in result.cycles:
            ids = [n[1] for n in cycle if n[0] == "e"]
            missing = [i for i in ids if i not in names]
            if missing:
                names.update(Enterprise.objects.filter(pk__in=missing).values_list("pk", "name"))
            warnings.append(
                {"kind": "cycle", "enterprises": ids, "names": [names.get(i, str(i)) for i in ids]}
            )
        batch.append((group, members, warnings))
        if len(batch) >= chunk_size:
            flush()
    flush()
    return written


# --- financials, accounts, interactions -------------------------------------------------------------


@transaction.atomic
def financial_statement_upsert(*, user, enterprise: Enterprise, period_end, period_type: str,
                               **figures) -> FinancialStatement:
    """Create or replace the statement of one enterprise for one period."""
    _ensure_can_edit_clients(user)
    _ensure_visible(user, enterprise)
    statement = (
        FinancialStatement.objects.select_for_update()
        .filter(enterprise=enterprise, period_end=period_end, period_type=period_type)
        .first()
    ) or FinancialStatement(enterprise=enterprise, period_end=period_end, period_type=period_type)
    _apply(statement, figures)
    _save(statement, user=user)
    return statement


@transaction.atomic
def bank_account_create(*, user, enterprise: Enterprise, account_no: str, kind: str, **fields) -> BankAccount:
    _ensure_can_edit_clients(user)
    _ensure_visible(user, enterprise)
    account = BankAccount(enterprise=enterprise, account_no=account_no.strip(), kind=kind, **fields)
    _save(account, user=user)
    return account


@transaction.atomic
def account_balance_record(*, user, account: BankAccount, date, balance: Decimal) -> AccountBalance:
    """Record (or correct) the end-of-day balance of an account."""
    _ensure_can_edit_clients(user)
    _ensure_visible(user, account.enterprise)
    row, _created = AccountBalance.objects.update_or_create(account=account, date=date,
                                                             defaults={"balance": balance})
    return row


@transaction.atomic
def interaction_log(*, user, enterprise: Enterprise, kind: str, occurred_at, subject: str,
                    notes: str = "") -> Interaction:
    _ensure_can_edit_clients(user)
    _ensure_visible(user, enterprise)
    interaction = Interaction(enterprise=enterprise, staff=user, kind=kind, occurred_at=occurred_at,
                              subject=subject.strip(), notes=notes)
    _save(interaction, user=user)
    return interaction
