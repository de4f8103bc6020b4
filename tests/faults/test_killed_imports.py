"""An import killed mid-way stores nothing and leaves nothing behind; a Celery worker killed mid-job
has its job delivered again, and the rerun gives exactly the rows a clean run gives."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import connection

from chains.models import Flow
from core.jobs import reap_dead_runs
from core.models import JobRun, JobStatus, OutboxMessage
from imports.services import import_file
from imports.tasks import RUN_TASK, queue_upload_import
from tests.faults.conftest import Proc, backends, manage, start_worker, wait_for
from tests.faults.helpers import stored_flows, write_flows
from tests.imports.helpers import ensure_source_systems, members

pytestmark = [pytest.mark.faults, pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL")]

ROWS = 120_000


@pytest.fixture
def parties(transactional_db, bank):
    ensure_source_systems()
    codes = members(bank.group_gy)
    return codes[0], codes[1]


def busy_with(*prefixes):
    """A backend of ours running a statement that starts with one of `prefixes` (the COPY or the insert)."""
    def probe():
        for pid, state, query in backends():
            text = " ".join(query.split()).upper()
            if state == "active" and text.startswith(prefixes):
                return pid
        return None
    return probe


def leftovers() -> dict:
    """What a dead import could leave: staging tables, locks, sessions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'imp\\_%%'")
        tables = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                       "WHERE a.application_name = 'faults'")
        locks = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        advisory = cursor.fetchone()[0]
    return {"staging tables": tables, "locks": locks, "advisory locks": advisory, "sessions": len(backends())}


@pytest.mark.parametrize("phase", ["COPY", "INSERT"])
def test_an_import_killed_during_its_copy_or_insert_stores_nothing_and_a_rerun_is_exact(
        parties, app_env, procs, tmp_path, phase):
    path = tmp_path / "flows.csv"
    expected = write_flows(path, *parties, ROWS)
    importer = Proc(manage("import", "flows", str(path), "--source", "erp"), env=app_env, log=tmp_path / "import.log")
    procs.append(importer)
    prefixes = ("COPY IMP_FLOW_RAW",) if phase == "COPY" else ("INSERT INTO", "CREATE TEMP TABLE IMP_FLOW_STAGE AS")
    wait_for(lambda: busy_with(*prefixes)() or not importer.alive(), timeout=120, interval=0.02,
             what=f"the import's {phase}")
    assert importer.alive(), "the import finished before it could be killed:\n" + importer.output()[-2000:]
    run = wait_for(lambda: JobRun.objects.filter(job="import:flows").first(), what="the import's run record")
    importer.kill(signal.SIGKILL)
    # PostgreSQL notices the dead client, rolls its transaction back and ends the session.
    wait_for(lambda: not backends(), timeout=60, what="the killed import's session to end")

    assert Flow.objects.count() == 0
    assert leftovers() == {"staging tables": 0, "locks": 0, "advisory locks": 0, "sessions": 0}
    assert not OutboxMessage.objects.exists()  # nothing committed, nothing queued
    run.refresh_from_db()
    assert run.status == JobStatus.RUNNING  # what a crash looks like ...
    time.sleep(3)
    assert reap_dead_runs(stale_after=2) == 1  # ... until its heartbeat is found gone
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and "heartbeats" in run.error

    with open(path, "rb") as fh:
        result = import_file(user=None, kind="flows", fh=fh, filename="flows.csv", commit=True, source_system="erp")
    assert (result.created, result.already_present) == (ROWS, 0)
    assert stored_flows() == expected


def test_a_worker_killed_mid_import_gets_the_job_again_and_the_rows_are_exact(parties, app_env, procs, tmp_path,
                                                                             bank):
    """SIGKILL of the worker process running a background import (acks_late, reject on worker lost):
    the broker delivers the job again, the run is taken up again (attempt 2), and the rows are exactly
    those of a clean import. The job was queued through the outbox and sent by the dispatcher."""
    path = tmp_path / "uploads" / "big.csv"
    expected = write_flows(path, *parties, ROWS, prefix="W")
    worker = start_worker(procs, app_env, tmp_path / "worker.log")
    run = queue_upload_import(user=bank.rm_gy1, kind="flows", path=str(path), file_name="big.csv",
                              source_system="erp", commit=True)
    dispatcher = Proc(manage("outbox_dispatch"), env=app_env, log=tmp_path / "dispatch.log")
    procs.append(dispatcher)
    assert dispatcher.popen.wait(timeout=60) == 0, dispatcher.output()
    assert OutboxMessage.objects.get(task=RUN_TASK).sent_at is not None

    wait_for(busy_with("COPY IMP_FLOW_RAW", "CREATE TEMP TABLE IMP_FLOW_STAGE AS", "INSERT INTO"),
             timeout=120, interval=0.02, what="the worker's import to reach its COPY")
    run.refresh_from_db()
    host, child = run.worker.rsplit(":", 1)
    assert run.status == JobStatus.RUNNING and int(child) != worker.pid
    os.kill(int(child), signal.SIGKILL)  # the pool process running the job (a child of our worker)
    wait_for(lambda: JobRun.objects.filter(pk=run.pk, status=JobStatus.SUCCESS).exists()
             or not worker.alive(), timeout=180, interval=0.5, what="the job to run again and succeed")
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCESS, worker.output()[-3000:]
    assert run.params["attempts"] == 2 and "attempt 2" in run.note
    assert run.counts == {"total": ROWS, "created": ROWS, "already_present": 0, "errors": 0}
    assert Flow.objects.count() == ROWS and stored_flows() == expected
    assert not path.exists()
    assert "WorkerLostError" in worker.output() or "signal 9" in worker.output()

