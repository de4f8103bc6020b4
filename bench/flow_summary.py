"""The flow summary: `chains.summary.rebuild()` against one plain SQL pass over the same flow rows, and
the cost of the triggers on an import, measured in the same run.

    .venv/bin/python -m bench.flow_summary [--groups 2000] [--flows 200000] [--import-rows 10000] [--repeat 3]

Own database: `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/crm_bench_summary`),
created, migrated and filled with `seed_demo --groups G --flows F` when it holds no flows; kept
afterwards (the next run reuses it). The run:

1. checks that the trigger-kept summary equals a rebuild (row by row, in SQL: EXCEPT both ways);
2. floor: `SELECT count(*), sum(amount) FROM chains_flow` (median of `--repeat`);
3. the rebuild's aggregate alone (GROUP BY key with the CNY conversion, nothing written), then
   `rebuild()` (TRUNCATE + one INSERT ... SELECT ... GROUP BY), medians of `--repeat`;
4. `reconvert(["USD"], one year ago)`;
5. the trigger's cost: the same file of `--import-rows` flows (10 % in USD/EUR/HKD) imported through
   `imports.services.import_file` (COPY path) with the summary triggers enabled and disabled, each in
   a transaction that is rolled back (the data set is unchanged), median of `--repeat`.

It prints seconds and the ratios rebuild / floor and import with / without triggers.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_summary"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def ensure_database(groups: int, flows: int) -> None:
    """Create, migrate and seed the bench database when it holds no flows (in child processes)."""
    import psycopg2  # noqa: F401  (the driver Django uses; fail early if missing)

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], capture_output=True)
    env = dict(os.environ)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env)
    count = subprocess.run([*manage, "shell", "-c", "from chains.models import Flow; print(Flow.objects.count())"],
                           check=True, env=env, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    if int(count) == 0:
        subprocess.run([*manage, "seed_demo", "--groups", str(groups), "--flows", str(flows)], check=True, env=env)


class Rollback(Exception):
    pass


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--flows", type=int, default=200_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ensure_database(args.groups, args.flows)

    import django

    django.setup()
    import datetime as dt

    from django.db import connection, transaction

    from chains import summary
    from clients.models import Enterprise, GroupMembership
    from imports.services import import_file

    with connection.schema_editor() as editor:  # the triggers as this checkout generates them
        summary.install_triggers(editor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE currency <> 'CNY') FROM {summary.FLOW}")
        n_flows, n_foreign = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {summary.SUMMARY}")
        n_rows = cursor.fetchone()[0]
        cursor.execute(f"SELECT {summary.COLUMNS_SQL} FROM {summary.SUMMARY}")  # warm the cache
        cursor.fetchall()
    print(f"data set: {n_flows:,} flows ({n_foreign:,} in other currencies), {n_rows:,} summary rows")

    # 1. the triggers' table equals a rebuild (compared in SQL, both ways)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_kept ON COMMIT DROP AS SELECT {summary.COLUMNS_SQL} FROM {summary.SUMMARY}")
        summary.rebuild()
        cursor.execute(f"""SELECT (SELECT count(*) FROM (SELECT * FROM bench_kept EXCEPT
                                   SELECT {summary.COLUMNS_SQL} FROM {summary.SUMMARY}) a),
                                  (SELECT count(*) FROM (SELECT {summary.COLUMNS_SQL} FROM {summary.SUMMARY}
                                   EXCEPT SELECT * FROM bench_kept) b)""")
        missing, extra = cursor.fetchone()
    print(f"kept by triggers vs rebuild: {missing} rows differ one way, {extra} the other"
          + ("" if missing or extra else " (identical)"))

    # 2. floor and 3. rebuild
    def floor():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), sum(amount) FROM {summary.FLOW}")
            return cursor.fetchone()

    def group_by_only():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({summary._aggregate('postgresql', summary.FLOW, ordered=False)}) q")
            return cursor.fetchone()

    t_floor, _ = timed(floor, args.repeat)
    t_group, _ = timed(group_by_only, args.repeat)
    t_rebuild, rows = timed(summary.rebuild, args.repeat)
    print(f"floor  SELECT count(*), sum(amount) FROM chains_flow: {t_floor:8.3f} s")
    print(f"the rebuild's GROUP BY with CNY conversion, no write: {t_group:8.3f} s   ratio {t_group / t_floor:.1f}x")
    print(f"rebuild() -> {rows:,} rows:                        {t_rebuild:8.3f} s   ratio {t_rebuild / t_floor:.1f}x")

    # 4. reconvert one currency over a year
    since = dt.date.today() - dt.timedelta(days=365)
    t_reconv, changed = timed(lambda: summary.reconvert(["USD"], since), 1)
    print(f"reconvert(['USD'], {since}) -> {changed} rows changed:  {t_reconv:8.3f} s")

    # 5. the triggers' cost on an import of --import-rows flows
    group_members = list(GroupMembership.objects.values_list("enterprise__uscc", flat=True)[:400])
    others = list(Enterprise.objects.order_by("?").values_list("uscc", flat=True)[:400])
    rng = random.Random(2026)
    lines = ["payer,payee,amount,currency,value_date,kind,channel,external_ref"]
    today = dt.date.today()
    for i in range(args.import_rows):
        payer, payee = rng.choice(group_members), rng.choice(others)
        if payer == payee:
            payee = rng.choice(group_members)
        currency = rng.choice(("USD", "EUR", "HKD")) if i % 10 == 0 else "CNY"
        day = today - dt.timedelta(days=rng.randrange(1, 365))
        lines.append(f"{payer},{payee},{rng.randrange(100, 10_000_000)}.{rng.randrange(100):02d},{currency},"
                     f"{day.isoformat()},{rng.choice(('payment', 'invoice', 'order'))},"
                     f"{rng.choice(('this_bank', 'other_bank'))},BENCH-SUMMARY-{i}")
    content = ("\n".join(lines) + "\n").encode()

    def run_import(triggers: bool):
        def once():
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        if not triggers:
                            cursor.execute(f"ALTER TABLE {summary.FLOW} DISABLE TRIGGER chains_flowsummary_ins")
                    result = import_file(user=None, kind="flows", fh=io.BytesIO(content), filename="bench.csv",
                                         commit=True, source_system="core_banking")
                    assert result.created == args.import_rows, (result.created, result.errors.sorted()[:3])
                    raise Rollback
            except Rollback:
                pass
        return timed(once, args.repeat)[0]

    run_import(True)  # warm up
    t_with = run_import(True)
    t_without = run_import(False)
    print(f"import {args.import_rows:,} flows with the triggers:    {t_with:8.3f} s")
    print(f"import {args.import_rows:,} flows without the triggers: {t_without:8.3f} s   "
          f"ratio {t_with / t_without:.2f}x")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
