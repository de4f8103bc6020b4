"""Celery tasks of the early-warning engine (DESIGN.md section 3, issue 10 part 6): thin wrappers that
take ids, record their runs (core.JobRun, job RISK_JOB) and call `risk.engine.refresh`, then the group
identification (`risk.identification.refresh`) over the same enterprises.

- `refresh_risk_all`: nightly (core.schedules); two full runs never overlap (an advisory lock: the
  second is recorded as skipped);
- `refresh_risk_group(group_id, run_id)`: on demand (the group page's button, the API's
  refresh-risk), about the group: its core, its members and its circle; runs under the queued record
  the request wrote, so the page can show it;
- `refresh_risk_enterprises(ids)`: incremental, queued through the outbox (`queue_enterprises_refresh`)
  in the writer's own transaction by flow imports (chains.importers.FlowImporter.follow_up) and by
  changes to facilities, statements and guarantees.

All are `acks_late` and safe to retry: each chunk of the engine is one transaction and every alert
write idempotent (risk.alerts.sync: one open alert per rule and subject, a rerun over unchanged data
writes nothing), so a worker killed mid-run loses nothing and the redelivered task finishes the job."""

from __future__ import annotations

import datetime as dt
import hashlib

from celery import shared_task
from django.conf import settings
from django.db import transaction

from clients.models import GroupClient
from core import outbox
from core.jobs import record_run
from core.models import JobRun, JobStatus
from risk import engine

RISK_JOB = "refresh_risk"
ALL_LOCK = "refresh_risk:all"
TIME_LIMIT = settings.CELERY_TASK_TIME_LIMIT
GROUP_TASK = "risk.tasks.refresh_risk_group"
ENTERPRISES_TASK = "risk.tasks.refresh_risk_enterprises"


def _flat(result: dict) -> dict:
    """The engine's counts for the run record: totals, chunks, and the alerts opened per rule."""
    out = {k: v for k, v in result.items() if k != "rules"}
    out["opened_by_rule"] = {code: c.get("opened", 0) for code, c in result.get("rules", {}).items()}
    return out


def _as_of(value) -> dt.date | None:
    """A run date passed to a task (ISO text over the broker); None: today."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _identify(enterprise_ids, counts, as_of=None) -> None:
    """Group identification (risk.identification, the regulator's four tests) over the same
    enterprises, where that module is installed."""
    try:
        from risk import identification
    except ImportError:
        return
    refresh = getattr(identification, "refresh", None)
    if refresh is None:
        return
    result = refresh(enterprise_ids, as_of=as_of)
    if isinstance(result, dict):
        counts["identification"] = {k: v for k, v in result.items() if isinstance(v, (int, str, float))}


def group_enterprise_ids(group_id: int) -> list[int]:
    """The group's core, members and circle (one query; the needs job's definition)."""
    from services.tasks import group_enterprise_ids as ids

    return ids(group_id)


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60)
def refresh_risk_all(as_of: str | None = None) -> dict:
    """Every enterprise; `as_of` (ISO date, default today) for a data set whose "now" is another day
    (the demo's)."""
    day = _as_of(as_of)
    params = {"as_of": day.isoformat()} if day else {}
    with record_run(RISK_JOB, params=params, lock=ALL_LOCK, lock_wait=0, time_limit=TIME_LIMIT) as counts:
        if counts.skipped:
            return dict(counts)
        counts.update(_flat(engine.refresh(None, as_of=day)))
        _identify(None, counts, day)
    return dict(counts)


def queue_group_refresh(group: GroupClient, *, user=None) -> JobRun:
    """Record a queued run about the group and its task in the outbox, in one transaction (the task runs
    after the commit; eagerly in development and tests, so the run has finished when this returns)."""
    with transaction.atomic():
        run = JobRun.objects.create(job=RISK_JOB, subject=group, user=user, status=JobStatus.QUEUED,
                                    params={"group": group.pk})
        outbox.enqueue(GROUP_TASK, args=(group.pk, run.pk))
    run.refresh_from_db()
    return run


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60)
def refresh_risk_group(group_id: int, run_id: int | None = None) -> dict:
    group = GroupClient.objects.filter(pk=group_id).first()
    run = JobRun.objects.filter(pk=run_id).first() if run_id else None
    if group is None:
        if run is not None:
            JobRun.objects.filter(pk=run.pk).update(status=JobStatus.SKIPPED, note="the group is gone")
        return {}
    with record_run(RISK_JOB, subject=group, run=run, lock=f"refresh_risk:group:{group.pk}",
                    time_limit=TIME_LIMIT) as counts:
        if counts.skipped:
            return dict(counts)
        ids = group_enterprise_ids(group.pk)
        counts.update(_flat(engine.refresh(ids)))
        counts["enterprises"] = len(ids)
        _identify(ids, counts)
    return dict(counts)


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60)
def refresh_risk_enterprises(ids: list[int]) -> dict:
    ids = sorted({int(i) for i in ids})
    with record_run(RISK_JOB, params={"enterprises": len(ids)}, time_limit=TIME_LIMIT) as counts:
        counts.update(_flat(engine.refresh(ids)))
        _identify(ids, counts)
    return dict(counts)


def queue_enterprises_refresh(ids) -> int:
    """Record an incremental risk refresh of these enterprises in the outbox (inside the write's
    transaction); the same set pending twice is kept once. Returns how many messages were written."""
    ids = sorted({int(i) for i in ids if i is not None})
    if not ids:
        return 0
    key = "refresh_risk:" + hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=12).hexdigest()
    return outbox.enqueue(ENTERPRISES_TASK, args=(ids,), dedup_key=key)
