"""The chain page and the chain-links endpoint run a fixed number of queries, whatever the data.

Same counts for 4 links / 20 flows and 40 links / 4,000 flows (built with bulk_create)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chains.models import ChainLink, Flow, LinkStatus
from clients.models import Enterprise
from tests.factories import uscc_for

# session, user, staff profile (scope), group, link metrics, concentration, the review queue (count and one
# page), last detection run (core.JobRun), the detection thresholds, and base.html's user.profile in the top bar
CHAIN_PAGE_QUERIES = 11
# token, staff profile (scope), count, page of links
API_LIST_QUERIES = 4


def build(group, *, links: int, flows: int, offset: int):
    """`links` suppliers/buyers around the group's core, half detected, `flows` payments and invoices
    spread over them across the current and previous periods."""
    core = group.core_enterprise
    parties = Enterprise.objects.bulk_create(
        Enterprise(name=f"对手方{offset + i}", uscc=uscc_for(700000 + offset + i)) for i in range(links)
    )
    rows = []
    for i, party in enumerate(parties):
        upstream = i % 2 == 0
        rows.append(ChainLink(
            group=group, supplier=party if upstream else core, buyer=core if upstream else party,
            tier=-1 if upstream else 1, goods=f"g{i}",
            status=LinkStatus.DETECTED if i % 4 == 3 else LinkStatus.DECLARED,
        ))
    ChainLink.objects.bulk_create(rows)
    start = date(2025, 10, 1)
    Flow.objects.bulk_create(
        Flow(
            payer=rows[i % links].buyer, payee=rows[i % links].supplier, amount=Decimal(1000 + i),
            value_date=start + timedelta(days=i % 180), kind="invoice" if i % 3 == 0 else "payment",
            channel="other_bank" if i % 5 == 0 else "this_bank", source_system="qc", external_ref=f"{offset}-{i}",
        )
        for i in range(flows)
    )


def page_queries(client, group) -> int:
    url = reverse("chains:group_chain", args=[group.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"start": "2026-01-01", "end": "2026-03-31"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("links", "flows"), [(4, 20), (40, 4000)])
def test_chain_page_query_count_is_pinned(bank, client_as, django_assert_num_queries, links, flows):
    build(bank.group_gy, links=links, flows=flows, offset=0)
    client = client_as(bank.rm_gy1)
    client.get(reverse("chains:group_chain", args=[bank.group_gy.pk]))  # warm caches (content types etc.)
    with django_assert_num_queries(CHAIN_PAGE_QUERIES):
        response = client.get(reverse("chains:group_chain", args=[bank.group_gy.pk]),
                              {"start": "2026-01-01", "end": "2026-03-31"})
    assert len(response.context["overview"].links) + response.context["overview"].detected_count == links


def test_chain_page_query_count_does_not_grow_with_links_and_flows(bank, client_as):
    build(bank.group_gy, links=4, flows=20, offset=0)  # one link awaiting review (an empty queue runs no page query)
    build(bank.group_zy, links=40, flows=4000, offset=1000)
    page_queries(client_as(bank.hq), bank.group_gy)  # warm-up
    small = page_queries(client_as(bank.hq), bank.group_gy)
    large = page_queries(client_as(bank.hq), bank.group_zy)
    assert small == large


def test_htmx_fragment_runs_the_same_queries_less_the_top_bar(bank, client_as, django_assert_num_queries):
    build(bank.group_gy, links=40, flows=400, offset=0)
    client = client_as(bank.rm_gy1)
    url = reverse("chains:group_chain", args=[bank.group_gy.pk])
    client.get(url)
    with django_assert_num_queries(CHAIN_PAGE_QUERIES - 1):
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content


@pytest.mark.parametrize("links", [3, 40])
def test_chain_links_api_list_query_count_is_pinned(bank, api_as, django_assert_num_queries, links):
    build(bank.group_gy, links=links, flows=10, offset=0)
    api = api_as(bank.rm_gy1)
    with django_assert_num_queries(API_LIST_QUERIES):
        response = api.get("/api/v1/chain-links/", {"group": bank.group_gy.pk})
    assert response.json()["count"] == links


def test_the_queue_pages_through_htmx_in_a_fixed_number_of_queries(bank, client_as, django_assert_num_queries):
    """session, user, staff profile, group, the queue's count and page, the thresholds."""
    build(bank.group_gy, links=400, flows=100, offset=0)
    client = client_as(bank.rm_gy1)
    url = reverse("chains:detected_queue", args=[bank.group_gy.pk])
    client.get(url, HTTP_HX_REQUEST="true")
    with django_assert_num_queries(7):
        response = client.get(url, {"page": "3"}, HTTP_HX_REQUEST="true")
    assert response.context["overview"].queue.number == 3 and b'id="detected-links"' in response.content
    assert b"sankey-data" not in response.content
