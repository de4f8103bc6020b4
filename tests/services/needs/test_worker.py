"""The refresh through a real Celery worker on Redis (not eager): the needs appear, the run is recorded,
and a second run gives identical needs."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config.celery import app
from core.models import JobRun, JobStatus
from services.models import Need
from tests.services.needs.conftest import flow, flows, member_of_circle

COLUMNS = [f.attname for f in Need._meta.concrete_fields if f.attname != "refreshed_at"]


@pytest.fixture
def real_worker(transactional_db, catalogue):
    """A worker consuming from the Redis broker configured in settings (not eager)."""
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.task_always_eager = True


def test_group_refresh_on_a_real_worker_raises_needs_and_a_rerun_is_identical(bank, real_worker):
    from services.tasks import refresh_needs_group

    supplier = member_of_circle(bank.group_gy, "supplier", rm=bank.rm_gy1, branch=bank.gy1)
    core = bank.group_gy.core_enterprise
    today = timezone.localdate()
    flows([flow(core, supplier, 2_000_000, today - dt.timedelta(days=d), kind="invoice") for d in (20, 50, 80)])
    counts = refresh_needs_group.delay(bank.group_gy.pk).get(timeout=60)
    assert counts["raised"] == 1
    need = Need.objects.get(enterprise=supplier)
    assert need.product.code == "receivables_financing" and need.status == "new"
    run = JobRun.objects.get(job="refresh_needs")
    assert run.status == JobStatus.SUCCESS and run.subject == bank.group_gy and run.counts["raised"] == 1
    assert "profiles" in run.counts and "contribution_rows" in run.counts
    before = list(Need.objects.order_by("pk").values_list(*COLUMNS))
    again = refresh_needs_group.delay(bank.group_gy.pk).get(timeout=60)
    assert again["raised"] == 0 and again["updated"] == 0  # nothing changed, nothing written
    assert list(Need.objects.order_by("pk").values_list(*COLUMNS)) == before


def test_full_refresh_on_a_real_worker(bank, real_worker):
    from services.tasks import refresh_needs_all

    supplier = member_of_circle(bank.group_zy, "supplier", rm=bank.rm_zy1, branch=bank.zy1)
    core = bank.group_zy.core_enterprise
    today = timezone.localdate()
    flows([flow(core, supplier, 2_000_000, today - dt.timedelta(days=d), kind="invoice") for d in (20, 50, 80)])
    counts = refresh_needs_all.delay().get(timeout=60)
    assert counts["raised"] == 1 and Need.objects.filter(enterprise=supplier).exists()
