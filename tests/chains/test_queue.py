"""The review queue: ranked by detected volume, paginated, bulk confirm and dismiss on the page and the
API (all or none, reach and role checked), and confirmed partners joining the circle in their role."""

from decimal import Decimal

import pytest
from django.urls import reverse

from chains.models import ChainLink, LinkStatus
from chains.services import BULK_MAX, chain_link_confirm, chain_links_confirm_many, chain_links_detect
from circles.models import CircleMember, CircleRole, CircleSource
from tests.chains.conftest import END, START
from tests.factories import EnterpriseFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}
API = "/api/v1/chain-links/"


def proposals(group, n, *, tier=-1, volume=lambda i: Decimal(1000 * (i + 1))):
    """`n` detected links around the group's core, volumes growing with i."""
    core = group.core_enterprise
    partners = [EnterpriseFactory(name=f"候选伙伴{group.pk}-{i:03d}", is_client=False) for i in range(n)]
    return ChainLink.objects.bulk_create(
        ChainLink(group=group, supplier=p if tier < 0 else core, buyer=core if tier < 0 else p, tier=tier,
                  status=LinkStatus.DETECTED, volume=volume(i), payment_count=3 + i, months_active=2)
        for i, p in enumerate(partners)
    )


def queue_ids(response):
    return [link.pk for link in response.context["overview"].queue]


def bulk(client, group, action, ids, **extra):
    return client.post(reverse("chains:detected_bulk", args=[group.pk]),
                       {**PERIOD, "action": action, "link": ids}, **extra)


# --- ranking and pagination ---------------------------------------------------------------------------------


def test_queue_ranks_by_volume_and_pages_by_twenty(chain, bank, client_as):
    links = proposals(chain.group, 45)
    by_volume = [link.pk for link in sorted(links, key=lambda k: -k.volume)]
    client = client_as(bank.rm_gy1)
    first = client.get(reverse("chains:group_chain", args=[chain.group.pk]), PERIOD)
    assert queue_ids(first) == by_volume[:20]
    assert first.context["overview"].detected_count == 45
    html = first.content.decode()
    assert "45,000" in html and "候选伙伴" in html and links[-1].supplier.uscc in html
    assert "Page 1 of 3" in html
    third = client.get(reverse("chains:detected_queue", args=[chain.group.pk]), {**PERIOD, "page": "3"}, **HTMX)
    assert third.status_code == 200
    body = third.content.decode()
    assert queue_ids(third) == by_volume[40:] and "<html" not in body and body.count('id="detected-links"') == 1
    # Beyond the last page: the last page; nonsense: the first.
    assert queue_ids(client.get(reverse("chains:detected_queue", args=[chain.group.pk]), {"page": "99"}, **HTMX)) == \
        by_volume[40:]
    assert queue_ids(client.get(reverse("chains:group_chain", args=[chain.group.pk]), {"page": "x<b>"})) == \
        by_volume[:20]


# --- bulk on the page --------------------------------------------------------------------------------------


def test_bulk_confirm_on_the_page_joins_the_partners_to_the_circle_in_their_role(chain, bank, client_as):
    up = proposals(chain.group, 2, tier=-1)
    down = proposals(chain.group, 1, tier=1)
    far = ChainLink.objects.create(group=chain.group, supplier=chain.b1, buyer=EnterpriseFactory(name="终端客户"),
                                   tier=2, status=LinkStatus.DETECTED, volume=Decimal("5"))
    ids = [up[0].pk, up[1].pk, down[0].pk, far.pk]
    response = bulk(client_as(bank.rm_gy1), chain.group, "confirm", ids, **HTMX)
    assert response.status_code == 200
    assert "4 links confirmed." in response.content.decode()
    assert set(ChainLink.objects.filter(pk__in=ids).values_list("status", flat=True)) == {LinkStatus.CONFIRMED}
    for link in ChainLink.objects.filter(pk__in=ids):
        latest = link.history.first()
        assert (latest.history_type, latest.status, latest.history_user_id) == ("~", "confirmed", bank.rm_gy1.pk)
    roles = {m.enterprise_id: (m.role, m.tier, m.source)
             for m in CircleMember.objects.filter(group=chain.group, source=CircleSource.DETECTED)}
    assert roles[up[0].supplier_id] == (CircleRole.SUPPLIER, 1, CircleSource.DETECTED)
    assert roles[down[0].buyer_id] == (CircleRole.DISTRIBUTOR, 1, CircleSource.DETECTED)
    assert roles[far.buyer_id] == (CircleRole.CUSTOMER, 2, CircleSource.DETECTED)
    assert roles[chain.b1.pk] == (CircleRole.DISTRIBUTOR, 1, CircleSource.DETECTED)  # the +2 link's supplier
    member = CircleMember.objects.get(group=chain.group, enterprise_id=up[0].supplier_id)
    assert member.history.get().history_user_id == bank.rm_gy1.pk


def test_joining_the_circle_is_idempotent(chain, bank):
    """S2 is already a circle supplier; a confirmed link naming it adds no second row, nor does the core."""
    link = ChainLink.objects.create(group=chain.group, supplier=chain.s2, buyer=chain.core, tier=-1,
                                    status=LinkStatus.DETECTED)
    before = CircleMember.objects.filter(group=chain.group).count()
    chain_link_confirm(user=bank.rm_gy1, link=link)
    assert CircleMember.objects.filter(group=chain.group).count() == before
    assert CircleMember.objects.filter(group=chain.group, enterprise=chain.core).count() == 0


def test_single_confirm_joins_the_circle_too(chain, bank):
    chain_links_detect(group=chain.group, start=START, end=END)
    link = ChainLink.objects.get(group=chain.group, supplier=chain.x, buyer=chain.m2)
    chain_link_confirm(user=bank.rm_gy1, link=link)
    assert CircleMember.objects.get(group=chain.group, enterprise=chain.x).role == CircleRole.SUPPLIER


def test_bulk_dismiss_on_the_page_and_detection_never_revives_them(chain, bank, client_as):
    chain_links_detect(group=chain.group, start=START, end=END)
    ids = list(ChainLink.objects.filter(group=chain.group, status=LinkStatus.DETECTED).values_list("pk", flat=True))
    assert len(ids) == 3
    response = bulk(client_as(bank.rm_gy1), chain.group, "dismiss", ids)
    assert response.status_code == 302
    chain_links_detect(group=chain.group, start=START, end=END)
    assert set(ChainLink.objects.filter(pk__in=ids).values_list("status", flat=True)) == {LinkStatus.DISMISSED}
    assert not ChainLink.objects.filter(group=chain.group, status=LinkStatus.DETECTED).exists()
    assert not CircleMember.objects.filter(group=chain.group, source=CircleSource.DETECTED).exists()


@pytest.mark.parametrize("ids", [
    ["abc"], ["1.5"], ["-3"], ["<script>"], [""], [], ["9" * 40], ["１２"],
    [str(i) for i in range(1, BULK_MAX + 2)],
])
def test_bad_ids_on_the_page_are_refused_and_change_nothing(chain, bank, client_as, ids):
    mine = proposals(chain.group, 1)[0]
    response = bulk(client_as(bank.rm_gy1), chain.group, "confirm", [mine.pk, *ids] if ids else [], **HTMX)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == LinkStatus.DETECTED


def test_thousands_of_ids_on_the_page_are_a_clear_400(chain, bank, client_as):
    mine = proposals(chain.group, 1)[0]
    response = bulk(client_as(bank.rm_gy1), chain.group, "confirm", [str(i) for i in range(5000)])
    assert response.status_code == 400
    assert ChainLink.objects.get(pk=mine.pk).status == LinkStatus.DETECTED


def test_a_link_of_another_branch_s_group_refuses_the_whole_request(chain, bank, client_as):
    mine = proposals(chain.group, 1)[0]
    theirs = proposals(bank.group_zy, 1)[0]
    response = bulk(client_as(bank.rm_gy1), chain.group, "confirm", [mine.pk, theirs.pk], **HTMX)
    assert f"No such link in your chains: {theirs.pk}." in response.content.decode()
    assert ChainLink.objects.get(pk=mine.pk).status == LinkStatus.DETECTED
    assert ChainLink.objects.get(pk=theirs.pk).status == LinkStatus.DETECTED
    # Another of rm_gy1's groups' links, posted on this group's page: refused too.
    assert bank.rm_zy1 and client_as(bank.rm_zy1).post(
        reverse("chains:detected_bulk", args=[chain.group.pk]), {"action": "confirm", "link": [mine.pk]}
    ).status_code == 404


def test_roles_that_may_not_act_get_403_and_an_unknown_action_is_refused(chain, bank, client_as):
    mine = proposals(chain.group, 1)[0]
    assert bulk(client_as(bank.risk_gy), chain.group, "confirm", [mine.pk]).status_code == 403
    response = bulk(client_as(bank.rm_gy1), chain.group, "<b>merge</b>", [mine.pk], **HTMX)
    assert "Choose confirm or dismiss." in response.content.decode()
    assert ChainLink.objects.get(pk=mine.pk).status == LinkStatus.DETECTED


def test_already_reviewed_links_refuse_the_whole_request(chain, bank):
    a, b = proposals(chain.group, 2)
    chain_links_confirm_many(user=bank.rm_gy1, ids=[a.pk])
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        chain_links_confirm_many(user=bank.rm_gy1, ids=[a.pk, b.pk])
    assert "no longer awaiting review" in str(refused.value)
    assert ChainLink.objects.get(pk=b.pk).status == LinkStatus.DETECTED


# --- the API ------------------------------------------------------------------------------------------------


def test_api_lists_the_queue_by_volume(chain, bank, api_as):
    links = proposals(chain.group, 5)
    response = api_as(bank.rm_gy1).get(API, {"group": chain.group.pk, "status": "detected", "ordering": "-volume"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [link.pk for link in sorted(links, key=lambda k: -k.volume)]
    assert (rows[0]["volume"], rows[0]["payment_count"], rows[0]["months_active"]) == ("5000.00", 7, 2)
    bad = api_as(bank.rm_gy1).get(API, {"ordering": "goods; drop table"})
    assert bad.status_code == 400 and "ordering" in bad.json()


def test_api_bulk_confirm_and_dismiss(chain, bank, api_as):
    a, b, c = proposals(chain.group, 3)
    api = api_as(bank.rm_gy1)
    confirmed = api.post(f"{API}bulk-confirm/", {"ids": [a.pk, b.pk]}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["count"] == 2 and {r["status"] for r in confirmed.json()["links"]} == {"confirmed"}
    assert CircleMember.objects.filter(group=chain.group, enterprise_id__in=[a.supplier_id, b.supplier_id],
                                       role=CircleRole.SUPPLIER).count() == 2
    dismissed = api.post(f"{API}bulk-dismiss/", {"ids": [c.pk]}, format="json")
    assert dismissed.status_code == 200 and dismissed.json()["links"][0]["status"] == "dismissed"


@pytest.mark.parametrize("body", [
    {"ids": ["abc"]}, {"ids": [1.5]}, {"ids": [-1]}, {"ids": []}, {"ids": "1,2"}, {"ids": [True]},
    {"ids": list(range(1, BULK_MAX + 2))}, {}, {"ids": [2**70]},
])
def test_api_bulk_refuses_bad_bodies(chain, bank, api_as, body):
    mine = proposals(chain.group, 1)[0]
    response = api_as(bank.rm_gy1).post(f"{API}bulk-confirm/", body, format="json")
    assert response.status_code == 400 and "ids" in response.json()
    assert isinstance(response.json()["ids"], list) and all(isinstance(m, str) for m in response.json()["ids"])
    assert ChainLink.objects.get(pk=mine.pk).status == LinkStatus.DETECTED


def test_api_bulk_out_of_reach_or_wrong_role(chain, bank, api_as):
    mine = proposals(chain.group, 1)[0]
    theirs = proposals(bank.group_zy, 1)[0]
    response = api_as(bank.rm_gy1).post(f"{API}bulk-confirm/", {"ids": [mine.pk, theirs.pk]}, format="json")
    assert response.status_code == 400 and str(theirs.pk) in response.json()["ids"][0]
    assert ChainLink.objects.get(pk=mine.pk).status == LinkStatus.DETECTED
    assert api_as(bank.risk_gy).post(f"{API}bulk-dismiss/", {"ids": [mine.pk]}, format="json").status_code == 403
    assert api_as(bank.rm_zy1).post(f"{API}bulk-dismiss/", {"ids": [mine.pk]}, format="json").status_code == 400
    assert ChainLink.objects.get(pk=mine.pk).status == LinkStatus.DETECTED
