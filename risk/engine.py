"""The early-warning engine: runs every enabled rule (risk.rules) with head office's thresholds and
writes what they find (risk.alerts.sync).

`refresh(None)` looks at every enterprise: chunked rules in chunks of consecutive ids (CHUNK_SIZE, one
transaction per chunk: memory stays flat, a run cut off mid-way keeps the chunks it finished and a
rerun redoes the rest; every write is idempotent), graph rules once over the whole edge list.
`refresh(ids)` is the incremental run (a group on demand, enterprises after new data): the same rules
over those enterprises. Stages run in order, so `contagion` reads the alerts the other rules left."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from core.rulekit import Scope
from risk import alerts
from risk.rules import load, settings_for

CHUNK_SIZE = 20000


def chunks(size: int, as_of: dt.date):
    """Scopes of `size` consecutive enterprise ids each, over every enterprise."""
    from clients.models import Enterprise

    table = Enterprise._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT id, next_id FROM (
                               SELECT id, row_number() OVER (ORDER BY id) AS rn,
                                      lead(id, %s) OVER (ORDER BY id) AS next_id FROM {table}) q
                           WHERE rn %% %s = 1""", [size, size])
        bounds = cursor.fetchall()
    for lo, next_id in bounds:
        yield Scope(as_of=as_of, lo=lo, hi=next_id - 1 if next_id is not None else 2 ** 62)


def _add(total: dict, counts: dict) -> None:
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


def refresh(enterprise_ids: list[int] | None = None, *, as_of: dt.date | None = None,
            chunk_size: int = CHUNK_SIZE) -> dict:
    """Run the enabled rules; returns counts (opened, updated, resolved, held_back) in total and per
    rule under "rules", and the chunks."""
    if connection.vendor != "postgresql":
        # The rules are PostgreSQL SQL; the embedded SQLite demo database runs everything else.
        return {**dict.fromkeys(alerts.COUNT_KEYS, 0), "rules": {}, "chunks": 0, "skipped": "needs PostgreSQL"}
    as_of = as_of or timezone.localdate()
    conf = settings_for()
    active = sorted(((rule, conf[code][1]) for code, rule in load().items() if conf[code][0]),
                    key=lambda pair: (pair[0].stage, pair[0].code))
    ids = sorted({int(i) for i in enterprise_ids}) if enterprise_ids is not None else None
    totals = dict.fromkeys(alerts.COUNT_KEYS, 0)
    per_rule: dict[str, dict] = {rule.code: dict.fromkeys(alerts.COUNT_KEYS, 0) for rule, _ in active}
    n_chunks = 0
    now = timezone.now()
    for stage in sorted({rule.stage for rule, _ in active}):
        in_stage = [(rule, params) for rule, params in active if rule.stage == stage]
        chunked = [(rule, params) for rule, params in in_stage if rule.chunked]
        if chunked:
            if ids is not None:
                scopes = [Scope(as_of=as_of, ids=ids[i:i + chunk_size]) for i in range(0, len(ids), chunk_size)]
            else:
                scopes = list(chunks(chunk_size, as_of))
            for scope in scopes:
                n_chunks += 1
                with transaction.atomic():
                    for rule, params in chunked:
                        counts = alerts.sync(rule.code, rule.evaluate(scope, params), rule.in_scope(scope), now=now)
                        _add(totals, counts)
                        _add(per_rule[rule.code], counts)
        for rule, params in in_stage:
            if rule.chunked:
                continue
            scope = Scope(as_of=as_of, ids=ids)
            with transaction.atomic():
                counts = alerts.sync(rule.code, rule.evaluate(scope, params), rule.in_scope(scope), now=now)
            _add(totals, counts)
            _add(per_rule[rule.code], counts)
    return {**totals, "rules": per_rule, "chunks": n_chunks}
