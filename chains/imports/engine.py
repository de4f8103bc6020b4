"""The import driver: stream chunks, check formats per chunk, stage, then validate and write in one
transaction. All-or-nothing (any error rolls everything back) and idempotent (rows already present
with the same content are counted, never duplicated; the same reference with other content is a row
error, never a silent overwrite).

An importer subclasses `Importer` and fills in four steps:

- `check_chunk(df, errors)`: vectorised format checks on one chunk; returns the rows worth staging;
- `stage(df)`: keep those rows (a TEMP table for flows, a list for the small tables);
- `finish(result, commit=...)`: set-based checks against the database (unknown codes, duplicates,
  conflicts), then, when there is no error and `commit` is true, the write; runs in a transaction
  that `run_import` rolls back on any error or when previewing;
- `cleanup()`: drop what `stage` built.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from chains.imports.errors import ErrorList, ImportFileError, ImportResult
from chains.imports.reader import ROW, Columns
from staff.scope import scope_for

PREVIEW_ROWS = 10


class Importer:
    kind: str = ""
    columns: Columns

    def __init__(self, *, user=None, source_system: str | None = None):
        # user None: a trusted caller (the command line), with head-office scope.
        self.user = user
        self.source_system = (source_system or "").strip()
        self.staged = 0

    # --- scoping ---------------------------------------------------------------------------------

    def visible_enterprises(self):
        from clients.models import Enterprise

        qs = Enterprise.objects.all()
        return qs if self.user is None else qs.for_user(self.user)

    def visible_groups(self):
        from clients.models import GroupClient

        qs = GroupClient.objects.all()
        return qs if self.user is None else qs.for_user(self.user)

    # --- steps -----------------------------------------------------------------------------------

    def begin(self) -> None:
        pass

    def check_chunk(self, df: pd.DataFrame, errors: ErrorList) -> pd.DataFrame:
        raise NotImplementedError

    def stage(self, df: pd.DataFrame) -> None:
        raise NotImplementedError

    def finish(self, result: ImportResult, *, commit: bool) -> None:
        raise NotImplementedError

    def cleanup(self) -> None:
        pass


def ensure_may_import(user) -> None:
    """Importing writes client data: risk officers and users without a role may not."""
    if user is not None and not scope_for(user).can_edit_clients:
        raise PermissionDenied(_("Your role may not import data."))


def run_import(importer: Importer, chunks: Iterable[pd.DataFrame], *, result: ImportResult,
               commit: bool) -> ImportResult:
    """Drive one import. With commit=False it is a preview: everything is checked, nothing is kept,
    and `created` says how many rows would be created."""
    ensure_may_import(importer.user)
    result.columns = list(importer.columns.all)
    try:
        importer.begin()
        try:
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
        except ImportFileError as exc:
            result.file_errors.append(str(exc.message))
            return result
        if result.total_rows == 0:
            result.file_errors.append(_("The file has a header row but no data rows."))
            return result
        # Reading and staging happened above, outside the transaction (no slow I/O while holding
        # locks); the checks against existing rows and the write happen together inside it.
        return finish_atomically(importer, result, commit=commit)
    finally:
        importer.cleanup()


def finish_atomically(importer, result: ImportResult, *, commit: bool) -> ImportResult:
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
