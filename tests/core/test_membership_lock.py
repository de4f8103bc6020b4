"""An edit in the web and the nightly refresh may rewrite one group's membership at the same moment.
Without a lock the second writer's DELETE misses the first's new rows and its INSERT fails on the
unique constraint (the membership refresh "run twice at once"); with it, the second waits."""

import threading

import pytest
from django.db import connection

from clients.hooks import membership_rebuilt
from clients.models import GroupClient, GroupMembership
from clients.services import group_membership_refresh

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_refreshes_of_one_group_at_once_both_succeed(bank):
    group_pk = bank.group_gy.pk
    first_wrote, go_on = threading.Event(), threading.Event()
    errors = []

    def hold(*, group_ids, **kwargs):
        if threading.current_thread().name == "first":
            first_wrote.set()
            go_on.wait(timeout=10)

    def run():
        try:
            group_membership_refresh(groups=[GroupClient.objects.get(pk=group_pk)])
        except Exception as exc:  # noqa: BLE001 - the test reports what the thread met
            errors.append(exc)
        finally:
            connection.close()

    membership_rebuilt.connect(hold)
    try:
        first = threading.Thread(target=run, name="first")
        first.start()
        assert first_wrote.wait(timeout=10)
        second = threading.Thread(target=run, name="second")
        second.start()
        second.join(timeout=1)  # it waits for the first's transaction ...
        assert second.is_alive()
        go_on.set()  # ... which now commits
        first.join(timeout=10)
        second.join(timeout=10)
    finally:
        membership_rebuilt._receivers.remove(hold)
    assert errors == []
    assert GroupMembership.objects.filter(group_id=group_pk).count() == 3
