"""The chain page of a group with 10,000 links awaiting review, as a ratio against the floor (the login
page) measured in the same run, with its query count and size (the chain engineer's section of the page
benchmarks; `bench/pages.py` measures the other pages).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_scale .venv/bin/python -m bench.chain_queue

The database holds a `seed_demo` data set. The run adds 10,000 detected links (and their prospects) to
the busiest group in one transaction, measures, and rolls everything back: the data set is unchanged.
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from bench.pages import measure  # noqa: E402  (one timing rule for every page benchmark)

PROPOSALS = 10_000


class Rollback(Exception):
    pass


def add_proposals(group, n):
    from decimal import Decimal

    from chains.models import ChainLink, LinkStatus
    from clients.models import Enterprise
    from tests.factories import uscc_for

    base = 990_000_000
    partners = Enterprise.objects.bulk_create(
        (Enterprise(name=f"基准候选{i}", uscc=uscc_for(base + i), is_client=False) for i in range(n)), batch_size=5000)
    ChainLink.objects.bulk_create(
        (ChainLink(group=group, supplier=p, buyer=group.core_enterprise, tier=-1, status=LinkStatus.DETECTED,
                   volume=Decimal(100_000 + (i * 7919) % 1_000_000), payment_count=3 + i % 20, months_active=2)
         for i, p in enumerate(partners)), batch_size=5000)


def chain_queue_rows(repeat: int) -> list[tuple[str, float, int, int]]:
    """(label, median seconds, queries, bytes) of the chain page of a busy group, as seeded and with
    10,000 more links awaiting review (added and rolled back). Also called by bench.pages."""
    settings.ALLOWED_HOSTS = ["*"]
    from chains.models import ChainLink, Flow, LinkStatus
    from clients.models import GroupClient

    payer = Flow.objects.values("payer_id").annotate(n=Count("id")).order_by("-n").values_list("payer_id", flat=True)
    group = GroupClient.objects.filter(core_enterprise_id__in=payer[:50]).first() or GroupClient.objects.first()
    hq = get_user_model().objects.get(username="hq")
    client = Client()
    client.force_login(hq)
    url = f"/chains/groups/{group.pk}/"
    rows = [(f"chain page (group {group.pk}), queue as seeded", *measure(client, url, repeat))]
    try:
        with transaction.atomic():
            add_proposals(group, PROPOSALS)
            queued = ChainLink.objects.filter(group=group, status=LinkStatus.DETECTED).count()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE chains_chainlink")
            rows.append((f"chain page, {queued:,} awaiting review", *measure(client, url, repeat)))
            rows.append((f"chain page at queue page 250 of {queued:,}",
                         *measure(client, f"/chains/groups/{group.pk}/detected/?page=250", repeat)))
            raise Rollback
    except Rollback:
        pass
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    floor, floor_q, floor_bytes = measure(Client(), "/login/", args.repeat)
    rows = [("login page (floor)", floor, floor_q, floor_bytes), *chain_queue_rows(args.repeat)]
    print(f"repeats: {args.repeat}")
    print(f"{'page':42} {'median ms':>10} {'x floor':>8} {'queries':>8} {'KB':>7}")
    for label, median, n_queries, size in rows:
        print(f"{label:42} {median * 1000:10.1f} {median / floor:8.1f} {n_queries:8d} {size / 1024:7.1f}")


if __name__ == "__main__":
    main()
