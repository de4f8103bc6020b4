"""Read CSV / XLSX files and API record lists as chunks of strings, with the row numbers users see.

Every chunk is a DataFrame of `str` columns (stripped, missing cells as "") plus `_row`: the row number
in the file (header = row 1, first data row = row 2) or the 0-based index in an API list. Whole-file
problems raise `ImportFileError` with a message for the user. `check_file` makes the whole-file checks
once (size, type, encoding, CSV header); `file_chunks` then reads the checked file. Memory stays flat:
CSV is read with `chunksize`, XLSX row by row with openpyxl's read-only mode.

Headers are matched through the importer's column declarations (imports.columns): Chinese or English,
and their common variants, each read as the column's key; numbers in an XLSX date column are Excel
serial dates (core.dates).

Hostile files cost no more than honest ones and never get past the reader as a 500: headers are read
in linear time and at most MAX_COLUMNS wide, a file named .xlsx that is not a workbook (or whose
parts openpyxl cannot read) is a file error, and cells holding text the database cannot store (NUL,
lone surrogates: core.text) are row errors naming row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from django.utils.translation import gettext as _

from core.dates import excel_serial_date
from core.text import BAD_TEXT_PATTERN, has_bad_text, printable, text_problem
from imports.columns import DATE, Column, normalise
from imports.errors import ErrorList, ImportFileError

ROW = "_row"
CSV_EXTENSIONS = {".csv", ".txt"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
_SCAN_BLOCK = 1 << 20
# No import has more than a dozen columns. The header is read at most this wide (an XLSX row) or
# refused past it (a CSV line), so a file of 100,000 columns costs no more than a normal one.
MAX_COLUMNS = 100
_NAME_SHOWN = 40  # characters of a column name quoted in an error
# Cells with refused text (core.text) named in a file error when no row-error list is given.
_BAD_CELLS_LISTED = 10


@dataclass(frozen=True)
class Columns:
    """An importer's columns: keys, or `imports.columns.Column` declarations (headers in both languages,
    aliases, value type, choices). Every header a declaration lists is accepted and read as its key."""

    required: tuple[str | Column, ...]
    optional: tuple[str | Column, ...] = ()

    @cached_property
    def specs(self) -> tuple[Column, ...]:
        return tuple(c if isinstance(c, Column) else Column(key=c, zh=c) for c in self.required + self.optional)

    @cached_property
    def all(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.specs)

    @cached_property
    def required_keys(self) -> tuple[str, ...]:
        return self.all[:len(self.required)]

    @cached_property
    def optional_keys(self) -> tuple[str, ...]:
        return self.all[len(self.required):]

    def spec(self, key: str) -> Column:
        return self.by_key[key]

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.specs}

    @cached_property
    def header_keys(self) -> dict[str, str]:
        """{normalised header: key} for every header any column accepts; two columns claiming one header
        is a mistake in the declaration."""
        found: dict[str, str] = {}
        for column in self.specs:
            for header in column.headers:
                name = normalise(header)
                if found.setdefault(name, column.key) != column.key:
                    raise ValueError(f"Header {header!r} is declared for {found[name]!r} and {column.key!r}")
        return found

    def header(self, key: str) -> str:
        """A column's header in the active language (its key when it has no declaration)."""
        column = self.by_key.get(key)
        return column.header() if column is not None else key


def _normalise_header(name) -> str:
    return str(name).replace("\ufeff", "").strip()


def _expected(columns: Columns) -> str:
    required = ", ".join(columns.header(k) for k in columns.required_keys)
    optional = ", ".join(columns.header(k) for k in columns.optional_keys)
    expected = required + (" " + _("(optional: %(cols)s)") % {"cols": optional} if optional else "")
    return _("Expected columns: %(cols)s.") % {"cols": expected}


def _shown(name: str) -> str:
    name = printable(name)
    return (name[:_NAME_SHOWN] + "…" if len(name) > _NAME_SHOWN else name) or '""'


def too_many_columns(columns: Columns) -> ImportFileError:
    return ImportFileError(
        _("The header row has more than %(max)d columns.") % {"max": MAX_COLUMNS} + " " + _expected(columns)
    )


def check_headers(found: Sequence[str], columns: Columns) -> list[str]:
    """Normalised header names, or ImportFileError naming missing, unexpected and repeated columns.
    Linear in the number of columns, and refused past MAX_COLUMNS."""
    if len(found) > MAX_COLUMNS:
        raise too_many_columns(columns)
    written = [_normalise_header(n) for n in found]
    if not any(written):
        raise ImportFileError(_("The file is empty: it has no header row and no data."))
    known = columns.header_keys
    # Each header read as its column's key; an unknown one stays as written (and is named below).
    names = [known.get(normalise(n), n) for n in written]
    problems = []
    present = set(names)
    allowed = set(columns.all)
    missing = [columns.header(c) for c in columns.required_keys if c not in present]
    unexpected = [w for w, n in zip(written, names, strict=True) if n not in allowed]
    counts = Counter(names)
    repeated = sorted({w for w, n in zip(written, names, strict=True) if counts[n] > 1})
    if missing:
        problems.append(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
    if unexpected:
        problems.append(_("Unexpected columns: %(cols)s.") % {"cols": ", ".join(_shown(n) for n in unexpected)})
    if repeated:
        problems.append(_("Repeated columns: %(cols)s.") % {"cols": ", ".join(_shown(n) for n in repeated)})
    if problems:
        problems.append(_expected(columns))
        raise ImportFileError(" ".join(problems))
    return names


# --- refused text in cells (core.text: NUL, lone surrogates) ----------------------------------------


def _bad_text_cells(df: pd.DataFrame, cols) -> list[tuple[int, str, str]]:
    """(row, column, message) for every cell holding refused text; such cells are made printable in
    place (the row is refused, and nothing downstream, a COPY least of all, chokes on them).
    One C-speed scan per column; cells are looked at one by one only in a column that has any."""
    found = []
    for col in cols:
        values = df[col]
        if not has_bad_text("".join(values)):
            continue
        mask = values.str.contains(BAD_TEXT_PATTERN, regex=True)
        for index in df.index[mask]:
            found.append((int(df.at[index, ROW]), col, text_problem(values[index]) or ""))
        df.loc[mask, col] = values[mask].map(printable)
    return found


def report_bad_text(df: pd.DataFrame, cols, errors: ErrorList | None) -> None:
    """Row errors for cells with refused text, or (without an error list) an ImportFileError naming
    the first of them by row and column."""
    found = _bad_text_cells(df, cols)
    if not found:
        return
    if errors is not None:
        for row, col, message in found:
            errors.add(row, col, message)
        return
    found.sort()
    listed = "; ".join(
        _("row %(row)d, column %(col)s: %(message)s") % {"row": row, "col": col, "message": message}
        for row, col, message in found[:_BAD_CELLS_LISTED]
    )
    more = len(found) - _BAD_CELLS_LISTED
    raise ImportFileError(
        _("Some cells hold text that cannot be stored: %(cells)s") % {"cells": listed}
        + (" " + _("(and %(n)d more)") % {"n": more} if more > 0 else "")
    )


def _finish_chunk(df: pd.DataFrame, names: list[str], columns: Columns, first_row: int,
                  errors: ErrorList | None = None) -> pd.DataFrame:
    df.columns = names
    df = df.fillna("").astype(str)
    for col in names:
        df[col] = df[col].str.strip()
    for col in columns.optional_keys:
        if col not in df.columns:
            df[col] = ""
    df[ROW] = range(first_row, first_row + len(df))
    report_bad_text(df, names, errors)
    # Rows whose every cell is empty (trailing lines Excel leaves behind) are skipped, not errors.
    blank = (df[list(columns.all)] == "").all(axis=1)
    return df[~blank] if blank.any() else df


# --- files ------------------------------------------------------------------------------------------


def _size_of(fh) -> int:
    pos = fh.tell()
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(pos)
    return size


def detect_encoding(fh) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, what Excel in China exports)."""
    return _scan_text(fh)[0]


def _scan_text(fh) -> tuple[str, bool]:
    """(encoding, whether the file holds a NUL byte). UTF-8 (with or without BOM), else GB18030.

    The whole file is scanned with incremental decoders (cheap next to parsing) so a GBK character on
    row 900,000 is found before anything is imported, and nothing is ever read as mojibake. NUL is
    0x00 in both encodings: the same pass notes it (the flows COPY path cannot load it)."""
    for encoding in ("utf-8", "gb18030"):
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        nul = False
        try:
            while block := fh.read(_SCAN_BLOCK):
                decoder.decode(block)
                nul = nul or b"\0" in block
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            fh.seek(0)
        return ("utf-8-sig" if encoding == "utf-8" else encoding), nul
    raise ImportFileError(
        _("The file's text encoding is neither UTF-8 nor GBK/GB18030. Save it from Excel as "
          "\"CSV UTF-8 (comma delimited)\" and upload it again.")
    )


def _csv_chunks(fh, encoding: str, names: list[str], columns: Columns, chunk_rows: int,
                errors: ErrorList | None) -> Iterator[pd.DataFrame]:
    """Chunks of a CSV file whose encoding and header `check_file` established."""
    fh.seek(0)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    try:
        reader = pd.read_csv(
            text, dtype=str, keep_default_na=False, na_filter=False, chunksize=chunk_rows,
            skip_blank_lines=False,
        )
        first_row = 2
        for chunk in reader:
            n = len(chunk)
            yield _finish_chunk(chunk, names, columns, first_row, errors)
            first_row += n
    except pd.errors.ParserError as exc:
        raise ImportFileError(_("The file is not a well-formed CSV: %(reason)s") % {"reason": exc}) from None
    finally:
        text.detach()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unreadable(exc: BaseException) -> ImportFileError:
    return ImportFileError(_("The file is not a readable XLSX workbook: %(reason)s")
                           % {"reason": printable(str(exc))[:200] or type(exc).__name__})


def _xlsx_guarded(rows) -> Iterator[tuple]:
    """openpyxl's rows, where any error openpyxl (zipfile, zlib, the XML parser) raises on a damaged or
    hostile workbook becomes a file error: it cannot be told from a bug in the file, and it is one."""
    iterator = iter(rows)
    while True:
        try:
            values = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - see the docstring
            raise _unreadable(exc) from None
        yield values


def _xlsx_chunks(fh, columns: Columns, chunk_rows: int, errors: ErrorList | None) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # noqa: BLE001 - any error opening an uploaded workbook is the file's
        raise _unreadable(exc) from None
    try:
        # The header is read at most MAX_COLUMNS + 1 wide, the rows only as wide as the header: a sheet
        # declaring (or holding) thousands of columns costs no more than a normal one.
        header = next(_xlsx_guarded(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS + 1,
                                                    values_only=True)), None)
        if header is None:
            raise ImportFileError(_("The file is empty: it has no header row and no data."))
        width = max((i + 1 for i, value in enumerate(header) if value is not None), default=0)
        names = check_headers([_cell(h) for h in header[:width]], columns)
        # A date typed into a cell formatted as a number reaches us as Excel's serial number: in a date
        # column it is read as the date it stands for (core.dates), anywhere else as the number.
        date_columns = {i for i, n in enumerate(names) if n in columns.by_key and columns.spec(n).type == DATE}
        first_row, buffer = 2, []
        for values in _xlsx_guarded(sheet.iter_rows(min_row=2, max_col=width, values_only=True)):
            row = [_cell(v) for v in values[:width]] + [""] * (width - len(values))
            for i in date_columns:
                if i < len(values) and (day := excel_serial_date(values[i])) is not None:
                    row[i] = day.isoformat()
            buffer.append(row)
            if len(buffer) >= chunk_rows:
                yield _finish_chunk(pd.DataFrame(buffer, dtype=str), names, columns, first_row, errors)
                first_row += len(buffer)
                buffer = []
        if buffer:
            yield _finish_chunk(pd.DataFrame(buffer, dtype=str), names, columns, first_row, errors)
    finally:
        workbook.close()


def check_size(fh, max_bytes: int) -> int:
    """The file's size in bytes; ImportFileError when it is over the limit or empty."""
    size = getattr(fh, "size", None) or _size_of(fh)
    if size > max_bytes:
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": f"{size / 1e6:.1f}", "limit": f"{max_bytes / 1e6:.1f}"}
        )
    if size == 0:
        raise ImportFileError(_("The file is empty: it has no header row and no data."))
    return size


def csv_header(fh, encoding: str, columns: Columns) -> list[str]:
    """The checked, normalised header names of a CSV file (its first record, as `_csv_chunks` and the
    flows COPY path read it); leaves the file at position 0.

    Python's csv module, not pandas: it reads the header in time linear in its width (pandas needs
    15 s for 100,000 column names, minutes when they repeat); past MAX_COLUMNS it is refused."""
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    try:
        try:
            header = next(csv.reader(text), None)
        except csv.Error as exc:
            raise ImportFileError(_("The file is not a well-formed CSV: %(reason)s") % {"reason": exc}) from None
        if header is None:
            raise ImportFileError(_("The file is empty: it has no header row and no data."))
        if not header:
            raise ImportFileError(_("The first row is blank: it must hold the column names."))
        return check_headers(header, columns)
    finally:
        text.detach()
        fh.seek(0)


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the whole-file checks: its format and, for CSV, its encoding and header."""

    fh: BinaryIO
    format: str  # "csv" or "xlsx"
    encoding: str = ""  # CSV: "utf-8-sig" or "gb18030"
    names: tuple[str, ...] = ()  # CSV: the normalised header names, in file order
    has_nul: bool = False  # CSV: a NUL byte somewhere (refused per cell by the chunked reader)


def check_file(fh, *, filename: str, columns: Columns, max_bytes: int, notes: list) -> CheckedFile:
    """The whole-file checks, once per import: size, type, and for CSV the encoding (the whole file is
    scanned) and the header. Raises ImportFileError. An XLSX header is checked when the workbook is
    opened for reading (opening it twice would cost more than it saves)."""
    check_size(fh, max_bytes)
    ext = Path(filename or "").suffix.lower()
    fh.seek(0)
    if ext in XLSX_EXTENSIONS:
        is_zip = zipfile.is_zipfile(fh)
        fh.seek(0)
        if not is_zip:
            raise ImportFileError(_("The file is not an XLSX workbook (an XLSX file is a ZIP archive, this one is "
                                    "not): save it from Excel as .xlsx, or upload it as .csv."))
        return CheckedFile(fh, "xlsx")
    if ext in CSV_EXTENSIONS:
        encoding, has_nul = _scan_text(fh)
        if encoding == "gb18030":
            notes.append(_("The file was read as GBK/GB18030 text (a Chinese Excel export)."))
        return CheckedFile(fh, "csv", encoding, tuple(csv_header(fh, encoding, columns)), has_nul)
    raise ImportFileError(
        _("Unsupported file type %(ext)s: upload a .csv or .xlsx file.") % {"ext": ext or _("(none)")}
    )


def file_chunks(checked: CheckedFile, *, columns: Columns, chunk_rows: int,
                errors: ErrorList | None = None) -> Iterator[pd.DataFrame]:
    """Chunks of a checked file; raises ImportFileError for problems found while reading.

    Cells with text that cannot be stored (NUL, lone surrogates) are row errors in `errors`, naming
    row and column; without an error list they are an ImportFileError naming the first of them."""
    checked.fh.seek(0)
    if checked.format == "xlsx":
        yield from _xlsx_chunks(checked.fh, columns, chunk_rows, errors)
    else:
        yield from _csv_chunks(checked.fh, checked.encoding, list(checked.names), columns, chunk_rows, errors)


# --- API records ---------------------------------------------------------------------------------


def record_chunks(records: list, *, columns: Columns, chunk_rows: int, errors) -> Iterator[pd.DataFrame]:
    """Chunks of a list of JSON objects; row numbers are list indexes. Unknown fields and items that
    are not objects are row errors; missing fields become "" and fail the required checks."""
    if not records:
        raise ImportFileError(_("No records: send one object or a non-empty list."))
    allowed = set(columns.all)
    for start in range(0, len(records), chunk_rows):
        part = records[start:start + chunk_rows]
        rows: list[dict[str, str]] = []
        for i, item in enumerate(part, start):
            if not isinstance(item, dict):
                errors.add(i, "non_field_errors", _("Each item must be a JSON object."))
                rows.append({})
                continue
            for key in item.keys() - allowed:
                errors.add(i, printable(str(key)), _("Unknown field."))
            rows.append({c: "" if item.get(c) is None else str(item.get(c)) for c in columns.all})
        df = pd.DataFrame(rows, columns=list(columns.all)).fillna("").astype(str)
        for col in columns.all:
            df[col] = df[col].str.strip()
        df[ROW] = range(start, start + len(part))
        report_bad_text(df, columns.all, errors)
        yield df
