"""Celery tasks of the chain: thin wrappers that take ids, call services and record their runs.

Each group's detection is one core.JobRun (job LINK_DETECTION_JOB, the group as subject), written
before the service's transaction opens and closed after it, so a failed detection leaves a 'failed'
run on the chain page and on the ops page. Detection of one group never runs twice at once (an
advisory lock per group): a second run waits, then skips with a note and queues itself again.

Detection is queued through the outbox (`queue_detection`, core.outbox), in the transaction of the
write that calls for it: a flows import, the chain page's "detect now", the nightly fan-out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from chains.models import LINK_DETECTION_JOB
from chains.services import chain_links_detect
from clients.models import GroupClient
from core import outbox
from core.jobs import record_run

DETECT_ALL_JOB = "detect_all_chain_links"
DETECT_TASK = "chains.tasks.detect_chain_links"
DETECT_TIME_LIMIT = 15 * 60


def detection_lock(group_id: int) -> str:
    return f"detect_chain_links:{group_id}"


def queue_detection(group_ids: Iterable[int], *, delay: timedelta | None = None) -> int:
    """Record link detection for these groups in the outbox, one message per group (a group already
    waiting is kept once); call it inside the transaction of the write that needs it. Returns how
    many messages were written."""
    return outbox.enqueue_many(
        outbox.Message(DETECT_TASK, (int(group_id),), dedup_key=detection_lock(int(group_id)), delay=delay)
        for group_id in sorted(set(group_ids))
    )


def _detect(group: GroupClient) -> dict:
    with record_run(LINK_DETECTION_JOB, subject=group, lock=detection_lock(group.pk),
                    time_limit=DETECT_TIME_LIMIT) as counts:
        if counts.skipped:
            # Another detection of this group is running: run again after it (nothing is lost).
            with transaction.atomic():
                queue_detection([group.pk], delay=timedelta(seconds=settings.JOB_SKIP_RETRY_SECONDS))
            counts["proposed"] = 0
            return counts
        counts.update(chain_links_detect(group=group))
    return counts


@shared_task(acks_late=True, time_limit=DETECT_TIME_LIMIT, soft_time_limit=DETECT_TIME_LIMIT - 60, max_retries=3,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def detect_chain_links(group_id: int) -> int:
    """Propose undeclared links for one group; returns how many were proposed (0, and no run, if the
    group is gone)."""
    group = GroupClient.objects.filter(pk=group_id).first()
    if group is None:
        return 0
    return _detect(group)["proposed"]


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def detect_all_chain_links() -> int:
    """Queue detection for every group, one task per group (so workers share the work and each stays
    small); returns how many groups. The queuing itself is a run (DETECT_ALL_JOB).

    Resumable: every subtask is written to the outbox in ONE transaction (all or none), and a group
    already waiting there is not queued twice, so a run killed mid-way leaves nothing half done and a
    rerun queues exactly what is missing."""
    with record_run(DETECT_ALL_JOB, time_limit=10 * 60) as counts:
        group_ids = list(GroupClient.objects.order_by("pk").values_list("pk", flat=True))  # ints: small even at 10^4
        with transaction.atomic():
            counts["queued"] = queue_detection(group_ids)
        counts["groups"] = len(group_ids)
    return len(group_ids)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=29 * 60, max_retries=3,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def detect_chain_links_for_groups(group_ids: list[int]) -> int:
    """Propose undeclared links for the given groups, one run per group; returns how many. (Imports now
    queue one `detect_chain_links` per group through the outbox; this stays for messages already
    queued.) A group whose detection fails does not stop the others: its run is recorded as failed
    and the task fails at the end with the first error."""
    proposed = 0
    first_error: Exception | None = None
    for group in GroupClient.objects.filter(pk__in=group_ids).order_by("pk"):
        try:
            proposed += _detect(group)["proposed"]
        except SoftTimeLimitExceeded:
            raise  # out of time: stop here (the next run picks the rest up)
        except Exception as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return proposed
