"""The API's ModelSerializer base: business dates and times in, RFC 3339 times out.

- In: model date and time fields get core.dates' DRF fields (the business range; a naive time is
  read in the bank's zone without a local-mean-time offset).
- Out: a time is written in the bank's zone when that zone's offset is whole minutes (always, since
  1901, for Asia/Shanghai), else in UTC (`Z`): before 1901 zoneinfo gives Asia/Shanghai its local
  mean time, +08:05:43, which is not RFC 3339 (`date-time` in the schema). The instant is kept.

Every ModelSerializer of the API derives from `ModelSerializer` here (tests/api/test_contract.py walks
the schema's serializers and fails on a plain DRF DateTimeField).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from rest_framework import serializers

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


class DateTimeField(BusinessDateTimeSerializerField):
    def to_representation(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return value
        return rfc3339(value, getattr(self, "timezone", None))


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **DRF_FIELD_MAPPING,
        models.DateTimeField: DateTimeField,
    }
