"""Vectorised per-chunk format checks. Each adds row errors and returns a boolean Series of bad rows;
normalised values are written back into the chunk (upper-case codes, ISO dates, ...).

Values as people write them are read where they are unambiguous: choices by their labels in either
language (imports.columns), currencies by name or sign (`人民币`, `美元`, `¥`), amounts with units and
separators (`125万`, `1.5亿`, `￥1,250,000`: core.money, default unit 元), dates year first in any
common form (`20261122`, `2026/11/22`, `2026年11月22日`: core.dates). The canonical forms take a
regex fast path; only the other values are parsed, once per distinct value."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import pandas as pd
from django.utils.translation import gettext as _

from core.dates import TIME_TAIL as _TIME_TAIL
from core.dates import business_date_range, in_range, out_of_range_message, parse_date_text
from core.money import AmountError, parse_amount
from imports.columns import Column, normalise
from imports.currencies import CURRENCY_ALIASES
from imports.errors import ErrorList
from imports.reader import ROW

_AMOUNT = r"^(-?)(\d+)(?:\.(\d*))?$"


def _report(df: pd.DataFrame, mask: pd.Series, column: str, message, errors: ErrorList) -> pd.Series:
    if mask.any():
        errors.add_many(df.loc[mask, ROW], column, message)
    return mask


def required(df, col, errors) -> pd.Series:
    return _report(df, df[col] == "", col, _("This field is required."), errors)


def max_length(df, col, n, errors) -> pd.Series:
    return _report(df, df[col].str.len() > n, col,
                   _("At most %(n)d characters.") % {"n": n}, errors)


def credit_code(df, col, errors, *, optional=False) -> pd.Series:
    """Normalise a credit code column (upper case, no spaces or hyphens). Its checksum is checked
    later, only for codes that match no enterprise (a stored code is valid by construction)."""
    codes = df[col].str.upper()
    if codes.str.contains(r"[\s-]").any():
        codes = codes.str.replace(r"[\s-]", "", regex=True)
    df[col] = codes
    return pd.Series(False, index=df.index) if optional else required(df, col, errors)


def _mapped(series: pd.Series, read) -> pd.Series:
    """`read` applied once per distinct value (files repeat a handful of values a million times)."""
    distinct = series.unique()
    return series.map({v: read(v) for v in distinct})


def choice(df, col, column: Column, errors, *, optional=False) -> pd.Series:
    """A choice written as its stored value or its label in either language (or a declared synonym),
    stored as the value: `付款`, `Payment` and `payment` are all "payment"."""
    known = column.choice_map()
    values = _mapped(df[col], lambda v: known.get(normalise(v), "") if v else "")
    empty = df[col] == ""
    bad = (values == "") & ~empty
    _report(df, bad, col, _("Must be one of: %(values)s.") % {"values": ", ".join(column.choice_labels())}, errors)
    df[col] = values.where(~bad, df[col])
    return bad | (pd.Series(False, index=df.index) if optional else required(df, col, errors))


def _currency_code(value: str, codes) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    code = CURRENCY_ALIASES.get(text.upper()) or CURRENCY_ALIASES.get(text) or text.upper()
    return code if code in codes else ""


def currency(df, col, codes, errors) -> pd.Series:
    """An active ISO 4217 code (any case), or a name or sign people write for one (`人民币`, `RMB`, `¥`,
    `美元`); empty is CNY."""
    s = df[col].str.upper()
    fine = s.isin(codes)
    if not fine.all():
        s = s.where(fine, _mapped(df[col].where(~fine, ""), lambda v: _currency_code(v, codes) if v else "CNY"))
    df[col] = s.where(s != "", df[col])
    return _report(df, s == "", col,
                   _("Not an active ISO 4217 currency code (e.g. CNY, USD, EUR) or a currency name (人民币, 美元)."),
                   errors)


# Thousands separators, where a value has any, group three digits (`1,250,000.00`); `1,5` is refused,
# not read as 15. The flows COPY path strips commas only from values of this shape too.
_GROUPED = re.compile(r"[^0-9,]*[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?[^0-9,]*")
_UNIT_OR_SIGN = r"[^0-9.+\-\s]"  # anything but digits, a point, a sign: units, 元, ￥, commas


def _written_amount(value: str, max_int_digits: int):
    """(canonical amount text, "") for an amount written with a unit, a currency sign or full-width
    digits (`125万`, `1.5亿`, `￥1,250,000`), read in 元 when no unit is written; ("", reason) otherwise."""
    text = unicodedata.normalize("NFKC", value).strip()
    if "," in text and not _GROUPED.fullmatch(text):
        return "", _("Thousands separators must group three digits (1,250,000.00).")
    try:
        number = parse_amount(text, default_unit=Decimal(1))
    except AmountError:
        return "", _("Not a number: write the amount as 1250000.00, 1,250,000, 125万 or 1.5亿.")
    if number <= 0:
        return "", _("The amount must be positive.")
    if number >= Decimal(10) ** max_int_digits:
        return "", _("The amount is too large.")
    if number != number.quantize(Decimal("0.01")):
        return "", _("At most 2 decimal places.")
    return f"{number:.2f}", ""


def amount(df, col, errors, *, max_int_digits=16) -> pd.Series:
    """A positive amount with at most two decimals, in 元; thousands separators, units (`125万`, `1.5亿`)
    and currency signs (`￥`) are read (core.money.parse_amount, the one parser).

    Fast path: one regex over the column; only rows that fail it are classified in detail, and values
    written with more than digits are parsed once per distinct value."""
    s = df[col]
    if s.str.contains(",", regex=False).any():
        grouped = s.str.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?")
        s = s.where(~grouped, s.str.replace(",", "", regex=False))
        df[col] = s
    written = s.str.contains(_UNIT_OR_SIGN)
    bad = pd.Series(False, index=df.index)
    if written.any():
        read = _mapped(s[written], lambda v: _written_amount(v, max_int_digits))
        values, reasons = read.map(lambda t: t[0]), read.map(lambda t: t[1])
        fine = values != ""
        df.loc[fine[fine].index, col] = values[fine]
        for reason in reasons[~fine].unique():
            rows = reasons.index[reasons == reason]
            errors.add_many(df.loc[rows, ROW], col, reason)
            bad[rows] = True
    plain = ~written
    if plain.any():
        bad |= _plain_amount(df.loc[plain], df.loc[plain, col], col, errors, max_int_digits).reindex(
            df.index, fill_value=False)
    return bad


def _plain_amount(df, s, col, errors, max_int_digits) -> pd.Series:
    # ASCII digits only ([0-9], not \d, which takes full-width digits that no database casts); the
    # flows COPY path checks the same pattern in SQL.
    fine = s.str.fullmatch(rf"[0-9]{{1,{max_int_digits}}}(?:\.[0-9]{{1,2}})?") & s.str.contains(r"[1-9]")
    bad = ~fine
    if not bad.any():
        return bad
    sub = df.loc[bad]
    parts = s[bad].str.extract(_AMOUNT)
    empty = s[bad] == ""
    _report(sub, empty, col, _("This field is required."), errors)
    nonnum = parts[1].isna() & ~empty
    _report(sub, nonnum, col, _("Not a number."), errors)
    ok = ~nonnum & ~empty
    negative = ok & (parts[0] == "-")
    digits = parts[1].fillna("").str.strip("0") + parts[2].fillna("").str.strip("0")
    zero = ok & ~negative & (digits == "")
    _report(sub, negative | zero, col, _("The amount must be positive."), errors)
    rest = ok & ~negative & ~zero
    decimals = rest & (parts[2].fillna("").str.len() > 2)
    _report(sub, decimals, col, _("At most 2 decimal places."), errors)
    big = rest & ~decimals & (parts[1].fillna("").str.lstrip("0").str.len() > max_int_digits)
    _report(sub, big, col, _("The amount is too large."), errors)
    # Whatever is left ("1.", "+5") is still not an amount the file may contain.
    _report(sub, rest & ~decimals & ~big, col, _("Not a number."), errors)
    return bad


# What may follow a date (core.dates, the one place of the date rules); the flows COPY path checks the
# same pattern in SQL.
TIME_TAIL = _TIME_TAIL


def _written_date(value: str) -> str:
    day = parse_date_text(value)
    if day is None:
        return ""
    return day.isoformat() if in_range(day) else "range"


def iso_date(df, col, errors, *, optional=False) -> pd.Series:
    """A date written year first (2026-11-22, 2026/11/22, 20261122, 2026年11月22日; a valid time after it
    is dropped: core.dates.parse_date_text), inside the business date range; written back as ISO.

    Fast path: canonical YYYY-MM-DD is parsed vectorised; other forms once per distinct value."""
    raw = df[col]
    empty = raw == ""
    canonical = raw.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    parsed = pd.to_datetime(raw.where(canonical, ""), format="%Y-%m-%d", errors="coerce")
    first, last = business_date_range()
    result = pd.Series("", index=df.index, dtype=object)
    fine = canonical & parsed.notna()
    inside = fine & (parsed >= pd.Timestamp(first)) & (parsed <= pd.Timestamp(last))
    result[inside] = raw[inside]
    result[fine & ~inside] = "range"
    odd = ~canonical & ~empty
    if odd.any():
        result[odd] = _mapped(raw[odd], _written_date)
    outside = result == "range"
    bad = (result == "") & ~empty & ~outside
    _report(df, bad, col, _("Not a valid date: use YYYY-MM-DD."), errors)
    _report(df, outside, col, out_of_range_message(), errors)
    bad |= outside
    missing = pd.Series(False, index=df.index) if optional else required(df, col, errors)
    df[col] = result.where(~bad & ~empty, "").astype(str)
    return bad | missing


def integer(df, col, errors, *, low, high, optional=False) -> pd.Series:
    empty = df[col] == ""
    num = pd.to_numeric(df[col].where(df[col].str.fullmatch(r"[+-]?\d+"), None), errors="coerce")
    bad = (num.isna() | (num < low) | (num > high)) & ~empty
    _report(df, bad, col, _("Must be a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            errors)
    return bad | (pd.Series(False, index=df.index) if optional else required(df, col, errors))


def duplicates(df, key_cols, errors, *, column, message) -> pd.Series:
    """Rows repeating the key of an earlier row in the same frame."""
    dup = df.duplicated(subset=key_cols, keep="first")
    return _report(df, dup, column, message, errors)


def listed(df, col, allowed, errors, *, message) -> pd.Series:
    """A required value taken as written (no case folding) from a list kept in the database."""
    missing = required(df, col, errors)
    return missing | _report(df, ~df[col].isin(list(allowed)) & ~missing, col, message, errors)
