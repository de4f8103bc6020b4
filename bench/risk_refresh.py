"""Benchmark: the early-warning engine's full refresh against a plain SQL floor over the same rows, the
incremental refresh of one group, and peak memory (same goals as bench/needs_refresh.py).

    createdb crm_bench_risk && DATABASE_URL=.../crm_bench_risk manage.py migrate
    DATABASE_URL=.../crm_bench_risk manage.py seed_demo --groups 10000 --flows 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_risk .venv/bin/python -m bench.risk_refresh

(and the same at a tenth of the size to see memory stay flat). The seed writes the risk data (risk.demo:
facilities, pledges, statements, guarantees) and runs the risk job once. In one run this times

  (a) the floor: one plain pass over every row the rules read, counted in the database and nothing
      fetched: the flow summary's rows of the 7 months the flow windows cover grouped by payer and
      payee, the last 30 days of chains_flow grouped by payer, every financial statement, guarantee
      and facility, and every account's latest balance;
  (b) `risk.engine.refresh()` over every enterprise, twice: the first run writes the alerts (the
      earlier alerts are deleted first: a cold run; `--keep-alerts` keeps them), the second finds them
      in place (the nightly steady state); ratio to (a); per rule, the time of its evaluation alone
      over the whole set (the rule's SQL and Python, no writes);
  (c) `refresh(ids)` for one group (its core, members and circle; the on-demand button), the median of
      five random groups; ratio to (b).

Peak memory: tracemalloc's peak of Python allocations during a third full run (not timed), and the
process's max RSS. Run date: the last value date of the data. Times are printed, never asserted.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
import tracemalloc


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log (as in production)


FLOOR_SQL = [
    # the flow summary over the months the flow windows read (7: 6 months of history and the recent one)
    """SELECT count(*) FROM (SELECT payer_id, payee_id, sum(amount_cny) FROM chains_flowsummary
                             WHERE month >= %(first_month)s GROUP BY 1, 2) q""",
    # single payments of the last 30 days, by payer
    "SELECT count(*) FROM (SELECT payer_id, sum(amount) FROM chains_flow WHERE value_date > %(d30)s GROUP BY 1) q",
    "SELECT count(*), sum(total_assets - total_liabilities) FROM clients_financialstatement",
    "SELECT count(*), sum(amount) FROM circles_guarantee",
    "SELECT count(*), sum(past_due_amount), sum(drawn) FROM risk_facility",
    """SELECT count(*) FROM (SELECT DISTINCT ON (account_id) account_id, balance FROM clients_accountbalance
                             ORDER BY account_id, date DESC) q""",
]


def main() -> int:
    setup()
    import datetime as dt

    from django.db import connection, transaction

    from risk import engine
    from risk.rules import load, settings_for
    from risk.tasks import group_enterprise_ids

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(value_date) FROM chains_flow")
        flows, as_of = cursor.fetchone()
        counts = {}
        for table in ("chains_flowsummary", "clients_enterprise", "clients_groupclient", "risk_facility",
                      "circles_guarantee", "clients_financialstatement"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    print(f"data: {counts['clients_groupclient']:,} groups, {counts['clients_enterprise']:,} enterprises, "
          f"{flows:,} flows, {counts['chains_flowsummary']:,} summary rows, {counts['risk_facility']:,} facilities, "
          f"{counts['circles_guarantee']:,} guarantees, {counts['clients_financialstatement']:,} statements; "
          f"run date {as_of}")
    first_month = (as_of.replace(day=1) - dt.timedelta(days=200)).replace(day=1)
    params = {"first_month": first_month, "d30": as_of - dt.timedelta(days=30)}

    def floor() -> float:
        with connection.cursor() as cursor:
            started = time.perf_counter()
            for sql in FLOOR_SQL:
                cursor.execute(sql, params)
                cursor.fetchall()
            return time.perf_counter() - started

    if "--keep-alerts" not in sys.argv:
        with transaction.atomic(), connection.cursor() as cursor:  # a bench database only
            cursor.execute("DELETE FROM risk_alertparty")
            cursor.execute("DELETE FROM risk_alertcomment")
            cursor.execute("DELETE FROM risk_riskalert")
    floor()  # warm the cache like the refresh will find it
    a = min(floor() for _ in range(3))
    print(f"(a) plain SQL pass over the rows the rules read: {a:.2f} s")

    started = time.perf_counter()
    first = engine.refresh(as_of=as_of)
    b1 = time.perf_counter() - started
    started = time.perf_counter()
    second = engine.refresh(as_of=as_of)
    b2 = time.perf_counter() - started
    tracemalloc.start()
    engine.refresh(as_of=as_of)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"(b) full refresh, first run: {b1:.2f} s ({b1 / a:.1f}x the floor), {first['chunks']} chunks, "
          f"opened {first['opened']:,}")
    print(f"    full refresh, second run: {b2:.2f} s ({b2 / a:.1f}x the floor), opened {second['opened']:,}, "
          f"updated (changed) {second['updated']:,}, resolved {second['resolved']:,}")
    print("    alerts per rule (first run): " + ", ".join(f"{k} {v['opened']:,}" for k, v in first["rules"].items()))
    print(f"    peak Python memory of a full run: {peak / 2**20:.1f} MiB; "
          f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    # Per rule: its evaluation alone over every chunk (no writes).
    conf = settings_for()
    timings = []
    for code, rule in sorted(load().items()):
        if not conf[code][0]:
            continue
        scopes = list(engine.chunks(engine.CHUNK_SIZE, as_of)) if rule.chunked else [engine.Scope(as_of=as_of)]
        started = time.perf_counter()
        found = sum(len(rule.evaluate(scope, conf[code][1])) for scope in scopes)
        timings.append((code, time.perf_counter() - started, found))
    print("    evaluation alone per rule: " + ", ".join(f"{c} {t:.2f} s ({n:,})" for c, t, n in timings))

    # (c) one group on demand, five random groups.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM clients_groupclient ORDER BY id")
        group_ids = [row[0] for row in cursor.fetchall()]
    picks = random.Random(10).sample(group_ids, min(5, len(group_ids)))
    times, sizes = [], []
    for group_id in picks:
        ids = group_enterprise_ids(group_id)
        started = time.perf_counter()
        engine.refresh(ids, as_of=as_of)
        times.append(time.perf_counter() - started)
        sizes.append(len(ids))
    c = statistics.median(times)
    print(f"(c) one group on demand (median of {len(picks)}; {min(sizes)}-{max(sizes)} enterprises): {c:.2f} s = "
          f"{c / b2 * 100:.1f} % of a full run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
