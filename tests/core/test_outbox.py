"""The outbox (core.outbox): follow-up work is written in the write's transaction, kept once while it
waits, dispatched after commit and retried with backoff. The broker-down cases run against a real,
stopped Redis in tests/faults/."""

import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from chains.models import LINK_DETECTION_JOB, ChainLink
from chains.tasks import DETECT_TASK, detect_all_chain_links, queue_detection
from core import outbox
from core.models import JobRun, JobStatus, OutboxMessage
from imports.services import import_file
from tests.factories import EnterpriseFactory
from tests.imports.helpers import csv_bytes, ensure_source_systems, flow_row


@pytest.fixture(autouse=True)
def sources(db):
    ensure_source_systems()


def pending(task=DETECT_TASK):
    return OutboxMessage.objects.filter(task=task, sent_at__isnull=True)


def test_a_rolled_back_write_leaves_no_message(bank):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            queue_detection([bank.group_gy.pk])
            raise RuntimeError("the write failed")
    assert not OutboxMessage.objects.exists()


def test_the_same_pending_work_is_kept_once_and_queued_again_once_sent(bank):
    gy = bank.group_gy.pk
    assert queue_detection([gy, gy]) == 1
    assert queue_detection([gy]) == 0
    assert pending().count() == 1
    message = pending().get()
    assert (message.args, message.dedup_key, message.attempts) == ([gy], f"detect_chain_links:{gy}", 0)
    OutboxMessage.objects.update(sent_at=timezone.now())
    assert queue_detection([gy]) == 1
    assert OutboxMessage.objects.count() == 2 and pending().count() == 1


def test_messages_without_a_dedup_key_are_all_kept(db):
    outbox.enqueue("core.tasks.reap_runs")
    outbox.enqueue("core.tasks.reap_runs")
    assert OutboxMessage.objects.filter(task="core.tasks.reap_runs").count() == 2


def test_the_import_queues_detection_in_its_own_transaction_and_a_rerun_keeps_it(bank, every_pair_detected):
    """No on-commit callback runs here (the test's transaction never commits): what a committed import
    must cause is already in the outbox, pending. A rerun that finds every row already present keeps
    that message (it is never lost, never doubled); dispatching it runs the detection."""
    group = bank.group_gy
    supplier = EnterpriseFactory(rm=bank.rm_gy1, is_client=False)
    data = csv_bytes([flow_row(group.core_enterprise.uscc, supplier.uscc, "OUTBOX-1", value_date="2026-10-01")])

    def run(commit=True, content=data):
        return import_file(user=bank.rm_gy1, kind="flows", fh=io.BytesIO(content), filename="f.csv", commit=commit,
                           source_system="erp")

    assert run(commit=False).ok and not OutboxMessage.objects.exists()  # a preview queues nothing
    bad = csv_bytes([flow_row(group.core_enterprise.uscc, supplier.uscc, "OUTBOX-2", amount="-1")])
    assert not run(content=bad).ok and not OutboxMessage.objects.exists()  # a refused file neither
    assert run().created == 1
    assert list(pending().values_list("args", flat=True)) == [[group.pk]]
    again = run()
    assert (again.created, again.already_present) == (0, 1)
    assert pending().count() == 1
    assert not ChainLink.objects.filter(group=group, supplier=supplier).exists()
    # eager here: the tasks run in this process (detection, and the needs and risk refreshes of the file's
    # enterprises)
    assert outbox.dispatch_all().sent == 3
    assert ChainLink.objects.filter(group=group, supplier=supplier).exists()
    assert not pending().exists()
    message = OutboxMessage.objects.get(task=DETECT_TASK)
    assert message.attempts == 1 and message.sent_at is not None and message.last_error == ""


def test_detect_now_on_the_chain_page_writes_the_outbox_and_dispatches_after_commit(
        bank, client_as, django_capture_on_commit_callbacks):
    client = client_as(bank.rm_gy1)
    url = reverse("chains:group_detect", kwargs={"group_pk": bank.group_gy.pk})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url)
    assert response.status_code in (200, 302)
    assert pending().count() == 1 and len(callbacks) == 1
    callbacks[0]()  # the commit happens: the kick dispatches (eagerly here)
    assert not pending().exists()
    assert JobRun.objects.filter(job=LINK_DETECTION_JOB, status=JobStatus.SUCCESS).count() == 1


def test_one_dispatch_after_commit_however_many_messages(bank, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            queue_detection([bank.group_gy.pk])
            queue_detection([bank.group_zy.pk])
            outbox.enqueue("core.tasks.reap_runs")
    assert len(callbacks) == 1


def test_the_fan_out_is_one_transaction_and_a_rerun_queues_exactly_what_is_missing(bank):
    """detect_all_chain_links killed mid-way used to leave a quarter of its subtasks queued: now its
    messages commit together, and a rerun adds only the groups not already waiting."""
    queue_detection([bank.group_gy.pk])  # left over from an earlier, interrupted run
    assert detect_all_chain_links.apply().get() == 2
    run = JobRun.objects.get(job="detect_all_chain_links")
    assert run.counts == {"queued": 1, "groups": 2}
    assert sorted(a[0] for a in pending().values_list("args", flat=True)) == sorted(
        [bank.group_gy.pk, bank.group_zy.pk])
    detect_all_chain_links.apply().get()
    assert pending().count() == 2


def test_due_messages_only_and_a_failure_in_an_eager_task_is_recorded_not_retried(bank):
    later = outbox.enqueue("core.tasks.reap_runs", delay=timedelta(minutes=5))
    assert later == 1
    outbox.enqueue("chains.tasks.detect_chain_links", args=["not-an-id"])
    result = outbox.dispatch()
    assert (result.sent, result.failed) == (1, 0)
    failed = OutboxMessage.objects.get(task=DETECT_TASK)
    assert failed.sent_at is not None and "not-an-id" in failed.last_error
    assert OutboxMessage.objects.get(task="core.tasks.reap_runs").sent_at is None  # not due yet


def test_backoff_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 2
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5, 6, 10)] == [2, 4, 8, 16, 32, 60, 60]


def test_backlog_and_prune(bank):
    queue_detection([bank.group_gy.pk, bank.group_zy.pk])
    OutboxMessage.objects.filter(args=[bank.group_zy.pk]).update(attempts=3, last_error="refused")
    state = outbox.backlog()
    assert (state["pending"], state["failing"]) == (2, 1) and state["oldest_age_seconds"] >= 0
    OutboxMessage.objects.filter(args=[bank.group_gy.pk]).update(sent_at=timezone.now() - timedelta(days=30))
    assert outbox.prune() == 1
    assert OutboxMessage.objects.count() == 1  # the pending one stays, however old


def test_default_schedules_include_the_outbox_backstop_and_the_reaper(db):
    from django_celery_beat.models import PeriodicTask

    from core.schedules import ensure_default_schedules

    PeriodicTask.objects.all().delete()
    ensure_default_schedules()
    tasks = dict(PeriodicTask.objects.values_list("task", "interval__every"))
    assert tasks["core.tasks.dispatch_outbox"] == 10
    assert tasks["core.tasks.reap_runs"] == 60
    assert "imports.tasks.delete_stale_uploads" in tasks


def test_celery_fails_fast_on_a_dead_broker_and_redelivers_after_the_longest_job(settings):
    from config.celery import app

    assert app.conf.broker_connection_timeout <= 2
    assert app.conf.task_publish_retry_policy["max_retries"] <= 1
    options = app.conf.broker_transport_options
    assert options["socket_connect_timeout"] <= 2 and options["socket_timeout"] <= 2
    longest = max(t.time_limit or 0 for name, t in app.tasks.items() if not name.startswith("celery."))
    assert longest <= settings.CELERY_TASK_TIME_LIMIT < options["visibility_timeout"] < 3600
