"""Jobs that must not run twice at once (advisory locks), heartbeats and the reaper (core.jobs).

Locks and heartbeats are about other connections: these tests commit (transactional_db) and use
threads, each with its own database connection, as two workers would."""

import threading
import time
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from core.jobs import job_lock, reap_dead_runs, record_run
from core.models import JobRun, JobStatus, OutboxMessage


def in_thread(fn, *args, **kwargs):
    """Run fn in another thread (another database connection) and return its result."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, box


def held_elsewhere(name):
    def probe():
        with job_lock(name, wait=0) as held:
            return held

    thread, box = in_thread(probe)
    thread.join(10)
    return box["value"]


def test_an_advisory_lock_keeps_a_second_holder_out_until_released(transactional_db):
    with job_lock("nightly-thing") as held:
        assert held
        assert held_elsewhere("nightly-thing") is False
        assert held_elsewhere("another-thing") is True
    assert held_elsewhere("nightly-thing") is True


def test_a_second_membership_refresh_waits_for_the_first_and_both_succeed(transactional_db, bank, settings):
    """Two refreshes at once used to fail one of them on the membership's unique constraint: the
    second now waits for the lock (and says so in its note)."""
    from clients.models import GroupMembership
    from clients.tasks import REFRESH_JOB, refresh_group_memberships

    settings.JOB_LOCK_WAIT_SECONDS = 30
    settings.JOB_LOCK_POLL_SECONDS = 0.1
    before = set(GroupMembership.objects.values_list("group_id", "enterprise_id"))
    with job_lock(REFRESH_JOB):  # the first run, still going
        thread, box = in_thread(lambda: refresh_group_memberships.apply().get())
        time.sleep(1.2)
        assert JobRun.objects.get(job=REFRESH_JOB).status == JobStatus.RUNNING
    thread.join(30)
    assert "error" not in box, box.get("error")
    run = JobRun.objects.get(job=REFRESH_JOB)
    assert run.status == JobStatus.SUCCESS and "waited" in run.note
    assert set(GroupMembership.objects.values_list("group_id", "enterprise_id")) == before


def test_a_run_that_cannot_get_its_lock_is_skipped_with_a_note_and_queued_again(transactional_db, bank, settings):
    from chains.models import LINK_DETECTION_JOB
    from chains.tasks import DETECT_TASK, detect_chain_links, detection_lock

    settings.JOB_LOCK_WAIT_SECONDS = 0
    group = bank.group_gy
    with job_lock(detection_lock(group.pk)):
        thread, box = in_thread(lambda: detect_chain_links.apply(args=[group.pk]).get())
        thread.join(30)
    assert box.get("value") == 0, box
    run = JobRun.objects.get(job=LINK_DETECTION_JOB)
    assert run.status == JobStatus.SKIPPED and "skipped" in run.note and run.finished_at is not None
    again = OutboxMessage.objects.get(task=DETECT_TASK, sent_at__isnull=True)
    assert again.args == [group.pk] and again.next_attempt_at > run.finished_at - timedelta(seconds=1)


def test_a_running_job_beats_and_writes_its_progress(transactional_db):
    with record_run("long_thing", heartbeat=0.2) as counts:
        started = JobRun.objects.get(job="long_thing")
        counts["rows_read"] = 500
        time.sleep(0.8)
        seen = JobRun.objects.get(pk=started.pk)
    assert seen.heartbeat_at > started.heartbeat_at
    assert seen.counts == {"rows_read": 500}
    assert seen.worker and seen.deadline > seen.started_at


def test_the_reaper_fails_runs_whose_worker_is_gone_and_leaves_live_ones(db):
    now = timezone.now()
    old = now - timedelta(minutes=10)
    silent = JobRun.objects.create(job="a", status=JobStatus.RUNNING, started_at=old, heartbeat_at=old,
                                   deadline=now + timedelta(hours=1))
    never_beat = JobRun.objects.create(job="b", status=JobStatus.RUNNING, started_at=old, heartbeat_at=None)
    late = JobRun.objects.create(job="c", status=JobStatus.RUNNING, started_at=old, heartbeat_at=now,
                                 deadline=now - timedelta(seconds=1))
    JobRun.objects.create(job="d", status=JobStatus.RUNNING, started_at=old, heartbeat_at=now,
                                  deadline=now + timedelta(hours=1))
    JobRun.objects.create(job="e", status=JobStatus.QUEUED, started_at=old)
    JobRun.objects.create(job="f", status=JobStatus.SUCCESS, started_at=old, heartbeat_at=old)
    assert reap_dead_runs(stale_after=90) == 3
    statuses = dict(JobRun.objects.values_list("job", "status"))
    assert statuses == {"a": "failed", "b": "failed", "c": "failed", "d": "running", "e": "queued", "f": "success"}
    for run in (silent, never_beat, late):
        run.refresh_from_db()
        assert run.finished_at is not None and run.error.startswith("Reaped")
    assert reap_dead_runs(stale_after=90) == 0


def test_a_reaped_run_that_was_only_slow_closes_with_its_real_status(db):
    with record_run("slow_thing", heartbeat=0) as counts:
        JobRun.objects.filter(job="slow_thing").update(heartbeat_at=timezone.now() - timedelta(hours=1))
        assert reap_dead_runs(stale_after=60) == 1
        counts["rows"] = 3
    run = JobRun.objects.get(job="slow_thing")
    assert (run.status, run.counts, run.error) == (JobStatus.SUCCESS, {"rows": 3}, "")


def test_the_reaper_task_and_the_dispatch_command_run(db, capsys):
    from django.core.management import call_command

    from core.tasks import reap_runs

    JobRun.objects.create(job="x", status=JobStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2))
    assert reap_runs.apply().get() == 1
    call_command("outbox_dispatch")
    assert "sent 0, failed 0" in capsys.readouterr().out
