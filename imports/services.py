"""What every interface calls to import: the upload page, the API and `manage.py import`.

Every import that may write (commit=True) is a job run (core.JobRun, job `import:<kind>`): who ran
it, on what (kind, source system, file name), its counts (total, created, already present, errors)
and its status (a refused file is a failed run, its first reason the error). Background imports from
the upload page (imports.tasks) run under the run record the page created and polls, previews
included (job `import-preview:<kind>`), with their progress in its counts and their report in it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from core.jobs import record_run
from core.models import JobRun
from core.permissions import ensure_can_edit_clients
from imports.engine import run_import
from imports.errors import ErrorList, ImportResult, RowError
from imports.models import SourceSystem
from imports.registry import importer_for

IMPORT_TIME_LIMIT = settings.CELERY_TASK_TIME_LIMIT
PROGRESS_SECONDS = 1  # background imports: how often the page's progress is written


def import_job(kind: str, *, commit: bool = True) -> str:
    """The run record's job name of an import (or a background preview) of `kind`."""
    return f"import:{kind}" if commit else f"import-preview:{kind}"


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
                max_bytes: int | None = None, run: JobRun | None = None) -> ImportResult:
    """Import (commit=True) or preview (commit=False) a CSV/XLSX file object opened in binary mode.

    All-or-nothing and idempotent; `user=None` means a trusted caller with head-office scope.
    An import (and a preview given a `run` to report to) is recorded as a job run.
    Raises PermissionDenied when the user's role may not change client data."""
    if user is not None:
        ensure_can_edit_clients(user)  # before anything about the file is said
    importer = importer_for(kind)(user=user, source_system=source_system)
    result = ImportResult(kind=kind)

    def work(progress=None) -> ImportResult:
        problem = source_system_problem(kind, source_system)
        if problem:
            result.columns = list(importer.columns.all)
            result.file_errors.append(problem)
            return result
        return run_import(importer, result=result, commit=commit, fh=fh, filename=filename, max_bytes=max_bytes,
                          progress=progress)

    if not commit and run is None:
        return work()
    params = {"kind": kind, "source_system": (source_system or "").strip(), "file_name": filename}
    return _recorded(work, kind=kind, commit=commit, user=user, params=params, run=run)


def import_records(*, user, kind: str, records: list, commit: bool = True) -> ImportResult:
    """Import a list of JSON objects (the API); row numbers in errors are list indexes. Each flow
    names its source system (an active code) in its `source_system` field."""
    importer = importer_for(kind)(user=user)

    def work(progress=None) -> ImportResult:
        return run_import(importer, result=ImportResult(kind=kind), commit=commit, records=records, progress=progress)

    if not commit:
        return work()
    sources = sorted({str(r.get("source_system", "")) for r in records if isinstance(r, dict)} - {""})[:5] \
        if isinstance(records, list) else []
    return _recorded(work, kind=kind, commit=True, user=user,
                     params={"kind": kind, "source_system": ", ".join(sources), "file_name": "", "via": "api"})


def _recorded(work, *, kind: str, commit: bool, user, params: dict, run: JobRun | None = None) -> ImportResult:
    """Run `work` as a job run: counts, status and, for a run the upload page polls, the report."""
    if user is not None and getattr(user, "pk", None) is None:
        user = None
    with record_run(run.job if run else import_job(kind, commit=commit), user=user, params=params, run=run,
                    time_limit=IMPORT_TIME_LIMIT, heartbeat=PROGRESS_SECONDS if run else None) as counts:
        counts.update(stage="queued" if run else "reading")
        result = work(progress=counts.update)
        counts.clear()
        counts.update(total=result.total_rows, created=result.created, already_present=result.already_present,
                      errors=result.error_count)
        if run is not None:
            JobRun.objects.filter(pk=run.pk).update(report=result_report(result))
        if not result.ok:
            first = result.file_errors[0] if result.file_errors else _("%(n)d row errors") % {"n": result.errors.total}
            counts.fail(_("Refused, nothing was imported: %(reason)s") % {"reason": first})
    return result


# --- the report a background import leaves for the upload page ----------------------------------------------


def result_report(result: ImportResult) -> dict:
    """An import's result as JSON (for its run record): what the upload page shows."""
    return {
        "kind": result.kind, "committed": result.committed, "total_rows": result.total_rows,
        "created": result.created, "already_present": result.already_present,
        "file_errors": [str(e) for e in result.file_errors], "notes": [str(n) for n in result.notes],
        "columns": list(result.columns), "preview": [[str(c) for c in row] for row in result.preview],
        "errors": [[e.row, e.column, e.message] for e in result.errors.sorted()],
        "error_total": result.errors.total, "group_ids": list(result.group_ids),
        "total_amount": None if result.total_amount is None else str(result.total_amount),
        "other_currency_rows": result.other_currency_rows,
    }


def report_result(report: dict) -> ImportResult:
    """The ImportResult a run's report describes (for the upload page's templates)."""
    errors = ErrorList()
    errors.items = [RowError(int(row), str(col), str(msg)) for row, col, msg in report.get("errors", [])]
    errors.total = int(report.get("error_total", len(errors.items)))
    return ImportResult(
        kind=report.get("kind", ""), committed=bool(report.get("committed")),
        total_rows=int(report.get("total_rows", 0)), created=int(report.get("created", 0)),
        already_present=int(report.get("already_present", 0)), file_errors=list(report.get("file_errors", [])),
        errors=errors, notes=list(report.get("notes", [])), columns=list(report.get("columns", [])),
        preview=[list(r) for r in report.get("preview", [])], group_ids=list(report.get("group_ids", [])),
        total_amount=None if report.get("total_amount") is None else Decimal(report["total_amount"]),
        other_currency_rows=int(report.get("other_currency_rows", 0)),
    )
