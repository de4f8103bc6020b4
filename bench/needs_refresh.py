"""Benchmark: the needs engine's full refresh against one plain SQL pass over the same flow rows, the
incremental refresh after 1,000 new flows, and peak memory at two sizes.

    createdb crm_bench_needs && DATABASE_URL=.../crm_bench_needs manage.py migrate
    DATABASE_URL=.../crm_bench_needs manage.py seed_demo --groups 10000 --flows 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_needs .venv/bin/python -m bench.needs_refresh

(and the same at a tenth of the size, e.g. crm_bench_needs_s with --groups 1000 --flows 100000, to see
memory stay flat). In one run it times

  (a) the floor: `SELECT payer_id, payee_id, sum(amount) FROM chains_flow GROUP BY 1, 2` (counted in
      the database, nothing fetched), the one plain pass over every flow row;
  (b) `services.engine.refresh()` over every enterprise, twice: the first run writes the needs, the
      second finds them in place (the nightly steady state); ratio to (a);
  (c) 1,000 new flows (the core of a random group paying a random member of its circle, dated a few
      days before the data's last date), inserted in one statement (the summary's triggers keep up),
      then `refresh(ids of their parties)`; ratio to (b). The flows are deleted afterwards and the
      touched needs refreshed back.

Peak memory: tracemalloc's peak of Python allocations during a third full run (not timed: tracing
slows Python down), and the process's max RSS. The run
date is the last value date of the data. The engine's needs of earlier runs are deleted first (a cold
first run; `--keep-needs` keeps them); nothing else is changed.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log (as in production): it would keep every statement and its arrays


def main() -> int:
    setup()
    import datetime as dt

    from django.db import connection, transaction

    from services.engine import refresh

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(value_date) FROM chains_flow")
        flows, as_of = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM chains_flowsummary")
        summary_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM clients_enterprise")
        enterprises = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM clients_groupclient")
        groups = cursor.fetchone()[0]
    print(f"data: {groups:,} groups, {enterprises:,} enterprises, {flows:,} flows, {summary_rows:,} summary rows; "
          f"run date {as_of}")

    def floor() -> float:
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM (SELECT payer_id, payee_id, sum(amount) FROM chains_flow "
                           "GROUP BY 1, 2) q")
            cursor.fetchone()
            return time.perf_counter() - started

    if "--keep-needs" not in sys.argv:
        # A cold first run: the engine's needs of an earlier run are removed (a bench database only).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM services_need WHERE rule <> 'manual'")
    floor()  # warm the cache like the refresh will find it
    a = min(floor() for _ in range(3))
    print(f"(a) plain SQL pass over the flows: {a:.2f} s")

    started = time.perf_counter()
    first = refresh(as_of=as_of)
    b1 = time.perf_counter() - started
    started = time.perf_counter()
    second = refresh(as_of=as_of)
    b2 = time.perf_counter() - started
    # Memory: a third run under tracemalloc (which slows Python down; its time is not the figure).
    tracemalloc.start()
    refresh(as_of=as_of)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"(b) full refresh, first run: {b1:.2f} s ({b1 / a:.1f}x the floor), {first['chunks']} chunks, "
          f"raised {first['raised']:,}, updated {first['updated']:,}, lapsed {first['lapsed']:,}")
    print(f"    full refresh, second run: {b2:.2f} s ({b2 / a:.1f}x the floor), raised {second['raised']:,}, "
          f"updated (changed) {second['updated']:,}")
    print("    per rule (first run): " + ", ".join(f"{k} {v['raised']:,}" for k, v in first["rules"].items()))
    print(f"    peak Python memory of a full run: {peak / 2**20:.1f} MiB; "
          f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    # (c) 1,000 new flows, then the incremental run over their parties.
    day = as_of - dt.timedelta(days=3)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO chains_flow (payer_id, payee_id, amount, currency, value_date, kind, channel,
                                        source_system, external_ref, imported_at)
               SELECT g.core_enterprise_id, cm.enterprise_id, 250000 + (random() * 1000000)::int, 'CNY', %s,
                      'payment', 'this_bank', 'bench', 'BENCH-NEEDS-' || row_number() OVER (), now()
               FROM (SELECT group_id, enterprise_id FROM circles_circlemember ORDER BY random() LIMIT 1000) cm
               JOIN clients_groupclient g ON g.id = cm.group_id
               WHERE cm.enterprise_id <> g.core_enterprise_id
               RETURNING payer_id, payee_id""",
            [day],
        )
        parties = {p for row in cursor.fetchall() for p in row}
    started = time.perf_counter()
    inc = refresh(sorted(parties), as_of=as_of)
    c = time.perf_counter() - started
    print(f"(c) incremental refresh after 1,000 new flows ({inc['enterprises']:,} enterprises looked at): "
          f"{c:.2f} s = {c / b2 * 100:.1f} % of a full run; raised {inc['raised']}, updated {inc['updated']}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM chains_flow WHERE source_system = 'bench' AND external_ref LIKE 'BENCH-NEEDS-%%'")
    refresh(sorted(parties), as_of=as_of)
    return 0


if __name__ == "__main__":
    sys.exit(main())
