"""What every interface calls to import: the upload page, the API and `manage.py import_flows`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chains.imports.engine import chunk_rows, max_file_bytes, run_import
from chains.imports.errors import ImportResult
from chains.imports.flows import FlowImporter
from chains.imports.others import ChainLinkImporter, CircleMemberImporter, EnterpriseImporter
from chains.imports.reader import file_chunks, record_chunks

IMPORTERS = {
    "flows": FlowImporter,
    "circle_members": CircleMemberImporter,
    "chain_links": ChainLinkImporter,
    "enterprises": EnterpriseImporter,
}
KIND_CHOICES = [
    ("flows", _("Flows (payments, invoices, orders, shipments)")),
    ("circle_members", _("Circle members")),
    ("chain_links", _("Chain links")),
    ("enterprises", _("Enterprises")),
]


def _after_commit(result: ImportResult) -> ImportResult:
    """New flows may reveal undeclared chain links: queue detection for the touched groups once the
    import has committed (a task queued before commit could run against rows it cannot see yet)."""
    if result.kind == "flows" and result.committed and result.created and result.group_ids:
        from django.db import transaction

        from chains.tasks import detect_chain_links_for_groups

        ids = list(result.group_ids)
        transaction.on_commit(lambda: detect_chain_links_for_groups.delay(ids))
    return result


def import_file(*, user, kind: str, fh, filename: str, commit: bool, source_system: str | None = None,
                max_bytes: int | None = None) -> ImportResult:
    """Import (commit=True) or preview (commit=False) a CSV/XLSX file object opened in binary mode.

    All-or-nothing and idempotent; `user=None` means a trusted caller with head-office scope.
    Raises PermissionDenied when the user's role may not import."""
    importer = IMPORTERS[kind](user=user, source_system=source_system)
    result = ImportResult(kind=kind)
    max_bytes = max_bytes if max_bytes is not None else max_file_bytes()
    if hasattr(importer, "import_file"):  # an importer with its own file path (flows: COPY for CSV)
        return _after_commit(importer.import_file(fh, filename=filename, max_bytes=max_bytes,
                                                  chunk_rows=chunk_rows(), result=result, commit=commit))
    chunks = file_chunks(fh, filename=filename, columns=importer.columns,
                         max_bytes=max_bytes,
                         chunk_rows=chunk_rows(), notes=result.notes)
    return _after_commit(run_import(importer, chunks, result=result, commit=commit))


def import_records(*, user, kind: str, records: list, commit: bool = True) -> ImportResult:
    """Import a list of JSON objects (the API); row numbers in errors are list indexes."""
    importer = IMPORTERS[kind](user=user)
    result = ImportResult(kind=kind)
    chunks = record_chunks(records, columns=importer.columns, chunk_rows=chunk_rows(), errors=result.errors)
    return _after_commit(run_import(importer, chunks, result=result, commit=commit))
