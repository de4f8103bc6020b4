"""Redis stopped under a running app: pages and the API that need no broker still answer, requests
that queue work answer at once (they only write the outbox), and the work queued meanwhile is
dispatched when Redis is back. gunicorn runs with a 10 s timeout: a request blocked on the broker
(it used to retry for about 20 s) would be killed and fail."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django.urls import reverse

from chains.models import LINK_DETECTION_JOB
from chains.tasks import DETECT_TASK
from core.models import JobRun, JobStatus, OutboxMessage
from tests.faults.conftest import Browser, Proc, manage, start_gunicorn, start_worker, wait_for
from tests.imports.helpers import ensure_source_systems, members

pytestmark = [pytest.mark.faults, pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL")]


def test_with_redis_down_pages_answer_and_queued_work_waits_in_the_outbox_until_it_is_back(
        transactional_db, bank, private_redis, app_env, procs, tmp_path):
    ensure_source_systems()
    web, base = start_gunicorn(procs, app_env, tmp_path / "web.log", timeout=10)
    hq = Browser(base, bank.hq)
    chain_page = reverse("chains:group_chain", kwargs={"group_pk": bank.group_zy.pk})
    assert hq.get(chain_page)[0] == 200  # warm: the worker has loaded everything
    private_redis.stop()

    figures = {}
    for path in (chain_page, reverse("clients:group_list"), "/api/v1/flows/"):
        started = time.monotonic()
        status, _body = hq.get(path)
        figures[path] = round(time.monotonic() - started, 3)
        assert status == 200, (path, status)

    # "Detect now" on the chain page, and a flows import through the API: both queue detection.
    started = time.monotonic()
    status, _body = hq.post(reverse("chains:group_detect", kwargs={"group_pk": bank.group_zy.pk}))
    figures["detect now"] = round(time.monotonic() - started, 3)
    assert status in (200, 302), status
    codes = members(bank.group_gy)
    rows = [{"payer": codes[0], "payee": codes[1], "amount": "10.00", "currency": "CNY", "value_date": "2026-10-01",
             "kind": "payment", "channel": "this_bank", "external_ref": "REDIS-DOWN-1", "source_system": "erp"}]
    started = time.monotonic()
    status, body = hq.post("/api/v1/flows/", data=json.dumps(rows).encode(), content_type="application/json")
    figures["flows import"] = round(time.monotonic() - started, 3)
    assert status == 201, body[:500]
    print("answer times with Redis down (s):", figures)

    waiting = OutboxMessage.objects.filter(task=DETECT_TASK, sent_at__isnull=True)
    assert sorted(m.args[0] for m in waiting.all()) == sorted([bank.group_zy.pk, bank.group_gy.pk])
    # The best-effort dispatch after commit tried the broker, in the background, and counted it.
    wait_for(lambda: waiting.filter(attempts__gte=1).count() == 2, timeout=20, what="the failed first attempts")
    assert all("refused" in m.last_error.lower() for m in waiting.all())
    assert web.alive()
    assert not JobRun.objects.filter(job=LINK_DETECTION_JOB).exists()

    # Redis is back: the dispatcher loop (database only) hands the backlog to the broker, a worker runs it.
    private_redis.start()
    start_worker(procs, app_env, tmp_path / "worker.log")
    dispatcher = Proc(manage("outbox_dispatch", "--loop", "--interval", "0.5"), env=app_env,
                      log=tmp_path / "dispatch.log")
    procs.append(dispatcher)
    wait_for(lambda: JobRun.objects.filter(job=LINK_DETECTION_JOB, status=JobStatus.SUCCESS).count() == 2,
             timeout=90, interval=0.5, what="both detections to run after Redis came back")
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert hq.get(chain_page)[0] == 200
