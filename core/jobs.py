"""Recording job runs (DESIGN.md section 3): every task wraps its work in `record_run`.

    with record_run("detect_chain_links", subject=group) as counts:
        counts.update(chain_links_detect(group=group))

The 'running' row is written (and committed) before the work starts, outside the work's atomic
block, so a crash or a killed worker leaves a visible row; the row is then closed with the status,
the counts the job filled in and, on failure, the error. Call it outside any transaction: inside
one, the row would vanish with a rollback. Pages read runs through `last_refreshed` and `last_run`.

While the work runs, a heartbeat thread (its own database connection) stamps the row every
JOB_HEARTBEAT_SECONDS and writes the counts so far (an import's progress). A run whose process died
(a SIGKILLed worker, a killed web process) stops beating: `reap_dead_runs` marks it failed, as it does
a run past its deadline (started + its time limit).

Jobs that must not run twice at once name a lock (`lock=`): a PostgreSQL advisory lock held for the
run (a no-op on SQLite). A second run waits up to `lock_wait` seconds, then is recorded as skipped
with a note (`counts.skipped` tells the task, which may queue itself again through the outbox).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, connections, models
from django.db.models import Q
from django.utils import timezone

from core.models import JobRun, JobStatus

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 4000


class Run(dict):
    """The counts a job fills in (a dict, as before), with its record and what the job may say about
    the end of the run: `fail(message)` closes it as failed without an exception (an import refused
    for its rows), `note(text)` adds to its note."""

    def __init__(self, record: JobRun):
        super().__init__()
        self.record = record
        self.skipped = False
        self.failure = ""
        self.notes: list[str] = []

    def fail(self, message: str) -> None:
        self.failure = str(message)

    def note(self, text: str) -> None:
        self.notes.append(str(text))


def worker_name() -> str:
    """This process, as run records name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def record_run(job: str, subject: models.Model | None = None, *, user=None, params: dict | None = None,
               run: JobRun | None = None, lock: str | None = None, lock_wait: float | None = None,
               time_limit: float | None = None, heartbeat: float | None = None) -> Iterator[Run]:
    """Record one run of `job` (about `subject`, if given); yields the counts dict the job fills in.

    `run`: an existing (queued) record to run under, e.g. the one the upload page created and polls;
    `user`, `params`: who started it and on what; `time_limit`: seconds after which the reaper calls
    it dead (default the Celery hard limit); `heartbeat`: seconds between heartbeats (default
    JOB_HEARTBEAT_SECONDS); `lock`, `lock_wait`: see the module docstring.

    The exception of a failed run is recorded, then raised again (Celery still sees the failure and
    retries where the task says so)."""
    now = timezone.now()
    limit = time_limit if time_limit is not None else settings.CELERY_TASK_TIME_LIMIT
    fields = {"status": JobStatus.RUNNING, "started_at": now, "finished_at": None, "worker": worker_name(),
              "heartbeat_at": now, "deadline": now + timedelta(seconds=limit)}
    if run is None:
        run = JobRun.objects.create(job=job, subject=subject, user=user, params=params or {}, **fields)
    else:
        attempt = int(run.params.get("attempts", 0)) + 1
        fields["params"] = {**run.params, **(params or {}), "attempts": attempt}
        if attempt > 1:
            fields["note"] = (run.note + "\n" if run.note else "") + f"attempt {attempt} (an earlier one was cut off)"
        JobRun.objects.filter(pk=run.pk).update(error="", **fields)
        for name, value in fields.items():
            setattr(run, name, value)
    counts = Run(run)
    beat = _Heartbeat(run.pk, counts, heartbeat if heartbeat is not None else settings.JOB_HEARTBEAT_SECONDS)
    beat.start()
    held = False
    try:
        if lock:
            wait = settings.JOB_LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
            started = time.monotonic()
            held = _acquire(lock, wait)
            waited = time.monotonic() - started
            if not held:
                counts.skipped = True
                counts.note(f"skipped: another run held the lock {lock!r} (waited {waited:.0f} s)")
            elif waited >= 1:
                counts.note(f"waited {waited:.0f} s for another run holding the lock {lock!r}")
        yield counts
    except BaseException as exc:  # a soft time limit or a worker shutdown is a failed run too
        beat.stop()
        _close(run, JobStatus.FAILED, counts, error=_describe(exc))
        raise
    finally:
        beat.stop()
        if held:
            _release(lock)
    if counts.skipped:
        _close(run, JobStatus.SKIPPED, counts)
    elif counts.failure:
        _close(run, JobStatus.FAILED, counts, error=counts.failure)
    else:
        _close(run, JobStatus.SUCCESS, counts)


class _Heartbeat:
    """Stamps a running record every `interval` seconds from a thread of its own (so a long statement
    or a COPY in the job's connection does not stop it), writing the counts so far. Nothing is written
    by runs shorter than one interval."""

    def __init__(self, run_pk: int, counts: dict, interval: float):
        self.run_pk, self.counts, self.interval = run_pk, counts, interval
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval and self.interval > 0:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.run_pk}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
            self._thread = None

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    JobRun.objects.filter(pk=self.run_pk, status=JobStatus.RUNNING).update(
                        heartbeat_at=timezone.now(), counts=dict(self.counts))
                except DatabaseError:
                    logger.warning("Heartbeat of job run %s failed", self.run_pk, exc_info=True)
                    connections.close_all()
        finally:
            connections.close_all()  # this thread's connections only


# --- locks ----------------------------------------------------------------------------------------------


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _acquire(name: str, wait: float) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one process, no advisory locks
    key = lock_key(name)
    deadline = time.monotonic() + max(wait, 0)
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if cursor.fetchone()[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(settings.JOB_LOCK_POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))


def _release(name: str) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(name)])
    except DatabaseError:  # the connection is gone, and the session's locks with it
        logger.warning("Could not release the lock %r", name, exc_info=True)


def transaction_lock(name: str) -> None:
    """Wait for and hold the advisory lock `name` until the current transaction ends (no-op on SQLite):
    for short writes that must not interleave with another process's (e.g. one group's membership
    rows, rewritten by an edit in the web and by the nightly refresh)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])


@contextmanager
def job_lock(name: str, *, wait: float = 0) -> Iterator[bool]:
    """Hold the advisory lock `name` for the block; yields whether it was obtained within `wait`
    seconds (always True on SQLite). Session-level: hold it outside the work's transactions."""
    held = _acquire(name, wait)
    try:
        yield held
    finally:
        if held:
            _release(name)


# --- the reaper -----------------------------------------------------------------------------------------


def reap_dead_runs(*, stale_after: float | None = None) -> int:
    """Mark failed the runs still 'running' whose process is gone: no heartbeat for `stale_after`
    seconds (default JOB_HEARTBEAT_STALE_SECONDS), or past their deadline. Returns how many.

    A run that was only slow and finishes after all closes itself with its real status."""
    now = timezone.now()
    stale = now - timedelta(seconds=stale_after if stale_after is not None else settings.JOB_HEARTBEAT_STALE_SECONDS)
    running = JobRun.objects.filter(status=JobStatus.RUNNING)
    late = running.filter(deadline__lt=now).update(
        status=JobStatus.FAILED, finished_at=now,
        error="Reaped: still running past its time limit; its worker is presumed dead.")
    silent = running.filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)).update(
        status=JobStatus.FAILED, finished_at=now,
        error="Reaped: its worker stopped sending heartbeats (killed or lost); the run did not finish.")
    if late or silent:
        logger.warning("Reaped %d dead job run(s)", late + silent)
    return late + silent


def _describe(exc: BaseException) -> str:
    """The error line first (what the ops page shows), then the end of the traceback."""
    head = f"{type(exc).__name__}: {exc}"
    trace = "".join(traceback.format_exception(exc))
    text = head + "\n\n" + trace
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS // 4] + "\n…\n" + text[-ERROR_MAX_CHARS // 2:]


def _close(run: JobRun, status: str, counts: dict, error: str = "") -> None:
    notes = getattr(counts, "notes", [])
    extra = {"note": "\n".join(filter(None, [run.note, *notes]))} if notes else {}
    try:
        JobRun.objects.filter(pk=run.pk).update(status=status, finished_at=timezone.now(), counts=dict(counts),
                                                error=error, **extra)
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
