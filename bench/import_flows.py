"""Benchmark: the validated flows import against a bare PostgreSQL COPY of the same file.

    .venv/bin/python -m bench.import_flows --rows 1000000

Uses its own database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/crm_bench),
created and migrated when missing. It inserts M enterprises, writes a CSV of N flows among them, then
in the same run times
  (a) `COPY` of the file into a plain table with the same columns, no index (the issue's floor),
  (b) `imports.services.import_file(kind="flows")`, the project's full validated import into
      chains_flow (empty table), and
  (c) `COPY` of the file into a table indexed like chains_flow (codes as text; (payer, value_date),
      (payee, value_date), unique (source_system, external_ref)): what any loader of this table pays,
and prints rows/s of each, the ratios b/a and b/c, and the peak RSS of the import for 1/4 of the rows
and for all of them (each import runs in a fresh child process; its VmHWM is its own). At the end
it drops its tables, empties chains_flow and drops the bench database (`--keep-db` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                            password=cfg["PASSWORD"] or None, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    fork + exec, so a child started by this driver would report the driver's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def generate(path: Path, rows: int, codes: list[str], seed: int = 7) -> None:
    """A CSV of `rows` flows, written in blocks so generating stays light on memory."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    codes_arr = np.array(codes)
    kinds = np.array(["payment", "invoice", "order", "shipment"])
    channels = np.array(["this_bank", "other_bank"])
    days = pd.date_range("2024-01-01", "2025-12-31").strftime("%Y-%m-%d").to_numpy()
    block = 200_000
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("payer,payee,amount,currency,value_date,kind,channel,external_ref\n")
        for start in range(0, rows, block):
            n = min(block, rows - start)
            payer = rng.integers(0, len(codes), n)
            payee = (payer + rng.integers(1, len(codes), n)) % len(codes)
            cents = rng.integers(100, 10**10, n)
            df = pd.DataFrame({
                "payer": codes_arr[payer], "payee": codes_arr[payee],
                "amount": [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()],
                "currency": np.where(rng.random(n) < 0.95, "CNY", "USD"),
                "value_date": days[rng.integers(0, len(days), n)],
                "kind": kinds[rng.integers(0, 4, n)], "channel": channels[(rng.random(n) < 0.2).astype(int)],
                "external_ref": [f"BENCH{i:010d}" for i in range(start, start + n)],
            })
            df.to_csv(out, header=False, index=False)


def make_enterprises(m: int) -> list[str]:
    """M enterprises, and the source system the bench's flows come from."""
    from clients.models import Enterprise
    from clients.validators import make_uscc
    from imports.models import SourceSystem

    SourceSystem.objects.get_or_create(code="bench", defaults={"name": "bench"})

    codes = [make_uscc(f"91520100{900000000 + i:09d}") for i in range(m)]
    Enterprise.objects.bulk_create(
        [Enterprise(name=f"基准企业{i}", uscc=c, industry="C36", region="52") for i, c in enumerate(codes)],
        ignore_conflicts=True, batch_size=5000,
    )
    return codes


def bare_copy(path: Path, *, indexed: bool = False) -> float:
    """COPY the file into a plain table (a), or into one indexed like chains_flow (c)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_flow_copy")
        cur.execute("""CREATE TABLE bench_flow_copy (id bigserial, payer varchar(18), payee varchar(18),
                       amount numeric(18, 2), currency varchar(3), value_date date, kind varchar(10),
                       channel varchar(10), source_system varchar(50) NOT NULL DEFAULT 'bench',
                       external_ref varchar(100))""")
        if indexed:
            cur.execute("ALTER TABLE bench_flow_copy ADD PRIMARY KEY (id)")
            cur.execute("ALTER TABLE bench_flow_copy ADD UNIQUE (source_system, external_ref)")
            cur.execute("CREATE INDEX ON bench_flow_copy (payer, value_date)")
            cur.execute("CREATE INDEX ON bench_flow_copy (payee, value_date)")
        cur.execute("CHECKPOINT")
        start = time.perf_counter()
        with open(path, encoding="utf-8") as fh:
            cur.copy_expert("COPY bench_flow_copy (payer, payee, amount, currency, value_date, kind, channel, "
                            "external_ref) FROM STDIN WITH (FORMAT csv, HEADER true)", fh, 1 << 20)
        elapsed = time.perf_counter() - start
        cur.execute("DROP TABLE bench_flow_copy")
    return elapsed


def drop_database(url: str) -> None:
    import dj_database_url
    import psycopg2
    from django.db import connections

    connections.close_all()
    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                            password=cfg["PASSWORD"] or None, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')
    conn.close()


def truncate_flows() -> None:
    from django.db import connection

    from chains.models import Flow

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {Flow._meta.db_table}")
        cur.execute("CHECKPOINT")


def child_import(path: str) -> None:
    """Run in a fresh process: import the file, print JSON with time, counts and peak RSS."""
    from imports.services import import_file

    start = time.perf_counter()
    with open(path, "rb") as fh:
        result = import_file(user=None, kind="flows", fh=fh, filename=Path(path).name, commit=True,
                             source_system="bench", max_bytes=10**12)
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "created": result.created, "ok": result.ok,
                      "errors": [str(e) for e in result.errors.items[:5]] + result.file_errors,
                      "peak_rss_mb": peak_rss_mb()}))


def run_child(url: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.import_flows", "--db-url", url, "--child", str(path)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"import child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=2_000)
    parser.add_argument("--db-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database (emptied) at the end")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        setup_django(args.db_url)
        child_import(args.child)
        return

    ensure_database(args.db_url)
    setup_django(args.db_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    try:
        codes = make_enterprises(args.enterprises)
        with tempfile.TemporaryDirectory() as tmp:
            full, quarter = Path(tmp) / "flows_full.csv", Path(tmp) / "flows_quarter.csv"
            t = time.perf_counter()
            generate(full, args.rows, codes)
            generate(quarter, args.rows // 4, codes)
            size_mb = full.stat().st_size / 1e6
            print(f"generated {args.rows:,} flows among {len(codes):,} enterprises ({size_mb:.0f} MB) "
                  f"in {time.perf_counter() - t:.1f}s")

            copy_s = bare_copy(full)
            indexed_s = bare_copy(full, indexed=True)
            truncate_flows()
            small = run_child(args.db_url, quarter)
            truncate_flows()
            big = run_child(args.db_url, full)
            if not big["ok"]:
                sys.exit(f"import failed: {big['errors']}")
            truncate_flows()
    finally:
        load = os.getloadavg()
        print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
        if args.keep_db:
            truncate_flows()
        else:
            drop_database(args.db_url)

    copy_rate, import_rate, indexed_rate = args.rows / copy_s, args.rows / big["seconds"], args.rows / indexed_s
    print(f"(a) bare COPY into a plain table          : {copy_s:7.2f}s  {copy_rate:10,.0f} rows/s")
    print(f"(b) validated import into chains_flow     : {big['seconds']:7.2f}s  {import_rate:10,.0f} rows/s "
          f"({big['created']:,} created)")
    print(f"(c) bare COPY into a table indexed alike  : {indexed_s:7.2f}s  {indexed_rate:10,.0f} rows/s")
    print(f"ratio b/a: {import_rate / copy_rate:.2f}  (goal >= 0.50)   ratio b/c: {import_rate / indexed_rate:.2f}")
    print(f"peak RSS of the import, {args.rows // 4:,} rows: {small['peak_rss_mb']:.0f} MB; "
          f"{args.rows:,} rows: {big['peak_rss_mb']:.0f} MB")
    print(f"peak RSS of this driver process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
