"""Background jobs of the clients app. Tasks are thin: they take ids and call a service."""

import hashlib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction

from clients.models import GroupClient
from clients.services import group_membership_refresh
from core import outbox
from core.jobs import record_run

REFRESH_JOB = "refresh_group_memberships"
REFRESH_TIME_LIMIT = 60 * 30


def _dedup_key(group_ids: list[int] | None) -> str:
    if group_ids is None:
        return f"{REFRESH_JOB}:all"
    digest = hashlib.blake2b(",".join(map(str, sorted(set(group_ids)))).encode(), digest_size=16).hexdigest()
    return f"{REFRESH_JOB}:{digest}"


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3,
             time_limit=REFRESH_TIME_LIMIT, soft_time_limit=60 * 25)
def refresh_group_memberships(group_ids: list[int] | None = None) -> dict:
    """Re-derive group membership from the control links (all groups when no ids). Idempotent.

    Never two at once (an advisory lock: two refreshes of the same groups would both delete, then
    both insert, and one would fail on the unique constraint): a second run waits for the first, and
    if it is still held after JOB_LOCK_WAIT_SECONDS it skips with a note and queues itself again
    through the outbox."""
    with record_run(REFRESH_JOB, lock=REFRESH_JOB, time_limit=REFRESH_TIME_LIMIT) as counts:
        if counts.skipped:
            with transaction.atomic():
                outbox.enqueue("clients.tasks.refresh_group_memberships", args=[group_ids],
                               dedup_key=_dedup_key(group_ids), delay=timedelta(seconds=settings.JOB_SKIP_RETRY_SECONDS))
            return {}
        groups = None if group_ids is None else GroupClient.objects.filter(pk__in=group_ids)
        counts["memberships"] = group_membership_refresh(groups=groups)
        counts["groups"] = GroupClient.objects.count() if group_ids is None else len(group_ids)
    return dict(counts)
