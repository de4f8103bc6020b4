"""Background imports from the upload page, and the clean-up of uploads nobody confirmed.

A large upload (over IMPORT_INLINE_MAX_BYTES) is not checked or imported inside the web request: the
page stores the file, creates a queued run record (core.JobRun: `import-preview:<kind>` for the
check, `import:<kind>` for the import) and an outbox message for `run_upload_import`, in one
transaction, and polls the run's status fragment. The task reads the stored file, runs the same
import (imports.services.import_file) under that run record, whose counts carry the progress (stage,
rows read, bytes read, written every second by the run's heartbeat) and whose report holds what the
page then shows.

A worker killed mid-import leaves nothing of it stored (the write is one transaction); the message
is delivered again (acks_late) and the run is taken up again from the start, or, when the worker
is gone for good, the reaper marks the run failed.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction

from core import outbox
from core.jobs import job_lock
from core.models import JobRun, JobStatus
from imports.engine import max_upload_bytes
from imports.services import IMPORT_TIME_LIMIT, import_file, import_job

logger = logging.getLogger(__name__)

RUN_TASK = "imports.tasks.run_upload_import"


def upload_dir() -> Path:
    """Where uploads wait between preview and confirm (shared by web and workers: IMPORT_TEMP_DIR)."""
    path = Path(settings.IMPORT_TEMP_DIR or Path(tempfile.gettempdir()) / "crm-imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def queue_upload_import(*, user, kind: str, path: str, file_name: str, source_system: str, commit: bool) -> JobRun:
    """Create the queued run record of a background preview or import and its outbox message, in one
    transaction; the page polls the run. The broker is never contacted inside the request."""
    params = {"kind": kind, "source_system": source_system, "file_name": file_name, "path": str(path),
              "bytes_total": os.path.getsize(path)}
    with transaction.atomic():
        run = JobRun.objects.create(job=import_job(kind, commit=commit), status=JobStatus.QUEUED, user=user,
                                    params=params, counts={"stage": "queued"})
        outbox.enqueue(RUN_TASK, args=[run.pk], dedup_key=f"import-run:{run.pk}")
    return run


class ProgressFile(io.FileIO):
    """A file that reports how far it has been read (`on_progress(bytes_read=...)`), for the progress
    bar; wrapped in a BufferedReader so COPY, pandas and openpyxl read it as usual."""

    on_progress = None

    def readinto(self, buffer):
        n = super().readinto(buffer)
        if self.on_progress is not None:
            self.on_progress(bytes_read=self.tell())
        return n

    def seek(self, offset, whence=io.SEEK_SET):
        position = super().seek(offset, whence)
        if self.on_progress is not None:
            self.on_progress(bytes_read=position)
        return position


class _Reader(io.BufferedReader):
    """The buffered file the importer reads; setting `on_progress` reaches the raw file."""

    @property
    def on_progress(self):
        return self.raw.on_progress

    @on_progress.setter
    def on_progress(self, callback):
        self.raw.on_progress = callback


def open_with_progress(path: str) -> _Reader:
    return _Reader(ProgressFile(path, "rb"), buffer_size=1 << 20)


@shared_task(acks_late=True, ignore_result=True, time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def run_upload_import(run_id: int) -> None:
    """Run the background preview or import the upload page queued as run `run_id`.

    A run that already finished is left alone (a message delivered twice); one found 'running' or
    'failed' by the reaper was cut off (a killed worker) and starts again from the beginning, which
    the all-or-nothing import makes safe. The run's lock keeps two deliveries from running at once;
    it waits for the lock (the session of a killed worker keeps it until PostgreSQL notices that its
    client is gone, at the end of the statement it was running), and if it is still held after
    JOB_LOCK_WAIT_SECONDS the job goes back to the outbox for later: never dropped."""
    with job_lock(f"import-run:{run_id}", wait=settings.JOB_LOCK_WAIT_SECONDS) as held:
        if not held:
            with transaction.atomic():
                outbox.enqueue(RUN_TASK, args=[run_id], dedup_key=f"import-run:{run_id}",
                               delay=timedelta(seconds=settings.JOB_SKIP_RETRY_SECONDS))
            return
        run = JobRun.objects.filter(pk=run_id).select_related("user").first()
        if run is None or run.status in (JobStatus.SUCCESS, JobStatus.SKIPPED) or run.report:
            return
        params = run.params
        commit = run.job.startswith("import:")
        if run.user is None:  # the page's user is gone: never run with the trusted (head-office) scope
            JobRun.objects.filter(pk=run.pk).update(status=JobStatus.FAILED, error="The user who queued it is gone.")
            return
        path = params.get("path", "")
        if not os.path.exists(path):
            JobRun.objects.filter(pk=run.pk).update(
                status=JobStatus.FAILED, error="The uploaded file is gone (deleted after IMPORT_UPLOAD_KEEP_HOURS?).")
            return
        with open_with_progress(path) as fh:
            import_file(user=run.user, kind=params["kind"], fh=fh, filename=params.get("file_name", ""),
                        commit=commit, source_system=params.get("source_system") or None,
                        max_bytes=max_upload_bytes(), run=run)
        if commit and os.path.exists(path):
            os.remove(path)  # imported (or refused): the file has served; a crash keeps it for the retry


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def delete_stale_uploads() -> int:
    """Delete uploads older than IMPORT_UPLOAD_KEEP_HOURS: previews nobody confirmed. Files of runs
    still queued or running are kept whatever their age. Returns how many were deleted."""
    return delete_stale_uploads_now()


def delete_stale_uploads_now(*, older_than_hours: float | None = None) -> int:
    hours = settings.IMPORT_UPLOAD_KEEP_HOURS if older_than_hours is None else older_than_hours
    cutoff = time.time() - hours * 3600
    busy = {
        str(p) for p in JobRun.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING], job__startswith="import")
        .values_list("params__path", flat=True) if p
    }
    deleted = 0
    for entry in upload_dir().iterdir():
        try:
            if entry.is_file() and str(entry) not in busy and entry.stat().st_mtime < cutoff:
                entry.unlink()
                deleted += 1
        except FileNotFoundError:
            continue
    if deleted:
        logger.info("Deleted %d unconfirmed import upload(s)", deleted)
    return deleted
