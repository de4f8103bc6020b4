"""Jobs through the real Redis broker and a real Celery worker (in-process thread)."""

import pytest
from celery.contrib.testing.worker import start_worker

from clients.models import ControlLink, GroupMembership
from config.celery import app
from core.models import JobRun, JobStatus


@pytest.fixture
def real_worker(transactional_db):
    """A worker consuming from the Redis broker configured in settings (not eager)."""
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.task_always_eager = True


def test_membership_refresh_task_runs_on_the_worker_and_records_the_run(bank, real_worker):
    group = bank.group_gy
    sub = GroupMembership.objects.filter(group=group).exclude(enterprise=group.core_enterprise).first().enterprise
    # Change the data behind the service's back, then let the job bring membership up to date.
    ControlLink.objects.filter(child=sub).update(share_pct=10)
    from clients.tasks import refresh_group_memberships

    result = refresh_group_memberships.delay([group.pk])
    counts = result.get(timeout=30)
    assert counts == {"memberships": 2, "groups": 1}
    assert not GroupMembership.objects.filter(group=group, enterprise=sub).exists()
    run = JobRun.objects.get(job="refresh_group_memberships")
    assert run.status == JobStatus.SUCCESS and run.finished_at is not None
    assert run.counts == counts
    # Re-running gives the same rows (idempotent).
    assert refresh_group_memberships.delay([group.pk]).get(timeout=30) == counts
