"""Change history, one mechanism for every app (django-simple-history).

Writing: services name the acting user (and, for approved changes, the reason) explicitly, in the same
transaction as the write (the request middleware does not know API token users).
Reading: `change_history(instance=...)` gives the latest changes of any tracked object as who, when,
which fields old -> new, in a fixed number of queries (the pages' history sections)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def set_history_user(obj: Any, user: Any, reason: str | None = None) -> None:
    """The history row of `obj`'s next save or delete records `user` as its author (and `reason`)."""
    obj._history_user = user
    if reason:
        obj._change_reason = reason[:100]


def save_with_history(obj: Any, *, user: Any, exclude: Iterable[str] = (), reason: str | None = None) -> None:
    """Validate (model rules and constraints), then save with `user` as the author of the change."""
    obj.full_clean(exclude=list(exclude))
    set_history_user(obj, user, reason)
    obj.save()


# --- reading: what changed, for the pages -----------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    label: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    date: object
    user: object
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[FieldChange]

    @property
    def kind_label(self) -> str:
        from django.utils.translation import gettext

        return {"+": gettext("Created"), "~": gettext("Changed"), "-": gettext("Deleted")}.get(self.kind, self.kind)


def _display(field, value, names: dict):
    """A readable value for a changed field: choice labels, related objects' names."""
    if value is None or value == "":
        return "—"
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return names.get((field.related_model, value), f"#{value}")
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, bool):
        from django.utils.translation import gettext

        return gettext("yes") if value else gettext("no")
    return value


def change_history(*, instance, limit: int = 20) -> list[HistoryEntry]:
    """The latest changes of a tracked object, newest first: who, when, which fields old -> new.

    A fixed number of queries whatever the history: the records (limit + 1, the extra one to diff the
    oldest shown against), one query for the snapshots of each many-to-many field, and one query per
    related model to name the related objects that changed."""
    from django.contrib.auth import get_user_model

    from staff.models import staff_name

    records = list(
        instance.history.select_related("history_user__profile").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    if not records:
        return []
    model = type(instance)
    m2m_fields = [f for f in records[0]._history_m2m_fields]
    m2m_names = {f.name for f in m2m_fields}

    # Many-to-many snapshots: one query per field for all the records shown.
    m2m_values: dict[str, dict[int, frozenset]] = {}
    for f in m2m_fields:
        through = getattr(records[0], f.name).model
        target = f.m2m_reverse_field_name()
        snapshot: dict[int, set] = {r.history_id: set() for r in records}
        for history_id, related_id in through.objects.filter(
            history_id__in=list(snapshot)
        ).values_list("history_id", target):
            snapshot[history_id].add(related_id)
        m2m_values[f.name] = {k: frozenset(v) for k, v in snapshot.items()}

    pairs: list[tuple] = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        if len(pairs) == limit:
            break
        if older is None or newer.history_type != "~":
            pairs.append((newer, None, []))
            continue
        delta = newer.diff_against(older, excluded_fields=m2m_names)
        raw = [(c.field, c.old, c.new) for c in delta.changes]
        for name in m2m_names:
            before, after = m2m_values[name][older.history_id], m2m_values[name][newer.history_id]
            if before != after:
                raw.append((name, before, after))
        pairs.append((newer, older, raw))

    # Name the related objects in one query per related model.
    wanted: dict = {}
    for _newer, _older, raw in pairs:
        for name, old, new in raw:
            f = model._meta.get_field(name)
            if f.is_relation:
                for v in (old, new):
                    for pk in (v if isinstance(v, frozenset) else [v]):
                        if pk is not None:
                            wanted.setdefault(f.related_model, set()).add(pk)
    names: dict = {}
    user_model = get_user_model()
    for related_model, pks in wanted.items():
        if related_model is user_model:
            rows = related_model.objects.filter(pk__in=pks).select_related("profile")
            for u in rows:
                names[(related_model, u.pk)] = staff_name(u)
        else:
            for obj in related_model.objects.filter(pk__in=pks):
                names[(related_model, obj.pk)] = str(obj)

    entries = []
    for newer, _older, raw in pairs:
        changes = []
        for name, old, new in sorted(raw):
            f = model._meta.get_field(name)
            if isinstance(old, frozenset):
                old_v = ", ".join(sorted(str(names.get((f.related_model, p), p)) for p in old)) or "—"
                new_v = ", ".join(sorted(str(names.get((f.related_model, p), p)) for p in new)) or "—"
            else:
                old_v, new_v = _display(f, old, names), _display(f, new, names)
            changes.append(FieldChange(name, str(f.verbose_name), old_v, new_v))
        entries.append(HistoryEntry(newer.history_date, newer.history_user, newer.history_type, changes))
    return entries
