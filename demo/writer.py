"""Chunked writers for generated rows: PostgreSQL COPY when available, bulk_create elsewhere.

Generators produce plain tuples (one value per listed field) into a `RowSink`; the `Writer` flushes
every sink in dependency order once the buffers pass a threshold, so memory stays flat however many
rows are generated, and foreign keys always point at rows already written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Sequence
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models, transaction

from clients.search import pinyin_key

NULL = r"\N"


def _csv_value(value):
    """What csv's str() would not write the way COPY reads it."""
    if value is None:
        return NULL
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value  # str, int, bool ("True"), date and datetime (ISO) are read by COPY as written


_PLAIN = {str, int, float, bool, dt.date, dt.datetime}


class RowSink:
    """Buffered rows for one table. `fields` are model attribute names (e.g. "enterprise_id")."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, use_copy: bool):
        self.model = model
        self.fields = list(fields)
        self.use_copy = use_copy
        self.rows: list[tuple] = []
        self.written = 0
        self.seconds = 0.0
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        # Named clients keep a pinyin search key (clients.search); COPY skips save(), so it is made here.
        self.name_at = self.fields.index("name") if "search_pinyin" in by_attname and "name" in self.fields \
            and "search_pinyin" not in self.fields else None
        if self.name_at is not None:
            self.fields.append("search_pinyin")
        self.columns = [by_attname[name].column for name in self.fields]

    def add(self, row: tuple) -> None:
        if self.name_at is not None:
            row = (*row, pinyin_key(row[self.name_at]))
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self) -> None:
        if not self.rows:
            return
        started = time.perf_counter()
        if self.use_copy:
            self._copy()
        else:
            objs = [self.model(**dict(zip(self.fields, row, strict=True))) for row in self.rows]
            self.model.objects.bulk_create(objs, batch_size=2000)
        self.written += len(self.rows)
        self.rows = []
        self.seconds += time.perf_counter() - started

    def _copy(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        plain = _PLAIN
        for row in self.rows:
            writer.writerow([v if type(v) in plain else _csv_value(v) for v in row])
        buffer.seek(0)
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            # psycopg2's cursor under Django's wrapper: copy_expert streams the buffer in one COPY.
            cursor.cursor.copy_expert(
                f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", buffer
            )


def _may_skip_triggers() -> bool:
    """Whether this role may set session_replication_role (superusers, or granted on PostgreSQL 15+)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            return True
        if connection.pg_version >= 150000:
            cursor.execute("SELECT has_parameter_privilege(current_user, 'session_replication_role', 'SET')")
            return bool(cursor.fetchone()[0])
    return False


class IdAllocator:
    """Hands out primary keys ahead of the insert, so related rows can be generated before writing."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.next = (last or 0) + 1

    def __call__(self) -> int:
        value = self.next
        self.next += 1
        return value


class Writer:
    """The set of sinks of one build, flushed together in the order they were declared."""

    def __init__(self, *, use_copy: bool | None = None, flush_rows: int = 50_000, fk_check: str = "set"):
        self.use_copy = connection.vendor == "postgresql" if use_copy is None else use_copy
        self.flush_rows = flush_rows
        self.skip_fk_triggers = self.use_copy and fk_check == "set" and _may_skip_triggers()
        self.sinks: dict[str, RowSink] = {}
        self.explicit_pk_models: list[type[models.Model]] = []

    def sink(self, name: str, model, fields: Sequence[str]) -> RowSink:
        self.sinks[name] = RowSink(model, fields, use_copy=self.use_copy)
        if "id" in fields and model not in self.explicit_pk_models:
            self.explicit_pk_models.append(model)
        return self.sinks[name]

    def __getitem__(self, name: str) -> RowSink:
        return self.sinks[name]

    def maybe_flush(self) -> None:
        if sum(len(s) for s in self.sinks.values()) >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        # One transaction per chunk: foreign keys are checked at its end, never across the whole build.
        with transaction.atomic():
            if self.use_copy:
                with connection.cursor() as cursor:
                    # A lost chunk on a crash is harmless: the build is rerun from scratch.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    if self.skip_fk_triggers:
                        # Checking each row's foreign keys (a row lock on every referenced row) costs
                        # more than the COPY itself; the rows are consistent by construction and
                        # verify_foreign_keys() checks every reference in one set query at the end.
                        cursor.execute("SET LOCAL session_replication_role = replica")
            for sink in self.sinks.values():
                sink.flush()

    def verify_foreign_keys(self) -> None:
        """One anti-join per foreign key of the written tables; raises if any reference dangles."""
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for name, sink in self.sinks.items():
                meta = sink.model._meta
                for field in meta.concrete_fields:
                    if not field.is_relation or field.attname not in sink.fields:
                        continue
                    target = field.related_model._meta
                    cursor.execute(
                        f"SELECT count(*) FROM {qn(meta.db_table)} c WHERE c.{qn(field.column)} IS NOT NULL "
                        f"AND NOT EXISTS (SELECT 1 FROM {qn(target.db_table)} p "
                        f"WHERE p.{qn(target.pk.column)} = c.{qn(field.column)})"
                    )
                    dangling = cursor.fetchone()[0]
                    if dangling:
                        raise RuntimeError(
                            f"{dangling} rows of {name} point at a missing {target.model_name}"
                        )

    def timings(self) -> str:
        return ", ".join(
            f"{name} {sink.seconds:.1f}s" for name, sink in self.sinks.items() if sink.seconds >= 0.1
        )

    def counts(self) -> dict[str, int]:
        return {name: sink.written for name, sink in self.sinks.items()}

    def reset_sequences(self) -> None:
        """Rows were written with explicit ids: move the sequences past them (PostgreSQL)."""
        statements = connection.ops.sequence_reset_sql(no_style(), self.explicit_pk_models)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
