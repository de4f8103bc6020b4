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
- `cleanup()`: drop what `begin` and `stage` built;
- `follow_up(result)`: work a committed import must cause later, written to the outbox
  (core.outbox) INSIDE the import's transaction, so it commits with the rows or not at all;
  `after_commit(result)`: anything else once the import has committed;
- `written_tables`: the tables a committed import loads in bulk; on PostgreSQL the driver refreshes
  their planner statistics (`ANALYZE`) after a large import, before anything queries them (a rerun
  right after a 300,000-row load otherwise plans for the table as it was, and takes minutes).

Progress: `run_import(progress=...)` is called with keyword fields (`stage`, `rows_read`) as the
import moves on, once per chunk (imports.tasks shows them on the upload page).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import pandas as pd
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from core.permissions import ensure_can_edit_clients
from imports.errors import ErrorList, ImportFileError, ImportResult
from imports.reader import ROW, CheckedFile, Columns, check_file, file_chunks, record_chunks

PREVIEW_ROWS = 10

logger = logging.getLogger(__name__)

Progress = Callable[..., None]


def _no_progress(**fields) -> None:
    pass


class Importer:
    kind: str = ""
    label: str = ""
    order: int = 100  # position in the upload page's list of kinds

    @classmethod
    def offered_to(cls, user) -> bool:
        """Whether the upload page offers this kind to `user` (the importer still checks on its own)."""
        return True
    columns: Columns
    # Flows: files name their source system (one head office keeps); rows may name their own.
    needs_source_system: bool = False
    # Tables a committed import loads in bulk: their statistics are refreshed after a large import.
    written_tables: tuple[str, ...] = ()

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

    def follow_up(self, result: ImportResult) -> None:
        """Inside the import's transaction, after a successful write: queue what must follow (outbox)."""

    def after_commit(self, result: ImportResult) -> None:
        pass


def _stage_chunks(importer: Importer, chunks: Iterable[pd.DataFrame], result: ImportResult,
                  progress: Progress = _no_progress) -> None:
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
        progress(stage="reading", rows_read=result.total_rows)


def run_import(importer: Importer, *, result: ImportResult, commit: bool, fh=None, filename: str = "",
               max_bytes: int | None = None, records: list | None = None,
               progress: Progress | None = None) -> ImportResult:
    """Drive one import of a binary file object (`fh`, `filename`) or of API records (`records`).

    With commit=False it is a preview: everything is checked, nothing is kept, and `created` says how
    many rows would be created. Raises PermissionDenied when the user's role may not change client data."""
    progress = progress or _no_progress
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
                progress(stage="reading")
                if not importer.stage_file(checked, result):
                    _stage_chunks(importer, file_chunks(checked, columns=importer.columns, chunk_rows=chunk_rows(),
                                                        errors=result.errors), result, progress)
            else:
                importer.begin()
                _stage_chunks(importer, record_chunks(records, columns=importer.columns, chunk_rows=chunk_rows(),
                                                      errors=result.errors), result, progress)
        except ImportFileError as exc:
            result.file_errors.append(str(exc.message))
            return result
        if result.total_rows == 0:
            result.file_errors.append(_("The file has a header row but no data rows."))
            return result
        # Reading and staging happened above, outside the transaction (no slow I/O while holding
        # locks); the checks against existing rows and the write happen together inside it.
        progress(stage="checking", rows_read=result.total_rows)
        finish_atomically(importer, result, commit=commit)
    finally:
        importer.cleanup()
    if result.committed:
        analyze_written(importer, result)
        importer.after_commit(result)
    return result


def finish_atomically(importer: Importer, result: ImportResult, *, commit: bool) -> ImportResult:
    """The database checks and the write in one transaction, rolled back on any error or a preview:
    all-or-nothing for every importer and every path."""
    with transaction.atomic():
        importer.finish(result, commit=commit)
        if result.errors or not commit:
            transaction.set_rollback(True)
        else:
            importer.follow_up(result)  # the outbox row commits with the rows, or neither does
    result.committed = commit and result.ok
    if result.errors:
        result.created = 0
    return result


def analyze_written(importer: Importer, result: ImportResult) -> None:
    """Refresh the planner statistics of the tables a large committed import loaded (PostgreSQL), so
    the next statement that reads them (a rerun's checks, link detection) is planned for the table as
    it now is. Small imports leave it to autovacuum (ANALYZE samples the whole table: not per API call)."""
    if connection.vendor != "postgresql" or not importer.written_tables:
        return
    if result.created < settings.IMPORT_ANALYZE_MIN_ROWS:
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in importer.written_tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    except DatabaseError:  # statistics are an optimisation: never fail a committed import for them
        logger.warning("ANALYZE after the import failed", exc_info=True)


def max_upload_bytes() -> int:
    return settings.IMPORT_MAX_UPLOAD_BYTES


def max_file_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def chunk_rows() -> int:
    return settings.IMPORT_CHUNK_ROWS
