"""The pieces the chain's hand-written SQL is built from, in one public place: table names and
choice values come from the models, never from literals.

- `TABLES`: `{name}` placeholders for `str.format` (`{link}`, `{flow}`, ...), each a model's table.
- `CHOICES`: named query parameters (`%(declared)s`, `%(payment)s`, ...), each a TextChoices value;
  pass `{**CHOICES, ...}` (or `params(...)`) with every statement that uses them.
- `MEMBERS_CTE`: the group's members (`clients.GroupMembership` plus the core), for `%(group)s`.
"""

from __future__ import annotations

from chains.models import ChainLink, Channel, Flow, FlowKind, LinkStatus
from circles.models import CircleMember, CircleRole
from clients.models import Enterprise, GroupClient, GroupMembership

TABLES: dict[str, str] = {
    "link": ChainLink._meta.db_table,
    "flow": Flow._meta.db_table,
    "ent": Enterprise._meta.db_table,
    "grp": GroupClient._meta.db_table,
    "mem": GroupMembership._meta.db_table,
    "circle": CircleMember._meta.db_table,
}

CHOICES: dict[str, str] = {
    # chain link status
    "declared": LinkStatus.DECLARED.value,
    "detected": LinkStatus.DETECTED.value,
    "confirmed": LinkStatus.CONFIRMED.value,
    "dismissed": LinkStatus.DISMISSED.value,
    # flow kind and channel
    "payment": FlowKind.PAYMENT.value,
    "invoice": FlowKind.INVOICE.value,
    "other_bank": Channel.OTHER_BANK.value,
    # circle roles: upstream and downstream
    "role_supplier": CircleRole.SUPPLIER.value,
    "role_distributor": CircleRole.DISTRIBUTOR.value,
    "role_customer": CircleRole.CUSTOMER.value,
}

MEMBERS_CTE = """
members AS (
    SELECT enterprise_id AS id FROM {mem} WHERE group_id = %(group)s
    UNION
    SELECT core_enterprise_id FROM {grp} WHERE id = %(group)s
)""".format(**TABLES)


def params(**values) -> dict:
    """The choice parameters plus the statement's own (`group`, `start`, ...)."""
    return {**CHOICES, **values}
