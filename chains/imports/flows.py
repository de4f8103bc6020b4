"""Flows: the big table, imported set-wise.

Each checked chunk goes into a TEMP staging table (PostgreSQL: `COPY`; SQLite: executemany). Then, in
one transaction, a single `INSERT ... SELECT ... JOIN <visible codes> ON CONFLICT DO NOTHING` writes
every row. When it wrote as many rows as were staged, nothing was unknown, duplicated or conflicting
and the fast path is done. Otherwise (or when a format error was already found) the insert is rolled
back to a savepoint and the diagnostic queries name every bad row: unknown or malformed credit codes,
references repeated inside the file, references already stored with other content; rows already
stored with the same content are counted as "already present". No Python loop runs per row.
"""

from __future__ import annotations

import io

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chains.imports import checks
from chains.imports.currencies import ISO_4217_ACTIVE
from chains.imports.engine import Importer
from chains.imports.errors import ErrorList, ImportResult
from chains.imports.reader import ROW, Columns
from chains.models import Channel, FlowKind
from clients.validators import validate_uscc

STAGE = "imp_flow_stage"
CODES = "imp_flow_codes"
STAGE_COLUMNS = [ROW, "payer", "payee", "amount", "currency", "value_date", "kind", "channel",
                 "source_system", "external_ref"]
_STAGE_DDL = f"""CREATE TEMP TABLE {STAGE} (
    row_no integer NOT NULL, payer varchar(64) NOT NULL, payee varchar(64) NOT NULL,
    amount numeric(18, 2) NOT NULL, currency varchar(3) NOT NULL, value_date date NOT NULL,
    kind varchar(10) NOT NULL, channel varchar(10) NOT NULL, source_system varchar(50) NOT NULL,
    external_ref varchar(100) NOT NULL)"""
_CURRENCIES = sorted(ISO_4217_ACTIVE)


class _Rollback(Exception):
    """Leave the savepoint around the insert (diagnostics must see the table as it was)."""


def unknown_code_message(code: str) -> str:
    """Malformed codes get the validator's reason; well-formed ones we cannot match (missing, or
    outside the user's scope: the same words, so scope is not revealed) are 'unknown'."""
    try:
        validate_uscc(code)
    except ValidationError as exc:
        return exc.messages[0]
    return _("Unknown credit code %(code)s: no enterprise you can see has this code.") % {"code": code}


class FlowImporter(Importer):
    kind = "flows"
    columns = Columns(
        required=("payer", "payee", "amount", "currency", "value_date", "kind", "channel", "external_ref"),
        optional=("source_system",),
    )

    @property
    def is_postgres(self) -> bool:
        return connection.vendor == "postgresql"

    def begin(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {CODES}")
            if self.is_postgres:
                # Larger temp buffers keep the staging table in memory; only allowed before the
                # session's first temp table, hence the savepoint and the shrug.
                try:
                    with transaction.atomic():
                        cursor.execute("SET temp_buffers = '256MB'")
                except DatabaseError:
                    pass
            cursor.execute(_STAGE_DDL)

    def check_chunk(self, df: pd.DataFrame, errors: ErrorList) -> pd.DataFrame:
        if self.source_system:
            df.loc[df["source_system"] == "", "source_system"] = self.source_system
        bad = checks.credit_code(df, "payer", errors)
        bad |= checks.credit_code(df, "payee", errors)
        bad |= checks.amount(df, "amount", errors)
        bad |= checks.currency(df, "currency", _CURRENCIES, errors)
        bad |= checks.iso_date(df, "value_date", errors)
        bad |= checks.choice(df, "kind", FlowKind.values, errors)
        bad |= checks.choice(df, "channel", Channel.values, errors)
        bad |= checks.required(df, "external_ref", errors) | checks.max_length(df, "external_ref", 100, errors)
        bad |= checks.required(df, "source_system", errors) | checks.max_length(df, "source_system", 50, errors)
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
        """The ids of the staged credit codes among the enterprises the user may see."""
        sql, params = self.visible_enterprises().order_by().values_list("uscc", "id").query.sql_with_params()
        cursor.execute(f"CREATE TEMP TABLE {CODES} (uscc varchar(64) PRIMARY KEY, id bigint NOT NULL)")
        cursor.execute(
            f"INSERT INTO {CODES} (uscc, id) SELECT DISTINCT v.uscc, v.id FROM ({sql}) v "
            f"WHERE v.uscc IN (SELECT payer FROM {STAGE} UNION SELECT payee FROM {STAGE})",
            params,
        )
        if self.is_postgres:
            cursor.execute(f"ANALYZE {STAGE}")
            cursor.execute(f"ANALYZE {CODES}")

    def _insert(self, cursor) -> int:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(
            f"""INSERT INTO chains_flow (payer_id, payee_id, amount, currency, value_date, kind, channel,
                                         source_system, external_ref, imported_at)
                SELECT a.id, b.id, s.amount, s.currency, s.value_date, s.kind, s.channel,
                       s.source_system, s.external_ref, %s
                FROM {STAGE} s JOIN {CODES} a ON a.uscc = s.payer JOIN {CODES} b ON b.uscc = s.payee
                WHERE 1 = 1
                ON CONFLICT (source_system, external_ref) DO NOTHING""",
            [now],
        )
        return cursor.rowcount

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        with connection.cursor() as cursor:
            self._resolve_codes(cursor)
            if not result.errors:
                # Fast path: try the write; if every staged row went in, there is nothing to explain.
                try:
                    with transaction.atomic():
                        created = self._insert(cursor)
                        if created == self.staged and commit:
                            result.created = created
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
        # Same reference already stored with other content: an error, never an overwrite.
        matches = f"""FROM {STAGE} s
                JOIN chains_flow f ON f.source_system = s.source_system AND f.external_ref = s.external_ref
                LEFT JOIN {CODES} a ON a.uscc = s.payer LEFT JOIN {CODES} b ON b.uscc = s.payee"""
        same = """f.payer_id = a.id AND f.payee_id = b.id AND f.amount = s.amount AND f.currency = s.currency
                  AND f.value_date = s.value_date AND f.kind = s.kind AND f.channel = s.channel"""
        rows = self._collect(
            cursor,
            f"SELECT s.row_no, s.external_ref {matches} WHERE a.id IS NOT NULL AND b.id IS NOT NULL "
            f"AND NOT ({same}) ORDER BY s.row_no",
            [], errors,
        )
        for row_no, ref in rows:
            errors.add(row_no, "external_ref",
                       _("Reference %(ref)s is already stored with different content; it is not "
                         "overwritten. Correct the row or use a new reference.") % {"ref": ref})
        cursor.execute(f"SELECT COUNT(*) {matches} WHERE {same}")
        result.already_present = cursor.fetchone()[0]

    def cleanup(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {CODES}")
