"""Writes on client data. Every interface (page, API, import, admin, command, task) calls these.

Each service checks that the acting user may make the change (role: core.permissions; reach:
clients.access), validates with field-named errors, writes atomically and records who made it in the
change history. The sensitive fields of DESIGN.md section 4 have their own services:

- ownership (owning branch, RM, lead RM, coverage team) changes only through a transfer request
  (clients.approvals) or a claim of an unowned prospect; head office may set it directly;
- unified credit limits and internal ratings are set by risk officers and head office
  (`group_limit_set`, `enterprise_rating_set`), never through the ordinary edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from clients.control import Edge, Graph, derive
from clients.hooks import membership_rebuilt
from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    EnterpriseClaim,
    FinancialStatement,
    GroupClient,
    GroupMembership,
    Interaction,
    Person,
    Rating,
)
from clients.validators import normalize_uscc
from core.history import save_with_history, set_history_user
from core.jobs import transaction_lock
from core.permissions import ensure_can_edit_clients, ensure_can_set_limits_and_ratings
from staff.models import Role
from staff.scope import scope_for

MEMBERSHIP_ROWS_LOCK = "clients.membership_rows"

OWNERSHIP_MESSAGE = _("The owning branch and the RMs change through a transfer request, approved by the "
                      "branch heads concerned.")


# --- reach checks -----------------------------------------------------------------------------------------


def ensure_full_record(user, obj) -> None:
    """Re-check inside the transaction that the enterprise or group is (still) the user's to change."""
    if isinstance(obj, GroupClient):
        ok = GroupClient.objects.for_user(user).filter(pk=obj.pk).exists()
    else:
        ok = Enterprise.objects.for_user(user).filter(pk=obj.pk).exists()
    if not ok:
        raise PermissionDenied(_("You do not cover this client."))


def _apply(obj, data: dict) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


def _changed(obj, data: dict, field: str) -> bool:
    """Whether `data` changes `field` of `obj` (a foreign key compares by id)."""
    if field not in data:
        return False
    new = data[field]
    old = getattr(obj, f"{field}_id") if hasattr(obj, f"{field}_id") else getattr(obj, field)
    return (getattr(new, "pk", new) or None) != (old or None)


def _staff_branch(user_obj):
    profile = getattr(user_obj, "profile", None)
    return profile.branch if profile else None


# --- enterprises -----------------------------------------------------------------------------------------


@transaction.atomic
def enterprise_create(*, user, name: str, uscc: str, claim: bool = True, **fields) -> Enterprise:
    """Put an enterprise on file. Only a name and a valid credit code are needed.

    Head office sets the owning branch and RM as given (internal systems push with its account).
    Anyone else either claims it at once (`claim`, the default: an RM's branch and the RM themselves,
    a branch head's branch or a branch of their subtree with an RM of it) or records it as an unowned
    prospect that any branch may claim later; it stays in its recorder's full record."""
    ensure_can_edit_clients(user)
    scope = scope_for(user)
    enterprise = Enterprise(name=(name or "").strip(), uscc=normalize_uscc(uscc), recorded_by=user, **fields)
    if not scope.sees_all:
        if enterprise.internal_rating and not scope.can_set_limits_and_ratings:
            raise ValidationError({"internal_rating": _("Internal ratings are set by risk officers and head office.")})
        if not claim:
            if enterprise.branch_id or enterprise.rm_id:
                raise ValidationError({"branch": _("An unowned prospect has no owning branch and no RM.")})
            if enterprise.is_client:
                raise ValidationError({"is_client": _("A client of the bank has an owning branch: claim it.")})
        elif scope.is_rm:
            if enterprise.branch_id not in (None, scope.branch_id) or enterprise.rm_id not in (None, user.pk):
                raise ValidationError({"branch": _("You record enterprises for your own branch, as their RM. ")
                                       + OWNERSHIP_MESSAGE})
            enterprise.branch_id, enterprise.rm_id = scope.branch_id, user.pk
        else:  # branch head
            enterprise.branch_id = enterprise.branch_id or scope.branch_id
            if not scope.covers_branch(enterprise.branch):
                raise ValidationError({"branch": _("Choose a branch of your own subtree.")})
            if enterprise.rm_id and not scope.covers_branch(_staff_branch(enterprise.rm)):
                raise ValidationError({"rm": _("Choose an RM of your own branch subtree.")})
    save_with_history(enterprise, user=user)
    return enterprise


_ENTERPRISE_OWNERSHIP = ("branch", "rm")


@transaction.atomic
def enterprise_update(*, user, enterprise: Enterprise, **fields) -> Enterprise:
    """Change an enterprise's data. Its owning branch and RM change only by transfer (head office
    excepted), its internal rating only through `enterprise_rating_set`."""
    ensure_can_edit_clients(user)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    ensure_full_record(user, enterprise)
    scope = scope_for(user)
    if not scope.sees_all:
        for field in _ENTERPRISE_OWNERSHIP:
            if _changed(enterprise, fields, field):
                raise ValidationError({field: OWNERSHIP_MESSAGE})
    if _changed(enterprise, fields, "internal_rating") and not scope.sees_all:
        raise ValidationError({"internal_rating": _("Internal ratings are set by risk officers and head office.")})
    if "uscc" in fields:
        fields["uscc"] = normalize_uscc(fields["uscc"])
    fields.pop("claim", None)
    _apply(enterprise, fields)
    save_with_history(enterprise, user=user)
    return enterprise


@transaction.atomic
def enterprise_rating_set(*, user, enterprise: Enterprise, rating: str) -> Enterprise:
    """Set (or clear) an enterprise's internal rating: risk officers (their full record) and head office."""
    ensure_can_set_limits_and_ratings(user)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    ensure_full_record(user, enterprise)
    rating = (rating or "").strip().upper()
    if rating and rating not in Rating.values:
        raise ValidationError({"internal_rating": _("Must be one of: %(values)s.") % {"values": ", ".join(Rating.values)}})
    enterprise.internal_rating = rating
    save_with_history(enterprise, user=user)
    return enterprise


@transaction.atomic
def enterprise_claim(*, user, enterprise: Enterprise) -> EnterpriseClaim:
    """Claim an unowned prospect for the user's branch (客户认领); an RM becomes its RM. A second claim
    is refused and names the holder. Recorded as a claim and in the enterprise's history."""
    ensure_can_edit_clients(user)
    scope = scope_for(user)
    enterprise = Enterprise.objects.select_for_update(of=("self",)).select_related("branch").get(pk=enterprise.pk)
    if not enterprise.is_unowned:
        last = enterprise.claims.select_related("branch").first()
        holder = getattr(enterprise.branch, "name", "") or _("an RM")
        if last is not None and last.branch_id == enterprise.branch_id:
            message = _("Already claimed by %(holder)s on %(date)s.") % {
                "holder": holder, "date": timezone.localtime(last.claimed_at).date().isoformat()}
        else:
            message = _("Already owned by %(holder)s.") % {"holder": holder}
        raise ValidationError(message, code="claimed")
    if scope.branch_id is None:
        raise PermissionDenied(_("Only staff of a branch claim prospects."))
    enterprise.branch_id = scope.branch_id
    enterprise.rm_id = user.pk if scope.role == Role.RM else None
    set_history_user(enterprise, user, reason="claim")
    enterprise.save()
    return EnterpriseClaim.objects.create(enterprise=enterprise, claimed_by=user, branch_id=scope.branch_id)


# --- persons ---------------------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, user, name: str, id_number: str) -> Person:
    """Record a natural person. The number is unique per recorder: recording a number somebody else
    recorded creates the user's own row and answers exactly as for a new number, so no answer confirms
    a number the user cannot see (clients.models.Person)."""
    ensure_can_edit_clients(user)
    recorder = None if scope_for(user).sees_all else user
    person = Person(name=(name or "").strip(), id_number=(id_number or "").strip().upper(), recorded_by=recorder)
    save_with_history(person, user=user)
    return person


# --- group clients ---------------------------------------------------------------------------------------


def _check_core(user, core: Enterprise, *, group: GroupClient | None = None) -> None:
    """The core of a group is an enterprise of the user's full record and the core of no other group."""
    if not access.in_full_record(user, core):
        raise ValidationError({"core_enterprise": _("The core enterprise must be an enterprise you cover.")},
                              code="outside_reach")
    other = GroupClient.objects.filter(core_enterprise=core)
    if group is not None:
        other = other.exclude(pk=group.pk)
    if other.exists():
        raise ValidationError({"core_enterprise": _("This enterprise is already the core of a group client.")},
                              code="core_taken")


def _check_group_ownership_on_create(user, *, branch, lead_rm, team) -> None:
    scope = scope_for(user)
    if scope.sees_all:
        return
    if scope.is_rm:
        if branch is not None and branch.pk != scope.branch_id:
            raise ValidationError({"branch": _("You record group clients for your own branch. ") + OWNERSHIP_MESSAGE})
        if lead_rm is not None and lead_rm.pk != user.pk:
            raise ValidationError({"lead_rm": _("You lead the group clients you record. ") + OWNERSHIP_MESSAGE})
        if any(member.pk != user.pk for member in team):
            raise ValidationError({"team": OWNERSHIP_MESSAGE})
        return
    if branch is not None and not scope.covers_branch(branch):
        raise ValidationError({"branch": _("Choose a branch of your own subtree.")})
    if lead_rm is not None and not scope.covers_branch(_staff_branch(lead_rm)):
        raise ValidationError({"lead_rm": _("Choose a lead RM of your own branch subtree.")})
    if any(not scope.covers_branch(_staff_branch(member)) for member in team):
        raise ValidationError({"team": _("Choose team members of your own branch subtree.")})


@transaction.atomic
def group_client_create(*, user, name: str, core_enterprise: Enterprise, lead_rm=None, branch=None, team=(),
                        unified_credit_limit: Decimal | None = None, **fields) -> GroupClient:
    """Record a group client around a core enterprise of the user's full record. An RM records it for
    their own branch and leads it; a branch head within their subtree; head office as given. The
    unified credit limit is head office's (or a risk officer's, later) to set."""
    ensure_can_edit_clients(user)
    _check_core(user, core_enterprise)
    scope = scope_for(user)
    team = list(team or [])
    _check_group_ownership_on_create(user, branch=branch, lead_rm=lead_rm, team=team)
    if scope.is_rm:
        lead_rm = user
        branch_id = scope.branch_id
    else:
        branch_id = branch.pk if branch is not None else scope.branch_id
        if lead_rm is None:
            raise ValidationError({"lead_rm": _("This field is required.")})
    if branch_id is None:
        raise ValidationError({"branch": _("This field is required.")})
    if unified_credit_limit and not scope.can_set_limits_and_ratings:
        raise ValidationError({"unified_credit_limit": _("Unified credit limits are set by risk officers and head office.")})
    group = GroupClient(name=(name or "").strip(), core_enterprise=core_enterprise, lead_rm=lead_rm,
                        branch_id=branch_id, unified_credit_limit=unified_credit_limit or Decimal("0"), **fields)
    save_with_history(group, user=user)
    group.team.set(team)
    group_membership_refresh(groups=[group])
    ensure_full_record(user, group)
    return group


_GROUP_OWNERSHIP = ("branch", "lead_rm")


@transaction.atomic
def group_client_update(*, user, group: GroupClient, team=None, **fields) -> GroupClient:
    """Change a group client's name, core or tier. Its branch, lead RM and team change by transfer
    (head office excepted); its limit through `group_limit_set`."""
    ensure_can_edit_clients(user)
    group = GroupClient.objects.select_for_update().get(pk=group.pk)
    ensure_full_record(user, group)
    scope = scope_for(user)
    if not scope.sees_all:
        for field in _GROUP_OWNERSHIP:
            if _changed(group, fields, field):
                raise ValidationError({field: OWNERSHIP_MESSAGE})
        if team is not None and {u.pk for u in team} != set(group.team.values_list("pk", flat=True)):
            raise ValidationError({"team": OWNERSHIP_MESSAGE})
    if _changed(group, fields, "unified_credit_limit"):
        raise ValidationError({"unified_credit_limit": _("Set the unified credit limit with its own form (risk "
                                                         "officers and head office).")})
    fields.pop("unified_credit_limit", None)
    if "core_enterprise" in fields:
        _check_core(user, fields["core_enterprise"], group=group)
    core_changed = _changed(group, fields, "core_enterprise")
    _apply(group, fields)
    save_with_history(group, user=user)
    if team is not None and scope.sees_all:
        group.team.set(team)
    if core_changed:
        group_membership_refresh(groups=[group])
    ensure_full_record(user, group)
    return group


def limit_change_factor() -> Decimal:
    return Decimal(str(getattr(settings, "LIMIT_CHANGE_CONFIRM_FACTOR", 10)))


@transaction.atomic
def group_limit_set(*, user, group: GroupClient, limit: Decimal, confirm: bool = False) -> GroupClient:
    """Set a group's unified credit limit (统一授信额度): risk officers (their subtree) and head office.

    A new limit more than `LIMIT_CHANGE_CONFIRM_FACTOR` times above or below the current one (a 元/万元
    slip is 10,000 times) is refused with code "confirm" until the caller confirms it."""
    ensure_can_set_limits_and_ratings(user)
    group = GroupClient.objects.select_for_update().get(pk=group.pk)
    ensure_full_record(user, group)
    if limit is None or limit < 0:
        raise ValidationError({"unified_credit_limit": _("The unified credit limit cannot be negative.")})
    old, factor = group.unified_credit_limit, limit_change_factor()
    if not confirm and old > 0 and (limit > old * factor or limit * factor < old):
        raise ValidationError(
            {"unified_credit_limit": ValidationError(
                _("The new limit %(new)s is more than %(factor)s times %(direction)s the current %(old)s: check "
                  "the unit (元 or 万元) and confirm the change."),
                code="confirm",
                params={"new": f"{limit:,.2f}", "old": f"{old:,.2f}", "factor": f"{factor:,}",
                        "direction": _("above") if limit > old else _("below")},
            )}
        )
    group.unified_credit_limit = limit
    save_with_history(group, user=user)
    return group


# --- control links and membership --------------------------------------------------------------------------


def _person_number(link: ControlLink) -> str | None:
    if not link.parent_person_id:
        return None
    return Person.objects.filter(pk=link.parent_person_id).values_list("id_number", flat=True).first()


def _groups_touched_by(link: ControlLink) -> list[GroupClient]:
    """Groups whose membership may change when this link appears, changes or goes."""
    enterprise_ids = {link.child_id}
    if link.parent_enterprise_id:
        enterprise_ids.add(link.parent_enterprise_id)
    number = _person_number(link)
    if number:
        # The same natural person recorded by others is the same node of the control graph.
        enterprise_ids.update(
            ControlLink.objects.filter(parent_person__id_number=number).values_list("child_id", flat=True)
        )
    return list(
        GroupClient.objects.filter(
            Q(memberships__enterprise_id__in=enterprise_ids) | Q(core_enterprise_id__in=enterprise_ids)
        ).distinct()
    )


def control_link_check(link: ControlLink) -> None:
    """The rules of one control link, said on the field at fault (pages, API, admin and imports run
    them; the model's constraints only back them up in the database): not the child's own parent,
    not a second link between the same parent and child, a share from 0 to 100."""
    if link.parent_enterprise_id and link.parent_enterprise_id == link.child_id:
        raise ValidationError({"child": _("An enterprise cannot hold a share of itself.")}, code="self")
    same = ControlLink.objects.filter(child_id=link.child_id)
    same = (same.filter(parent_enterprise_id=link.parent_enterprise_id) if link.parent_enterprise_id
            else same.filter(parent_person_id=link.parent_person_id))
    if link.pk:
        same = same.exclude(pk=link.pk)
    if same.exists():
        raise ValidationError({"child": _("This parent already has a link to this child.")}, code="duplicate")


def _check_link_touches_full_record(user, link: ControlLink) -> None:
    """A control link the user writes has its child or its parent enterprise in their full record (a
    person parent: the child); a person parent is one of the persons in their reach."""
    ends = [link.child_id, link.parent_enterprise_id]
    if not access.full_record_ids(user, ends):
        raise ValidationError(
            {"child": _("The parent or the child must be an enterprise you cover.")}, code="outside_reach"
        )
    if link.parent_person_id and not Person.objects.for_user(user).filter(pk=link.parent_person_id).exists():
        raise ValidationError({"parent_person": _("No person with this id.")})


def _check_link_within_reach(user, link: ControlLink) -> None:
    """Changing or removing an existing link needs both enterprise ends in the user's full record:
    otherwise an RM could take an enterprise out of (or into) a group they do not cover."""
    ends = {link.child_id} | ({link.parent_enterprise_id} if link.parent_enterprise_id else set())
    if access.full_record_ids(user, ends) != ends:
        raise PermissionDenied(_("You do not cover these enterprises."))


class _Simulated(Exception):
    """Leaves the savepoint of a simulated control-link write."""


def _membership(group_ids) -> dict[int, set[int]]:
    members: dict[int, set[int]] = {g: set() for g in group_ids}
    for group_id, enterprise_id in GroupMembership.objects.filter(group_id__in=group_ids).values_list(
        "group_id", "enterprise_id"
    ):
        members[group_id].add(enterprise_id)
    return members


def link_effects_outside_reach(user, link: ControlLink) -> tuple[set[int], set[int]]:
    """What writing `link` would do outside the user's reach, found by writing it in a savepoint,
    re-deriving the touched groups and rolling back: (enterprises it would bring into a group the user
    covers without being in their full record, groups outside the user's reach whose membership it
    would change). Both empty: the user may write it themselves."""
    before_groups = {g.pk for g in _groups_touched_by(link)}
    outside_enterprises: set[int] = set()
    changed_groups: set[int] = set()
    try:
        with transaction.atomic():
            link.save()
            touched = {g.pk: g for g in _groups_touched_by(link)}
            before = _membership(before_groups | set(touched))
            group_membership_refresh(groups=list(GroupClient.objects.filter(pk__in=before)))
            after = _membership(before)
            for group_id in before:
                if before[group_id] != after[group_id]:
                    changed_groups.add(group_id)
                    outside_enterprises |= after[group_id] - before[group_id]
            raise _Simulated
    except _Simulated:
        pass
    link.pk = None
    link._state.adding = True
    reach_groups = set(GroupClient.objects.for_user(user).filter(pk__in=changed_groups).values_list("pk", flat=True))
    foreign_groups = changed_groups - reach_groups
    pulled_in = outside_enterprises - access.full_record_ids(user, outside_enterprises)
    return pulled_in, foreign_groups


@transaction.atomic
def control_link_create(*, user, child: Enterprise, share_pct: Decimal, control_type: str = "equity",
                        parent_enterprise: Enterprise | None = None, parent_person: Person | None = None,
                        note: str = ""):
    """Record that a parent (enterprise or person) holds or controls a child; refresh the groups.

    The link touches the user's full record (its child or its parent). When it would bring enterprises
    outside the user's full record into a group they cover, or change a group outside their reach, it
    is not written: it becomes a change request for the branch heads concerned (clients.approvals),
    which is returned instead of the link."""
    from clients import approvals

    ensure_can_edit_clients(user)
    link = ControlLink(parent_enterprise=parent_enterprise, parent_person=parent_person, child=child,
                       share_pct=share_pct, control_type=control_type, note=(note or "").strip())
    _check_link_touches_full_record(user, link)
    control_link_check(link)
    link.full_clean()
    pulled_in, foreign_groups = link_effects_outside_reach(user, link)
    if pulled_in or foreign_groups:
        return approvals.control_link_propose(user=user, link=link, enterprise_ids=pulled_in,
                                              group_ids=foreign_groups)
    return control_link_write(link, user=user)


def control_link_write(link: ControlLink, *, user, reason: str | None = None) -> ControlLink:
    """Store a checked link and refresh the groups it touches (also the apply step of an approved
    control-link request)."""
    save_with_history(link, user=user, reason=reason)
    group_membership_refresh(groups=_groups_touched_by(link))
    return link


@transaction.atomic
def control_link_update(*, user, link: ControlLink, **fields) -> ControlLink:
    """Change a link between enterprises of the user's full record; a change that would bring other
    enterprises in or change a group outside the user's reach is refused (record a new link instead:
    it becomes a request for the branches concerned)."""
    ensure_can_edit_clients(user)
    link = ControlLink.objects.select_for_update().get(pk=link.pk)
    _check_link_within_reach(user, link)
    before = _groups_touched_by(link)
    _apply(link, fields)
    _check_link_within_reach(user, link)
    if link.parent_person_id and not Person.objects.for_user(user).filter(pk=link.parent_person_id).exists():
        raise ValidationError({"parent_person": _("No person with this id.")})
    control_link_check(link)
    save_with_history(link, user=user)
    touched = {g.pk: g for g in [*before, *_groups_touched_by(link)]}
    snapshot = _membership(touched)
    group_membership_refresh(groups=touched.values())
    _ensure_no_effect_outside_reach(user, snapshot)
    return link


def _ensure_no_effect_outside_reach(user, before: dict[int, set[int]]) -> None:
    after = _membership(before)
    changed = {g for g in before if before[g] != after[g]}
    added = set().union(*(after[g] - before[g] for g in changed)) if changed else set()
    in_reach = set(GroupClient.objects.for_user(user).filter(pk__in=changed).values_list("pk", flat=True))
    if changed - in_reach or added - access.full_record_ids(user, added):
        raise ValidationError(
            _("This change would change a group client outside your coverage: record the link as new, and "
              "it goes to the branch concerned for approval."), code="outside_reach",
        )


@transaction.atomic
def control_link_delete(*, user, link: ControlLink) -> None:
    ensure_can_edit_clients(user)
    # The stored row, not the caller's copy: the history records what was actually removed.
    link = ControlLink.objects.select_for_update().get(pk=link.pk)
    _check_link_within_reach(user, link)
    touched = _groups_touched_by(link)
    snapshot = _membership([g.pk for g in touched])
    set_history_user(link, user)
    link.delete()
    group_membership_refresh(groups=touched)
    _ensure_no_effect_outside_reach(user, snapshot)


def _load_edges() -> list[Edge]:
    rows = ControlLink.objects.values_list(
        "parent_enterprise_id", "parent_person__id_number", "child_id", "share_pct", "control_type"
    )
    return [
        Edge(("e", pe) if pe else ("p", pp), ("e", child), share, ctype)
        for pe, pp, child, share, ctype in rows.iterator(chunk_size=5000)
    ]


def _component_edges(core_ids: Iterable[int]) -> list[Edge]:
    """The links reachable downward from the given cores and from the persons who control them.

    Walks the graph in SQL one level at a time, so a refresh of a few groups reads only their part.
    A person is a node by identity number: rows recorded by different users are one natural person."""
    frontier_e = set(core_ids)
    person_links = ControlLink.objects.filter(child_id__in=frontier_e, parent_person__isnull=False)
    frontier_p = set(person_links.values_list("parent_person__id_number", flat=True))
    seen_e: set[int] = set()
    seen_p: set[str] = set()
    edges: dict[int, Edge] = {}
    # The person -> core links themselves are needed to find the controlling persons.
    for pk, pp, child, share, ctype in person_links.values_list(
        "pk", "parent_person__id_number", "child_id", "share_pct", "control_type"
    ):
        edges[pk] = Edge(("p", pp), ("e", child), share, ctype)
    while frontier_e or frontier_p:
        seen_e |= frontier_e
        seen_p |= frontier_p
        rows = ControlLink.objects.filter(
            Q(parent_enterprise_id__in=frontier_e) | Q(parent_person__id_number__in=frontier_p)
        ).values_list("pk", "parent_enterprise_id", "parent_person__id_number", "child_id", "share_pct",
                      "control_type")
        next_e: set[int] = set()
        for pk, pe, pp, child, share, ctype in rows:
            edges[pk] = Edge(("e", pe) if pe else ("p", pp), ("e", child), share, ctype)
            if child not in seen_e:
                next_e.add(child)
        frontier_e, frontier_p = next_e, set()
    return list(edges.values())


def group_membership_refresh(*, groups: Iterable[GroupClient] | None = None, chunk_size: int = 500) -> int:
    """Rebuild the derived membership of the given groups (all groups when None). Idempotent.

    Returns the number of membership rows written. Receivers of `clients.hooks.membership_rebuilt`
    (the circles' controlled members) run in the same transaction, per chunk."""
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
            # An edit in the web and the nightly refresh may rewrite the same group's rows at once:
            # one waits for the other's transaction instead of failing on the unique constraint.
            transaction_lock(MEMBERSHIP_ROWS_LOCK)
            # Members confirmed through the group tests (risk.identification, reason IDENTIFIED) are kept
            # unless control now makes them members anyway: the derived row then replaces them.
            batch_ids = [g.pk for g, _, _ in batch]
            derived = {(m.group_id, m.enterprise_id) for _, members, _ in batch for m in members}
            identified = {
                (g, e) for g, e in GroupMembership.objects.filter(
                    group_id__in=batch_ids, reason=MembershipReason.IDENTIFIED).values_list("group_id", "enterprise_id")
            }
            GroupMembership.objects.filter(group_id__in=batch_ids).exclude(reason=MembershipReason.IDENTIFIED).delete()
            if identified & derived:
                both = Q()
                for g, e in identified & derived:
                    both |= Q(group_id=g, enterprise_id=e)
                GroupMembership.objects.filter(both, reason=MembershipReason.IDENTIFIED).delete()
            rows = [m for _, members, _ in batch for m in members]
            GroupMembership.objects.bulk_create(rows, batch_size=5000)
            stamped = [GroupClient(pk=g.pk, membership_refreshed_at=now, membership_warnings=warnings)
                       for g, _, warnings in batch]
            GroupClient.objects.bulk_update(stamped, ["membership_refreshed_at", "membership_warnings"],
                                            batch_size=1000)
            membership_rebuilt.send(group_ids=[g.pk for g, _, _ in batch])
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
            ids = [int(n[1]) for n in cycle if n[0] == "e"]
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


# --- financials, accounts, interactions ----------------------------------------------------------------------


@transaction.atomic
def financial_statement_upsert(*, user, enterprise: Enterprise, period_end, period_type: str,
                               **figures) -> tuple[FinancialStatement, bool]:
    """Create or replace the statement of one enterprise for one period; returns (statement, created)."""
    ensure_can_edit_clients(user)
    ensure_full_record(user, enterprise)
    stored = (
        FinancialStatement.objects.select_for_update()
        .filter(enterprise=enterprise, period_end=period_end, period_type=period_type)
        .first()
    )
    created = stored is None
    statement = stored or FinancialStatement(enterprise=enterprise, period_end=period_end, period_type=period_type)
    _apply(statement, figures)
    save_with_history(statement, user=user)
    _refresh_risk_later([enterprise.pk])  # the financial rules read statements
    return statement, created


def _refresh_risk_later(enterprise_ids) -> None:
    """The early-warning rules of these enterprises run again through the outbox, in the caller's
    transaction (risk.tasks)."""
    from risk.tasks import queue_enterprises_refresh

    queue_enterprises_refresh(enterprise_ids)


@transaction.atomic
def bank_account_create(*, user, enterprise: Enterprise, account_no: str, kind: str, **fields) -> BankAccount:
    ensure_can_edit_clients(user)
    ensure_full_record(user, enterprise)
    account = BankAccount(enterprise=enterprise, account_no=(account_no or "").strip(), kind=kind, **fields)
    save_with_history(account, user=user)
    return account


@transaction.atomic
def account_balance_record(*, user, account: BankAccount, date, balance: Decimal) -> AccountBalance:
    """Record (or correct) the end-of-day balance of an account."""
    ensure_can_edit_clients(user)
    ensure_full_record(user, account.enterprise)
    row = (AccountBalance.objects.select_for_update().filter(account=account, date=date).first()
           or AccountBalance(account=account, date=date))
    row.balance = balance
    row.full_clean()  # the business date range and the amount, as for every other record
    row.save()
    return row


@transaction.atomic
def interaction_log(*, user, enterprise: Enterprise, kind: str, occurred_at, subject: str,
                    notes: str = "") -> Interaction:
    ensure_can_edit_clients(user)
    ensure_full_record(user, enterprise)
    interaction = Interaction(enterprise=enterprise, staff=user, kind=kind, occurred_at=occurred_at,
                              subject=(subject or "").strip(), notes=notes)
    save_with_history(interaction, user=user)
    return interaction
