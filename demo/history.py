"""The history baseline: the first history record ("+") of rows written in bulk.

django-simple-history records a change from the model signals, which COPY and bulk_create do not send.
A row written that way has no history until its first edit, and that edit has nothing to be diffed
against (`clients.selectors.change_history` shows field old -> new only when an older record exists).
`write_baseline` gives every row of every tracked model that has no history record yet its "+"
record, dated `when`, with `reason` and no author (a head-office / system load), plus the snapshot
rows of its many-to-many history (e.g. a group client's coverage team).

Set-based: on PostgreSQL one INSERT ... SELECT from the base table per tracked model (and one per
many-to-many field), the columns taken from the historical model's `_meta`, so a field added to a
tracked model is carried without touching this module. Elsewhere (SQLite: the no-server demo) the
library's own `bulk_history_create`, in chunks of `chunk_size` rows.

The tracked models are the ones django-simple-history registered (`registered_models`), not a list
kept here. Rows that already have a history record (written through the services) are left alone,
so the baseline can run after any bulk load and twice without harm.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from simple_history.models import registered_models

# The columns simple-history adds to every historical model (the rest are copies of tracked fields).
HISTORY_META = ("history_date", "history_change_reason", "history_type", "history_user")


def tracked_models() -> list[type[models.Model]]:
    """The models with a change history (a `history` manager), in a stable order."""
    found = {
        model
        for model in registered_models.values()
        if getattr(model._meta, "simple_history_manager_attribute", None) and not model._meta.auto_created
    }
    return sorted(found, key=lambda m: m._meta.label)


def history_model(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, model._meta.simple_history_manager_attribute).model


def m2m_history_models(model: type[models.Model]) -> list[tuple[models.ManyToManyField, type[models.Model]]]:
    """(many-to-many field, its historical snapshot model) for each m2m field the history tracks."""
    historical = history_model(model)
    return [(f, getattr(historical, f.name).model) for f in getattr(historical, "_history_m2m_fields", [])]


@dataclass
class Baseline:
    model: str
    records: int
    m2m_records: int


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _base_columns(model, historical) -> tuple[list[str], list[str]]:
    """(historical columns, base columns) of the tracked fields, from the historical model's _meta."""
    hist_cols, base_cols = [], []
    for field in historical._meta.concrete_fields:
        if field.primary_key or field.name in HISTORY_META:
            continue
        if field.name == "history_relation":  # optional back link to the tracked row
            hist_cols.append(field.column)
            base_cols.append(model._meta.pk.column)
            continue
        try:
            base = model._meta.get_field(field.name)
        except FieldDoesNotExist as exc:
            if field.null:
                continue  # an extra field of a custom historical base: left NULL
            raise RuntimeError(f"{historical._meta.label}.{field.name} has no source column") from exc
        hist_cols.append(field.column)
        base_cols.append(base.column)
    return hist_cols, base_cols


def _insert_sql(model, historical) -> str:
    hist_cols, base_cols = _base_columns(model, historical)
    meta = [historical._meta.get_field(name).column for name in HISTORY_META]
    pk = model._meta.pk.column
    hist_pk = historical._meta.get_field(model._meta.pk.name).column
    return (
        f"INSERT INTO {_q(historical._meta.db_table)} ({', '.join(_q(c) for c in hist_cols + meta)}) "
        f"SELECT {', '.join('b.' + _q(c) for c in base_cols)}, %s, %s, %s, NULL "
        f"FROM {_q(model._meta.db_table)} b "
        f"WHERE NOT EXISTS (SELECT 1 FROM {_q(historical._meta.db_table)} h WHERE h.{_q(hist_pk)} = b.{_q(pk)})"
    )


def _m2m_sql(model, historical, field, snapshot) -> str:
    """Snapshot rows of one many-to-many field for the "+" records written after history id %s."""
    through = field.remote_field.through
    own = through._meta.get_field(field.m2m_field_name())
    cols, values = [], []
    for f in snapshot._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        if f.name == "history":
            values.append(f"h.{_q(historical._meta.pk.column)}")
        else:
            values.append(f"t.{_q(through._meta.get_field(f.name).column)}")
    hist_pk = historical._meta.get_field(model._meta.pk.name).column
    meta = {name: _q(historical._meta.get_field(name).column) for name in HISTORY_META}
    return (
        f"INSERT INTO {_q(snapshot._meta.db_table)} ({', '.join(_q(c) for c in cols)}) "
        f"SELECT {', '.join(values)} "
        f"FROM {_q(through._meta.db_table)} t "
        f"JOIN {_q(historical._meta.db_table)} h ON h.{_q(hist_pk)} = t.{_q(own.column)} "
        f"WHERE h.{_q(historical._meta.pk.column)} > %s AND h.{meta['history_type']} = '+' "
        f"AND h.{meta['history_change_reason']} = %s"
    )


def _orm_baseline(model, historical, *, when, reason: str, chunk_size: int) -> int:
    """The library's bulk_history_create, in chunks of rows without a history record (by primary key)."""
    manager = getattr(model, model._meta.simple_history_manager_attribute)
    pk_name = model._meta.pk.name
    missing = model._base_manager.exclude(pk__in=historical._base_manager.values(pk_name)).order_by("pk")
    written, last = 0, None
    while True:
        chunk = missing if last is None else missing.filter(pk__gt=last)
        objs = list(chunk[:chunk_size])
        if not objs:
            return written
        manager.bulk_history_create(objs, batch_size=chunk_size, default_date=when, default_change_reason=reason)
        written += len(objs)
        last = objs[-1].pk


def write_baseline(
    *,
    when,
    reason: str = "seed",
    only: list[type[models.Model]] | None = None,
    use_sql: bool | None = None,
    chunk_size: int = 5000,
    skip_fk_triggers: bool = False,
) -> list[Baseline]:
    """Give every row without history of the tracked models (all, or `only`) its "+" record.

    use_sql: INSERT ... SELECT (default on PostgreSQL) or the ORM's bulk_history_create (default
    elsewhere). skip_fk_triggers: the caller may set session_replication_role (demo.writer), which
    spares PostgreSQL a queued foreign-key check per history row (history_user is NULL anyway)."""
    use_sql = connection.vendor == "postgresql" if use_sql is None else use_sql
    done = []
    for model in only or tracked_models():
        historical = history_model(model)
        hist_pk = _q(historical._meta.pk.column)
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    if skip_fk_triggers:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(f"SELECT COALESCE(MAX({hist_pk}), 0) FROM {_q(historical._meta.db_table)}")
                before = cursor.fetchone()[0]
                if use_sql:
                    cursor.execute(
                        _insert_sql(model, historical),
                        [connection.ops.adapt_datetimefield_value(when), reason, "+"],
                    )
                    records = cursor.rowcount
                else:
                    records = _orm_baseline(model, historical, when=when, reason=reason, chunk_size=chunk_size)
                m2m_records = 0
                for field, snapshot in m2m_history_models(model):
                    cursor.execute(_m2m_sql(model, historical, field, snapshot), [before, reason])
                    m2m_records += cursor.rowcount
        done.append(Baseline(model._meta.label, records, m2m_records))
    return done
