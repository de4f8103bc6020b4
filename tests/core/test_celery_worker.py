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


def test_link_detection_runs_on_the_worker_and_records_a_run_about_the_group(bank, real_worker, every_pair_detected):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from chains.models import LINK_DETECTION_JOB, ChainLink, Flow, LinkStatus
    from chains.tasks import detect_chain_links
    from tests.factories import EnterpriseFactory

    group = bank.group_gy
    supplier = EnterpriseFactory(name="工人线程供应商", is_client=False)
    Flow.objects.create(payer=group.core_enterprise, payee=supplier, amount=Decimal("1000"),
                        value_date=timezone.localdate() - timedelta(days=5), kind="payment", channel="this_bank",
                        source_system="test", external_ref="WORKER-1")
    assert detect_chain_links.delay(group.pk).get(timeout=30) == 1
    link = ChainLink.objects.get(group=group, supplier=supplier)
    assert link.status == LinkStatus.DETECTED and link.history.get().history_type == "+"
    run = JobRun.objects.get(job=LINK_DETECTION_JOB)
    assert run.subject == group
    assert run.status == JobStatus.SUCCESS and run.finished_at is not None
    assert run.counts["proposed"] == 1


def test_a_detection_failing_on_the_worker_leaves_a_committed_failed_run(bank, real_worker, monkeypatch):
    """Outside the test's own transaction (a real worker, a real rollback of the service's
    transaction): the run written before the work survives and is closed as failed."""
    from chains import services
    from chains.models import LINK_DETECTION_JOB
    from chains.tasks import detect_chain_links

    monkeypatch.setattr(services, "DETECT_SQL", "SELECT * FROM no_such_table_for_detection")
    with pytest.raises(Exception, match="no_such_table_for_detection"):
        detect_chain_links.delay(bank.group_gy.pk).get(timeout=30)
    run = JobRun.objects.get(job=LINK_DETECTION_JOB)
    assert run.subject == bank.group_gy
    assert run.status == JobStatus.FAILED and run.finished_at is not None
    assert "no_such_table_for_detection" in run.error
