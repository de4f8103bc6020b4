"""Money and numbers as the bank's users read and write them: the one place that formats and parses
amounts, percentages and counts (the `money` template library and `core.forms.AmountField` call it).

Chinese: tables in 万元 (two decimals), headline tiles in 亿元 (two decimals; under 1亿 in 万元),
the exact 元 figure on hover; English: grouped full yuan in tables, m / bn in tiles. Percentages carry
no space (`84.4%`). Input accepts what people type: `1,250,000`, `125万`, `125万元`, `1.5亿`,
`3.2m`, `1.2bn`, full-width digits; a bare number is read in the unit the field states (万元 on a
Chinese page, 元 on an English one).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import get_language

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
MILLION = Decimal(1_000_000)
BILLION = Decimal(1_000_000_000)

#: Decimals shown, one precision per kind of figure.
TABLE_PLACES_ZH = 2  # 万元
TABLE_PLACES_EN = 0  # 元, grouped
TILE_PLACES = 2  # 亿元 / m / bn
PERCENT_PLACES = 1
SHARE_PLACES = 2  # ownership shares: the same figure in the tree and in the member table

#: Below 1亿 a Chinese tile shows 万元 (0.13亿元 reads badly and loses precision).
TILE_YI_FROM = YI


def chinese(language: str | None = None) -> bool:
    """Whether figures are written the Chinese way for `language` (default: the active language)."""
    return (language or get_language() or "").lower().startswith("zh")


def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _fixed(number: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    return f"{rounded:,.{places}f}"


def exact(value, currency: str = "CNY", language: str | None = None) -> str:
    """The exact figure, for the hover text: `1,234,567.89 元` / `CNY 1,234,567.89`."""
    number = to_decimal(value)
    if number is None:
        return ""
    figure = _fixed(number, 2)
    if chinese(language):
        return f"{figure} 元" if currency in ("", "CNY") else f"{figure} {currency}"
    return f"{currency or 'CNY'} {figure}"


def table_figure(value, language: str | None = None) -> str:
    """A table cell: 万元 with two decimals in Chinese, whole yuan grouped in English; "—" for none."""
    number = to_decimal(value)
    if number is None:
        return "—"
    if chinese(language):
        return _fixed(number / WAN, TABLE_PLACES_ZH)
    return _fixed(number, TABLE_PLACES_EN)


def table_unit(language: str | None = None, currency: str = "CNY") -> str:
    """The unit for a column header: `万元` / `CNY` (or the currency's code)."""
    if chinese(language):
        return "万元" if currency in ("", "CNY") else f"万{currency}"
    return currency or "CNY"


def tile_figure(value, language: str | None = None, currency: str = "CNY") -> str:
    """A headline tile, unit included: `12.35亿元` / `3,456.78万元`; `CNY 1.24 bn` / `CNY 12.35 m`."""
    number = to_decimal(value)
    if number is None:
        return "—"
    if chinese(language):
        unit = "元" if currency in ("", "CNY") else currency
        if abs(number) >= TILE_YI_FROM:
            return f"{_fixed(number / YI, TILE_PLACES)}亿{unit}"
        return f"{_fixed(number / WAN, TILE_PLACES)}万{unit}"
    code = currency or "CNY"
    if abs(number) >= BILLION:
        return f"{code} {_fixed(number / BILLION, TILE_PLACES)} bn"
    if abs(number) >= MILLION:
        return f"{code} {_fixed(number / MILLION, TILE_PLACES)} m"
    return f"{code} {_fixed(number, 0)}"


def percent(value, places: int = PERCENT_PLACES) -> str:
    """A figure already in percent: `84.4%` (no space, in either language); "—" for none."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return f"{_fixed(number, int(places))}%"


def ratio_percent(value, places: int = PERCENT_PLACES) -> str:
    """A ratio: 0.844 -> `84.4%`."""
    number = to_decimal(value)
    return "—" if number is None else percent(number * 100, places)


def count(value) -> str:
    """A count, grouped: `12,345`."""
    number = to_decimal(value)
    return "—" if number is None else _fixed(number, 0)


# --- input --------------------------------------------------------------------------------------------

_UNITS = {
    "": None,  # the field's own unit
    "元": Decimal(1),
    "块": Decimal(1),
    "万": WAN,
    "万元": WAN,
    "w": WAN,
    "亿": YI,
    "亿元": YI,
    "k": Decimal(1000),
    "m": MILLION,
    "mn": MILLION,
    "million": MILLION,
    "b": BILLION,
    "bn": BILLION,
    "billion": BILLION,
    "yuan": Decimal(1),
    "cny": Decimal(1),
    "rmb": Decimal(1),
}
_AMOUNT = re.compile(r"^(?P<sign>[-+]?)(?P<number>\d+(?:\.\d+)?|\.\d+)(?P<unit>[^\d.]*)$")


class AmountError(ValueError):
    """Text that is not an amount; the message says why (for a form field's error)."""


def parse_amount(text, *, default_unit: Decimal = Decimal(1)) -> Decimal:
    """`125万` -> 1250000; `1.5亿` -> 150000000; `1,250,000` -> 1250000 (times `default_unit` when no
    unit is written). Full-width digits and punctuation are read as their ASCII forms; `CNY`, `RMB`,
    `¥` and `元` around the figure are allowed. Raises AmountError for anything else."""
    if isinstance(text, (int, Decimal)):
        return Decimal(text) * default_unit
    raw = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    raw = raw.replace(",", "").replace(" ", "").replace("_", "")
    for prefix in ("cny", "rmb", "¥", "￥"):
        if raw.startswith(prefix):
            raw = raw[len(prefix):]
    match = _AMOUNT.match(raw)
    if not match or match["unit"] not in _UNITS:
        raise AmountError(raw)
    unit = _UNITS[match["unit"]]
    number = Decimal(match["number"]) * (default_unit if unit is None else unit)
    return -number if match["sign"] == "-" else number
