"""Recording job runs (DESIGN.md section 3): every task wraps its work in `record_run`.

    with record_run("detect_chain_links", subject=group) as counts:
        counts.update(chain_links_detect(group=group))

The 'running' row is written (and committed) before the work starts, outside the work's atomic
block, so a crash or a killed worker leaves a visible row; the row is then closed with the status,
the counts the job filled in and, on failure, the error. Call it outside any transaction: inside
one, the row would vanish with a rollback. Pages read runs through `last_refreshed` and `last_run`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, models
from django.utils import timezone

from core.models import JobRun, JobStatus

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 4000


@contextmanager
def record_run(job: str, subject: models.Model | None = None) -> Iterator[dict]:
    """Record one run of `job` (about `subject`, if given); yields the counts dict the job fills in.

    The exception of a failed run is recorded, then raised again (Celery still sees the failure and
    retries where the task says so)."""
    run = JobRun.objects.create(job=job, subject=subject)
    counts: dict = {}
    try:
        yield counts
    except BaseException as exc:  # a soft time limit or a worker shutdown is a failed run too
        _close(run, JobStatus.FAILED, counts, error=_describe(exc))
        raise
    _close(run, JobStatus.SUCCESS, counts)


def _describe(exc: BaseException) -> str:
    """The error line first (what the ops page shows), then the end of the traceback."""
    head = f"{type(exc).__name__}: {exc}"
    trace = "".join(traceback.format_exception(exc))
    text = head + "\n\n" + trace
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS // 4] + "\n…\n" + text[-ERROR_MAX_CHARS // 2:]


def _close(run: JobRun, status: str, counts: dict, error: str = "") -> None:
    try:
        JobRun.objects.filter(pk=run.pk).update(status=status, finished_at=timezone.now(), counts=counts, error=error)
    except DatabaseError:
        # The connection is unusable (e.g. the job's own transaction broke it): the run stays
        # 'running', which is what a crash looks like; never hide the job's own error behind ours.
        logger.exception("Could not close job run %s of %s", run.pk, run.job)
        if status == JobStatus.SUCCESS:
            raise


def _runs(job: str, subject: models.Model | None):
    runs = JobRun.objects.filter(job=job)
    if subject is not None:
        runs = runs.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)
    return runs.order_by("-started_at", "-pk")


def last_run(job: str, subject: models.Model | None = None) -> JobRun | None:
    """The latest successful run of `job` (about `subject` when given, else about anything)."""
    return _runs(job, subject).filter(status=JobStatus.SUCCESS).first()


def last_refreshed(job: str, subject: models.Model | None = None) -> JobRun | None:
    """What a page shows as "last refreshed": the latest run of `job` about `subject`, whatever its
    status (a failed or still running refresh is shown as such). One query (content types are cached)."""
    return _runs(job, subject).first()


def job_names() -> list[str]:
    """The distinct job names on record, in one index-driven query (a loose index scan on the job
    index: one probe per name, not a scan of every run)."""
    table = connection.ops.quote_name(JobRun._meta.db_table)
    sql = f"""
        WITH RECURSIVE names(job) AS (
            SELECT MIN(job) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(r.job) FROM {table} r WHERE r.job > names.job) FROM names WHERE names.job IS NOT NULL
        )
        SELECT job FROM names WHERE job IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
