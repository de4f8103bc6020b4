"""The access model for client data (DESIGN.md section 4): the one module every page, endpoint, import,
job and admin asks.

Three levels of reach on an enterprise:

- **full record** (`full_enterprises`): everything about it. Head office: all. Branch heads and risk
  officers: enterprises owned by their branch subtree and the members (control tree) of groups owned
  by it. RMs: enterprises they are the RM of, the members of the groups they cover (lead or team), and
  the unowned prospects they recorded themselves.
- **counterparty** (`counterparty_enterprises`): the registry card, the enterprise's roles in the
  user's circles and chains, and only the flows, guarantees and links between it and the user's full
  record. It comes from the circles and chains of the groups in the user's reach and from the flows,
  guarantees and control links of full-record enterprises. Each app registers where its counterparties
  come from (`register_counterparty_source`), so this module imports no other app.
- **registry card** (`registry_lookup`): name, credit code, client or prospect, owning branch. Anyone
  with a role, by exact credit code only (the client-claiming rule, 客户认领).

Naming: a credit code may be named in any record when it is on file (`resolve_enterprise`), but every
record a user writes must touch their own full record; the services check that, and naming never
grants more than counterparty reach (counterparty sources are the only thing a named row feeds).

Records that hang off an enterprise (financials, accounts, interactions, persons) follow the full
record; rows between enterprises (flows, guarantees, control links) are visible when one end is in
the full record (`restrict_to_full`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clients.validators import normalize_uscc, validate_uscc
from staff.scope import Scope, branch_subtree_q, scope_for


class Reach(StrEnum):
    FULL = "full"
    COUNTERPARTY = "counterparty"
    REGISTRY = "registry"


# --- groups --------------------------------------------------------------------------------------------


def groups_in_reach(user, queryset: QuerySet | None = None) -> QuerySet:
    """The group clients the user works: head office all, branch heads and risk officers their branch
    subtree's, RMs those they lead or are on the coverage team of."""
    from clients.models import GroupClient

    queryset = GroupClient.objects.all() if queryset is None else queryset
    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if scope.sees_nothing:
        return queryset.none()
    if scope.is_branch_wide:
        return queryset.filter(branch_subtree_q(scope, "branch"))
    return queryset.filter(pk__in=_covered_group_ids(scope))


def _covered_group_ids(scope: Scope) -> QuerySet:
    """Ids of the groups an RM leads or is on the team of. A UNION of two index lookups rather than an
    OR over a LEFT JOIN of every group with every team row, which PostgreSQL answers by scanning both."""
    from clients.models import GroupClient

    user_id = scope.user_id or 0
    led = GroupClient.objects.filter(lead_rm_id=user_id).order_by().values("pk")
    on_team = GroupClient.team.through.objects.filter(user_id=user_id).order_by().values("groupclient_id")
    return led.union(on_team)


def _group_ids_in_reach(scope: Scope) -> QuerySet:
    from clients.models import GroupClient

    if scope.is_branch_wide:
        return GroupClient.objects.filter(branch_subtree_q(scope, "branch")).order_by().values("pk")
    return _covered_group_ids(scope)


# --- full record -------------------------------------------------------------------------------------------


def full_record_q(scope: Scope) -> Q:
    """The condition on Enterprise rows that makes them the user's full record (not for head office,
    who needs no condition, nor for a user without a role, who gets nothing)."""
    from clients.models import GroupMembership

    members = GroupMembership.objects.filter(group_id__in=_group_ids_in_reach(scope)).order_by().values(
        "enterprise_id"
    )
    condition = Q(pk__in=members)
    if scope.is_branch_wide:
        condition |= branch_subtree_q(scope, "branch")
    else:
        condition |= Q(rm_id=scope.user_id)
        condition |= Q(branch__isnull=True, rm__isnull=True, recorded_by_id=scope.user_id)
    return condition


def full_enterprises(user, queryset: QuerySet | None = None) -> QuerySet:
    """Filter an Enterprise queryset to the user's full record."""
    from clients.models import Enterprise

    queryset = Enterprise.objects.all() if queryset is None else queryset
    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if scope.sees_nothing:
        return queryset.none()
    return queryset.filter(full_record_q(scope))


def restrict_to_full(user, queryset: QuerySet, *fields: str) -> QuerySet:
    """Rows where at least one of `fields` (enterprise foreign keys) is in the user's full record.

    Head office sees every enterprise, so the filter is left out for them rather than written as
    `field IN (SELECT id FROM every enterprise)`: for a non-null foreign key that is always true, but
    PostgreSQL still hashes the whole enterprise table to check it. Nullable fields keep the filter
    (a NULL there matches nothing) unless another, non-null field of the list already matches all."""
    scope = scope_for(user)
    if scope.sees_nothing:
        return queryset.none()
    if scope.sees_all and any(_never_null(queryset.model, f) for f in fields):
        return queryset
    full = full_enterprises(user).values("pk")
    condition = Q()
    for f in fields:
        condition |= Q(**{f"{f}__in": full})
    return queryset.filter(condition)


def _never_null(model, path: str) -> bool:
    """Whether a (possibly related, `a__b`) foreign-key path is non-null all along."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.null:
            return False
        model = field.related_model
    return True


def in_full_record(user, *enterprises) -> bool:
    """Whether every given enterprise (objects or ids) is in the user's full record (one query)."""
    ids = {getattr(e, "pk", e) for e in enterprises if e is not None}
    if not ids:
        return False
    return full_enterprises(user).filter(pk__in=ids).count() == len(ids)


def full_record_ids(user, ids) -> set[int]:
    """Those of the given enterprise ids that are in the user's full record (one query)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    return set(full_enterprises(user).filter(pk__in=ids).values_list("pk", flat=True))


# --- counterparty ------------------------------------------------------------------------------------------

# A source maps (groups in the user's reach, the user's full record) -- both querysets of ids -- to a
# condition on Enterprise rows (using OuterRef("pk") where it needs the row).
CounterpartySource = Callable[[QuerySet, QuerySet], Q]
_counterparty_sources: list[CounterpartySource] = []


def register_counterparty_source(source: CounterpartySource) -> CounterpartySource:
    """Register where counterparties come from (circle members, chain parties, flow and guarantee
    partners, control-link ends); apps call it from their AppConfig.ready()."""
    if source not in _counterparty_sources:
        _counterparty_sources.append(source)
    return source


def counterparty_q(user) -> Q | None:
    """The condition on Enterprise rows that makes them the user's counterparties (full record left
    out: use `reach` or subtract it), None for a user who has none."""
    from clients.models import GroupClient

    scope = scope_for(user)
    if scope.sees_nothing:
        return None
    groups = groups_in_reach(user, GroupClient.objects.all()).order_by().values("pk")
    full = full_enterprises(user).order_by().values("pk")
    condition = Q(pk__in=[])
    for source in _counterparty_sources:
        condition |= source(groups, full)
    return condition


def counterparty_enterprises(user, queryset: QuerySet | None = None) -> QuerySet:
    """Filter an Enterprise queryset to the user's counterparties that are not in their full record.

    Meant for one enterprise or a short list (the flow sources are EXISTS lookups per row); listing
    every counterparty of a large branch is not a page this product has."""
    from clients.models import Enterprise

    queryset = Enterprise.objects.all() if queryset is None else queryset
    condition = counterparty_q(user)
    if condition is None or scope_for(user).sees_all:
        return queryset.none()
    return queryset.filter(condition).exclude(full_record_q(scope_for(user)))


def reach(user, enterprise) -> Reach | None:
    """The user's level of reach on one enterprise: full, counterparty or registry (None without a role).

    Registry is returned for any enterprise on file: callers that found it by anything but its exact
    credit code must treat registry as "not found"."""
    scope = scope_for(user)
    if scope.sees_nothing:
        return None
    if scope.sees_all:
        return Reach.FULL
    from clients.models import Enterprise

    pk = getattr(enterprise, "pk", enterprise)
    if full_enterprises(user).filter(pk=pk).exists():
        return Reach.FULL
    condition = counterparty_q(user)
    if condition is not None and Enterprise.objects.filter(pk=pk).filter(condition).exists():
        return Reach.COUNTERPARTY
    return Reach.REGISTRY


# --- registry card and naming ----------------------------------------------------------------------------


def registry_lookup(user, code: str):
    """The enterprise with exactly this credit code, for anyone with a role; None when there is none
    (or the code is malformed). Registry fields only are meant to be shown from it."""
    from clients.models import Enterprise

    if scope_for(user).sees_nothing:
        return None
    code = normalize_uscc(code)
    if len(code) != 18:
        return None
    return Enterprise.objects.select_related("branch").filter(uscc=code).first()


UNKNOWN_CODE = _("No enterprise with the credit code %(code)s is on file; create it first.")


def resolve_enterprise(user, code: str, *, reach: Reach = Reach.REGISTRY):
    """The one "may name" resolver: the enterprise a user names by credit code in any form, serializer
    or import row. A malformed code raises ValidationError saying which rule it breaks; a well-formed
    code that is not on file (or a user without a role) raises the "unknown" error.

    reach=REGISTRY (naming: circle members, chain links, guarantees, flows, control links): any
    enterprise on file, since its registry card is open to every role anyway; what the named record
    may touch is the services' rule ("every record a user writes touches their own full record").
    reach=FULL (records of the enterprise itself: statements, accounts, interactions, a group's core):
    only the user's full record, and anything else answers exactly like an unknown code."""
    code = normalize_uscc(code)
    validate_uscc(code)
    if reach == Reach.FULL:
        enterprise = full_enterprises(user).filter(uscc=code).first()
    else:
        enterprise = registry_lookup(user, code)
    if enterprise is None:
        raise ValidationError(UNKNOWN_CODE, code="unknown_uscc", params={"code": code})
    return enterprise


def resolve_enterprises(user, codes) -> dict[str, int]:
    """Bulk form of `resolve_enterprise` for imports: {normalised code: enterprise id} for the codes on
    file (one query). Malformed and unknown codes are simply absent."""
    from clients.models import Enterprise

    if scope_for(user).sees_nothing:
        return {}
    wanted = {normalize_uscc(c) for c in codes if c}
    return dict(Enterprise.objects.filter(uscc__in=wanted).values_list("uscc", "pk"))


# --- persons -----------------------------------------------------------------------------------------------


def sees_unmasked_identity(user) -> bool:
    """Identity numbers of natural persons are shown in full to head office only."""
    return scope_for(user).sees_all


def persons_in_reach(user, queryset: QuerySet) -> QuerySet:
    """Persons who control or manage an enterprise of the user's full record, and the persons the user
    recorded themselves (so an unattached person is nobody else's to take over)."""
    from clients.models import ControlLink, KeyPerson

    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if scope.sees_nothing:
        return queryset.none()
    full = full_enterprises(user).values("pk")
    links = ControlLink.objects.filter(child__in=full, parent_person__isnull=False).values("parent_person")
    roles = KeyPerson.objects.filter(enterprise__in=full).values("person")
    return queryset.filter(Q(pk__in=links) | Q(pk__in=roles) | Q(recorded_by_id=scope.user_id))
