"""The import driver: one for every kind and every input (file or API records).

It makes the whole-file checks once (size, type, encoding, header), then lets the importer stage the
rows: through its own fast file path when it has one (`Importer.stage_file`: the flows COPY path for
CSV on PostgreSQL), else through chunks of strings checked per chunk (`check_chunk`, `stage`). Then,
in one transaction, the importer checks the staged rows against the database and writes them
(`finish`). All-or-nothing (any error rolls everything back) and idempotent (rows already present with
the same content are counted, never duplicated; the same key with other content is a row error, never
a silent overwrite).

An importer (a subclass of `Importer`, declared in its domain app's `importers.py` and registered with
`imports.registry.register`) fills in:

- `check_chunk(df, errors)`: vectorised format checks on one chunk; returns the rows worth staging;
- `stage(df)`: keep those rows (a TEMP table for flows, a list of frames for the small tables);
- `stage_file(checked, result)`: optional; stage a whole checked file by a faster path and return
  True, or return False to be read in chunks;
- `finish(result, commit=...)`: set-based checks against the database (unknown codes, rules of the
  domain, duplicates, conflicts), then, when there is no error and `commit` is true, the write; runs
  in a transaction that the driver rolls back on any error or when previewing;
- `cleanup()`: drop what `begin` and `stage` built; `after_commit(result)`: work that follows a
  committed import (queued on commit).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.permissions import ensure_can_edit_clients
from imports.errors import ErrorList, ImportFileError, ImportResult
from imports.reader import ROW, CheckedFile, Columns, check_file, file_chunks, record_chunks

PREVIEW_ROWS = 10


class Importer:
    kind: str = ""
    label: str = ""
    order: int = 100  # position in the upload page's list of kinds
    columns: Columns
    # Flows: files name their source system (one head office keeps); rows may name their own.
    needs_source_system: bool = False

    def __init__(self, *, user=None, source_system: str | None = None):
        # user None: a trusted caller (the command line), with head-office scope.
        self.user = user
        self.source_system = (source_system or "").strip()
        self.staged = 0

    @property
    def change_reason(self) -> str:
        """What the history rows of imported records say."""
        return f"import ({self.source_system})" if self.source_system else "import"

    # --- steps -----------------------------------------------------------------------------------

    def begin(self) -> None:
        pass

    def stage_file(self, checked: CheckedFile, result: ImportResult) -> bool:
        """An optional fast path for a whole file that passed the whole-file checks: stage its rows
        (counting them in `result.total_rows`, filling `result.preview` and naming format errors in
        `result.errors`, as the chunked path does) and return True; or return False and the driver
        reads the file in chunks. Called once, after `begin`."""
        return False

    def check_chunk(self, df: pd.DataFrame, errors: ErrorList) -> pd.DataFrame:
        raise NotImplementedError

    def stage(self, df: pd.DataFrame) -> None:
        raise NotImplementedError

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        raise NotImplementedError

    def cleanup(self) -> None:
        pass

    def after_commit(self, result: ImportResult) -> None:
        pass


def _stage_chunks(importer: Importer, chunks: Iterable[pd.DataFrame], result: ImportResult) -> None:
    for chunk in chunks:
        if len(result.preview) < PREVIEW_ROWS:
            head = chunk.head(PREVIEW_ROWS - len(result.preview))
            result.preview.extend(
                [str(r[ROW])] + [r[c] for c in importer.columns.all] for _i, r in head.iterrows()
            )
        result.total_rows += len(chunk)
        valid = importer.check_chunk(chunk, result.errors)
        if len(valid):
            importer.stage(valid)
            importer.staged += len(valid)


def run_import(importer: Importer, *, result: ImportResult, commit: bool, fh=None, filename: str = "",
               max_bytes: int | None = None, records: list | None = None) -> ImportResult:
    """Drive one import of a binary file object (`fh`, `filename`) or of API records (`records`).

    With commit=False it is a preview: everything is checked, nothing is kept, and `created` says how
    many rows would be created. Raises PermissionDenied when the user's role may not change client data."""
    if importer.user is not None:
        ensure_can_edit_clients(importer.user)
    result.columns = list(importer.columns.all)
    try:
        try:
            if records is None:
                checked = check_file(fh, filename=filename, columns=importer.columns,
                                     max_bytes=max_bytes if max_bytes is not None else max_file_bytes(),
                                     notes=result.notes)
                importer.begin()
                if not importer.stage_file(checked, result):
                    _stage_chunks(importer, file_chunks(checked, columns=importer.columns,
                                                        chunk_rows=chunk_rows()), result)
            else:
                importer.begin()
                _stage_chunks(importer, record_chunks(records, columns=importer.columns, chunk_rows=chunk_rows(),
                                                      errors=result.errors), result)
        except ImportFileError as exc:
            result.file_errors.append(str(exc.message))
            return result
        if result.total_rows == 0:
            result.file_errors.append(_("The file has a header row but no data rows."))
            return result
        # Reading and staging happened above, outside the transaction (no slow I/O while holding
        # locks); the checks against existing rows and the write happen together inside it.
        finish_atomically(importer, result, commit=commit)
    finally:
        importer.cleanup()
    if result.committed:
        importer.after_commit(result)
    return result


def finish_atomically(importer: Importer, result: ImportResult, *, commit: bool) -> ImportResult:
    """The database checks and the write in one transaction, rolled back on any error or a preview:
    all-or-nothing for every importer and every path."""
    with transaction.atomic():
        importer.finish(result, commit=commit)
        if result.errors or not commit:
            transaction.set_rollback(True)
    result.committed = commit and result.ok
    if result.errors:
        result.created = 0
    return result


def max_upload_bytes() -> int:
    return settings.IMPORT_MAX_UPLOAD_BYTES


def max_file_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def chunk_rows() -> int:
    return settings.IMPORT_CHUNK_ROWS
