"""Imports of the chain: flows (the big table, set-wise in SQL) and chain links.

Both follow the naming rule of DESIGN.md section 4 (clients.importers): any enterprise on file may be
named by its credit code; a chain link belongs to a group in the importer's reach; a flow has at least
one party in the importer's full record (the other party becomes a counterparty, never more).

Flows
-----
CSV files on PostgreSQL take the COPY path (`FlowImporter.stage_file`): after the whole-file checks the
driver made (size, encoding, header), the raw file is streamed with `COPY ... FROM STDIN` into a TEMP
table of text columns (row numbers from an identity column, in file order), and one
`CREATE TABLE AS SELECT` normalises, casts and format-checks every row in SQL, counting the errors
per row. The rows it flags (values as people write them, `125万`, `付款`, `2026年11月22日`, or bad
values) come back to Python in chunks, where the same pandas checks as the other paths read them
(imports.checks): they are staged with their normalised values, or refused naming column and reason.
No pandas and no Python loop touch the canonical rows, and memory stays flat whatever the file size. A file that PostgreSQL's CSV parser refuses
(ragged or blank lines, mixed line endings) is left to the driver's pandas reader, which reports per row.

XLSX files, API records and SQLite take the pandas path: each checked chunk goes into a TEMP staging
table (PostgreSQL: `COPY`; SQLite: executemany). Then, in one transaction, the distinct credit codes of
the file are resolved (with their full-record flag) into a TEMP table, and a single
`INSERT ... SELECT ... JOIN <codes> ON CONFLICT DO NOTHING` writes every row. When it wrote as many
rows as were staged, nothing was unknown, uncovered, duplicated or conflicting and the fast path is
done. Otherwise (or when a format error was already found) the insert is rolled back to a savepoint
and the diagnostic queries name every bad row: unknown or malformed credit codes, flows touching no
enterprise of the importer's full record, references repeated inside the file, references already
stored with other content; rows already stored with the same content are counted as "already
present". No Python loop runs per row.

The source system of every flow is one head office keeps (imports.SourceSystem): files take the one
chosen for the import (a `source_system` column may name another active one per row), API rows name
theirs. Table names and choice values in the SQL come from the models.
"""

from __future__ import annotations

import io
import sys

import pandas as pd
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from chains.models import ChainLink, Channel, Flow, FlowKind, LinkStatus
from circles.models import CircleMember
from clients.importers import (
    GROUP_COLUMN,
    codes_on_file,
    full_record_ids,
    resolve_code_column,
    resolve_group_column,
    unknown_code_message,
)
from clients.models import GroupMembership
from core.dates import business_date_range
from imports import checks
from imports.columns import AMOUNT, CHOICE, CODE, DATE, INTEGER, TEXT, Column
from imports.currencies import ISO_4217_ACTIVE
from imports.engine import PREVIEW_ROWS, Importer
from imports.errors import ErrorList, ImportResult
from imports.frame import FrameImporter, compare
from imports.models import active_source_codes
from imports.reader import ROW, CheckedFile, Columns
from imports.registry import register

STAGE = "imp_flow_stage"
CODES = "imp_flow_codes"
RAW = "imp_flow_raw"
FLOW_TABLE = Flow._meta.db_table
STAGE_COLUMNS = [ROW, "payer", "payee", "amount", "currency", "value_date", "kind", "channel",
                 "source_system", "external_ref"]
_STAGE_DDL = f"""CREATE TEMP TABLE {STAGE} (
    row_no integer NOT NULL, payer varchar(64) NOT NULL, payee varchar(64) NOT NULL,
    amount numeric(18, 2) NOT NULL, currency varchar(3) NOT NULL, value_date date NOT NULL,
    kind varchar(10) NOT NULL, channel varchar(10) NOT NULL, source_system varchar(50) NOT NULL,
    external_ref varchar(100) NOT NULL)"""
_CURRENCIES = sorted(ISO_4217_ACTIVE)
# What Python's str.strip() removes (the pandas path strips every cell), for btrim() in SQL.
_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_PG_ENCODINGS = {"utf-8-sig": "UTF8", "gb18030": "GB18030"}
_CSV = "csv"


class _Rollback(Exception):
    """Leave the savepoint around the insert (diagnostics must see the table as it was)."""


def _column(model, field: str) -> str:
    return model._meta.get_field(field).column


@register
class FlowImporter(Importer):
    kind = "flows"
    label = gettext_lazy("Flows (payments, invoices, orders, shipments)")
    order = 10
    needs_source_system = True
    columns = Columns(
        required=(
            Column("payer", "付款方统一社会信用代码", type=CODE,
                   aliases=("付款方", "付款人", "付款单位", "付款方信用代码", "付款人统一社会信用代码",
                            "付款单位统一社会信用代码", "payer_uscc", "payer credit code"),
                   help=gettext_lazy("The paying enterprise's unified social credit code (18 characters); "
                                     "it or the payee must be an enterprise you cover.")),
            Column("payee", "收款方统一社会信用代码", type=CODE,
                   aliases=("收款方", "收款人", "收款单位", "收款方信用代码", "收款人统一社会信用代码",
                            "收款单位统一社会信用代码", "payee_uscc", "payee credit code"),
                   help=gettext_lazy("The receiving enterprise's unified social credit code (18 characters).")),
            Column("amount", "金额（元）", type=AMOUNT,
                   aliases=("金额", "交易金额", "交易金额（元）", "发生额", "发生额（元）", "amount (CNY)",
                            "amount_cny", "amount (yuan)"),
                   help=gettext_lazy("A positive amount in yuan, at most 2 decimals: 1250000.00, 1,250,000, "
                                     "125万 or 1.5亿."),
                   example_en="1,250,000.00", example_zh="125万"),
            Column("currency", "币种", type=TEXT, aliases=("币别", "货币", "交易币种"),
                   help=gettext_lazy("ISO 4217 code (CNY, USD, EUR, ...) or its name (人民币, 美元, RMB, ¥); "
                                     "empty means CNY."),
                   example_en="CNY", example_zh="人民币"),
            Column("value_date", "交易日期", type=DATE,
                   aliases=("日期", "起息日", "发生日期", "业务日期", "交易日", "value date", "date"),
                   help=gettext_lazy("Year first: 2026-11-22, 2026/11/22, 20261122 or 2026年11月22日."),
                   example_en="2026-11-22", example_zh="2026年11月22日"),
            Column("kind", "类型", type=CHOICE, choices=FlowKind,
                   aliases=("流水类型", "业务类型", "交易类型", "flow kind"),
                   synonyms={FlowKind.PAYMENT: ("收款", "支付", "转账", "pay"),
                             FlowKind.INVOICE: ("开票",), FlowKind.ORDER: ("采购订单",),
                             FlowKind.SHIPMENT: ("发运", "物流")},
                   help=gettext_lazy("What the row records.")),
            Column("channel", "结算渠道", type=CHOICE, choices=Channel,
                   aliases=("渠道", "结算方式", "结算行"),
                   synonyms={Channel.THIS_BANK: ("本行", "行内"), Channel.OTHER_BANK: ("他行", "跨行")},
                   help=gettext_lazy("Whether the money moved through this bank or another bank.")),
            Column("external_ref", "业务流水号", type=TEXT,
                   aliases=("流水号", "交易流水号", "外部编号", "参考号", "reference", "external reference", "ref"),
                   help=gettext_lazy("The row's reference in the source system (at most 100 characters); "
                                     "importing the same reference again creates nothing."),
                   example_en="EXAMPLE-0001"),
        ),
        optional=(
            Column("source_system", "来源系统", type=TEXT, aliases=("数据来源", "来源", "source"),
                   help=gettext_lazy("Optional: an active source system's code; empty cells take the source "
                                     "chosen on the upload page.")),
        ),
    )

    @property
    def is_postgres(self) -> bool:
        return connection.vendor == "postgresql"

    def begin(self) -> None:
        self.sources = active_source_codes()
        with connection.cursor() as cursor:
            for table in (STAGE, CODES, RAW):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            if self.is_postgres:
                # Larger temp buffers keep the staging tables in memory; only allowed before the
                # session's first temp table, hence the savepoint and the shrug.
                try:
                    with transaction.atomic():
                        cursor.execute("SET temp_buffers = '256MB'")
                except DatabaseError:
                    pass
            cursor.execute(_STAGE_DDL)

    def cleanup(self) -> None:
        with connection.cursor() as cursor:
            for table in (STAGE, CODES, RAW):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    # --- the COPY path for CSV files on PostgreSQL ------------------------------------------------

    def stage_file(self, checked: CheckedFile, result: ImportResult) -> bool:
        if not (self.is_postgres and checked.format == _CSV) or checked.has_nul:
            # PostgreSQL's text cannot hold NUL: such a file is read in chunks, where each cell holding
            # one is a row error (imports.reader), instead of failing the COPY.
            return False
        names = list(checked.names)
        with connection.cursor() as cursor:
            if not self._copy_raw(cursor, checked.fh, names, _PG_ENCODINGS[checked.encoding]):
                # PostgreSQL's CSV parser refused the file (ragged or blank lines, mixed line
                # endings): the pandas reader takes such files and names the bad rows.
                cursor.execute(f"DROP TABLE IF EXISTS {RAW}")
                return False
            cursor.execute(f"DROP TABLE {STAGE}")
            result.total_rows, bad_rows, _error_count = self._stage_raw(cursor, names)
            self._preview(cursor, names, result)
            restaged = self._recheck_flagged(cursor, names, result.errors) if bad_rows else 0
            self.staged = result.total_rows - bad_rows + restaged
        return True

    def _copy_raw(self, cursor, fh, names: list[str], pg_encoding: str) -> bool:
        """Stream the file into a TEMP table of text columns; False when PostgreSQL refuses it."""
        cols = ", ".join(names)
        cursor.execute(
            f"CREATE TEMP TABLE {RAW} (row_no bigint GENERATED ALWAYS AS IDENTITY (CACHE 10000), "
            + ", ".join(f"{n} text" for n in names) + ")"
        )
        fh.seek(0)
        try:
            with transaction.atomic():
                cursor.copy_expert(
                    f"COPY {RAW} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '{pg_encoding}')",
                    fh, 1 << 20,
                )
        except (DatabaseError, connection.Database.Error):  # copy_expert raises the driver's errors
            return False
        return True

    def _cells(self, names: list[str]) -> dict[str, str]:
        """SQL for each column's stripped text ('' for an absent optional column or a NULL cell).

        btrim() with the full Unicode whitespace set costs ~1 us a cell in a UTF-8 database, so it only
        runs when the first or the last character is not printable ASCII (a few rows, if any)."""
        return {
            c: (f"CASE WHEN ascii({c}) BETWEEN 33 AND 126 AND ascii(right({c}, 1)) BETWEEN 33 AND 126 "
                f"THEN {c} ELSE btrim(coalesce({c}, ''), %(ws)s) END") if c in names else "''"
            for c in self.columns.all
        }

    @staticmethod
    def _date_sql(y: str, m: str, d: str) -> str:
        """The date y-m-d (SQL integer expressions), NULL when there is no such day or when it lies
        outside the business date range (core.dates; `%(date_min)s`, `%(date_max)s` as YYYYMMDD)."""
        last_day = (f"CASE WHEN {m} = 2 THEN 28 + (mod({y}, 4) = 0 AND (mod({y}, 100) <> 0 OR mod({y}, 400) = 0))::int "
                    f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
        return (f"CASE WHEN {y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {last_day} "
                f"AND {y} * 10000 + {m} * 100 + {d} BETWEEN %(date_min)s AND %(date_max)s "
                f"THEN make_date({y}, {m}, {d}) END")

    def _stage_raw(self, cursor, names: list[str]) -> tuple[int, int, int]:
        """Normalise, cast and check every raw row in one pass into the staging table; returns the
        number of data rows (blank rows skipped, as the pandas reader does), of rows with errors, and
        of errors. The checks and their error counts mirror `check_chunk` exactly (one error per
        failing column, as the pandas checks report them); each costly step (Unicode trims, code
        clean-up, odd date formats) runs only for the rows that need it."""
        cells = self._cells(names)
        # Dates as checks.iso_date reads them: canonical YYYY-MM-DD as it is; otherwise "/" read as
        # "-", the first 10 characters parsed as Y-M-D (1 or 2 digit month and day), and after them
        # nothing or a valid time (checks.TIME_TAIL); inside the business date range. Each level below
        # is computed once per row ("OFFSET 0" keeps PostgreSQL from pulling a subquery up and repeating
        # its expressions wherever a column is used twice).
        s10 = "left(replace(d, '/', '-'), 10)"
        sql = f"""
        CREATE TEMP TABLE {STAGE} AS
        SELECT row_no, payer, payee, amount, currency, value_date, kind, channel, source_system, external_ref,
               ((payer = '')::int + (length(payer) > 64)::int + (payee = '')::int + (length(payee) > 64)::int
                + (amount IS NULL)::int + (NOT (currency = 'CNY' OR currency = ANY(%(currencies)s)))::int
                + (value_date IS NULL)::int
                + (NOT kind = ANY(%(kinds)s))::int + (NOT channel = ANY(%(channels)s))::int
                + (external_ref = '' OR length(external_ref) > 100)::int
                + (NOT source_system = ANY(%(sources)s))::int)::smallint AS nerr
        FROM (
          SELECT row_no + 1 AS row_no,
                 CASE WHEN p ~ '^[0-9A-Z]*$' THEN p ELSE translate(upper(p), %(ws_dash)s, '') END AS payer,
                 CASE WHEN q ~ '^[0-9A-Z]*$' THEN q ELSE translate(upper(q), %(ws_dash)s, '') END AS payee,
                 CASE WHEN a ~ '^[0-9]{{1,16}}([.][0-9]{{1,2}})?$' THEN nullif(a::numeric(18, 2), 0) END AS amount,
                 CASE WHEN c = '' THEN 'CNY' ELSE upper(c) END AS currency,
                 {self._date_sql("y", "m", "dd")} AS value_date,
                 lower(k) AS kind, lower(ch) AS channel,
                 CASE WHEN s = '' THEN %(source)s ELSE s END AS source_system,
                 r AS external_ref
          FROM (
            SELECT u.*, split_part(ymd, '-', 1)::int AS y, split_part(ymd, '-', 2)::int AS m,
                   split_part(ymd, '-', 3)::int AS dd
            FROM (
              SELECT row_no, p, q, CASE WHEN strpos(a0, ',') > 0 AND a0 ~ '^[0-9]{{1,3}}(,[0-9]{{3}})+([.][0-9]{{1,2}})?$' THEN replace(a0, ',', '') ELSE a0 END AS a, c, k, ch, s, r,
                     CASE WHEN d ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN d
                          WHEN {s10} ~ '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}$'
                               AND btrim(substr(d, 11), %(ws)s) ~ %(time_tail)s
                          THEN {s10} END AS ymd
              FROM (SELECT row_no, {cells["payer"]} AS p, {cells["payee"]} AS q, {cells["amount"]} AS a0,
                           {cells["currency"]} AS c, {cells["value_date"]} AS d, {cells["kind"]} AS k,
                           {cells["channel"]} AS ch, {cells["source_system"]} AS s, {cells["external_ref"]} AS r
                    FROM {RAW} OFFSET 0) t
              WHERE NOT (p = '' AND q = '' AND a0 = '' AND c = '' AND d = '' AND k = '' AND ch = ''
                         AND s = '' AND r = '')
              OFFSET 0) u
            OFFSET 0) v
          OFFSET 0) n"""
        first, last = business_date_range()
        cursor.execute(sql, {
            "ws": _WHITESPACE, "ws_dash": _WHITESPACE + "-", "source": self.source_system,
            "currencies": _CURRENCIES, "kinds": list(FlowKind.values), "channels": list(Channel.values),
            "sources": self.sources, "time_tail": f"^{checks.TIME_TAIL}$",
            "date_min": int(first.strftime("%Y%m%d")), "date_max": int(last.strftime("%Y%m%d")),
        })
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE nerr > 0), coalesce(sum(nerr), 0) FROM {STAGE}")
        total, bad_rows, error_count = cursor.fetchone()
        return total, bad_rows, int(error_count)

    def _raw_rows(self, cursor, names: list[str], staged_rows: str, params: dict) -> pd.DataFrame:
        """Raw rows as the pandas reader gives them (stripped strings, file row numbers) for the staged
        row numbers that `staged_rows` (a query on the staging table) selects."""
        cells = self._cells(names)
        cursor.execute(
            "SELECT row_no + 1, " + ", ".join(cells[c] for c in self.columns.all)
            + f" FROM {RAW} WHERE row_no IN (SELECT r - 1 FROM ({staged_rows}) AS q (r)) ORDER BY row_no",
            {"ws": _WHITESPACE, **params},
        )
        df = pd.DataFrame(cursor.fetchall(), columns=[ROW, *self.columns.all])
        for col in self.columns.all:
            df[col] = df[col].astype(str)
        return df

    def _preview(self, cursor, names: list[str], result: ImportResult) -> None:
        df = self._raw_rows(cursor, names, f"SELECT row_no FROM {STAGE} ORDER BY row_no LIMIT %(n)s",
                            {"n": PREVIEW_ROWS})
        result.preview = [[str(r[0]), *r[1:]] for r in df.itertuples(index=False, name=None)]

    def _recheck_flagged(self, cursor, names: list[str], errors: ErrorList) -> int:
        """The rows the SQL pass flagged go through the pandas checks (`check_chunk`), in chunks: values
        as people write them (`125万`, `付款`, `2026年11月22日`, `人民币`) are read there, so a flagged row
        is either staged with its normalised values or refused with column and reason. Canonical rows
        (what systems export) never leave SQL. Returns the number of rows staged again."""
        restaged, after = 0, 0
        chunk = settings.IMPORT_CHUNK_ROWS
        # Each chunk is found by index (a file of labels flags every row: no full scan per chunk).
        cursor.execute(f"CREATE INDEX ON {RAW} (row_no)")
        cursor.execute(f"CREATE INDEX ON {STAGE} (row_no) WHERE nerr > 0")
        while True:
            df = self._raw_rows(
                cursor, names,
                f"SELECT row_no FROM {STAGE} WHERE nerr > 0 AND row_no > %(after)s ORDER BY row_no LIMIT %(n)s",
                {"after": after, "n": chunk})
            if df.empty:
                return restaged
            after = int(df[ROW].max())
            cursor.execute(f"DELETE FROM {STAGE} WHERE nerr > 0 AND row_no <= %(after)s", {"after": after})
            found = ErrorList(cap=sys.maxsize)  # this chunk's errors, kept in row order
            valid = self.check_chunk(df, found)
            for error in found.sorted():
                errors.add(error.row, error.column, error.message)
            if len(valid):
                self.stage(valid)  # nerr stays NULL: never picked up again
                restaged += len(valid)

    # --- the chunked path ---------------------------------------------------------------------------

    def check_chunk(self, df: pd.DataFrame, errors: ErrorList) -> pd.DataFrame:
        if self.source_system:
            df.loc[df["source_system"] == "", "source_system"] = self.source_system
        bad = checks.credit_code(df, "payer", errors)
        bad |= checks.credit_code(df, "payee", errors)
        bad |= checks.amount(df, "amount", errors)
        bad |= checks.currency(df, "currency", _CURRENCIES, errors)
        bad |= checks.iso_date(df, "value_date", errors)
        bad |= checks.choice(df, "kind", self.columns.spec("kind"), errors)
        bad |= checks.choice(df, "channel", self.columns.spec("channel"), errors)
        bad |= checks.required(df, "external_ref", errors) | checks.max_length(df, "external_ref", 100, errors)
        bad |= checks.listed(df, "source_system", self.sources, errors, message=_(
            "Not an active source system; head office keeps the list: %(codes)s.") % {
                "codes": ", ".join(self.sources) or "-"})
        bad |= checks.max_length(df, "payer", 64, errors) | checks.max_length(df, "payee", 64, errors)
        return df.loc[~bad, STAGE_COLUMNS]

    def stage(self, df: pd.DataFrame) -> None:
        cols = "row_no, payer, payee, amount, currency, value_date, kind, channel, source_system, external_ref"
        with connection.cursor() as cursor:
            if self.is_postgres:
                buf = io.StringIO()
                df.to_csv(buf, index=False, header=False)
                buf.seek(0)
                cursor.copy_expert(f"COPY {STAGE} ({cols}) FROM STDIN WITH (FORMAT csv)", buf)
            else:
                cursor.executemany(
                    f"INSERT INTO {STAGE} ({cols}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    list(df.itertuples(index=False, name=None)),
                )

    # --- inside the transaction -------------------------------------------------------------------

    def _resolve_codes(self, cursor) -> None:
        """The file's distinct credit codes that are on file (the naming rule), each with its id and
        whether it is in the importer's full record, into a TEMP table the SQL below joins."""
        cursor.execute(f"SELECT payer FROM {STAGE} UNION SELECT payee FROM {STAGE}")
        ids = codes_on_file(self.user, (row[0] for row in cursor.fetchall()))
        full = full_record_ids(self.user, ids.values())
        cursor.execute(f"CREATE TEMP TABLE {CODES} (uscc varchar(64) PRIMARY KEY, id bigint NOT NULL, "
                       f"covered boolean NOT NULL)")
        rows = [(code, pk, pk in full) for code, pk in ids.items()]
        if self.is_postgres:
            buf = io.StringIO()
            for code, pk, covered in rows:
                buf.write(f"{code}\t{pk}\t{'t' if covered else 'f'}\n")
            buf.seek(0)
            cursor.copy_expert(f"COPY {CODES} (uscc, id, covered) FROM STDIN", buf)
            cursor.execute(f"ANALYZE {STAGE}")
            cursor.execute(f"ANALYZE {CODES}")
        elif rows:
            cursor.executemany(f"INSERT INTO {CODES} (uscc, id, covered) VALUES (%s, %s, %s)", rows)

    def _insert(self, cursor) -> int:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        target = ", ".join(_column(Flow, f) for f in ("payer", "payee", "amount", "currency", "value_date", "kind",
                                                      "channel", "source_system", "external_ref", "imported_at"))
        cursor.execute(
            f"""INSERT INTO {FLOW_TABLE} ({target})
                SELECT a.id, b.id, s.amount, s.currency, s.value_date, s.kind, s.channel,
                       s.source_system, s.external_ref, %s
                FROM {STAGE} s JOIN {CODES} a ON a.uscc = s.payer JOIN {CODES} b ON b.uscc = s.payee
                WHERE a.covered OR b.covered
                ON CONFLICT ({_column(Flow, "source_system")}, {_column(Flow, "external_ref")}) DO NOTHING""",
            [now],
        )
        return cursor.rowcount

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        with connection.cursor() as cursor:
            self._total_amount(cursor, result)
            self._resolve_codes(cursor)
            if not result.errors:
                # Fast path: try the write; if every staged row went in, there is nothing to explain.
                try:
                    with transaction.atomic():
                        created = self._insert(cursor)
                        if created == self.staged and commit:
                            result.created = created
                            result.group_ids = self._touched_groups(cursor)
                            return
                        raise _Rollback(created)
                except _Rollback as rollback:
                    if rollback.args[0] == self.staged:  # a preview of a clean file
                        result.created = self.staged
                        return
            self._diagnose(cursor, result)
            if result.errors:
                return
            result.created = self.staged - result.already_present
            if commit and result.created:
                result.created = self._insert(cursor)
                result.group_ids = self._touched_groups(cursor)

    @staticmethod
    def _total_amount(cursor, result: ImportResult) -> None:
        """The total of the file's readable rows in CNY equivalent at each row's value-date rate (the
        preview's tile, core.fx), and how many rows are in other currencies without a rate (left out)."""
        from core.fx import cny_sql

        cursor.execute(f"SELECT coalesce(sum(c), 0), count(*) - count(c) "
                       f"FROM (SELECT {cny_sql('s.amount', 's.currency', 's.value_date')} AS c FROM {STAGE} s) t")
        total, other = cursor.fetchone()
        result.total_amount, result.other_currency_rows = total, int(other)

    def _touched_groups(self, cursor) -> list[int]:
        """Groups with a member or circle member among the file's enterprises (set-based)."""
        cursor.execute(
            f"""SELECT {_column(GroupMembership, "group")} FROM {GroupMembership._meta.db_table}
                WHERE {_column(GroupMembership, "enterprise")} IN (SELECT id FROM {CODES})
                UNION SELECT {_column(CircleMember, "group")} FROM {CircleMember._meta.db_table}
                WHERE {_column(CircleMember, "enterprise")} IN (SELECT id FROM {CODES})"""
        )
        return sorted(row[0] for row in cursor.fetchall())

    def _collect(self, cursor, sql: str, params: list, errors: ErrorList) -> list:
        """Rows of a diagnostic query, at most the room left in the error list; the rest is counted."""
        room = max(errors.cap - len(errors.items), 1)
        cursor.execute(f"{sql} LIMIT %s", [*params, room])
        rows = cursor.fetchall()
        if len(rows) == room:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)
            errors.total += cursor.fetchone()[0] - room
        return rows

    def _diagnose(self, cursor, result: ImportResult) -> None:
        errors = result.errors
        # Unknown or malformed credit codes.
        rows = self._collect(
            cursor,
            f"""SELECT row_no, col, code FROM (
                  SELECT s.row_no, 'payer' AS col, s.payer AS code FROM {STAGE} s
                    WHERE NOT EXISTS (SELECT 1 FROM {CODES} c WHERE c.uscc = s.payer)
                  UNION ALL
                  SELECT s.row_no, 'payee', s.payee FROM {STAGE} s
                    WHERE NOT EXISTS (SELECT 1 FROM {CODES} c WHERE c.uscc = s.payee)
                ) u ORDER BY row_no, col""",
            [], errors,
        )
        messages: dict[str, str] = {}
        for row_no, col, code in rows:
            if code not in messages:
                messages[code] = unknown_code_message(code)
            errors.add(row_no, col, messages[code])
        # Both parties on file, neither in the importer's full record: the flow touches nothing of theirs.
        rows = self._collect(
            cursor,
            f"""SELECT s.row_no FROM {STAGE} s JOIN {CODES} a ON a.uscc = s.payer JOIN {CODES} b ON b.uscc = s.payee
                WHERE NOT (a.covered OR b.covered) ORDER BY s.row_no""",
            [], errors,
        )
        for (row_no,) in rows:
            errors.add(row_no, "payer", _("Neither the payer nor the payee is an enterprise you cover."))
        # References repeated inside the file (the first occurrence stands, the others are errors).
        rows = self._collect(
            cursor,
            f"""SELECT row_no, external_ref, first_row FROM (
                  SELECT row_no, external_ref,
                         MIN(row_no) OVER (PARTITION BY source_system, external_ref) AS first_row
                  FROM {STAGE}) d
                WHERE row_no > first_row ORDER BY row_no""",
            [], errors,
        )
        for row_no, ref, first_row in rows:
            errors.add(row_no, "external_ref",
                       _("Reference %(ref)s repeats row %(first)d of this file.") % {"ref": ref, "first": first_row})
        # Same reference already stored with other content: an error, never an overwrite. Only rows
        # the importer may write are compared (the others are errors above, whatever is stored).
        f = {name: _column(Flow, name) for name in ("payer", "payee", "amount", "currency", "value_date", "kind",
                                                    "channel", "source_system", "external_ref")}
        matches = f"""FROM {STAGE} s
                JOIN {FLOW_TABLE} f ON f.{f["source_system"]} = s.source_system
                                   AND f.{f["external_ref"]} = s.external_ref
                JOIN {CODES} a ON a.uscc = s.payer JOIN {CODES} b ON b.uscc = s.payee
                WHERE (a.covered OR b.covered)"""
        same = f"""f.{f["payer"]} = a.id AND f.{f["payee"]} = b.id AND f.{f["amount"]} = s.amount
                  AND f.{f["currency"]} = s.currency AND f.{f["value_date"]} = s.value_date
                  AND f.{f["kind"]} = s.kind AND f.{f["channel"]} = s.channel"""
        rows = self._collect(cursor, f"SELECT s.row_no, s.external_ref {matches} AND NOT ({same}) ORDER BY s.row_no",
                             [], errors)
        for row_no, ref in rows:
            errors.add(row_no, "external_ref",
                       _("Reference %(ref)s is already stored with different content; it is not "
                         "overwritten. Correct the row or use a new reference.") % {"ref": ref})
        cursor.execute(f"SELECT COUNT(*) {matches} AND {same}")
        result.already_present = cursor.fetchone()[0]

    # --- after commit -------------------------------------------------------------------------------

    # Planner statistics refreshed after a committed import (imports.engine): a rerun's checks join
    # the staged rows with this table and must not plan for the table as it was before the load.
    written_tables = (FLOW_TABLE,)

    def follow_up(self, result: ImportResult) -> None:
        """New flows may reveal undeclared chain links: detection of the touched groups goes into the
        outbox in the import's own transaction (core.outbox: handed to the broker after commit,
        retried until it takes it, never lost with a dead broker or a dead process). The needs of
        the file's enterprises are refreshed the same way (services.tasks)."""
        if not result.created:
            return
        if result.group_ids:
            from chains.tasks import queue_detection

            queue_detection(result.group_ids)
        # The needs of the file's enterprises (and of what depends on them), incrementally; their
        # early-warning rules too (risk.tasks).
        from risk.tasks import queue_enterprises_refresh as queue_risk_refresh
        from services.tasks import queue_enterprises_refresh

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {CODES}")
            ids = [row[0] for row in cursor.fetchall()]
        queue_enterprises_refresh(ids)
        queue_risk_refresh(ids)


# --- chain links ------------------------------------------------------------------------------------------

# A declaration repeats these links (chains.services.chain_link_declare refuses them as duplicates);
# a detected or dismissed pair becomes declared, as on the chain page.
_DECLARED = (LinkStatus.DECLARED, LinkStatus.CONFIRMED)


@register
class ChainLinkImporter(FrameImporter):
    """Chain links declared in bulk: the group is one in the importer's reach, supplier and buyer are
    any enterprises on file (they become counterparties, never more) and differ, the tier is -2..+2.
    A pair already declared or confirmed with the same tier and goods is "already present", with
    others a row error; a pair detection proposed (or the RM dismissed) becomes declared."""

    kind = "chain_links"
    label = gettext_lazy("Chain links")
    order = 30
    columns = Columns(
        required=(
            GROUP_COLUMN,
            Column("supplier", "供应商统一社会信用代码", type=CODE,
                   aliases=("供应商", "上游供应商", "卖方", "卖方统一社会信用代码", "供方统一社会信用代码",
                            "supplier_uscc", "supplier credit code"),
                   help=gettext_lazy("The supplier's unified social credit code; any enterprise on file.")),
            Column("buyer", "采购方统一社会信用代码", type=CODE,
                   aliases=("采购方", "买方", "买方统一社会信用代码", "需方统一社会信用代码", "buyer_uscc",
                            "buyer credit code"),
                   help=gettext_lazy("The buyer's unified social credit code; it differs from the supplier.")),
            Column("tier", "链上位置", type=INTEGER, aliases=("层级", "级次", "链上层级"),
                   help=gettext_lazy("The link's tier relative to the core: -2, -1, 0, 1 or 2."), example_en="-1"),
        ),
        optional=(
            Column("goods", "商品/服务", aliases=("商品或服务", "商品", "货物", "产品", "交易内容"),
                   help=gettext_lazy("Optional: what is supplied, at most 200 characters."),
                   example_en="steel", example_zh="钢材"),
        ),
    )

    def check_chunk(self, df, errors):
        bad = checks.required(df, "group", errors)
        bad |= checks.credit_code(df, "supplier", errors)
        bad |= checks.credit_code(df, "buyer", errors)
        bad |= checks.integer(df, "tier", errors, low=-2, high=2)
        bad |= checks.max_length(df, "goods", 200, errors)
        same = (df["supplier"] == df["buyer"]) & (df["supplier"] != "") & ~bad
        self.report(df, same, "buyer", _("Supplier and buyer must differ."), errors)
        return df.loc[~(bad | same)]

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        df, errors = self.frame(), result.errors
        df["group_id"] = resolve_group_column(self, df, errors)
        df["supplier_id"] = resolve_code_column(self, df, "supplier", errors)
        df["buyer_id"] = resolve_code_column(self, df, "buyer", errors)
        df = df[df[["group_id", "supplier_id", "buyer_id"]].notna().all(axis=1)].copy()
        key = ["group_id", "supplier_id", "buyer_id"]
        df[key] = df[key].astype("int64")
        df["tier"] = df["tier"].astype(int).astype(str)
        checks.duplicates(df, key, errors, column="buyer",
                          message=_("This supplier -> buyer link repeats an earlier row of the file."))
        existing = pd.DataFrame(
            ChainLink.objects.filter(group_id__in=set(df["group_id"]), supplier_id__in=set(df["supplier_id"]))
            .values_list("group_id", "supplier_id", "buyer_id", "tier", "goods", "status", "pk"),
            columns=[*key, "tier", "goods", "status", "pk"],
        )
        existing["tier"] = existing["tier"].astype(str)
        _present, _conflict, merged = compare(df, existing, key, ["tier", "goods"])
        stored = merged["_merge"] == "both"
        declared = stored & merged["status"].isin([s.value for s in _DECLARED])
        differs = (merged["tier"] != merged["tier__db"]) | (merged["goods"] != merged["goods__db"])
        self.report(merged, declared & differs, "tier",
                    _("This link is already in the chain with another tier or goods; it is not overwritten."),
                    errors)
        result.already_present = int((declared & ~differs).sum())
        proposed = merged[stored & ~declared]
        new = merged[~stored]
        result.created = len(new) + len(proposed)
        if len(proposed):
            result.notes.append(_("%(n)d of these links were proposed by detection (or dismissed) and become "
                                  "declared.") % {"n": len(proposed)})
        if errors or not commit:
            return
        objs = [ChainLink(group_id=r.group_id, supplier_id=r.supplier_id, buyer_id=r.buyer_id, tier=int(r.tier),
                          goods=r.goods, status=LinkStatus.DECLARED) for r in new.itertuples()]
        bulk_create_with_history(objs, ChainLink, default_user=self.user, default_change_reason=self.change_reason)
        if len(proposed):
            links = list(ChainLink.objects.filter(pk__in=[int(p) for p in proposed["pk"]]))
            by_pk = {int(r.pk): r for r in proposed.itertuples()}
            for link in links:
                row = by_pk[link.pk]
                link.tier, link.goods, link.status = int(row.tier), row.goods, LinkStatus.DECLARED
            bulk_update_with_history(links, ChainLink, ["tier", "goods", "status"], default_user=self.user,
                                     default_change_reason=self.change_reason)
