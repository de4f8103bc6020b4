"""Operational tasks: hand the outbox to the broker, reap the runs of dead workers, prune old messages.

Beat schedules them (core.schedules). The outbox dispatch here is a backstop: beat reaches a worker
only through the broker, so when the broker is down these do not run; the `outbox_dispatch --loop`
process (database only) is what keeps retrying then."""

from __future__ import annotations

from celery import shared_task

from core import outbox
from core.jobs import reap_dead_runs


@shared_task(acks_late=False, ignore_result=True, time_limit=60, soft_time_limit=50)
def dispatch_outbox() -> int:
    """Send what waits in the outbox; returns how many were sent. Not recorded as a run (it runs every
    few seconds); the outbox itself says what is pending and why (`last_error`)."""
    return outbox.dispatch_all().sent


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def reap_runs() -> int:
    """Mark failed the runs whose worker died (no heartbeat, or past their deadline)."""
    return reap_dead_runs()


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def prune_outbox() -> int:
    """Delete outbox messages sent more than OUTBOX_KEEP_DAYS ago."""
    return outbox.prune()
