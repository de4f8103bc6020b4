"""Sortable lists: one whitelist of sort keys per list, the order each key gives, and the state the
column headers are drawn from. Every sortable list (pages and API) declares its keys here, once.

    GROUP_SORTING = Sorting({"name": SortKey(_("Name"), ("name",), pinyin=True), ...}, default="name")

- A FilterSet takes `sort = SortFilter(GROUP_SORTING)`: `?sort=name` ascending, `?sort=-name`
  descending; any other value is not a choice, so the page ignores it (django-filter drops an invalid
  field) and the API refuses it with a 400 naming `sort` (core.api.filters). Never a 500.
- The selector orders by `sorting.order(qs)` (the default) before the FilterSet runs, so a list is
  always in a stated, stable order (the primary key breaks ties: pagination never repeats a row).
- Views hand `sorting.state(request)` to the template, and `{% sort_th %}` (core/templatetags/sorting.py)
  draws each header as an htmx link that keeps the other query parameters.

Chinese names sort in pinyin order: on PostgreSQL through the ICU collation `zh-Hans-x-icu`; other
databases (the demo's SQLite) order by the plain value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Collate
from django.utils.translation import gettext_lazy as _

PINYIN_COLLATION = "zh-Hans-x-icu"
PARAM = "sort"


class Pinyin(Collate):
    """`expression COLLATE "zh-Hans-x-icu"` on PostgreSQL (pinyin order for Chinese, ordinary order for
    Latin text); the expression unchanged on any other database."""

    def __init__(self, expression):
        super().__init__(expression, PINYIN_COLLATION)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            return compiler.compile(self.get_source_expressions()[0])
        return super().as_sql(compiler, connection, **extra_context)


@dataclass(frozen=True)
class SortKey:
    """One sortable column: its label, the fields (or expressions) it orders by, whether they are text
    to order in pinyin, and which direction a first click gives (amounts and counts: largest first)."""

    label: Any
    fields: tuple[str | BaseExpression, ...]
    pinyin: bool = False
    descending_first: bool = False
    # Adds what the key orders by when the queryset lacks it (an annotation), e.g. `with_limit_use`.
    prepare: Callable[[QuerySet], QuerySet] | None = None
    # Values may be missing (an optional relation, a figure without a limit): they come last either way.
    # Left False for NOT NULL columns, whose plain order an index can serve (`DESC NULLS LAST` cannot).
    nullable: bool = False

    def expressions(self, descending: bool) -> list:
        out = []
        nulls = {"nulls_last": True} if self.nullable else {}
        for f in self.fields:
            expr = F(f) if isinstance(f, str) else f
            if self.pinyin:
                expr = Pinyin(expr)
            out.append(expr.desc(**nulls) if descending else expr.asc(**nulls))
        return out


@dataclass(frozen=True)
class SortState:
    """The current order of a list and the query string of the page without it (for header links)."""

    sorting: Sorting
    key: str
    descending: bool
    base_query: str

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def next_value(self, key: str) -> str:
        """The `sort` value a click on `key`'s header asks for."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return f"-{key}" if self.sorting.keys[key].descending_first else key

    def url(self, key: str) -> str:
        query = f"{self.base_query}&" if self.base_query else ""
        return f"?{query}{PARAM}={self.next_value(key)}"


@dataclass(frozen=True)
class Sorting:
    keys: dict[str, SortKey]
    default: str
    default_descending: bool = False
    tiebreak: tuple[str, ...] = field(default=("pk",))

    def __post_init__(self):
        if self.default not in self.keys:
            raise ValueError(f"default sort key {self.default!r} is not among {sorted(self.keys)}")

    def parse(self, value) -> tuple[str, bool] | None:
        """(key, descending) for a whitelisted value (`name`, `-name`), else None."""
        if not isinstance(value, str):
            return None
        descending = value.startswith("-")
        key = value[1:] if descending else value
        return (key, descending) if key in self.keys else None

    def choices(self) -> list[tuple[str, str]]:
        out = []
        for name, key in self.keys.items():
            out.append((name, key.label))
            out.append((f"-{name}", _("%(label)s, descending") % {"label": key.label}))
        return out

    def order(self, queryset: QuerySet, value=None) -> QuerySet:
        """The queryset in the order `value` asks for (the default order for None or anything else)."""
        key, descending = self.parse(value) or (self.default, self.default_descending)
        sort_key = self.keys[key]
        if sort_key.prepare is not None:
            queryset = sort_key.prepare(queryset)
        return queryset.order_by(*sort_key.expressions(descending), *self.tiebreak)

    def state(self, request, *, page_param: str = "page") -> SortState:
        params = request.GET.copy()
        value = params.pop(PARAM, [None])[-1]
        params.pop(page_param, None)
        key, descending = self.parse(value) or (self.default, self.default_descending)
        return SortState(self, key, descending, params.urlencode())


class SortFilter(django_filters.ChoiceFilter):
    """The `sort` parameter of a FilterSet: only the list's whitelisted keys, each either way."""

    def __init__(self, sorting: Sorting, **kwargs):
        self.sorting = sorting
        kwargs.setdefault("label", _("Sort order"))
        kwargs.setdefault("help_text", _("A column key, or the key after a minus sign for descending order."))
        super().__init__(choices=sorting.choices(), **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return self.sorting.order(qs, value)


def rank(field_name: str, ordered_values) -> Case:
    """A choice field ordered by the choices' own order (tiers: strategic, key, general; ratings: AAA
    first), not alphabetically; blank and unknown values last."""
    values = list(ordered_values)
    return Case(*(When(**{field_name: v}, then=Value(i)) for i, v in enumerate(values)),
                default=Value(len(values)), output_field=IntegerField())
