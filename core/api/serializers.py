"""The API's serializer bases: JSON types as documented, business dates and times in, RFC 3339 out.

- JSON types: DRF reads `0` as the text "0", `"5"` as the integer 5 and `"true"` as a boolean; the
  schema says string, integer, boolean. `StrictJSONTypesMixin` refuses a value of another JSON type
  (400 naming the field) before the fields read it, so what the schema calls invalid is invalid.
  Decimals (amounts, shares, limits) are JSON strings, as the API also writes them: exact, never a
  binary float.

- In: model date and time fields get core.dates' DRF fields (the business range; a naive time is
  read in the bank's zone without a local-mean-time offset).
- Out: a time is written in the bank's zone when that zone's offset is whole minutes (always, since
  1901, for Asia/Shanghai), else in UTC (`Z`): before 1901 zoneinfo gives Asia/Shanghai its local
  mean time, +08:05:43, which is not RFC 3339 (`date-time` in the schema). The instant is kept.

Every serializer of the API derives from `Serializer` or `ModelSerializer` here (tests/api/test_contract.py walks
the schema's serializers and fails on a plain DRF DateTimeField).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from core.dates import DRF_FIELD_MAPPING, BusinessDateTimeSerializerField


def _whole_minutes(value: dt.datetime) -> bool:
    offset = value.utcoffset()
    return offset is not None and offset.total_seconds() % 60 == 0


def rfc3339(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """`value` as RFC 3339 text: in `zone` (default: the current zone) when its offset is whole
    minutes there, else in UTC."""
    if timezone.is_aware(value):
        zone = zone or timezone.get_current_timezone()
        try:
            local = value.astimezone(zone)
        except (OverflowError, ValueError):
            local = value
        value = local if _whole_minutes(local) else value.astimezone(dt.UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# field class -> the JSON types its value may have (checked in this order: subclasses first)
_TEXT = (serializers.CharField, serializers.DecimalField, serializers.DateField, serializers.DateTimeField,
         serializers.TimeField, serializers.DurationField, serializers.SlugRelatedField)
EXPECTED = [
    (serializers.MultipleChoiceField, None, ""),  # a list: DRF checks it
    (serializers.BooleanField, (bool,), _("Must be true or false (a JSON boolean).")),
    (serializers.ChoiceField, (str,), _("Must be one of the documented values (a JSON string).")),
    (_TEXT, (str,), _("Must be a JSON string.")),
    ((serializers.IntegerField, serializers.PrimaryKeyRelatedField), (int,), _("Must be a whole number (a JSON number).")),
    (serializers.FloatField, (int, float), _("Must be a number.")),
]


def json_type_error(field, value) -> str | None:
    """Why `value` (decoded JSON) is not of the type `field` documents; None when it is (or when the
    field takes any type, or null, which the field itself judges)."""
    if value is None:
        return None
    if isinstance(field, serializers.ManyRelatedField):
        items = value if isinstance(value, list) else []
        return next(filter(None, (json_type_error(field.child_relation, item) for item in items)), None)
    for classes, types, message in EXPECTED:
        if isinstance(field, classes):
            if types is None:
                return None
            ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
            return None if ok else str(message)
    return None


class StrictJSONTypesMixin:
    """Refuse input values whose JSON type is not the documented one, naming each field."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for field in self._writable_fields:
                value = data.get(field.field_name, empty)
                if value is empty:
                    continue
                message = json_type_error(field, value)
                if message:
                    errors[field.field_name] = [message]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class DateTimeField(BusinessDateTimeSerializerField):
    def to_representation(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return value
        return rfc3339(value, getattr(self, "timezone", None))


class Serializer(StrictJSONTypesMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictJSONTypesMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **DRF_FIELD_MAPPING,
        models.DateTimeField: DateTimeField,
    }


class FlatListField(serializers.ListField):
    """A list whose item errors are said as plain messages naming the position (`[2] A valid integer is
    required.`), so the answer keeps the API's error shape: field -> list of strings."""

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                flat = [f"[{index}] {message}" for index, messages in detail.items() for message in messages]
                raise serializers.ValidationError(flat[:10]) from None
            raise
