"""The risk refresh through a real Celery worker on Redis (not eager): the alerts appear, the run is
recorded, a second run gives identical alerts, and the full run works the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config.celery import app
from core.models import JobRun, JobStatus
from risk.models import RiskAlert
from tests.risk.rules.bravo_data import facility, statement

COLUMNS = [f.attname for f in RiskAlert._meta.concrete_fields]
# Real commits; the database's content from before (the catalogue's migration rows) comes back after each
# test, so tests that run later in the session still find it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def real_worker(transactional_db):
    """A worker consuming from the Redis broker configured in settings (not eager)."""
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.task_always_eager = True


def test_group_refresh_on_a_real_worker_and_a_rerun_is_identical(bank, real_worker):
    from risk.tasks import refresh_risk_group

    core = bank.group_gy.core_enterprise
    statement(core, timezone.localdate().year - 1, assets=100, liabilities=85)
    facility(core, 1_000_000, past_due=10_000, since=timezone.localdate() - dt.timedelta(days=95))
    counts = refresh_risk_group.delay(bank.group_gy.pk).get(timeout=60)
    assert counts["opened"] == 2
    assert set(RiskAlert.objects.values_list("rule", "severity")) == {("financial_deterioration", 1), ("past_due", 4)}
    run = JobRun.objects.get(job="refresh_risk")
    assert run.status == JobStatus.SUCCESS and run.subject == bank.group_gy and run.counts["opened"] == 2
    before = list(RiskAlert.objects.order_by("pk").values_list(*COLUMNS))
    again = refresh_risk_group.delay(bank.group_gy.pk).get(timeout=60)
    assert (again["opened"], again["updated"], again["resolved"]) == (0, 0, 0)
    assert list(RiskAlert.objects.order_by("pk").values_list(*COLUMNS)) == before


def test_full_refresh_on_a_real_worker(bank, real_worker):
    from risk.tasks import refresh_risk_all

    core = bank.group_zy.core_enterprise
    statement(core, timezone.localdate().year - 1, assets=100, liabilities=99, current_assets=1,
              current_liabilities=2)
    counts = refresh_risk_all.delay().get(timeout=60)
    assert counts["opened"] == 1
    assert RiskAlert.objects.get(rule="financial_deterioration").enterprise_id == core.pk
