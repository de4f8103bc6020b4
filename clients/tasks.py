"""Background jobs of the clients app. Tasks are thin: they take ids and call a service."""

from celery import shared_task

from clients.models import GroupClient
from clients.services import group_membership_refresh
from core.jobs import record_run


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3,
             time_limit=60 * 30, soft_time_limit=60 * 25)
def refresh_group_memberships(group_ids: list[int] | None = None) -> dict:
    """Re-derive group membership from the control links (all groups when no ids). Idempotent."""
    with record_run("refresh_group_memberships") as counts:
        groups = None if group_ids is None else GroupClient.objects.filter(pk__in=group_ids)
        counts["memberships"] = group_membership_refresh(groups=groups)
        counts["groups"] = GroupClient.objects.count() if group_ids is None else len(group_ids)
    return counts
