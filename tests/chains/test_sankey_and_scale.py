"""The Sankey data builder on hand-made rows (tiers -> columns), and the chain page bounded in queries
and size with 10,000 links awaiting review."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chains.models import ChainLink, LinkStatus
from chains.selectors import LinkRow, sankey_data
from clients.models import Enterprise
from tests.factories import uscc_for


class G:
    name = "测试集团"


def row(link_id, tier, supplier, buyer, volume, *, supplier_member=False, buyer_member=False):
    return LinkRow(link_id, tier, "", "declared", supplier[0], supplier[1], "", True, supplier_member,
                   buyer[0], buyer[1], "", True, buyer_member, Decimal(volume), 1, Decimal(0), None, None, None)


CORE = (1, "核心")
S1, S2, S3, B1, B2 = (10, "一级供应商"), (11, "另一个一级供应商"), (20, "二级供应商"), (30, "一级经销商"), (40, "终端客户")


def test_columns_follow_the_chain_tiers():
    data = sankey_data(group=G(), links=[
        row(1, -2, S3, S1, "50000"),
        row(2, -1, S1, CORE, "500000", buyer_member=True),
        row(3, -1, S2, (2, "成员"), "200000", buyer_member=True),
        row(4, 1, CORE, B1, "800000", supplier_member=True),
        row(5, 2, B1, B2, "300000"),
    ])
    nodes = {n["name"]: n for n in data["nodes"]}
    assert {k: (n["tier"], n["depth"]) for k, n in nodes.items()} == {
        "-2:20": (-2, 0), "-1:10": (-1, 1), "-1:11": (-1, 1), "core": (0, 2), "1:30": (1, 3), "2:40": (2, 4)}
    assert nodes["core"]["label"] == "测试集团" and nodes["-2:20"]["label"] == "二级供应商"
    edges = {(e["source"], e["target"]): e["value"] for e in data["links"]}
    assert edges == {("-2:20", "-1:10"): 50000.0, ("-1:10", "core"): 500000.0, ("-1:11", "core"): 200000.0,
                     ("core", "1:30"): 800000.0, ("1:30", "2:40"): 300000.0}
    assert [c["tier"] for c in data["columns"]] == [-2, -1, 0, 1, 2]
    # The table alternative carries the same flows.
    assert {(r.source, r.target, r.amount) for r in data["rows"]} == {
        ("二级供应商", "一级供应商", Decimal("50000")), ("一级供应商", "测试集团", Decimal("500000")),
        ("另一个一级供应商", "测试集团", Decimal("200000")), ("测试集团", "一级经销商", Decimal("800000")),
        ("一级经销商", "终端客户", Decimal("300000"))}


def test_missing_columns_close_up_and_money_is_in_the_page_unit():
    from django.utils import translation

    data = sankey_data(group=G(), links=[row(1, 1, CORE, B1, "1250000", supplier_member=True)])
    assert [(n["name"], n["depth"]) for n in data["nodes"]] == [("core", 0), ("1:30", 1)]
    assert data["links"][0]["text"] == "1,250,000"
    with translation.override("zh-hans"):
        data = sankey_data(group=G(), links=[row(1, 1, CORE, B1, "1250000", supplier_member=True)])
        assert data["links"][0]["text"] == "125.00" and data["links"][0]["exact"] == "1,250,000.00 元"


def test_inconsistent_or_empty_links_are_not_drawn():
    data = sankey_data(group=G(), links=[
        row(1, 0, CORE, (2, "成员"), "100", supplier_member=True, buyer_member=True),  # inside the group
        row(2, -1, S1, CORE, "0", buyer_member=True),  # no payments
    ])
    assert data["links"] == [] and data["rows"] == []


def test_each_column_keeps_its_busiest_enterprises_and_folds_the_rest():
    links = [row(i, -1, (100 + i, f"供应商{i:02d}"), CORE, str(1000 * (i + 1)), buyer_member=True) for i in range(30)]
    data = sankey_data(group=G(), links=links, top=12)
    upstream = [n for n in data["nodes"] if n["tier"] == -1]
    assert len(upstream) == 13
    others = next(n for n in upstream if n["name"] == "-1:others")
    assert others["label"] == "18 others"
    edges = {(e["source"], e["target"]): e["value"] for e in data["links"]}
    assert edges[("-1:others", "core")] == float(sum(1000 * (i + 1) for i in range(18)))
    assert ("-1:129", "core") in edges  # the largest stays itself


# --- 10,000 proposals ------------------------------------------------------------------------------------------

QUEUE_PAGE_MAX_BYTES = 80_000  # 20 rows of the queue: about 47 KB


def page(client, group):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("chains:group_chain", args=[group.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.content), response


def add_proposals(group, n, offset):
    core = group.core_enterprise
    partners = Enterprise.objects.bulk_create(
        Enterprise(name=f"海量候选{offset + i}", uscc=uscc_for(600000 + offset + i), is_client=False) for i in range(n))
    ChainLink.objects.bulk_create(
        (ChainLink(group=group, supplier=p, buyer=core, tier=-1, status=LinkStatus.DETECTED,
                   volume=Decimal(100000 + (i * 7919) % 100000), payment_count=3, months_active=2)
         for i, p in enumerate(partners)), batch_size=5000)


@pytest.mark.django_db
def test_ten_thousand_proposals_cost_the_same_queries_and_a_bounded_page(bank, client_as):
    client = client_as(bank.rm_gy1)
    add_proposals(bank.group_gy, 1, 0)
    page(client, bank.group_gy)  # warm-up
    small_queries, small_bytes, _ = page(client, bank.group_gy)
    add_proposals(bank.group_gy, 9_999, 1)
    large_queries, large_bytes, response = page(client, bank.group_gy)
    assert large_queries == small_queries == 11
    assert large_bytes < QUEUE_PAGE_MAX_BYTES, large_bytes
    print(f"chain page: {large_queries} queries, {large_bytes} bytes with 10,000 proposals ({small_bytes} with 1)")
    overview = response.context["overview"]
    assert overview.detected_count == 10_000 and len(overview.queue.object_list) == 20
    volumes = [link.volume for link in overview.queue]
    from django.db.models import Max

    top = ChainLink.objects.filter(group=bank.group_gy, status=LinkStatus.DETECTED).aggregate(m=Max("volume"))["m"]
    assert volumes == sorted(volumes, reverse=True) and volumes[0] == top
    assert "10,000" in response.content.decode()
