"""The outbox: follow-up work that cannot be lost (issue 7, "Faults").

What a write must cause later (link detection after a flows import, the chain page's "detect now",
the subtasks of a fan-out) is written by `enqueue` into `core.OutboxMessage` in the SAME transaction
as the write: both commit or neither does. Nothing talks to the broker inside the request.

`dispatch` hands pending messages to Celery: it claims due messages (a short lease, `SKIP LOCKED` so
several dispatchers never send the same message at once), publishes each outside any transaction
and marks it sent; a message the broker refuses gets its attempt counted, its error kept and its next
attempt pushed back (exponential backoff, capped). Three things call it:

- right after the write commits, best-effort and non-blocking (`kick`: a short thread; inline when
  tasks run eagerly, as in development and tests);
- `manage.py outbox_dispatch --loop`, a small process of its own (the compose file's `outbox`
  service): it needs the database only, so it keeps retrying while the broker is down;
- the beat task `core.tasks.dispatch_outbox` every few seconds (a backstop where no loop runs; it
  reaches a worker only through the broker, so it cannot replace the loop).

Delivery is at least once: a message published just before its process died is published again after
its lease. Every task queued this way is idempotent (a re-run gives the same rows).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 2000


@dataclass(frozen=True)
class Message:
    """One piece of follow-up work: a Celery task by name, JSON arguments, an optional dedup key
    (the same key pending twice keeps one message) and an optional delay."""

    task: str
    args: tuple | list = ()
    kwargs: dict | None = None
    dedup_key: str = ""
    delay: timedelta | None = None


def enqueue(task: str, *, args: Iterable = (), kwargs: dict | None = None, dedup_key: str = "",
            delay: timedelta | None = None) -> int:
    """Record one task to run after the current transaction commits; returns 1 when written, 0 when
    the same dedup key is already pending. Call it inside the write's transaction."""
    return enqueue_many([Message(task, tuple(args), kwargs, dedup_key, delay)])


def enqueue_many(messages: Iterable[Message]) -> int:
    """Record many tasks in one statement (a fan-out); pending duplicates (same dedup key) are kept
    once. Returns how many were written. Registers the best-effort dispatch after commit."""
    now = timezone.now()
    rows = [
        OutboxMessage(task=m.task, args=list(m.args), kwargs=dict(m.kwargs or {}), dedup_key=m.dedup_key,
                      created_at=now, next_attempt_at=now + (m.delay or timedelta(0)))
        for m in messages
    ]
    if not rows:
        return 0
    before = _pending_count_hint(rows)
    OutboxMessage.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    kick_after_commit()
    return before


def _pending_count_hint(rows: list[OutboxMessage]) -> int:
    """How many of `rows` will be new: rows without a dedup key always, keyed ones unless pending."""
    keys = {r.dedup_key for r in rows if r.dedup_key}
    if not keys:
        return len(rows)
    taken = set(OutboxMessage.objects.filter(sent_at__isnull=True, dedup_key__in=keys)
                .values_list("dedup_key", flat=True))
    seen: set[str] = set()
    new = 0
    for r in rows:
        if not r.dedup_key:
            new += 1
        elif r.dedup_key not in taken and r.dedup_key not in seen:
            seen.add(r.dedup_key)
            new += 1
    return new


# --- dispatching ---------------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    claimed: int = 0

    @property
    def broker_down(self) -> bool:
        return self.failed > 0


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failures: 2, 4, 8 ... seconds, capped."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), settings.OUTBOX_RETRY_MAX_SECONDS))


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def publish(message: OutboxMessage) -> None:
    """Hand one message to Celery. With a broker: `send_task`, results ignored (nobody waits on them:
    the job's run record is its result), publish timeouts and retries from settings so a dead broker
    fails in about a second. Eagerly (development, tests): the task runs here."""
    from config.celery import app

    if _eager():
        app.tasks[message.task].apply_async(args=message.args, kwargs=message.kwargs)
    else:
        app.send_task(message.task, args=message.args, kwargs=message.kwargs, ignore_result=True)


def dispatch(*, limit: int | None = None) -> DispatchResult:
    """Send due pending messages, oldest first; stop at the first broker failure (the others wait for
    the next round, uncounted). Safe to run in several processes at once."""
    limit = limit or settings.OUTBOX_BATCH
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        claimed = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if claimed:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(next_attempt_at=lease)
    result = DispatchResult(claimed=len(claimed))
    eager = _eager()
    for i, message in enumerate(claimed):
        try:
            publish(message)
        except Exception as exc:
            if eager:
                # The task ran here and failed: it was handed over (its run record keeps the failure).
                _mark_sent(message, error=f"{type(exc).__name__}: {exc}")
                result.sent += 1
                continue
            attempts = message.attempts + 1
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS],
                next_attempt_at=timezone.now() + backoff(attempts),
            )
            rest = [m.pk for m in claimed[i + 1:]]
            if rest:  # release the lease of the others: not attempted, not counted
                OutboxMessage.objects.filter(pk__in=rest).update(next_attempt_at=now)
            result.failed += 1
            logger.warning("Outbox: the broker refused %s (attempt %d): %s", message.task, attempts, exc)
            break
        else:
            _mark_sent(message)
            result.sent += 1
    return result


def _mark_sent(message: OutboxMessage, error: str = "") -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=message.attempts + 1, last_error=error[:ERROR_MAX_CHARS],
    )


def dispatch_all(*, max_rounds: int = 100) -> DispatchResult:
    """Dispatch round after round until nothing due is left or the broker refuses."""
    total = DispatchResult()
    for _round in range(max_rounds):
        step = dispatch()
        total.sent += step.sent
        total.failed += step.failed
        total.claimed += step.claimed
        if step.failed or step.claimed < settings.OUTBOX_BATCH:
            break
    return total


# --- right after commit: best-effort, never blocking the request ----------------------------------------


def _kick_now() -> None:
    if _eager():
        dispatch_all()
        return
    thread = threading.Thread(target=_dispatch_in_thread, name="outbox-kick", daemon=True)
    thread.start()


def _dispatch_in_thread() -> None:
    try:
        dispatch_all(max_rounds=10)
    except Exception:  # best effort: the dispatcher loop and beat pick the messages up
        logger.exception("Outbox: dispatch after commit failed")
    finally:
        connections.close_all()  # this thread's connections only (they are per thread)


def kick_after_commit() -> None:
    """Dispatch once the current transaction commits (once per transaction, however many messages it
    queued). Outside a transaction: now. Errors never reach the caller."""
    if not settings.OUTBOX_KICK:
        return
    if connection.in_atomic_block:
        if any(getattr(func, "__name__", "") == "_kick_robust" for _sids, func, _robust in connection.run_on_commit):
            return
        transaction.on_commit(_kick_robust, robust=True)
    else:
        _kick_robust()


def _kick_robust() -> None:
    try:
        _kick_now()
    except Exception:
        logger.exception("Outbox: dispatch after commit failed")


# --- reading and pruning ---------------------------------------------------------------------------------


def backlog() -> dict:
    """The outbox's state for the health endpoint, in one query: pending messages, those that failed at
    least once (the broker refused them), and the age in seconds of the oldest pending one."""
    now = timezone.now()
    agg = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
        pending=Count("pk"), failing=Count("pk", filter=Q(attempts__gt=0)), oldest=Min("created_at"),
    )
    oldest = agg["oldest"]
    return {
        "pending": agg["pending"],
        "failing": agg["failing"],
        "oldest_age_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
    }


def prune(*, older_than: timedelta | None = None) -> int:
    """Delete messages sent longer ago than `older_than` (settings.OUTBOX_KEEP_DAYS); pending ones stay."""
    older_than = older_than or timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted
