"""The chain page in Chromium: the Sankey by chain tier with its table alternative, and the review queue's
select-all and bulk confirm through htmx (screenshots in both languages under /work/screens/chains/)."""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest

from chains.models import ChainLink, Flow, LinkStatus
from circles.models import CircleMember, CircleRole
from tests.factories import EnterpriseFactory

SCREENS = os.environ.get("SCREENS_DIR", "/work/screens/chains")


def build(group):
    core = group.core_enterprise
    today = date.today()
    ups = [EnterpriseFactory(name=n, is_client=i % 2 == 0) for i, n in enumerate(
        ["贵州钢材供应链管理有限公司", "遵义特种玻璃制造股份有限公司", "六盘水铝业集团有限责任公司"])]
    ore = EnterpriseFactory(name="黔西南矿业开发有限公司（一个特别长的名字用于检验标签截断）", is_client=False)
    downs = [EnterpriseFactory(name=n, is_client=False) for n in ["贵阳汽车销售服务有限公司", "安顺整车经销有限公司"]]
    fleet = EnterpriseFactory(name="黔东南公交集团有限公司", is_client=False)
    links = [ChainLink(group=group, supplier=s, buyer=core, tier=-1, goods="原材料") for s in ups]
    links += [ChainLink(group=group, supplier=ore, buyer=ups[0], tier=-2, goods="矿石")]
    links += [ChainLink(group=group, supplier=core, buyer=b, tier=1, goods="整车") for b in downs]
    links += [ChainLink(group=group, supplier=downs[0], buyer=fleet, tier=2, goods="客车")]
    ChainLink.objects.bulk_create(links)
    flows = []
    for i, link in enumerate(links):
        for m in range(3):
            flows.append(Flow(payer=link.buyer, payee=link.supplier, amount=Decimal(1_250_000 * (i + 1) + m),
                              value_date=today - timedelta(days=20 + 30 * m), kind="payment", channel="this_bank",
                              currency="CNY", source_system="screens", external_ref=f"S{i}-{m}"))
    Flow.objects.bulk_create(flows)
    partners = [EnterpriseFactory(name=f"待审核候选供应商{i:02d}有限公司", is_client=False) for i in range(25)]
    return ChainLink.objects.bulk_create(
        ChainLink(group=group, supplier=p, buyer=core, tier=-1, status=LinkStatus.DETECTED,
                  volume=Decimal(3_000_000 - 100_000 * i), payment_count=3 + i, months_active=2 + i % 5)
        for i, p in enumerate(partners))


@pytest.mark.browser
def test_chain_page_sankey_table_and_bulk_confirm(bank, login, live_server):
    group = bank.group_gy
    proposals = build(group)
    errors = []
    page = login("rm_gy1")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/chains/groups/{group.pk}/")
    page.wait_for_selector("[data-sankey] canvas")
    # The table alternative is in the page for screen readers, visually hidden.
    table = page.locator("#sankey-table")
    assert table.locator("tbody tr").count() == 7
    box = page.locator("#sankey-table-box")
    assert box.bounding_box()["width"] <= 1
    assert "万元" in page.locator("#detected-table thead").inner_text()
    page.wait_for_timeout(1500)  # the chart's entry animation
    page.screenshot(path=f"{SCREENS}/chain-zh.png", full_page=True)
    page.locator("#chain-sankey").screenshot(path=f"{SCREENS}/sankey-zh.png")
    page.locator("#detected-links").screenshot(path=f"{SCREENS}/queue-zh.png")
    assert errors == [], ("first view", errors)
    # Printing shows the table instead of the chart.
    page.emulate_media(media="print")
    assert box.bounding_box()["width"] > 100
    page.emulate_media(media="screen")

    # Select all on the page, confirm: 20 links confirmed, 5 left, the suppliers in the circle.
    page.check("input[data-select-all=link]")
    assert page.locator("input[name=link]:checked").count() == 20
    with page.expect_response(lambda r: r.url.endswith("/detected/bulk/")) as answer:
        page.click("#queue-form button[value=confirm]")
    assert answer.value.status == 200
    page.wait_for_selector("#detected-count:text('5')")
    # htmx's settle step copies the old attributes of elements with an id onto their new copies; Chromium
    # had given the declare form's goods input an empty style attribute, and copying it is reported as an
    # inline style (blocked, harmless). Known; anything else is an error.
    errors[:] = [e for e in errors if "Applying inline style" not in e]
    assert errors == [], ("after the swap", errors)
    assert ChainLink.objects.filter(group=group, status=LinkStatus.CONFIRMED).count() == 20
    top = sorted(proposals, key=lambda k: -k.volume)[:20]
    assert CircleMember.objects.filter(group=group, enterprise_id__in=[k.supplier_id for k in top],
                                       role=CircleRole.SUPPLIER).count() == 20
    page.wait_for_selector("[data-sankey] canvas")
    page.click("button[data-lang=en]")
    page.wait_for_selector("[data-sankey] canvas")
    assert "(CNY)" in page.locator("#chain-links thead").inner_text()
    page.wait_for_timeout(1500)
    page.screenshot(path=f"{SCREENS}/chain-en.png", full_page=True)
    page.locator("#chain-sankey").screenshot(path=f"{SCREENS}/sankey-en.png")
    page.locator("#detected-links").screenshot(path=f"{SCREENS}/queue-en.png")
    assert errors == [], errors


@pytest.mark.browser
def test_head_office_sets_the_thresholds_on_their_page(bank, login, live_server):
    from chains.models import DetectionSettings

    page = login("hq")
    page.goto(f"{live_server.url}/chains/detection-settings/")
    assert "万元" in page.locator("label[for=id_min_volume]").inner_text()
    page.fill("#id_min_volume", "50")  # 50 万元 on a Chinese page
    page.fill("#id_min_payments", "4")
    page.fill("#id_min_months", "3")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    row = DetectionSettings.current()
    assert (row.min_volume, row.min_payments, row.min_months) == (Decimal("500000"), 4, 3)
    assert page.locator("#threshold-history tbody tr").count() == 1
    page.screenshot(path=f"{SCREENS}/settings-zh.png", full_page=True)
