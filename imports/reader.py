"""Read CSV / XLSX files and API record lists as chunks of strings, with the row numbers users see.

Every chunk is a DataFrame of `str` columns (stripped, missing cells as "") plus `_row`: the row number
in the file (header = row 1, first data row = row 2) or the 0-based index in an API list. Whole-file
problems raise `ImportFileError` with a message for the user. `check_file` makes the whole-file checks
once (size, type, encoding, CSV header); `file_chunks` then reads the checked file. Memory stays flat:
CSV is read with `chunksize`, XLSX row by row with openpyxl's read-only mode.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from django.utils.translation import gettext as _

from imports.errors import ImportFileError

ROW = "_row"
CSV_EXTENSIONS = {".csv", ".txt"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
_SCAN_BLOCK = 1 << 20


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


def _normalise_header(name) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def check_headers(found: Sequence[str], columns: Columns) -> list[str]:
    """Normalised header names, or ImportFileError naming missing, unexpected and repeated columns."""
    names = [_normalise_header(n) for n in found]
    if not any(names):
        raise ImportFileError(_("The file is empty: it has no header row and no data."))
    problems = []
    missing = [c for c in columns.required if c not in names]
    unexpected = [n for n in names if n not in columns.all]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if missing:
        problems.append(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
    if unexpected:
        problems.append(_("Unexpected columns: %(cols)s.") % {"cols": ", ".join(n or '""' for n in unexpected)})
    if repeated:
        problems.append(_("Repeated columns: %(cols)s.") % {"cols": ", ".join(repeated)})
    if problems:
        expected = ", ".join(columns.required) + (
            " " + _("(optional: %(cols)s)") % {"cols": ", ".join(columns.optional)} if columns.optional else ""
        )
        problems.append(_("Expected columns: %(cols)s.") % {"cols": expected})
        raise ImportFileError(" ".join(problems))
    return names


def _finish_chunk(df: pd.DataFrame, names: list[str], columns: Columns, first_row: int) -> pd.DataFrame:
    df.columns = names
    df = df.fillna("").astype(str)
    for col in names:
        df[col] = df[col].str.strip()
    for col in columns.optional:
        if col not in df.columns:
            df[col] = ""
    df[ROW] = range(first_row, first_row + len(df))
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
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, what Excel in China exports).

    The whole file is scanned with incremental decoders (cheap next to parsing) so a GBK character on
    row 900,000 is found before anything is imported, and nothing is ever read as mojibake."""
    for encoding in ("utf-8", "gb18030"):
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while block := fh.read(_SCAN_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            fh.seek(0)
        return "utf-8-sig" if encoding == "utf-8" else encoding
    raise ImportFileError(
        _("The file's text encoding is neither UTF-8 nor GBK/GB18030. Save it from Excel as "
          "\"CSV UTF-8 (comma delimited)\" and upload it again.")
    )


def _csv_chunks(fh, encoding: str, names: list[str], columns: Columns, chunk_rows: int) -> Iterator[pd.DataFrame]:
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
            yield _finish_chunk(chunk, names, columns, first_row)
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


def _xlsx_chunks(fh, columns: Columns, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("The file is not a readable XLSX workbook: %(reason)s") % {"reason": exc}) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportFileError(_("The file is empty: it has no header row and no data."))
        while header and header[-1] is None:
            header = header[:-1]
        names = check_headers([_cell(h) for h in header], columns)
        width = len(names)
        first_row, buffer = 2, []
        for values in rows:
            buffer.append([_cell(v) for v in values[:width]] + [""] * (width - len(values)))
            if len(buffer) >= chunk_rows:
                yield _finish_chunk(pd.DataFrame(buffer, dtype=str), names, columns, first_row)
                first_row += len(buffer)
                buffer = []
        if buffer:
            yield _finish_chunk(pd.DataFrame(buffer, dtype=str), names, columns, first_row)
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
    """The checked, normalised header names of a CSV file (read as `_csv_chunks` reads the rows);
    leaves the file at position 0."""
    text = io.TextIOWrapper(fh, encoding=encoding, newline="")
    try:
        try:
            head = pd.read_csv(text, dtype=str, keep_default_na=False, nrows=0)
        except pd.errors.EmptyDataError:
            raise ImportFileError(_("The file is empty: it has no header row and no data.")) from None
        except pd.errors.ParserError as exc:
            raise ImportFileError(_("The file is not a well-formed CSV: %(reason)s") % {"reason": exc}) from None
        return check_headers(list(head.columns), columns)
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


def check_file(fh, *, filename: str, columns: Columns, max_bytes: int, notes: list) -> CheckedFile:
    """The whole-file checks, once per import: size, type, and for CSV the encoding (the whole file is
    scanned) and the header. Raises ImportFileError. An XLSX header is checked when the workbook is
    opened for reading (opening it twice would cost more than it saves)."""
    check_size(fh, max_bytes)
    ext = Path(filename or "").suffix.lower()
    fh.seek(0)
    if ext in XLSX_EXTENSIONS:
        return CheckedFile(fh, "xlsx")
    if ext in CSV_EXTENSIONS:
        encoding = detect_encoding(fh)
        if encoding == "gb18030":
            notes.append(_("The file was read as GBK/GB18030 text (a Chinese Excel export)."))
        return CheckedFile(fh, "csv", encoding, tuple(csv_header(fh, encoding, columns)))
    raise ImportFileError(
        _("Unsupported file type %(ext)s: upload a .csv or .xlsx file.") % {"ext": ext or _("(none)")}
    )


def file_chunks(checked: CheckedFile, *, columns: Columns, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a checked file; raises ImportFileError for problems found while reading."""
    checked.fh.seek(0)
    if checked.format == "xlsx":
        yield from _xlsx_chunks(checked.fh, columns, chunk_rows)
    else:
        yield from _csv_chunks(checked.fh, checked.encoding, list(checked.names), columns, chunk_rows)


# --- API records ---------------------------------------------------------------------------------


def record_chunks(records: list, *, columns: Columns, chunk_rows: int, errors) -> Iterator[pd.DataFrame]:
    """Chunks of a list of JSON objects; row numbers are list indexes. Unknown fields and items that
    are not objects are row errors; missing fields become "" and fail the required checks."""
    if not records:
        raise ImportFileError(_("No records: send one object or a non-empty list."))
    allowed = set(columns.all)
    for start in range(0, len(records), chunk_rows):
        part = records[start:start + chunk_rows]
        rows = []
        for i, item in enumerate(part, start):
            if not isinstance(item, dict):
                errors.add(i, "non_field_errors", _("Each item must be a JSON object."))
                rows.append({})
                continue
            for key in item.keys() - allowed:
                errors.add(i, key, _("Unknown field."))
            rows.append({c: "" if item.get(c) is None else str(item.get(c)) for c in columns.all})
        df = pd.DataFrame(rows, columns=list(columns.all)).fillna("").astype(str)
        for col in columns.all:
            df[col] = df[col].str.strip()
        df[ROW] = range(start, start + len(part))
        yield df
