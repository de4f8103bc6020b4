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

from chains.models import ChainLink, DetectionSettings, LinkStatus
from chains.selectors import default_period
from chains.sql import MEMBERS_CTE, TABLES, params
from circles.models import CircleRole, CircleSource
from clients.models import Enterprise, GroupClient, GroupMembership
from core.fx import cny_sql
from core.history import save_with_history, set_history_user
from core.permissions import ensure_can_edit_clients
from staff.scope import scope_for

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
    """The RM accepts a detected (or earlier dismissed) link, optionally correcting tier and goods; its
    partners outside the group join the group's circle in their role (same transaction)."""
    ensure_can_edit_clients(user)
    link = _locked(link, user)
    if link.status not in CONFIRMABLE:
        raise ValidationError({"status": _("Only a detected or dismissed link can be confirmed; this one is %(s)s.")
                               % {"s": link.get_status_display()}})
    if tier is not None and tier != "":
        link.tier = _validate_tier(tier)
    if goods is not None:
        link.goods = goods.strip()
    link.status = LinkStatus.CONFIRMED
    _save(link, user=user)
    _join_circle(user, [link])
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


# --- the review queue: many links at once ---------------------------------------------------------------

CONFIRMABLE = (LinkStatus.DETECTED, LinkStatus.DISMISSED)
BULK_MAX = 500  # links per bulk confirm or dismiss (the page offers 20 at a time)
_SHOWN_IDS = 10


def validate_link_ids(ids) -> list[int]:
    """A list of link ids as people and programs send it: whole positive numbers, at most BULK_MAX,
    duplicates ignored. Anything else is an error on `ids`."""
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise ValidationError({"ids": _("Give a list of link ids.")})
    ids = list(ids)
    if not ids:
        raise ValidationError({"ids": _("Select at least one link.")})
    if len(ids) > BULK_MAX:
        raise ValidationError({"ids": _("At most %(n)d links at a time.") % {"n": BULK_MAX}})
    parsed = set()
    for value in ids:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < 1:
            raise ValidationError({"ids": _("A link id is a whole positive number.")})
        parsed.add(int(text))
    return sorted(parsed)


def _ids_text(ids) -> str:
    shown = ", ".join(str(i) for i in list(ids)[:_SHOWN_IDS])
    return shown + (" …" if len(ids) > _SHOWN_IDS else "")


def _locked_many(user, ids: list[int], group: GroupClient | None, statuses) -> list[ChainLink]:
    """The links, locked, all in the user's reach (and in `group` when given) and in one of the
    statuses; any other id refuses the whole request, the same way whether the link does not exist or
    is out of reach."""
    qs = ChainLink.objects.for_user(user).filter(pk__in=ids)
    if group is not None:
        qs = qs.filter(group_id=group.pk)
    if connection.features.has_select_for_update_of:
        qs = qs.select_for_update(of=("self",))
    links = list(qs.order_by("pk"))
    missing = sorted(set(ids) - {link.pk for link in links})
    if missing:
        raise ValidationError({"ids": _("No such link in your chains: %(ids)s.") % {"ids": _ids_text(missing)}},
                              code="not_found")
    wrong = [link.pk for link in links if link.status not in statuses]
    if wrong:
        raise ValidationError({"ids": _("These links are no longer awaiting review: %(ids)s.")
                               % {"ids": _ids_text(wrong)}}, code="status")
    return links


def _set_status(links: list[ChainLink], status: str, user) -> None:
    """One UPDATE and one batch of history rows ("~", authored by the user)."""
    now = timezone.now()
    for link in links:
        link.status = status
        set_history_user(link, user)
    ChainLink.objects.bulk_update(links, ["status"], batch_size=HISTORY_BATCH_SIZE)
    ChainLink.history.bulk_history_create(links, update=True, batch_size=HISTORY_BATCH_SIZE, default_user=user,
                                          default_date=now)


@transaction.atomic
def chain_links_confirm_many(*, user, ids, group: GroupClient | None = None) -> list[ChainLink]:
    """Confirm many detected (or dismissed) links at once, all or none: every id must be a link of a
    group the user covers (of `group`, when given) awaiting review. Each gets its history row and its
    partners join the circle, as with `chain_link_confirm`; a fixed number of queries."""
    ensure_can_edit_clients(user)
    links = _locked_many(user, validate_link_ids(ids), group, CONFIRMABLE)
    _set_status(links, LinkStatus.CONFIRMED, user)
    _join_circle(user, links)
    return links


@transaction.atomic
def chain_links_dismiss_many(*, user, ids, group: GroupClient | None = None) -> list[ChainLink]:
    """Dismiss many detected links at once, all or none (same checks as `chain_links_confirm_many`);
    detection never proposes them again."""
    ensure_can_edit_clients(user)
    links = _locked_many(user, validate_link_ids(ids), group, (LinkStatus.DETECTED,))
    _set_status(links, LinkStatus.DISMISSED, user)
    return links


# --- confirmed partners join the circle ---------------------------------------------------------------------

CIRCLE_JOIN_REASON = "confirmed chain link"


def partner_roles(link: ChainLink, members: set[int]) -> list[tuple[int, str, int]]:
    """(enterprise id, circle role, distance from the core) of each party of a link outside the group.

    Upstream links (tier < 0) place suppliers: the supplier at |tier|, its buyer one step nearer.
    Downstream links place buyers: at +1 a distributor (下游经销商), at +2 a customer (下游客户), the
    supplier one step nearer. Tier 0 and group members place nothing."""
    placed = []
    if link.tier < 0:
        distance = -link.tier
        ends = [(link.supplier_id, distance), (link.buyer_id, distance - 1)]
    elif link.tier > 0:
        ends = [(link.buyer_id, link.tier), (link.supplier_id, link.tier - 1)]
    else:
        return []
    for enterprise_id, distance in ends:
        if distance < 1 or enterprise_id in members:
            continue
        if link.tier < 0:
            role = CircleRole.SUPPLIER
        else:
            role = CircleRole.DISTRIBUTOR if distance == 1 else CircleRole.CUSTOMER
        placed.append((enterprise_id, role.value, distance))
    return placed


def _join_circle(user, links: list[ChainLink]) -> None:
    """The partners of confirmed links join their groups' circles (circles.services, idempotent): the
    nearest place wins when one enterprise is on several links. A fixed number of queries."""
    from circles.services import circle_members_join

    group_ids = {link.group_id for link in links}
    members: dict[int, set[int]] = {g: set() for g in group_ids}
    for group_id, enterprise_id in GroupMembership.objects.filter(group_id__in=group_ids).values_list(
            "group_id", "enterprise_id"):
        members[group_id].add(enterprise_id)
    for group_id, core_id in GroupClient.objects.filter(pk__in=group_ids).values_list("pk", "core_enterprise_id"):
        members[group_id].add(core_id)
    rows = sorted(
        ((link.group_id, enterprise_id, role, distance)
         for link in links for enterprise_id, role, distance in partner_roles(link, members[link.group_id])),
        key=lambda row: (row[3], row[0], row[1]),
    )
    circle_members_join(user=user, members=rows, source=CircleSource.DETECTED, reason=CIRCLE_JOIN_REASON)


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
# supplier is known downstream; other such pairs are not placed and not proposed.
#
# Only pairs whose payments in the period reach head office's three thresholds (DetectionSettings:
# total volume, number of payments, distinct calendar months) are proposed, with those figures stored
# on the link so the review queue can rank them. The three kinds of payment rows are disjoint (member
# to outsider, outsider to member, circle to circle: the circle excludes members), so UNION ALL then
# one GROUP BY counts every payment once. A pair that already has a link in the group is left as it
# is (declared, confirmed and dismissed ones: a dismissed pair is never revived), except a link still
# awaiting review, whose figures are refreshed. Choice values are named parameters (chains.sql.CHOICES),
# table names come from the models (chains.sql.TABLES).
# Volumes in CNY equivalent (core.fx: each payment at its value date's rate; one without a rate adds
# nothing to the volume but still counts as a payment).
_PAYMENTS = """SELECT f.payee_id AS supplier_id, f.payer_id AS buyer_id,
    """ + cny_sql("f.amount", "f.currency", "f.value_date") + """ AS amount, f.value_date FROM {flow} f
    WHERE f.kind = %(payment)s AND f.value_date BETWEEN %(start)s AND %(end)s"""
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
pay AS (
    """ + _PAYMENTS + """
      AND f.payer_id IN (SELECT id FROM members) AND f.payee_id NOT IN (SELECT id FROM members)
    UNION ALL
    """ + _PAYMENTS + """
      AND f.payee_id IN (SELECT id FROM members) AND f.payer_id NOT IN (SELECT id FROM members)
    UNION ALL
    """ + _PAYMENTS + """
      AND f.payer_id IN (SELECT id FROM circle) AND f.payee_id IN (SELECT id FROM circle)
      AND f.payer_id <> f.payee_id
),
pairs AS (
    SELECT supplier_id, buyer_id, SUM(amount) AS volume, COUNT(*) AS n, COUNT(DISTINCT {{month}}) AS months
    FROM pay
    GROUP BY supplier_id, buyer_id
    HAVING SUM(amount) >= %(min_volume)s AND COUNT(*) >= %(min_payments)s
       AND COUNT(DISTINCT {{month}}) >= %(min_months)s
),
candidates AS (
    SELECT p.supplier_id, p.buyer_id, p.volume, p.n, p.months,
           CASE
             WHEN p.buyer_id IN (SELECT id FROM members) THEN -1
             WHEN p.supplier_id IN (SELECT id FROM members) THEN 1
             WHEN p.buyer_id IN (SELECT id FROM upstream) THEN -2
             WHEN p.supplier_id IN (SELECT id FROM downstream) THEN 2
           END AS tier
    FROM pairs p
)"""
).format(**TABLES)
_UPSERT = """
INSERT INTO {link} (group_id, supplier_id, buyer_id, tier, goods, status, created_at,
                    volume, payment_count, months_active)
SELECT %(group)s, supplier_id, buyer_id, tier, '', %(detected)s, %(now)s, volume, n, months
FROM candidates WHERE tier IS NOT NULL
ORDER BY tier, supplier_id, buyer_id
ON CONFLICT (group_id, supplier_id, buyer_id) DO UPDATE
SET volume = excluded.volume, payment_count = excluded.payment_count, months_active = excluded.months_active
WHERE {link}.status = %(detected)s""".format(**TABLES)
# Links still awaiting review whose pair no longer reaches the thresholds (or cannot be placed) are
# withdrawn: the queue holds only what detection would propose today. Declared, confirmed and
# dismissed links are never touched.
_STALE = """{link}.group_id = %(group)s AND {link}.status = %(detected)s
  AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.tier IS NOT NULL
                  AND c.supplier_id = {link}.supplier_id AND c.buyer_id = {link}.buyer_id)""".format(**TABLES)
_MONTH = {"postgresql": "date_trunc('month', value_date)", "sqlite": "strftime('%%Y-%%m', value_date)"}

# The columns the history rows are built from (every concrete field of ChainLink).
_LINK_COLUMNS = [str(f.column) for f in ChainLink._meta.concrete_fields]
_LINK_ATTNAMES = [f.attname for f in ChainLink._meta.concrete_fields]

# PostgreSQL: one statement (data-modifying CTEs, one snapshot) that upserts, withdraws and hands every
# written row back, marked 1 inserted (`xmax = 0`), 2 refreshed, 3 withdrawn. The withdrawal tests the
# candidates, not the upsert's rows, so no row is both updated and deleted. SQLite (the no-server demo)
# has RETURNING only from 3.35, and Django supports older versions: there the withdrawn links are read
# and deleted through the ORM first, and the new rows are read back after the upsert (the group's
# detected links stamped with this run's `now`).
_RETURNED = ", ".join(f"{TABLES['link']}.{c}" for c in _LINK_COLUMNS)
DETECT_SQL = (
    _CANDIDATES.replace("{month}", _MONTH["postgresql"])
    + ",\nupserted AS (" + _UPSERT + "\n    RETURNING (xmax = 0) AS inserted, " + _RETURNED + "\n),"
    + "\nwithdrawn AS (\n    DELETE FROM {link} WHERE ".format(**TABLES) + _STALE
    + "\n    RETURNING " + _RETURNED + "\n)"
    + "\nSELECT CASE WHEN inserted THEN 1 ELSE 2 END, " + ", ".join(_LINK_COLUMNS) + " FROM upserted"
    + "\nUNION ALL SELECT 3, " + ", ".join(_LINK_COLUMNS) + " FROM withdrawn"
)
DETECT_SQL_SQLITE = _CANDIDATES.replace("{month}", _MONTH["sqlite"]) + _UPSERT
STALE_SQL_SQLITE = (_CANDIDATES.replace("{month}", _MONTH["sqlite"])
                    + "\nSELECT id FROM {link} WHERE ".format(**TABLES) + _STALE)
WITHDRAWN_REASON = "below the detection thresholds"

DETECTION_CHANGE_REASON = "detected from flows"
HISTORY_BATCH_SIZE = 2000


def _record_withdrawn(links: list[ChainLink], now) -> None:
    """The "-" history rows of withdrawn proposals (the system's, no author), in bulk."""
    historical = ChainLink.history.model
    historical.objects.bulk_create(
        (historical(history_date=now, history_user=None, history_type="-",
                    history_change_reason=WITHDRAWN_REASON,
                    **{f.attname: getattr(link, f.attname) for f in historical.tracked_fields})
         for link in links),
        batch_size=HISTORY_BATCH_SIZE,
    )


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

    Only pairs that reach all three of head office's thresholds (DetectionSettings) are proposed, with
    their volume, payment count and months active; a link still awaiting review gets its figures
    refreshed (no history row: they are detection's, not anyone's change), or is withdrawn (deleted,
    with a "-" history row, reason "below the detection thresholds") when its pair no longer reaches
    them. Declared, confirmed and dismissed links are never changed.

    Returns the run's counts: `proposed` (links inserted), `refreshed`, `withdrawn` and the period. Tasks record the
    run in core.JobRun (chains.tasks, outside this transaction, so a failed run is recorded too)."""
    period = default_period()
    start = start or period.start
    end = end or period.end
    now = timezone.now()
    ops = connection.ops
    thresholds = DetectionSettings.current()
    values = params(group=group.pk, start=ops.adapt_datefield_value(start), end=ops.adapt_datefield_value(end),
                    now=ops.adapt_datetimefield_value(now),
                    # SQLite compares a number with text as smaller whatever the figures: give it a number
                    min_volume=thresholds.min_volume if connection.vendor == "postgresql"
                    else float(thresholds.min_volume),
                    min_payments=thresholds.min_payments, min_months=thresholds.min_months)
    proposed = refreshed = withdrawn = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(DETECT_SQL, values)
            while rows := cursor.fetchmany(HISTORY_BATCH_SIZE):
                written: dict[int, list[ChainLink]] = {1: [], 2: [], 3: []}
                for row in rows:
                    written[row[0]].append(ChainLink(**dict(zip(_LINK_ATTNAMES, row[1:], strict=True))))
                _record_history(written[1], now)
                _record_withdrawn(written[3], now)
                proposed += len(written[1])
                refreshed += len(written[2])
                withdrawn += len(written[3])
        else:
            cursor.execute(STALE_SQL_SQLITE, values)
            stale = list(ChainLink.objects.filter(pk__in=[row[0] for row in cursor.fetchall()]))
            _record_withdrawn(stale, now)
            ChainLink.objects.filter(pk__in=[link.pk for link in stale])._raw_delete(connection.alias)
            withdrawn = len(stale)
            cursor.execute(DETECT_SQL_SQLITE, values)
            links = list(ChainLink.objects.filter(group=group, status=LinkStatus.DETECTED, created_at=now))
            _record_history(links, now)
            proposed = len(links)
    return {"proposed": proposed, "refreshed": refreshed, "withdrawn": withdrawn,
            "period_start": start.isoformat(), "period_end": end.isoformat()}


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


# --- thresholds -------------------------------------------------------------------------------------------


@transaction.atomic
def detection_settings_update(*, user, min_volume=None, min_payments=None, min_months=None) -> DetectionSettings:
    """Head office sets detection's thresholds (the next run applies them); the change keeps its
    history (who, when, old -> new)."""
    if not scope_for(user).sees_all:
        raise PermissionDenied(_("Only head office sets the link detection thresholds."))
    settings_row = DetectionSettings.objects.select_for_update().filter(pk=DetectionSettings.SINGLETON_PK).first()
    settings_row = settings_row or DetectionSettings(pk=DetectionSettings.SINGLETON_PK)
    for name, value in (("min_volume", min_volume), ("min_payments", min_payments), ("min_months", min_months)):
        if value is not None:
            setattr(settings_row, name, value)
    save_with_history(settings_row, user=user)
    return settings_row
