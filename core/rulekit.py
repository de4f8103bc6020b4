"""Editable thresholds and rule windows, shared by every engine of rules (the needs engine,
services.rules; the early-warning rules, risk.rules): the units a threshold is in, one threshold's
declaration and validation (`Param`), the validation of a rule's whole set (`validate`), and the
scope one evaluation covers (`Scope`: the enterprises of a chunk or an incremental run, the run's date,
and its month windows)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class Unit:
    CNY = "cny"
    DAYS = "days"
    PCT = "pct"
    COUNT = "count"
    MONTHS = "months"
    RATING = "rating"
    FACTOR = "factor"


UNIT_LABELS = {
    Unit.CNY: _("yuan"),
    Unit.DAYS: _("days"),
    Unit.PCT: "%",
    Unit.COUNT: _("entities"),
    Unit.MONTHS: _("months"),
    Unit.RATING: _("rating"),
    Unit.FACTOR: _("times"),
}

RATINGS = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "C", "D"]  # best first (clients.Rating)


@dataclass(frozen=True)
class Param:
    key: str
    label: object
    unit: str
    default: object
    minimum: object = None
    maximum: object = None

    def clean(self, value):
        """The value as the rule uses it, or ValidationError naming the field."""
        if self.unit == Unit.RATING:
            if not isinstance(value, str) or value.strip().upper() not in RATINGS:
                raise ValidationError({self.key: _("Choose one of the internal ratings.")}, code="invalid")
            return value.strip().upper()
        if isinstance(value, bool):
            raise ValidationError({self.key: _("Enter a number.")}, code="invalid")
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError, TypeError):
            raise ValidationError({self.key: _("Enter a number.")}, code="invalid") from None
        if not number.is_finite():
            raise ValidationError({self.key: _("Enter a number.")}, code="invalid")
        if (self.minimum is not None and number < Decimal(str(self.minimum))) or (
                self.maximum is not None and number > Decimal(str(self.maximum))):
            raise ValidationError(
                {self.key: _("Enter a value from %(min)s to %(max)s.") % {"min": self.minimum, "max": self.maximum}},
                code="range")
        if self.unit in (Unit.DAYS, Unit.COUNT, Unit.MONTHS):
            if number != number.to_integral_value():
                raise ValidationError({self.key: _("Enter a whole number.")}, code="invalid")
            return int(number)
        if self.unit == Unit.CNY:
            return str(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        return str(number)


@dataclass
class Scope:
    """The enterprises a rule looks at in one call (an id range of a full run's chunk, or the ids of an
    incremental run) and the run's date."""

    as_of: dt.date
    lo: int | None = None
    hi: int | None = None
    ids: list[int] | None = None

    def where(self, column: str) -> tuple[str, list]:
        if self.ids is not None:
            return f"{column} = ANY(%s)", [list(self.ids)]
        if self.lo is not None:
            return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]
        return "TRUE", []

    # --- windows -----------------------------------------------------------------------------------

    def month(self) -> dt.date:
        return self.as_of.replace(day=1)

    def months_back(self, days: int, *, before: int = 0) -> dt.date:
        """First month of a window of `days` days (whole months, see the module docstring), shifted
        `before` windows back."""
        n = max(1, math.ceil(days / 30)) * (before + 1)
        m = self.month()
        year, month = divmod(m.year * 12 + m.month - 1 - (n - 1), 12)
        return dt.date(year, month + 1, 1)

    def window_days(self, days: int) -> int:
        """Days the window of `days` really covers (its first month's first day to the run's date)."""
        return (self.as_of - self.months_back(days)).days + 1


def validate(params, data) -> dict:
    """Every threshold of `params` (a tuple of Param), cleaned from `data`; missing keys take their
    defaults, unknown keys are refused. Raises ValidationError naming each bad field."""
    if not isinstance(data, dict):
        raise ValidationError(_("Thresholds must be an object."), code="invalid")
    known = {p.key for p in params}
    errors: dict[str, list] = {}
    for key in data:
        if key not in known:
            errors.setdefault("non_field_errors" if not isinstance(key, str) else str(key)[:40], []).append(
                _("Unknown threshold."))
    cleaned = {}
    for p in params:
        try:
            cleaned[p.key] = p.clean(data.get(p.key, p.default))
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, []).extend(v)
    if errors:
        raise ValidationError(errors)
    return cleaned


def dec(value) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def fetch(sql: str, params) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
