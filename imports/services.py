"""What every interface calls to import: the upload page, the API and `manage.py import`."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.permissions import ensure_can_edit_clients
from imports.engine import run_import
from imports.errors import ImportResult
from imports.models import SourceSystem
from imports.registry import importer_for


def source_system_problem(kind: str, code: str | None) -> str | None:
    """Why a file of this kind cannot be imported from the named source system (None: it can).

    Flows name their source explicitly (the file name never counts): a flow's reference is unique
    per source system, so a renamed file is still recognised. Other kinds take an optional source."""
    code = (code or "").strip()
    if not code:
        if importer_for(kind).needs_source_system:
            return _("Choose the source system the file comes from.")
        return None
    if not SourceSystem.objects.active().filter(code=code).exists():
        return _("%(code)s is not an active source system; head office keeps the list.") % {"code": code}
    return None


def import_file(*, user, kind: str, fh, filename: str, commit: bool, source_system: str | None = None,
                max_bytes: int | None = None) -> ImportResult:
    """Import (commit=True) or preview (commit=False) a CSV/XLSX file object opened in binary mode.

    All-or-nothing and idempotent; `user=None` means a trusted caller with head-office scope.
    Raises PermissionDenied when the user's role may not change client data."""
    if user is not None:
        ensure_can_edit_clients(user)  # before anything about the file is said
    importer = importer_for(kind)(user=user, source_system=source_system)
    result = ImportResult(kind=kind)
    problem = source_system_problem(kind, source_system)
    if problem:
        result.columns = list(importer.columns.all)
        result.file_errors.append(problem)
        return result
    return run_import(importer, result=result, commit=commit, fh=fh, filename=filename, max_bytes=max_bytes)


def import_records(*, user, kind: str, records: list, commit: bool = True) -> ImportResult:
    """Import a list of JSON objects (the API); row numbers in errors are list indexes. Each flow
    names its source system (an active code) in its `source_system` field."""
    importer = importer_for(kind)(user=user)
    return run_import(importer, result=ImportResult(kind=kind), commit=commit, records=records)
