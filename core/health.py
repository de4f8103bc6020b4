"""`GET /health/`: can this instance do its work? JSON for monitors and load balancers.

No login, and no data: only whether each part answers, how long it took, counts and job names. A
check that fails says what failed (the exception's class), never a message that could carry a
host name, a password or a row. The answer is 200 when every check passes, 503 otherwise:

- `database`: `SELECT 1` on the default connection;
- `redis`: PING on REDIS_URL (skipped without one: development runs without Redis);
- `worker`: at least one Celery worker answers a broadcast ping within HEALTH_WORKER_TIMEOUT
  seconds (skipped while tasks run inline, CELERY_TASK_ALWAYS_EAGER);
- `outbox`: the backlog of follow-up work (core.outbox.backlog): fails when the oldest pending
  message waited longer than HEALTH_OUTBOX_MAX_AGE_SECONDS (the dispatcher or the broker is stuck);
- `jobs`: the latest run of each job (core.jobs), for reading only: a failed run is reported, but a
  job that failed is not an instance that cannot serve.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

Check = Callable[[], dict]


def _timed(check: Check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - any failure is the answer; its class says which
        result = {"ok": False, "error": type(exc).__name__}
    result.setdefault("ok", True)
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_redis() -> dict:
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return {"ok": True, "skipped": "no REDIS_URL"}
    import redis

    timeout = settings.HEALTH_REDIS_TIMEOUT
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return {"ok": bool(client.ping())}
    finally:
        client.close()


def check_worker() -> dict:
    from config.celery import app

    if app.conf.task_always_eager:
        return {"ok": True, "skipped": "tasks run inline (CELERY_TASK_ALWAYS_EAGER)"}
    replies = app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT, limit=1)
    return {"ok": bool(replies), "workers": len(replies)}


def outbox_backlog() -> dict | None:
    """HOOK: the outbox's backlog from core.outbox.backlog() ({"pending", "failing",
    "oldest_age_seconds"}); None where no outbox exists."""
    try:
        from core.outbox import backlog
    except ImportError:
        return None
    return backlog()


def check_outbox() -> dict:
    state = outbox_backlog()
    if state is None:
        return {"ok": True, "skipped": "no outbox"}
    limit = settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    return {"ok": state["oldest_age_seconds"] <= limit, **state, "max_age_seconds": limit}


def check_jobs() -> dict:
    from core.jobs import job_names
    from core.models import JobRun

    latest = []
    for job in job_names():
        run = JobRun.objects.filter(job=job).order_by("-started_at", "-pk").only(
            "job", "status", "started_at", "finished_at").first()
        if run is not None:
            latest.append({
                "job": run.job,
                "status": run.status,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            })
    return {"ok": True, "latest": latest, "failed": sum(1 for r in latest if r["status"] == "failed")}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "outbox": check_outbox,
    "jobs": check_jobs,
}
NEEDS_DATABASE = ("outbox", "jobs")


def run_checks() -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and not results["database"]["ok"]:
            results[name] = {"ok": False, "error": "database unavailable", "ms": 0.0}
            continue
        results[name] = _timed(check)
    return results


@login_not_required
@never_cache
@require_GET
def health(request):
    checks = run_checks()
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
