"""Celery tasks of the needs engine: thin wrappers that take ids, record their runs (core.JobRun, job
NEEDS_JOB) and call services.engine, then the client profiles and contribution figures
(services.profile, services.contribution) of the same enterprises.

- `refresh_needs_all`: nightly (core.schedules); two full runs never overlap (an advisory lock: the
  second is recorded as skipped);
- `refresh_needs_group(group_id)`: on demand (the group page's button, the API's refresh-needs),
  about the group: its members, its circle and its core; runs under the queued record the request
  wrote, so the page can show it;
- `refresh_needs_enterprises(ids)`: incremental, queued through the outbox by flow imports
  (chains.importers.FlowImporter.follow_up) in the import's own transaction.

All are `acks_late` and safe to retry: each chunk of the engine is one transaction and every write an
idempotent upsert, so a worker killed mid-run loses nothing and the redelivered task finishes the job."""

from __future__ import annotations

import hashlib

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction

from clients.models import GroupClient
from core import outbox
from core.jobs import record_run
from core.models import JobRun, JobStatus
from services import engine

NEEDS_JOB = "refresh_needs"
ALL_LOCK = "refresh_needs:all"
# The longest a run may take: Celery's hard limit (the broker redelivers an unacknowledged task only
# after its visibility timeout, which settings keep above every task's limit).
TIME_LIMIT = settings.CELERY_TASK_TIME_LIMIT
GROUP_TASK = "services.tasks.refresh_needs_group"
ENTERPRISES_TASK = "services.tasks.refresh_needs_enterprises"


def _flat(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "rules"}


def _after(enterprise_ids, counts) -> None:
    """Profiles and contribution of the same enterprises (all when None)."""
    from services import contribution, profile

    counts["profiles"] = profile.refresh(enterprise_ids)
    counts["contribution_rows"] = contribution.refresh(enterprise_ids)


def group_enterprise_ids(group_id: int) -> list[int]:
    """The group's core, members and circle (one query)."""
    from services.rules import tables

    t = tables()
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT core_enterprise_id FROM {t['g']} WHERE id = %s
                           UNION SELECT enterprise_id FROM {t['gm']} WHERE group_id = %s
                           UNION SELECT enterprise_id FROM {t['cm']} WHERE group_id = %s""",
                       [group_id, group_id, group_id])
        return sorted(row[0] for row in cursor.fetchall())


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60)
def refresh_needs_all() -> dict:
    with record_run(NEEDS_JOB, lock=ALL_LOCK, lock_wait=0, time_limit=TIME_LIMIT) as counts:
        if counts.skipped:
            return dict(counts)
        counts.update(_flat(engine.refresh(None)))
        _after(None, counts)
    return dict(counts)


def queue_group_refresh(group: GroupClient, *, user=None) -> JobRun:
    """Record a queued run about the group and its task in the outbox, in one transaction (the task runs
    after the commit; eagerly in development and tests, so the run has finished when this returns)."""
    with transaction.atomic():
        run = JobRun.objects.create(job=NEEDS_JOB, subject=group, user=user, status=JobStatus.QUEUED,
                                    params={"group": group.pk})
        outbox.enqueue(GROUP_TASK, args=(group.pk, run.pk))
    run.refresh_from_db()
    return run


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60)
def refresh_needs_group(group_id: int, run_id: int | None = None) -> dict:
    group = GroupClient.objects.filter(pk=group_id).first()
    run = JobRun.objects.filter(pk=run_id).first() if run_id else None
    if group is None:
        if run is not None:
            JobRun.objects.filter(pk=run.pk).update(status=JobStatus.SKIPPED, note="the group is gone")
        return {}
    with record_run(NEEDS_JOB, subject=group, run=run, lock=f"refresh_needs:group:{group.pk}",
                    time_limit=TIME_LIMIT) as counts:
        if counts.skipped:
            return dict(counts)
        ids = group_enterprise_ids(group.pk)
        counts.update(_flat(engine.refresh(ids)))
        _after(ids, counts)
    return dict(counts)


@shared_task(acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60)
def refresh_needs_enterprises(ids: list[int]) -> dict:
    ids = sorted({int(i) for i in ids})
    with record_run(NEEDS_JOB, params={"enterprises": len(ids)}, time_limit=TIME_LIMIT) as counts:
        result = engine.refresh(ids)
        counts.update(_flat(result))
        _after(ids, counts)
    return dict(counts)


def queue_enterprises_refresh(ids) -> int:
    """Record an incremental refresh of these enterprises in the outbox (inside the write's
    transaction); the same set pending twice is kept once. Returns how many messages were written."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return 0
    key = "refresh_needs:" + hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=12).hexdigest()
    return outbox.enqueue(ENTERPRISES_TASK, args=(ids,), dedup_key=key)
