"""Celery tasks of the chain: thin wrappers that take ids and call services."""

from celery import shared_task

from chains.services import chain_links_detect
from clients.models import GroupClient


@shared_task(acks_late=True, time_limit=15 * 60, soft_time_limit=14 * 60, max_retries=3,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def detect_chain_links(group_id: int) -> int:
    """Propose undeclared links for one group; returns how many were proposed (0 if the group is gone)."""
    group = GroupClient.objects.filter(pk=group_id).first()
    if group is None:
        return 0
    return chain_links_detect(group=group)


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def detect_all_chain_links() -> int:
    """Queue detection for every group, one task per group (so workers share the work and each stays
    small); returns how many were queued."""
    group_ids = list(GroupClient.objects.order_by("pk").values_list("pk", flat=True))  # ints: small even at 10^4
    for group_id in group_ids:
        detect_chain_links.delay(group_id)
    return len(group_ids)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=29 * 60, max_retries=3,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def detect_chain_links_for_groups(group_ids: list[int]) -> int:
    """Propose undeclared links for the given groups (after a flows import); returns how many."""
    return sum(chain_links_detect(group=group) for group in GroupClient.objects.filter(pk__in=group_ids))
