"""Reads of the imports pages: the names shown next to credit codes in a preview, and the parties the
templates' example rows name. Both go through the access module (clients.access): a name is shown only
for an enterprise in the user's full record or among their counterparties, never from the registry
card alone (a preview must not become a way to look names up by code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clients import access
from clients.models import Enterprise, GroupClient, GroupMembership
from clients.validators import make_uscc, normalize_uscc
from staff.scope import scope_for

# Codes looked up for a preview at most (its first rows: a few dozen codes).
MAX_NAMED = 200


def names_in_reach(user, codes: Iterable[str]) -> dict[str, str]:
    """{normalised credit code: name} for the codes of enterprises the user may see (full record or
    counterparty); unknown codes and codes of enterprises known to them only by the registry card are
    absent. Two queries at most, whatever the number of codes (bounded by MAX_NAMED)."""
    wanted = sorted({normalize_uscc(c) for c in codes if c and len(normalize_uscc(c)) == 18})[:MAX_NAMED]
    if not wanted or scope_for(user).sees_nothing:
        return {}
    candidates = Enterprise.objects.filter(uscc__in=wanted)
    found = dict(access.full_enterprises(user, candidates).values_list("uscc", "name"))
    rest = [c for c in wanted if c not in found]
    if rest and not scope_for(user).sees_all:
        found.update(access.counterparty_enterprises(user, Enterprise.objects.filter(uscc__in=rest))
                     .values_list("uscc", "name"))
    return found


@dataclass(frozen=True)
class ExampleParties:
    group: str  # a group the user covers (its name)
    first: str  # a credit code in the user's full record (the group's core)
    second: str  # another one (a member of that group)
    new_code: str  # a valid credit code that is not on file (the enterprise template's example)


# Valid codes the templates fall back on for a user without groups (they preview as unknown codes).
_PLACEHOLDER_FIRST = make_uscc("91520100MA6H00001")
_PLACEHOLDER_SECOND = make_uscc("91520100MA6H00002")


def example_parties(user) -> ExampleParties:
    """The parties of the templates' example rows: the user's first group (by id), its core and one of
    its members; a fixed number of queries on any data."""
    group = (access.groups_in_reach(user, GroupClient.objects.select_related("core_enterprise"))
             .order_by("pk").first())
    first = second = ""
    name = ""
    if group is not None:
        name, first = group.name, group.core_enterprise.uscc
        second = (GroupMembership.objects.filter(group=group).exclude(enterprise_id=group.core_enterprise_id)
                  .order_by("depth", "enterprise_id").values_list("enterprise__uscc", flat=True).first() or "")
    if not second:
        others = access.full_enterprises(user).exclude(uscc=first).order_by("pk").values_list("uscc", flat=True)
        second = others.first() or _PLACEHOLDER_SECOND
    return ExampleParties(group=name or "—", first=first or _PLACEHOLDER_FIRST, second=second,
                          new_code=_new_code())


def _new_code() -> str:
    """A valid credit code no enterprise has (one query)."""
    candidates = [make_uscc(f"91520100MA6X{n:05d}") for n in range(1, 21)]
    taken = set(Enterprise.objects.filter(uscc__in=candidates).values_list("uscc", flat=True))
    return next((c for c in candidates if c not in taken), candidates[0])
