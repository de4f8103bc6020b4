"""CSV and XLSX that users download: every cell arrives as the text it is, never as a formula.

People may legitimately type `=HYPERLINK(...)`, `+86 851 ...`, `-1+1` or `@SUM(...)` as data, so it
is stored verbatim. A spreadsheet opening an export, though, would run such a cell as a formula
(formula or "CSV" injection: links that leak data, DDE commands such as `+cmd|' /C calc'!A0`). Every
export therefore goes through this module:

- CSV: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
  apostrophe (OWASP's advice; spreadsheets show the text and do not evaluate it). Numbers, dates and
  booleans are written as they are: a negative amount stays a number.
- XLSX: text cells are written as text (openpyxl would otherwise store any string starting with `=`
  as a formula), with Excel's quote prefix so that editing the cell later does not turn it into one;
  the text itself is unchanged.

Use `csv_response` / `xlsx_response` (or `write_csv` / `write_xlsx`) with rows of Python values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from core.text import printable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def safe_cell(value):
    """A value for a CSV cell: text that a spreadsheet would read as a formula gets a leading
    apostrophe; anything else is returned unchanged (None as "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = printable(value)
        return "'" + value if is_formula_like(value) else value
    return value


def write_csv(out, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Rows to a text stream as CSV, every cell through `safe_cell`."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download in UTF-8 with a byte-order mark (what Excel in China needs to read UTF-8)."""
    out = io.StringIO()
    write_csv(out, header, rows)
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _xlsx_value(value):
    if isinstance(value, Decimal):
        # Excel numbers are doubles (15 significant digits): a longer amount travels as text, exactly.
        return float(value) if len(value.as_tuple().digits) <= 15 else None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: the wall time as given
    return value


def keep_as_text(cell) -> None:
    """A cell of an ordinary (not write-only) openpyxl workbook: if it holds text, it stays text with
    a quote prefix, never a formula (openpyxl stores any string starting with `=` as one)."""
    if isinstance(cell.value, str):
        cell.value = printable(cell.value)
        cell.data_type = "s"
        cell.quotePrefix = True


def write_xlsx(out, header: Sequence[str], rows: Iterable[Sequence], *, title: str = "export") -> None:
    """Rows to a binary stream as an XLSX workbook (openpyxl's write-only mode: flat memory). Text is
    always a text cell with a quote prefix; numbers, dates and booleans keep their types."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])

    def cell(value):
        if value is None:
            return None
        if isinstance(value, str):
            text = WriteOnlyCell(sheet, value=printable(value))
            text.data_type = "s"  # never a formula, whatever the text starts with
            text.quotePrefix = True
            return text
        if isinstance(value, (int, float, Decimal, bool, date)):
            converted = _xlsx_value(value)
            return converted if converted is not None else cell(str(value))
        return cell(str(value))

    sheet.append([cell(h) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    workbook.save(out)


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    out = io.BytesIO()
    write_xlsx(out, header, rows)
    response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
