"""Operations: the health endpoint (core.health), the request id on responses and log lines, and the
structured log format. Against the real PostgreSQL, Redis and a real Celery worker; the database and
Redis are "down" by pointing this process at ports where nothing listens (the shared servers keep
running)."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.celery import app
from core.logs import RequestIdFilter
from core.models import JobRun, JobStatus, OutboxMessage

BASE_DIR = Path(__file__).resolve().parents[2]


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(client=None):
    response = (client or Client()).get("/health/")
    return response, response.json()


@pytest.fixture
def tasks_on_a_worker():
    """Tasks go through the broker (as in production), with no worker unless a test starts one."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_healthy_answers_200_without_a_login_and_without_data(bank):
    response, body = health()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "worker", "outbox", "jobs"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["skipped"]  # tasks run inline under the test settings
    text = response.content.decode()
    assert bank.group_gy.name not in text and bank.group_gy.core_enterprise.uscc not in text


def test_only_get(db):
    assert Client().post("/health/").status_code == 405


@contextmanager
def database_down():
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_unused_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


def test_database_down_answers_503_naming_the_database(transactional_db):
    with database_down():
        response, body = health()
    assert response.status_code == 503 and body["status"] == "fail"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError", "ms": body["checks"]["database"]["ms"]}
    assert body["checks"]["outbox"]["ok"] is False and body["checks"]["jobs"]["ok"] is False
    assert body["checks"]["redis"]["ok"] is True  # the other parts are still told apart


def test_redis_down_answers_503_naming_redis(db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_unused_port()}/7"
    response, body = health()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True


def test_no_worker_answers_503(db, tasks_on_a_worker):
    response, body = health()
    assert response.status_code == 503
    assert body["checks"]["worker"] == {"ok": False, "workers": 0, "ms": body["checks"]["worker"]["ms"]}


def test_a_running_worker_answers_the_ping(transactional_db, tasks_on_a_worker):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response, body = health()
    assert body["checks"]["worker"]["ok"] is True and body["checks"]["worker"]["workers"] == 1
    assert response.status_code == 200


def test_an_old_outbox_backlog_answers_503_and_says_how_old(db, settings):
    settings.HEALTH_OUTBOX_MAX_AGE_SECONDS = 300
    OutboxMessage.objects.create(task="chains.tasks.detect_chain_links", args=[1],
                                 created_at=timezone.now() - timedelta(seconds=30))
    response, body = health()
    assert response.status_code == 200 and body["checks"]["outbox"]["pending"] == 1
    OutboxMessage.objects.create(task="chains.tasks.detect_chain_links", args=[2], attempts=3,
                                 created_at=timezone.now() - timedelta(minutes=20))
    response, body = health()
    outbox = body["checks"]["outbox"]
    assert response.status_code == 503
    assert (outbox["ok"], outbox["pending"], outbox["failing"]) == (False, 2, 1)
    assert outbox["oldest_age_seconds"] >= 1200


def test_the_latest_run_of_each_job_is_shown_and_a_failed_one_is_told_not_fatal(db):
    now = timezone.now()
    JobRun.objects.create(job="refresh_group_memberships", status=JobStatus.SUCCESS,
                          started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=2))
    JobRun.objects.create(job="refresh_group_memberships", status=JobStatus.FAILED,
                          started_at=now - timedelta(hours=1), finished_at=now - timedelta(hours=1), error="boom")
    JobRun.objects.create(job="detect_chain_links", status=JobStatus.SUCCESS, started_at=now, finished_at=now)
    response, body = health()
    latest = {r["job"]: r["status"] for r in body["checks"]["jobs"]["latest"]}
    assert latest == {"refresh_group_memberships": "failed", "detect_chain_links": "success"}
    assert body["checks"]["jobs"]["failed"] == 1
    assert response.status_code == 200
    assert "boom" not in response.content.decode()  # no error text: it may name data


# --- the request id -------------------------------------------------------------------------------------------


def test_every_answer_carries_a_request_id(bank, api_as, client_as):
    ids = {
        Client().get("/health/")["X-Request-ID"],
        api_as(bank.rm_gy1).get("/api/v1/enterprises/")["X-Request-ID"],
        api_as(bank.rm_gy1).get("/api/v1/nothing/")["X-Request-ID"],
        client_as(bank.rm_gy1).get("/clients/enterprises/")["X-Request-ID"],
    }
    assert len(ids) == 4 and all(len(i) == 32 for i in ids)


def test_a_valid_incoming_request_id_is_kept_and_an_invalid_one_replaced(db):
    given = "0123456789abcdef0123456789abcdef"
    assert Client().get("/health/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    forged = "abc\nforged log line"
    assert Client().get("/health/", HTTP_X_REQUEST_ID=forged)["X-Request-ID"] != forged


def _capture(logger_name: str, formatter: logging.Formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    return stream, lambda: logger.removeHandler(handler)


def test_log_lines_of_a_request_carry_its_id(bank, api_as, settings):
    stream, done = _capture("django.request", logging.Formatter(settings.LOGGING["formatters"]["text"]["format"]))
    try:
        response = api_as(bank.rm_gy1).get("/api/v1/nothing/")  # Django logs the 404 as a warning
    finally:
        done()
    line = stream.getvalue().strip()
    assert f"[{response['X-Request-ID']}]" in line and "Not Found: /api/v1/nothing/" in line


def test_json_log_lines_are_one_object_each_with_the_request_id(bank, api_as, settings):
    from pythonjsonlogger.json import JsonFormatter

    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    options["fmt"] = options.pop("format")  # what logging.config does for a custom formatter
    stream, done = _capture("django.request", JsonFormatter(**options))
    try:
        response = api_as(bank.rm_gy1).get("/api/v1/nothing/")
    finally:
        done()
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["request_id"] == response["X-Request-ID"]
    assert record["level"] == "WARNING" and record["logger"] == "django.request"
    assert record["message"] == "Not Found: /api/v1/nothing/"


def test_outside_a_request_the_id_is_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    from django_guid import clear_guid

    clear_guid()
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


@pytest.mark.parametrize("fmt,expected", [("json", "json"), ("text", "text"), ("", "text")])
def test_log_format_is_chosen_by_the_environment(fmt, expected):
    env = {**os.environ, "LOG_FORMAT": fmt, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], env=env, cwd=BASE_DIR,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == expected


def test_a_bad_log_format_stops_the_start():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, cwd=BASE_DIR,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "LOG_FORMAT must be text or json" in out.stderr


def test_pooled_connections_are_checked_before_reuse(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
