"""Business dates and times: one place that parses them and keeps them plausible.

Every business date or time (a flow's value date, a statement's period end, a guarantee's period, an
interaction, a balance, an account's opening and closing, a circle member's "since") lies between
`settings.BUSINESS_DATE_MIN` and `settings.BUSINESS_DATE_MAX` (ISO dates head office sets; defaults
1950-01-01 .. 2100-12-31). Why a range at all: year 1 or 9999 is never a real business date, and
such values break things far from where they came in. A naive `0001-01-01T00:00` made aware in
Asia/Shanghai takes the zone's local mean time (+08:05:43), is stored by PostgreSQL as 1 BC and then
cannot be read back into Python: every page listing the row answered 500.

What uses it:

- model fields: `validate_business_date` / `validate_business_datetime` as field validators, so
  ModelForms, DRF ModelSerializers, the admin and the services (`full_clean`) all refuse the same
  values with the same message;
- page forms: `BusinessDateField` / `BusinessDateTimeField` (strict formats, range checked before a
  time is made aware, never a local-mean-time offset);
- the API: `BusinessDateSerializerField` / `BusinessDateTimeSerializerField` for DRF
  (`DRF_FIELD_MAPPING` maps model fields to them for ModelSerializers); DRF's own DateTimeField
  raises OverflowError (a 500) on a naive year-1 time before any validator runs;
- imports: `imports.checks.iso_date` (pandas) and the flows COPY path's SQL take `business_date_range()`;
  dates as people write them in files (`parse_date_text`: 20261122, 2026/11/22, 2026年11月22日; Excel
  serial numbers in XLSX cells: `excel_serial_date`) are read here too, never by a second parser.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import lru_cache

from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

DEFAULT_MIN = "1950-01-01"
DEFAULT_MAX = "2100-12-31"
# Head office may widen the range, but not past what every layer handles: Python dates, pandas
# timestamps (nanoseconds: 1677..2262), PostgreSQL, and a standard UTC offset in the bank's zone.
HARD_MIN = dt.date(1900, 1, 1)
HARD_MAX = dt.date(2261, 12, 31)

OUT_OF_RANGE = "date_out_of_range"


# --- the range ----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_range(low: str, high: str) -> tuple[dt.date, dt.date]:
    try:
        first, last = dt.date.fromisoformat(str(low)), dt.date.fromisoformat(str(high))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"BUSINESS_DATE_MIN and BUSINESS_DATE_MAX must be ISO dates (YYYY-MM-DD), got {low!r} and {high!r}"
        ) from exc
    if not (HARD_MIN <= first < last <= HARD_MAX):
        raise ImproperlyConfigured(
            f"BUSINESS_DATE_MIN < BUSINESS_DATE_MAX must hold, both within {HARD_MIN} .. {HARD_MAX}; "
            f"got {first} .. {last}"
        )
    return first, last


def business_date_range() -> tuple[dt.date, dt.date]:
    """(first, last) plausible business date, inclusive, as head office set them."""
    return _parse_range(getattr(settings, "BUSINESS_DATE_MIN", DEFAULT_MIN),
                        getattr(settings, "BUSINESS_DATE_MAX", DEFAULT_MAX))


@checks.register(checks.Tags.compatibility)
def check_business_date_range(app_configs=None, **kwargs):
    """`manage.py check` refuses a range that cannot be parsed or lies outside the hard limits."""
    try:
        business_date_range()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="core.E101")]
    return []


def out_of_range_message() -> str:
    first, last = business_date_range()
    return _("Enter a date between %(first)s and %(last)s.") % {"first": first.isoformat(),
                                                                 "last": last.isoformat()}


def out_of_range_error() -> ValidationError:
    return ValidationError(out_of_range_message(), code=OUT_OF_RANGE)


def in_range(day: dt.date) -> bool:
    first, last = business_date_range()
    return first <= day <= last


# --- time zones: never a local-mean-time offset -------------------------------------------------------


def _whole_minutes(offset: dt.timedelta | None) -> bool:
    return offset is not None and offset.total_seconds() % 60 == 0


def standard_offset(zone: dt.tzinfo) -> dt.timedelta:
    """The zone's offset at the start of the Unix epoch: a standard one (Asia/Shanghai: +08:00)."""
    return zone.utcoffset(dt.datetime(1970, 1, 1)) or dt.timedelta(0)


def make_aware(naive: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """`naive` as a wall-clock time in `zone` (default: the current time zone).

    Before 1901 Asia/Shanghai has no standard offset: zoneinfo gives its local mean time, +08:05:43,
    which is not RFC 3339 and which PostgreSQL stores seconds apart from what was typed. Such times
    get the zone's standard offset instead (a fixed +08:00)."""
    zone = zone or timezone.get_current_timezone()
    aware = timezone.make_aware(naive, zone)
    if _whole_minutes(aware.utcoffset()):
        return aware
    return naive.replace(tzinfo=dt.timezone(standard_offset(zone)))


def _wall_date(value: dt.datetime) -> dt.date:
    """The date of an aware time in the bank's zone (its own wall date when the conversion overflows,
    as it does for year 1 or 9999: such a time is out of range either way)."""
    if timezone.is_naive(value):
        return value.date()
    try:
        return timezone.localtime(value, timezone.get_default_timezone()).date()
    except (OverflowError, ValueError):
        return value.date()


# --- model field validators ---------------------------------------------------------------------------


def validate_business_date(value) -> None:
    """Model field validator: a date (or the date of a datetime) inside the business range."""
    if value is None:
        return
    day = _wall_date(value) if isinstance(value, dt.datetime) else value
    if not in_range(day):
        raise out_of_range_error()


def validate_business_datetime(value) -> None:
    """Model field validator: a time inside the business range, with a whole-minute UTC offset (a
    local-mean-time offset such as +08:05:43 means the time was made aware before 1901 without
    `make_aware` above: refused rather than stored seconds off)."""
    if value is None:
        return
    validate_business_date(value)
    if timezone.is_aware(value) and not _whole_minutes(value.utcoffset()):
        raise ValidationError(
            _("This time has no standard UTC offset; give it with an explicit offset such as +08:00."),
            code="local_mean_time",
        )


# --- page form fields ---------------------------------------------------------------------------------


class BusinessDateField(forms.DateField):
    """A date typed on a page (the widget's YYYY-MM-DD or the locale's formats, nothing after it),
    inside the business range."""

    default_validators = [validate_business_date]


class BusinessDateTimeField(forms.DateTimeField):
    """A date and time typed on a page: ISO 8601 (`2026-10-01T09:30`, what a datetime-local input
    sends) or the locale's formats. `2026-10-01T25:00` is refused, not read as a date; the range is
    checked before the time is made aware, and the offset is never local mean time."""

    default_validators = [validate_business_datetime]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            result = value
        elif isinstance(value, dt.date):
            result = dt.datetime(value.year, value.month, value.day)
        else:
            try:
                result = parse_datetime(str(value).strip())
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if result is None:
                result = BaseTemporalField.to_python(self, value)
        if not in_range(result.date()):
            raise out_of_range_error()
        if timezone.is_aware(result):
            return result
        try:
            return make_aware(result)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# --- API fields (DRF) -----------------------------------------------------------------------------


class BusinessDateSerializerField(serializers.DateField):
    """DRF: an ISO date (YYYY-MM-DD only) inside the business range."""

    def __init__(self, **kwargs):
        validators = list(kwargs.pop("validators", []))
        if validate_business_date not in validators:
            validators.append(validate_business_date)
        super().__init__(validators=validators, **kwargs)


class BusinessDateTimeSerializerField(serializers.DateTimeField):
    """DRF: an ISO 8601 time inside the business range. A naive time is read in the current zone
    without a local-mean-time offset; DRF's own field raises OverflowError (a 500) on a naive
    `0001-01-01T00:00` before any validator could refuse it."""

    def __init__(self, **kwargs):
        validators = list(kwargs.pop("validators", []))
        if validate_business_datetime not in validators:
            validators.append(validate_business_datetime)
        super().__init__(validators=validators, **kwargs)

    def enforce_timezone(self, value):
        if not in_range(value.date()):
            raise serializers.ValidationError(out_of_range_message(), code=OUT_OF_RANGE)
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        if zone is None or timezone.is_aware(value):
            return super().enforce_timezone(value)
        return make_aware(value, zone)


# For a ModelSerializer base: `serializer_field_mapping = {**ModelSerializer.serializer_field_mapping,
# **DRF_FIELD_MAPPING}` gives every model date and time field the fields above.
DRF_FIELD_MAPPING = {
    models.DateField: BusinessDateSerializerField,
    models.DateTimeField: BusinessDateTimeSerializerField,
}


# --- dates as people write them (imports) -------------------------------------------------------------

# What may follow a date in a date column: nothing, or a valid time of day (Excel writes
# "2025-03-04 00:00:00"; systems add seconds, fractions, an offset). "2026-10-01T25:00" is not a date.
# The flows COPY path (chains.importers) checks the same pattern in SQL.
TIME_TAIL = r"(?:[T ]?(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"

# Year first, always: 2026-11-22, 2026/11/22, 2026.11.22, 2026-1-5, 20261122, 2026年11月22日. A day-first
# or month-first form (22/11/2026, 11/22/2026) is ambiguous and matches nothing.
_DATE_TEXT = re.compile(
    r"(?P<y>[0-9]{4})(?:(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
    r"|年\s*(?P<cm>[0-9]{1,2})\s*月\s*(?P<cd>[0-9]{1,2})\s*日?"
    r"|(?P<pm>[0-9]{2})(?P<pd>[0-9]{2}))"
    r"(?P<tail>.*)",
    re.S,
)
_TIME_TAIL = re.compile(TIME_TAIL)

# Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is the 29 February 1900 that never was.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = (HARD_MAX - _EXCEL_EPOCH).days


def parse_date_text(text: str) -> dt.date | None:
    """A date written year first in any of the forms above (full-width digits too), optionally followed
    by a valid time of day, which is dropped; None for anything else, including days that do not exist
    (2026-13-01, 2026-02-30). The business range is the caller's check (`in_range`)."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    match = _DATE_TEXT.fullmatch(raw)
    if match is None or not _TIME_TAIL.fullmatch(match["tail"].strip()):
        return None
    month = match["m"] or match["cm"] or match["pm"]
    day = match["d"] or match["cd"] or match["pd"]
    try:
        return dt.date(int(match["y"]), int(month), int(day))
    except ValueError:
        return None


def excel_serial_date(value) -> dt.date | None:
    """The date an Excel serial number stands for (a date typed into a cell formatted as a number);
    None for a number that is not a whole day after 1 March 1900, or past the hard limits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not 61 <= value <= _EXCEL_MAX_SERIAL or value != int(value):
        return None
    try:
        day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
    except OverflowError:
        return None
    return day if HARD_MIN <= day <= HARD_MAX else None
