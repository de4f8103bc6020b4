"""Vectorised per-chunk format checks. Each adds row errors and returns a boolean Series of bad rows;
normalised values are written back into the chunk (upper-case codes, ISO dates, ...)."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from chains.imports.errors import ErrorList
from chains.imports.reader import ROW

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
    df[col] = df[col].str.upper().str.replace(r"[\s-]", "", regex=True)
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
    """A positive amount with at most two decimals; thousands separators are allowed."""
    s = df[col].str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    parts = s.str.extract(_AMOUNT)
    empty = s == ""
    bad = required(df, col, errors)
    nonnum = parts[1].isna() & ~empty
    bad |= _report(df, nonnum, col, _("Not a number."), errors)
    ok = ~bad
    negative = ok & (parts[0] == "-")
    zero = ok & ~negative & ~(parts[1].str.strip("0").fillna("") + parts[2].fillna("").str.strip("0")).astype(bool)
    bad |= _report(df, negative | zero, col, _("The amount must be positive."), errors)
    decimals = ok & (parts[2].fillna("").str.len() > 2)
    bad |= _report(df, decimals, col, _("At most 2 decimal places."), errors)
    big = ok & (parts[1].fillna("").str.lstrip("0").str.len() > max_int_digits)
    bad |= _report(df, big, col, _("The amount is too large."), errors)
    df[col] = s
    return bad


def iso_date(df, col, errors, *, optional=False) -> pd.Series:
    """YYYY-MM-DD (also YYYY/MM/DD, and a datetime whose time is dropped); written back as ISO."""
    s = df[col].str.replace("/", "-", regex=False).str.slice(0, 10)
    empty = df[col] == ""
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    # A trailing time is fine ("2025-03-04 00:00:00" from Excel); anything else after the date is not.
    tail = df[col].str.slice(10).str.strip()
    bad = (parsed.isna() | ~(tail.eq("") | tail.str.match(r"^[T ]?\d{1,2}:\d{2}"))) & ~empty
    _report(df, bad, col, _("Not a valid date: use YYYY-MM-DD."), errors)
    missing = pd.Series(False, index=df.index) if optional else required(df, col, errors)
    df[col] = parsed.dt.strftime("%Y-%m-%d").fillna("")
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
