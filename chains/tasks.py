"""Celery tasks of the chain: thin wrappers that take ids, call services and record their runs.

Each group's detection is one core.JobRun (job LINK_DETECTION_JOB, the group as subject), written
before the service's transaction opens and closed after it, so a failed detection leaves a 'failed'
run on the chain page and on the ops page."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from chains.models import LINK_DETECTION_JOB
from chains.services import chain_links_detect
from clients.models import GroupClient
from core.jobs import record_run

DETECT_ALL_JOB = "detect_all_chain_links"


def _detect(group: GroupClient) -> dict:
    with record_run(LINK_DETECTION_JOB, subject=group) as counts:
        counts.update(chain_links_detect(group=group))
    return counts


@shared_task(acks_late=True, time_limit=15 * 60, soft_time_limit=14 * 60, max_retries=3,
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
    small); returns how many were queued. The queuing itself is a run (DETECT_ALL_JOB)."""
    with record_run(DETECT_ALL_JOB) as counts:
        group_ids = list(GroupClient.objects.order_by("pk").values_list("pk", flat=True))  # ints: small even at 10^4
        for group_id in group_ids:
            detect_chain_links.delay(group_id)
        counts["queued"] = len(group_ids)
    return len(group_ids)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=29 * 60, max_retries=3,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def detect_chain_links_for_groups(group_ids: list[int]) -> int:
    """Propose undeclared links for the given groups (after a flows import), one run per group;
    returns how many. A group whose detection fails does not stop the others: its run is recorded
    as failed and the task fails at the end with the first error."""
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
