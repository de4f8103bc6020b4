"""The control tree and the circle graph read well in Chromium, in both languages, on big examples:
the charts draw, no two shown labels overlap (measured on ECharts' own label rectangles), no tree label
covers a node, every label stays inside its chart, the tree opens every level, nothing logs an error,
and on paper the text alternatives replace the charts. Screenshots go to /work/screens/charts/."""

from __future__ import annotations

import itertools
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chains.models import Flow
from circles.models import CircleMember, CircleRole, Guarantee
from clients.models import ControlLink, Enterprise
from clients.services import group_membership_refresh
from tests.circles.conftest import payment
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, uscc_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(os.environ.get("CHART_SCREENS", "/work/screens/charts"))

PLACES = ["贵州", "遵义", "六盘水", "安顺", "铜仁", "毕节", "黔南布依族苗族自治州", "黔东南苗族侗族自治州", "成都", "重庆"]
TRADES = ["新材料科技有限责任公司", "商贸有限公司", "现代物流股份有限公司", "汽车零部件制造有限公司", "电子科技有限公司",
          "建材有限公司", "精细化工有限公司", "食品有限公司"]
_codes = itertools.count(77_000_000)


def enterprises(n: int, prefix: str, *, branch=None, clients_every: int = 2) -> list[Enterprise]:
    return Enterprise.objects.bulk_create([
        Enterprise(name=f"{PLACES[i % len(PLACES)]}{prefix}{i:02d}{TRADES[i % len(TRADES)]}", uscc=uscc_for(next(_codes)),
                   branch=branch, is_client=i % clients_every == 0, industry="C36", region="52")
        for i in range(n)
    ])


@pytest.fixture
def big(bank):
    """group_gy with a control tree five levels deep under a person (40 members, long names, a
    cross-holding) and a circle of 150 members over every role, with flows and guarantees."""
    group = bank.group_gy
    core = group.core_enterprise
    person = PersonFactory(name="欧阳实际控制人")
    links = [ControlLink(parent_person=person, child=core, share_pct=Decimal("67.5"), control_type="actual")]
    level = [core]
    made = enterprises(40, "控股", branch=bank.gy1)
    sizes = [5, 10, 12, 13]  # members per level below the core
    start = 0
    for size in sizes:
        row = made[start:start + size]
        for i, child in enumerate(row):
            parent = level[i % len(level)]
            links.append(ControlLink(parent_enterprise=parent, child=child, share_pct=Decimal("51") + i % 40 + Decimal("0.125")))
        level, start = row, start + size
    links.append(ControlLink(parent_enterprise=made[6], child=made[1], share_pct=Decimal("8")))  # cross-holding
    ControlLink.objects.bulk_create(links)
    group_membership_refresh(groups=[group])

    roles = [role for role, _label in CircleRole.choices]
    circle = enterprises(150, "圈", clients_every=3)
    CircleMember.objects.bulk_create([CircleMember(group=group, enterprise=e, role=roles[i % len(roles)])
                                      for i, e in enumerate(circle)])
    Flow.objects.bulk_create([payment(e, core, f"{(i * 7919) % 90_000 + 100}.00") for i, e in enumerate(circle[::3])])
    for i in range(3):
        Guarantee.objects.create(guarantor=circle[i * 11], borrower=core, amount=Decimal(2_000_000 * (i + 1)),
                                 start_date="2026-01-01", end_date="2027-01-01")
    return group


# The rectangles of the labels ECharts shows (after hideOverlap) and of the node symbols, in CSS pixels
# relative to the chart's element.
RECTS = """
(selector) => {
  const el = document.querySelector(selector);
  const chart = window.echarts.getInstanceByDom(el);
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const labels = [], symbols = [];
  const box = (g) => {
    const r = g.getBoundingRect().clone();
    const m = g.getComputedTransform();
    if (m) r.applyTransform(m);
    return {x: r.x, y: r.y, w: r.width, h: r.height};
  };
  for (let i = 0; i < data.count(); i++) {
    const g = data.getItemGraphicEl(i);
    if (!g || g.ignore || g.invisible) continue;
    symbols.push({name: data.getName(i), ...box(g)});
    const path = g.childAt ? g.childAt(0) : g;  // a Symbol group keeps its label on its symbol path
    const label = (g.getTextContent && g.getTextContent()) || (path && path.getTextContent && path.getTextContent());
    if (!label || label.ignore || label.invisible || (label.style && label.style.opacity === 0)) continue;
    labels.push({name: data.getName(i), ...box(label)});
  }
  return {labels, symbols, width: el.clientWidth, height: el.clientHeight};
}
"""


def overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (a["x"] + slack < b["x"] + b["w"] and b["x"] + slack < a["x"] + a["w"]
            and a["y"] + slack < b["y"] + b["h"] and b["y"] + slack < a["y"] + a["h"])


def assert_labels_read(page, selector: str, *, against_symbols: bool, minimum: int):
    page.wait_for_timeout(400)
    found = page.evaluate(RECTS, selector)
    labels = found["labels"]
    assert len(labels) >= minimum, f"only {len(labels)} labels shown"
    clashes = [(a["name"], b["name"]) for a, b in itertools.combinations(labels, 2) if overlap(a, b)]
    assert clashes == [], f"labels overlap: {clashes[:5]}"
    for label in labels:  # inside the chart: nothing clipped
        assert label["x"] >= -1 and label["y"] >= -1, label
        assert label["x"] + label["w"] <= found["width"] + 1 and label["y"] + label["h"] <= found["height"] + 1, label
    if against_symbols:
        covered = [(lab["name"], sym["name"]) for lab in labels for sym in found["symbols"]
                   if lab["name"] != sym["name"] and overlap(lab, sym)]
        assert covered == [], f"labels cover nodes: {covered[:5]}"
    return found


def sign_in(page, live_server, language: str):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "rm_gy1")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if language == "en":
        page.click("button[data-lang=en]")
        expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_control_tree_and_circle_graph_read_well(big, page, live_server, language):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    SCREENS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, language)

    # The 360 page: the first view opens as many levels as fit, the actual controller marked.
    page.goto(f"{live_server.url}/clients/groups/{big.pk}/")
    expect(page.locator("#control-tree-chart canvas")).to_have_count(1)
    expect(page.locator("#actual-controller")).to_contain_text("欧阳实际控制人")
    page.wait_for_timeout(300)
    page.locator("#control-tree").screenshot(path=str(SCREENS / f"control-tree-{language}.png"))
    first = assert_labels_read(page, "#control-tree-chart", against_symbols=True, minimum=8)
    # Every level: after "expand all" the group, the person and every member are drawn, still without a
    # clash; the chart grew to hold them and scrolls inside its card.
    every = 2 + big.memberships.count()
    page.click("[data-tree-action=expand]")
    page.wait_for_timeout(300)
    page.locator("#control-tree").screenshot(path=str(SCREENS / f"control-tree-expanded-{language}.png"))
    expanded = assert_labels_read(page, "#control-tree-chart", against_symbols=True, minimum=every)
    assert len(expanded["symbols"]) == every and expanded["height"] >= first["height"]
    scroller = page.locator("#control-tree-scroll").bounding_box()
    assert scroller["height"] <= 770
    # Back to the first level.
    page.click("[data-tree-action=collapse]")
    collapsed = page.evaluate(RECTS, "#control-tree-chart")
    assert len(collapsed["symbols"]) < len(expanded["symbols"])

    # On paper: the chart is hidden, the text alternative shows.
    page.emulate_media(media="print")
    expect(page.locator("#control-tree-chart")).to_be_hidden()
    assert page.locator("#control-tree-alt").bounding_box()["height"] > 200
    page.emulate_media(media="screen")
    assert page.locator("#control-tree-alt").bounding_box()["height"] <= 1  # visually hidden on screen

    # The circle: one sector per role, labels that never collide, the card's width used.
    page.goto(f"{live_server.url}/circles/groups/{big.pk}/")
    expect(page.locator("#circle-graph-chart canvas")).to_have_count(1)
    page.wait_for_timeout(300)
    page.locator("#circle-graph").screenshot(path=str(SCREENS / f"circle-graph-{language}.png"))
    circle = assert_labels_read(page, "#circle-graph-chart", against_symbols=True, minimum=8)
    card = page.locator("#circle-graph").bounding_box()
    assert circle["width"] >= card["width"] - 60
    xs = [s["x"] for s in circle["symbols"]]
    assert max(xs) - min(xs) > 0.6 * circle["width"]  # the ellipse spreads over the card, not a square in it
    # It follows the window.
    page.set_viewport_size({"width": 1000, "height": 900})
    page.wait_for_timeout(500)
    narrow = assert_labels_read(page, "#circle-graph-chart", against_symbols=True, minimum=4)
    assert narrow["width"] < circle["width"]
    page.emulate_media(media="print")
    expect(page.locator("#circle-graph-chart")).to_be_hidden()
    assert page.locator("#circle-graph-alt").bounding_box()["height"] > 200
    page.emulate_media(media="screen")

    assert errors == []


def test_a_wide_real_tree_scrolls_inside_its_card_without_clashes(bank, page, live_server):
    """American Electric Power's Exhibit 21 (real public data): some 50 subsidiaries on one level."""
    from tests.clients.test_control_tree_chart import _aep_group

    group, _shares = _aep_group(bank)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "en")
    page.goto(f"{live_server.url}/clients/groups/{group.pk}/")
    expect(page.locator("#control-tree-chart canvas")).to_have_count(1)
    found = assert_labels_read(page, "#control-tree-chart", against_symbols=True, minimum=40)
    scroller = page.locator("#control-tree-scroll")
    assert found["height"] > scroller.bounding_box()["height"]  # taller than the card allows: it scrolls
    assert scroller.evaluate("(el) => el.scrollHeight > el.clientHeight")
    page.locator("#control-tree").screenshot(path=str(SCREENS / "control-tree-wide-en.png"))
    assert errors == []
