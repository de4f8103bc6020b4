"""Vectorised per-chunk format checks. Each adds row errors and returns a boolean Series of bad rows;
normalised values are written back into the chunk (upper-case codes, ISO dates, ...)."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from core.dates import business_date_range, out_of_range_message
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


def choice(df, col, choices, errors, *, optional=False) -> pd.Series:
    allowed = list(choices)
    df[col] = df[col].str.lower()
    empty = df[col] == ""
    bad = ~df[col].isin(allowed) & ~empty
    _report(df, bad, col, _("Must be one of: %(values)s.") % {"values": ", ".join(allowed)}, errors)
    return bad | (pd.Series(False, index=df.index) if optional else required(df, col, errors))


def currency(df, col, codes, errors) -> pd.Series:
    df[col] = df[col].str.upper()
    df.loc[df[col] == "", col] = "CNY"
    return _report(df, ~df[col].isin(codes), col,
                   _("Not an active ISO 4217 currency code (e.g. CNY, USD, EUR)."), errors)


def amount(df, col, errors, *, max_int_digits=16) -> pd.Series:
    """A positive amount with at most two decimals; thousands separators are allowed.

    Fast path: one regex over the column; only rows that fail it are classified in detail."""
    s = df[col]
    if s.str.contains(",", regex=False).any():
        s = s.str.replace(",", "", regex=False)
        df[col] = s
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


# What may follow a date in a date column: nothing, or a valid time of day (Excel writes
# "2025-03-04 00:00:00"; systems add seconds, fractions, an offset). "2026-10-01T25:00" is not a date.
# The flows COPY path (chains.importers) checks the same pattern in SQL.
TIME_TAIL = r"(?:[T ]?(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"


def iso_date(df, col, errors, *, optional=False) -> pd.Series:
    """YYYY-MM-DD (also YYYY/MM/DD, and a date followed by a valid time, which is dropped), inside the
    business date range (core.dates); written back as ISO."""
    raw = df[col]
    empty = raw == ""
    canonical = raw.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    s = raw.where(canonical, raw.str.replace("/", "-", regex=False).str.slice(0, 10))
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    bad = (parsed.isna() | (parsed.dt.year < 1)) & ~empty  # pandas takes year 0, no database does
    odd = ~canonical & ~empty & ~bad
    if odd.any():
        tail = raw[odd].str.slice(10).str.strip()
        bad[odd] = ~tail.str.fullmatch(TIME_TAIL)
    _report(df, bad, col, _("Not a valid date: use YYYY-MM-DD."), errors)
    first, last = business_date_range()
    outside = ~bad & ~empty & ((parsed < pd.Timestamp(first)) | (parsed > pd.Timestamp(last)))
    _report(df, outside, col, out_of_range_message(), errors)
    bad |= outside
    odd &= ~bad
    if odd.any():
        df.loc[odd, col] = parsed[odd].dt.strftime("%Y-%m-%d")
    missing = pd.Series(False, index=df.index) if optional else required(df, col, errors)
    df.loc[bad, col] = ""
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
