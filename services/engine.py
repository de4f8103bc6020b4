"""The needs engine: runs every enabled rule (services.rules) with head office's thresholds over a set
of enterprises and writes what they find (services.needs.upsert).

`refresh(None)` looks at every enterprise, in chunks of consecutive ids (CHUNK_SIZE): one transaction
per chunk, so memory stays flat as the data grows and a run cut off mid-way keeps the chunks it
finished (a rerun redoes the rest; every write is an idempotent upsert). `refresh(ids)` is the
incremental run after new flows, holdings or balances: it looks at those enterprises and at what
their rules depend on: the core enterprises of the groups they belong to (as members or in the
circle), whose group-level needs (cash pool, settlement migration) and pair needs read them. Flows
touch both parties, so a supplier's new invoice re-evaluates the supplier and the core."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from services import needs as need_service
from services.models import Product
from services.rules import ENGINE, Scope, load, reset_margins, settings_for, tables

CHUNK_SIZE = 20000
COUNT_KEYS = ("raised", "updated", "re_raised", "lapsed")


def expand(enterprise_ids) -> list[int]:
    """The enterprises an incremental run must look at (see the module docstring), existing ones only."""
    t = tables()
    ids = sorted({int(i) for i in enterprise_ids})
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT e.id FROM {t['e']} e WHERE e.id = ANY(%s)
                UNION
                SELECT g.core_enterprise_id FROM {t['g']} g WHERE g.id IN (
                    SELECT group_id FROM {t['gm']} WHERE enterprise_id = ANY(%s)
                    UNION SELECT group_id FROM {t['cm']} WHERE enterprise_id = ANY(%s))""",
            [ids, ids, ids],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _chunks(enterprise_ids, size: int, as_of: dt.date):
    if enterprise_ids is not None:
        ids = expand(enterprise_ids)
        for i in range(0, len(ids), size):
            yield Scope(as_of=as_of, ids=ids[i:i + size]), len(ids[i:i + size])
        return
    t = tables()
    with connection.cursor() as cursor:
        # The first id of every `size` consecutive ids: the chunks' lower bounds (a few hundred rows).
        cursor.execute(f"""SELECT id, next_id FROM (
                               SELECT id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS n,
                                      lead(id, %s) OVER (ORDER BY id) AS next_id FROM {t['e']}) q
                           WHERE rn %% %s = 1""", [size, size])
        bounds = cursor.fetchall()
    for lo, next_id in bounds:
        hi = next_id - 1 if next_id is not None else 2 ** 62
        yield Scope(as_of=as_of, lo=lo, hi=hi), None


def _best_per_enterprise(candidates: list) -> list:
    """One candidate per enterprise (a supplier of two cores: the larger basis, then the lower group)."""
    best: dict[int, object] = {}
    for c in candidates:
        kept = best.get(c.enterprise_id)
        if kept is None or (c.basis, -(c.group_id or 0)) > (kept.basis, -(kept.group_id or 0)):
            best[c.enterprise_id] = c
    return [best[k] for k in sorted(best)]


def refresh(enterprise_ids: list[int] | None = None, *, as_of: dt.date | None = None,
            chunk_size: int = CHUNK_SIZE) -> dict:
    """Run the enabled rules; returns counts: raised, updated, re_raised, lapsed (in total and per
    rule under "rules"), enterprises looked at (incremental runs) and chunks."""
    if connection.vendor != "postgresql":
        # The rules are PostgreSQL SQL (FILTER, arrays, window functions over the flow summary); the
        # embedded SQLite demo database runs everything else. The run says so instead of failing.
        return {**dict.fromkeys(COUNT_KEYS, 0), "rules": {}, "chunks": 0, "skipped": "needs PostgreSQL"}
    rules = load()
    reset_margins()
    conf = settings_for()
    factor = Decimal(conf[ENGINE][1]["reraise_factor"])
    as_of = as_of or timezone.localdate()
    products = dict(Product.objects.filter(code__in=[r.product for r in rules.values()]).values_list("code", "pk"))
    active = [(rule, conf[code][1]) for code, rule in rules.items() if conf[code][0] and rule.product in products]
    totals = dict.fromkeys(COUNT_KEYS, 0)
    per_rule = {rule.code: dict.fromkeys(COUNT_KEYS, 0) for rule, _ in active}
    chunks = looked_at = 0
    now = timezone.now()
    for scope, size in _chunks(enterprise_ids, chunk_size, as_of):
        chunks += 1
        looked_at += size or 0
        with transaction.atomic():
            # An incremental chunk: its enterprises' needs of every rule in one read.
            existing = need_service.read_existing(scope.ids) if scope.ids is not None else None
            for rule, params in active:
                candidates = _best_per_enterprise(rule.evaluate(scope, params))
                key = (rule.code, products[rule.product])
                counts = need_service.upsert(rule.code, products[rule.product], candidates,
                                             where=scope.where("enterprise_id"), factor=factor, now=now,
                                             ids=scope.ids,
                                             existing=None if existing is None else existing.get(key, {}))
                for key in COUNT_KEYS:
                    totals[key] += counts[key]
                    per_rule[rule.code][key] += counts[key]
    out = {**totals, "chunks": chunks, "rules": per_rule}
    if enterprise_ids is not None:
        out["enterprises"] = looked_at
    return out
