"""Strict query parameters: a filter value that does not parse is refused (400 naming the parameter),
never silently ignored or widened.

The FilterSets are shared with the pages (`<app>/filtersets.py`); the API applies them through
`StrictFilterBackend`, which hands DRF (and the schema generator) a strict copy of each FilterSet:

- every NumberFilter takes an integer (ids, tiers) within PostgreSQL's bigint range, documented as
  `integer` (django-filter's default reads any decimal, so `group=1.5` was accepted);
- every BooleanFilter takes `true`/`false` (or `1`/`0`) only (django-filter reads anything else as
  "no filter", so `is_client=maybe` listed everything);
- dates, choices and the rest are already validated by their form fields.

DjangoFilterBackend raises a ValidationError for an invalid FilterSet, keyed by parameter name:
the API's validation shape (`{"group": ["Enter a whole number."]}`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
INTEGER_SCHEMA = {"type": "integer", "format": "int64", "minimum": BIGINT_MIN, "maximum": BIGINT_MAX}
_INTEGER = re.compile(r"-?[0-9]+")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class StrictBooleanWidget(django_filters.widgets.BooleanWidget):
    """Like BooleanWidget, but an unknown value is kept (for the field to refuse) instead of None."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str):
            lowered = value.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        return value


class StrictNullBooleanField(forms.NullBooleanField):
    widget = StrictBooleanWidget
    default_error_messages = {"invalid": _("Enter true or false.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BigIntegerFormField(forms.IntegerField):
    """Digits with an optional minus sign, nothing else (Django's own field also reads `1.0` and `+1`)."""

    default_error_messages = {"invalid": _("Enter a whole number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", BIGINT_MIN)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and _INTEGER.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


def _strict_filter(filter_):
    """A strict copy of one filter (the original, shared with the pages, is left alone)."""
    if isinstance(filter_, django_filters.NumberFilter) and not isinstance(filter_, django_filters.NumericRangeFilter):
        strict = copy.deepcopy(filter_)
        strict.field_class = BigIntegerFormField
        strict.get_max_validator = lambda: None  # the bigint bounds above replace NumberFilter's 1e50
        return extend_schema_field(INTEGER_SCHEMA)(strict)
    if isinstance(filter_, django_filters.BooleanFilter):
        strict = copy.deepcopy(filter_)
        strict.field_class = StrictNullBooleanField
        strict.extra["widget"] = StrictBooleanWidget()
        return strict
    return filter_


_strict_classes: dict[type, type] = {}


def strict_filterset(filterset_class: type) -> type:
    """The strict subclass of a FilterSet (made once per class)."""
    if filterset_class not in _strict_classes:
        strict: Any = type(f"Strict{filterset_class.__name__}", (filterset_class,), {"__module__": __name__})
        strict.base_filters = {name: _strict_filter(f) for name, f in strict.base_filters.items()}
        _strict_classes[filterset_class] = strict
    return _strict_classes[filterset_class]


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend with the strict FilterSets above (it already refuses an invalid FilterSet
    with a 400 naming each parameter: `raise_exception` is on)."""

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        return strict_filterset(filterset_class) if filterset_class is not None else None
