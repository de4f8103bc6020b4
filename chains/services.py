"""Writes on the chain (链). Every interface (page, API, admin, task) calls these.

Services check that the acting user may make the change, validate with field-named errors, write
atomically and record who made the change in the link's history (django-simple-history).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chains.models import ChainLink, LinkStatus
from chains.selectors import default_period
from chains.sql import MEMBERS_CTE, TABLES, params
from clients.models import Enterprise, GroupClient
from core.history import set_history_user
from core.permissions import ensure_can_edit_clients

TIERS = range(-2, 3)

# --- reach checks -------------------------------------------------------------------------------------


def _ensure_group_visible(user, group_id: int) -> None:
    """A chain link belongs to a group the user covers (re-checked inside the transaction). Its parties
    may be any enterprises on file: naming them makes them counterparties, never more."""
    if not GroupClient.objects.for_user(user).filter(pk=group_id).exists():
        raise PermissionDenied(_("You do not cover this group client."))


def _validate_tier(tier) -> int:
    try:
        tier = int(tier)
    except (TypeError, ValueError):
        raise ValidationError({"tier": _("The tier must be a whole number from -2 to +2.")}) from None
    if tier not in TIERS:
        raise ValidationError({"tier": _("The tier must be between -2 and +2.")})
    return tier


def _save(link: ChainLink, *, user) -> None:
    link.full_clean()
    set_history_user(link, user)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:  # a concurrent writer declared the same pair between our check and save
        raise ValidationError({"buyer": _("This supplier -> buyer link already exists in this chain.")}) from None


def _locked(link: ChainLink, user) -> ChainLink:
    link = ChainLink.objects.select_for_update().get(pk=link.pk)
    _ensure_group_visible(user, link.group_id)
    return link


# --- links -----------------------------------------------------------------------------------------------


@transaction.atomic
def chain_link_declare(*, user, group: GroupClient, supplier: Enterprise, buyer: Enterprise, tier: int,
                       goods: str = "") -> ChainLink:
    """Declare a supplier -> buyer link in the group's chain.

    A pair that detection proposed, or that the RM dismissed earlier, becomes declared with the tier and
    goods given (the RM has now said it belongs); a pair already declared or confirmed is a duplicate."""
    ensure_can_edit_clients(user)
    _ensure_group_visible(user, group.pk)
    tier = _validate_tier(tier)
    if supplier.pk == buyer.pk:
        raise ValidationError({"buyer": _("Supplier and buyer must differ.")})
    link = (
        ChainLink.objects.select_for_update()
        .filter(group_id=group.pk, supplier_id=supplier.pk, buyer_id=buyer.pk)
        .first()
    )
    if link is not None and link.status in (LinkStatus.DECLARED, LinkStatus.CONFIRMED):
        raise ValidationError(
            {"buyer": _("This supplier -> buyer link already exists in this chain (%(status)s).")
             % {"status": link.get_status_display()}}
        )
    if link is None:
        link = ChainLink(group=group, supplier=supplier, buyer=buyer)
    link.tier = tier
    link.goods = (goods or "").strip()
    link.status = LinkStatus.DECLARED
    _save(link, user=user)
    return link


@transaction.atomic
def chain_link_update(*, user, link: ChainLink, tier: int | None = None, goods: str | None = None) -> ChainLink:
    """Change the tier or goods of a link; the pair itself never changes (delete and declare instead)."""
    ensure_can_edit_clients(user)
    link = _locked(link, user)
    if tier is not None:
        link.tier = _validate_tier(tier)
    if goods is not None:
        link.goods = goods.strip()
    _save(link, user=user)
    return link


@transaction.atomic
def chain_link_confirm(*, user, link: ChainLink, tier: int | None = None, goods: str | None = None) -> ChainLink:
    """The RM accepts a detected (or earlier dismissed) link, optionally correcting tier and goods."""
    ensure_can_edit_clients(user)
    link = _locked(link, user)
    if link.status not in (LinkStatus.DETECTED, LinkStatus.DISMISSED):
        raise ValidationError({"status": _("Only a detected or dismissed link can be confirmed; this one is %(s)s.")
                               % {"s": link.get_status_display()}})
    if tier is not None and tier != "":
        link.tier = _validate_tier(tier)
    if goods is not None:
        link.goods = goods.strip()
    link.status = LinkStatus.CONFIRMED
    _save(link, user=user)
    return link


@transaction.atomic
def chain_link_dismiss(*, user, link: ChainLink) -> ChainLink:
    """The RM rejects a detected link. It stays, dismissed, so that detection never proposes it again."""
    ensure_can_edit_clients(user)
    link = _locked(link, user)
    if link.status != LinkStatus.DETECTED:
        raise ValidationError({"status": _("Only a detected link can be dismissed; this one is %(s)s.")
                               % {"s": link.get_status_display()}})
    link.status = LinkStatus.DISMISSED
    _save(link, user=user)
    return link


@transaction.atomic
def chain_link_delete(*, user, link: ChainLink) -> None:
    ensure_can_edit_clients(user)
    link = _locked(link, user)
    set_history_user(link, user)
    link.delete()


# --- detection ----------------------------------------------------------------------------------------------

# New (supplier, buyer) pairs seen in the period's payments, with the tier inferred from direction:
# a member pays an outsider -> the outsider supplies the group (-1); an outsider pays a member -> it
# buys from the group (+1). Payments between two circle members (neither in the group) become -2 when
# the buyer is known upstream (circle supplier, or supplier on an upstream link) and +2 when the
# supplier is known downstream; other such pairs are not placed and not proposed. Pairs with any
# existing link in the group, dismissed ones included, are skipped by ON CONFLICT. Choice values are
# named parameters (chains.sql.CHOICES), table names come from the models (chains.sql.TABLES).
_CANDIDATES = (
    "WITH " + MEMBERS_CTE + """,
circle AS (
    SELECT enterprise_id AS id FROM {circle}
    WHERE group_id = %(group)s AND enterprise_id NOT IN (SELECT id FROM members)
),
upstream AS (
    SELECT enterprise_id AS id FROM {circle} WHERE group_id = %(group)s AND role = %(role_supplier)s
    UNION SELECT supplier_id FROM {link}
    WHERE group_id = %(group)s AND tier < 0 AND status IN (%(declared)s, %(confirmed)s)
),
downstream AS (
    SELECT enterprise_id AS id FROM {circle}
    WHERE group_id = %(group)s AND role IN (%(role_distributor)s, %(role_customer)s)
    UNION SELECT buyer_id FROM {link}
    WHERE group_id = %(group)s AND tier > 0 AND status IN (%(declared)s, %(confirmed)s)
),
pairs AS (
    SELECT f.payee_id AS supplier_id, f.payer_id AS buyer_id FROM {flow} f
    WHERE f.kind = %(payment)s AND f.value_date BETWEEN %(start)s AND %(end)s
      AND f.payer_id IN (SELECT id FROM members) AND f.payee_id NOT IN (SELECT id FROM members)
    UNION
    SELECT f.payee_id, f.payer_id FROM {flow} f
    WHERE f.kind = %(payment)s AND f.value_date BETWEEN %(start)s AND %(end)s
      AND f.payee_id IN (SELECT id FROM members) AND f.payer_id NOT IN (SELECT id FROM members)
    UNION
    SELECT f.payee_id, f.payer_id FROM {flow} f
    WHERE f.kind = %(payment)s AND f.value_date BETWEEN %(start)s AND %(end)s
      AND f.payer_id IN (SELECT id FROM circle) AND f.payee_id IN (SELECT id FROM circle)
      AND f.payer_id <> f.payee_id
),
candidates AS (
    SELECT p.supplier_id, p.buyer_id,
           CASE
             WHEN p.buyer_id IN (SELECT id FROM members) THEN -1
             WHEN p.supplier_id IN (SELECT id FROM members) THEN 1
             WHEN p.buyer_id IN (SELECT id FROM upstream) THEN -2
             WHEN p.supplier_id IN (SELECT id FROM downstream) THEN 2
           END AS tier
    FROM pairs p
)
INSERT INTO {link} (group_id, supplier_id, buyer_id, tier, goods, status, created_at)
SELECT %(group)s, supplier_id, buyer_id, tier, '', %(detected)s, %(now)s
FROM candidates WHERE tier IS NOT NULL
ORDER BY tier, supplier_id, buyer_id
ON CONFLICT (group_id, supplier_id, buyer_id) DO NOTHING"""
).format(**TABLES)

# The columns the history rows are built from (every concrete field of ChainLink).
_LINK_COLUMNS = [str(f.column) for f in ChainLink._meta.concrete_fields]
_LINK_ATTNAMES = [f.attname for f in ChainLink._meta.concrete_fields]

# PostgreSQL: one statement that hands the inserted rows back (RETURNING). SQLite (the no-server demo)
# has RETURNING only from 3.35, and Django supports older versions: there the new rows are read back
# instead (the group's detected links stamped with this run's `now`).
DETECT_SQL = _CANDIDATES + "\nRETURNING " + ", ".join(_LINK_COLUMNS)
DETECT_SQL_SQLITE = _CANDIDATES

DETECTION_CHANGE_REASON = "detected from flows"
HISTORY_BATCH_SIZE = 2000


def _record_history(links: list[ChainLink], now) -> None:
    """The "+" history rows of newly detected links: proposed by the system, so no author (whoever
    triggered the run), in bulk through simple-history's API."""
    for link in links:
        set_history_user(link, None)
    ChainLink.history.bulk_history_create(
        links, batch_size=HISTORY_BATCH_SIZE, default_change_reason=DETECTION_CHANGE_REASON, default_date=now
    )


@transaction.atomic
def chain_links_detect(*, group: GroupClient, start: date | None = None, end: date | None = None) -> dict:
    """Propose, as "detected", the pairs seen in the period's payments that the group's chain lacks.

    One INSERT ... SELECT ... ON CONFLICT DO NOTHING; the new links get their history rows ("+", no
    user, reason "detected from flows") through simple-history's `bulk_history_create`, in the same
    transaction. Re-running proposes nothing twice and never revives a dismissed pair. The period
    defaults to the last 12 months.

    Returns the run's counts: `proposed` (links inserted) and the period. Tasks record the run in
    core.JobRun (chains.tasks, outside this transaction, so a failed run is recorded too)."""
    period = default_period()
    start = start or period.start
    end = end or period.end
    now = timezone.now()
    ops = connection.ops
    values = params(group=group.pk, start=ops.adapt_datefield_value(start), end=ops.adapt_datefield_value(end),
                    now=ops.adapt_datetimefield_value(now))
    proposed = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(DETECT_SQL, values)
            while rows := cursor.fetchmany(HISTORY_BATCH_SIZE):
                _record_history([ChainLink(**dict(zip(_LINK_ATTNAMES, row, strict=True))) for row in rows], now)
                proposed += len(rows)
        else:
            cursor.execute(DETECT_SQL_SQLITE, values)
            links = list(ChainLink.objects.filter(group=group, status=LinkStatus.DETECTED, created_at=now))
            _record_history(links, now)
            proposed = len(links)
    return {"proposed": proposed, "period_start": start.isoformat(), "period_end": end.isoformat()}


def chain_detection_request(*, user, group: GroupClient) -> None:
    """Queue link detection for a group of the user's reach: a message in the outbox (core.outbox),
    written in the caller's transaction and handed to the broker after commit (a task queued before
    commit could run against rows it cannot see yet). A dead broker delays it, never drops it, and
    the request never waits for the broker. Asked twice before it runs, it runs once."""
    from chains.tasks import queue_detection

    ensure_can_edit_clients(user)
    _ensure_group_visible(user, group.pk)
    with transaction.atomic():
        queue_detection([group.pk])
