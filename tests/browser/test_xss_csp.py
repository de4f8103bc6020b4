"""Stored script and the Content-Security-Policy, in Chromium.

1. Names are data: an enterprise and a group named `<img src=x onerror=...>` or `<script>...</script>`
   show as text in the chain's Sankey, the circle graph and the 360 control tree, in the tooltips of
   every chart item hovered with the mouse, for a branch head and for head office alike.
2. Every main page loads under the strict policy with no violation, no console error and no script
   error, and its charts still draw.
3. The CSRF cookie is not readable by script, and the htmx posts and forms that need the token work.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from chains.models import ChainLink, LinkStatus
from chains.services import chain_links_detect
from circles.models import CircleMember, Guarantee
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, FlowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"

# Registered before any page script runs (through the DevTools protocol, so the policy does not apply
# to it): every violation event is reported to the test, whatever page it happened on.
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__reportViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber, e.sample].join(" | "));
});
"""


@dataclass
class Watch:
    violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_clean(self, where: str = ""):
        assert self.violations == [], f"CSP violations {where}: {self.violations}"
        assert self.page_errors == [], f"script errors {where}: {self.page_errors}"
        assert self.console_errors == [], f"console errors {where}: {self.console_errors}"


@pytest.fixture
def watch(page) -> Watch:
    seen = Watch()
    page.expose_function("__reportViolation", lambda text: seen.violations.append(text))
    page.add_init_script(WATCH_VIOLATIONS)
    def console(msg):
        # The app has no favicon: Chromium's own request for /favicon.ico answers 404. Not a page error.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            seen.console_errors.append(f"{msg.text} ({msg.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda exc: seen.page_errors.append(str(exc)))
    return seen


def sign_in(page, live_server, username: str):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator(".whoami")).to_contain_text(username)
    page.click("button[data-lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")


@dataclass
class Hostile:
    group: object
    core: object
    member: object
    supplier: object
    buyer: object
    proposed: ChainLink


@pytest.fixture
def hostile(bank, every_pair_detected) -> Hostile:
    """group_gy renamed to markup, a member, a supplier and a buyer named with markup, a chain between
    them with payments (Sankey), circle members and a guarantee (circle graph), and one detected link."""
    group = bank.group_gy
    group.name = IMG
    group.save(update_fields=["name"])
    core = group.core_enterprise
    member = group.memberships.exclude(enterprise=core).first().enterprise
    member.name = SCRIPT
    member.save(update_fields=["name"])
    supplier = EnterpriseFactory(name=IMG, is_client=False)
    buyer = EnterpriseFactory(name=SCRIPT, is_client=False)
    outsider = EnterpriseFactory(name="未申报供应商", is_client=False)
    ChainLink.objects.bulk_create([
        ChainLink(group=group, supplier=supplier, buyer=core, tier=-1, goods=IMG),
        ChainLink(group=group, supplier=core, buyer=buyer, tier=1, goods="cars"),
    ])
    CircleMember.objects.bulk_create([
        CircleMember(group=group, enterprise=supplier, role="supplier", note=SCRIPT),
        CircleMember(group=group, enterprise=buyer, role="customer"),
    ])
    today = datetime.date.today()
    Guarantee.objects.create(guarantor=supplier, borrower=core, amount=Decimal("3000000"), currency="CNY",
                             start_date=today - datetime.timedelta(days=30), end_date=today + datetime.timedelta(days=300))
    FlowFactory(payer=core, payee=supplier, amount=Decimal("800000"))
    FlowFactory(payer=buyer, payee=core, amount=Decimal("600000"))
    FlowFactory(payer=member, payee=outsider, amount=Decimal("250000"))  # undeclared: detected below
    chain_links_detect(group=group)
    proposed = ChainLink.objects.get(group=group, status=LinkStatus.DETECTED, supplier=outsider)
    return Hostile(group, core, member, supplier, buyer, proposed)


# Where to put the mouse over each drawn item of a chart's first series: nodes at the centre of their
# shape, Sankey bands and graph edges half-way along. Edges with no tooltip (circle membership) are left
# out. Coordinates are CSS pixels relative to the chart's element.
ITEM_POINTS = """
(selector) => {
  const el = document.querySelector(selector);
  const chart = window.echarts.getInstanceByDom(el);
  const series = chart.getModel().getSeriesByIndex(0);
  const points = [];
  const nodes = series.getData();
  for (let i = 0; i < nodes.count(); i++) {
    const g = nodes.getItemGraphicEl(i);
    if (!g || g.ignore || g.invisible) continue;
    const r = g.getBoundingRect();
    const [x, y] = g.transformCoordToGlobal(r.x + r.width / 2, r.y + r.height / 2);
    points.push({what: "node " + i, x: Math.round(x), y: Math.round(y)});
  }
  const edges = series.getEdgeData ? series.getEdgeData() : null;
  for (let i = 0; edges && i < edges.count(); i++) {
    const g = edges.getItemGraphicEl(i);
    const raw = edges.getRawDataItem(i) || {};
    if (!g || (raw.raw && raw.raw.kind !== "guarantee")) continue;
    let x, y, line;
    if (g.shape && g.shape.extent !== undefined) {  // Sankey band: middle of its centre line
      const s = g.shape;
      x = (s.x1 + 3 * s.cpx1 + 3 * s.cpx2 + s.x2) / 8;
      y = (s.y1 + 3 * s.cpy1 + 3 * s.cpy2 + s.y2) / 8 + s.extent / 2;
      [x, y] = g.transformCoordToGlobal(x, y);
    } else if ((line = g.childOfName && g.childOfName("line"))) {  // graph edge
      [x, y] = line.pointAt(0.5);
      [x, y] = line.transformCoordToGlobal(x, y);
    } else {
      continue;
    }
    points.push({what: "edge " + i, x: Math.round(x), y: Math.round(y)});
  }
  return points;
}
"""


def item_points(page, selector: str) -> list[dict]:
    """The hover points once the chart stands still (the circle's force layout moves for a while)."""
    points = page.evaluate(ITEM_POINTS, selector)
    for _ in range(60):
        page.wait_for_timeout(250)
        again = page.evaluate(ITEM_POINTS, selector)
        if again == points:
            return points
        points = again
    return points


# ECharts puts its HTML tooltip in a <div> of its own inside the chart's element, next to the canvas.
TOOLTIP = "(s) => Array.from(document.querySelector(s).children).find((d) => !d.querySelector('canvas'))"


def hover(page, selector: str, x: float, y: float) -> bool:
    """Move the mouse onto a point of the chart until its tooltip has content (ECharts ignores the
    pointer while it animates, so a few small moves may be needed)."""
    for attempt in range(6):
        page.mouse.move(x + attempt % 2, y)
        try:
            # Content and shown: a tooltip hidden again (visibility) while the chart reacts to the move
            # keeps its content but has no text to read.
            page.wait_for_function(f"(s) => {{ const t = ({TOOLTIP})(s); return t && t.childNodes.length > 0 "
                                   "&& getComputedStyle(t).visibility === 'visible'; }",
                                   arg=selector, timeout=1000)
            return True
        except PlaywrightTimeoutError:
            continue
    return False


def hover_every_item(page, selector: str) -> list[str]:
    """Hover each item of the chart with the mouse and return the text of every tooltip shown.
    Fails if a tooltip holds anything but our text rows (no <img>, no <script>: names are text)."""
    box = page.locator(selector).bounding_box()
    texts = []
    for point in item_points(page, selector):
        page.mouse.move(0, 0)
        page.evaluate(f"(s) => {{ const t = ({TOOLTIP})(s); if (t) t.replaceChildren(); }}", selector)
        assert hover(page, selector, box["x"] + point["x"], box["y"] + point["y"]), f"no tooltip on {point}"
        tip = page.evaluate(
            f"""(s) => {{
                const tip = ({TOOLTIP})(s);
                return {{text: tip.innerText, html: tip.innerHTML,
                         tags: Array.from(tip.querySelectorAll('*'), (n) => n.tagName.toLowerCase()),
                         foreign: document.querySelectorAll(s + ' img, ' + s + ' script').length}};
            }}""",
            selector,
        )
        assert tip["foreign"] == 0, f"markup from data became elements: {tip['html']}"
        assert tip["tags"][0:1] == ["div"] and set(tip["tags"]) <= {"strong", "div"}, tip["html"]
        texts.append(tip["text"])
    return texts


@pytest.mark.parametrize("username", ["head_gy", "hq"])
def test_markup_in_names_shows_as_text_in_every_chart_and_tooltip(hostile, bank, page, live_server, watch, username):
    sign_in(page, live_server, username)

    # Chain: the Sankey's nodes (supplier, the group, buyer) and both bands.
    page.goto(f"{live_server.url}/chains/groups/{hostile.group.pk}/")
    expect(page.locator("[data-sankey] canvas")).to_have_count(1)
    texts = hover_every_item(page, "[data-sankey]")
    headings = sorted(t.splitlines()[0] for t in texts)
    # Nodes: the supplier and the group (both named IMG), the buyer; bands: supplier -> group -> buyer.
    assert headings == sorted([IMG, IMG, SCRIPT, f"{IMG} → {IMG}", f"{IMG} → {SCRIPT}"]), texts
    expect(page.locator("#chain-links")).to_contain_text(IMG)
    expect(page.locator("h1")).to_contain_text(IMG)
    assert page.evaluate("typeof window.__xss") == "undefined"

    # Circle: every node and the guarantee edge.
    page.goto(f"{live_server.url}/circles/groups/{hostile.group.pk}/")
    expect(page.locator("#circle-graph-chart canvas")).to_have_count(1)
    texts = hover_every_item(page, "#circle-graph-chart")
    headings = [t.splitlines()[0] for t in texts]
    assert IMG in headings and SCRIPT in headings, texts
    assert any(h.startswith("Guarantee") for h in headings), texts
    expect(page.locator("#circle-members")).to_contain_text(SCRIPT)  # the note, in the member table
    assert page.evaluate("typeof window.__xss") == "undefined"

    # 360: the control tree (the group at its root, the member renamed to a script tag).
    page.goto(f"{live_server.url}/clients/groups/{hostile.group.pk}/")
    expect(page.locator("#control-tree-chart canvas")).to_have_count(1)
    texts = hover_every_item(page, "#control-tree-chart")
    headings = [t.splitlines()[0] for t in texts]
    assert IMG in headings and SCRIPT in headings, texts
    expect(page.locator("#control-tree ul.tree")).to_contain_text(SCRIPT)
    assert page.locator("#control-tree ul.tree img, #control-tree ul.tree script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"

    watch.assert_clean(f"as {username}")


def test_every_main_page_loads_under_the_policy_without_errors(hostile, bank, page, live_server, watch):
    group = hostile.group.pk
    pages = {
        "/clients/groups/": "#group-table",
        f"/clients/groups/{group}/": "#control-tree-chart canvas",
        f"/circles/groups/{group}/": "#circle-graph-chart canvas",
        f"/chains/groups/{group}/": "[data-sankey] canvas",
        "/clients/enterprises/": "main table",
        f"/clients/enterprises/{hostile.core.pk}/": "h1",
        f"/clients/lookup/?uscc={hostile.buyer.uscc}": "#registry-card",
        "/clients/requests/": "h1",
        "/imports/": "main form",
        "/ops/runs/": "h1",
        "/api/docs/": ".swagger-ui .opblock",
    }
    sign_in(page, live_server, "hq")
    for path, ready in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.locator(ready).first.wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        watch.assert_clean(path)

    page.context.clear_cookies()
    for path, ready in {"/login/": "#id_username", "/admin/login/": "#id_username"}.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
        page.locator(ready).wait_for()
        page.wait_for_load_state("networkidle")
        watch.assert_clean(path)


def test_the_policy_blocks_an_inline_script_that_slips_in(bank, page, live_server, watch):
    """The guard behind the escaping: were markup ever written into a page, its inline handler would
    not run. (Proves the header is enforced, not only sent.)"""
    sign_in(page, live_server, "hq")
    page.goto(f"{live_server.url}/clients/groups/")
    page.evaluate("""() => {
        const div = document.createElement('div');
        div.innerHTML = '<img src="data:," onerror="window.__xss=1"><span style="color:red">x</span>';
        document.body.appendChild(div);
    }""")
    page.wait_for_function("() => document.querySelector('img[src=\"data:,\"]') !== null")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert any("script-src" in v for v in watch.violations), watch.violations
    assert any("style-src" in v for v in watch.violations), watch.violations


def test_the_csrf_cookie_is_hidden_from_script_and_htmx_posts_still_work(hostile, bank, page, live_server, watch):
    sign_in(page, live_server, "head_gy")
    page.goto(f"{live_server.url}/chains/groups/{hostile.group.pk}/")
    csrf = [c for c in page.context.cookies() if c["name"] == "csrftoken"]
    assert csrf and csrf[0]["httpOnly"] is True
    assert "csrftoken" not in page.evaluate("document.cookie")

    # Confirm the detected link: an htmx POST that carries the token from hx-headers.
    row = page.locator(f"#detected-links tr[data-link='{hostile.proposed.pk}']")
    row.locator("input[name=goods]").fill("钢材")
    with page.expect_response(lambda r: r.url.endswith(f"/chains/links/{hostile.proposed.pk}/confirm/")) as answer:
        row.locator("button", has_text="Confirm").click()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#detected-links tr[data-link]")).to_have_count(0)
    expect(page.locator("#chain-links")).to_contain_text("钢材")
    hostile.proposed.refresh_from_db()
    assert (hostile.proposed.status, hostile.proposed.goods) == (LinkStatus.CONFIRMED, "钢材")
    expect(page.locator("[data-sankey] canvas")).to_have_count(1)  # re-drawn after the swap

    # The member table filters (htmx GET) and removing a member (a form that asks first).
    page.goto(f"{live_server.url}/circles/groups/{hostile.group.pk}/")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#id_q").press_sequentially(hostile.buyer.uscc)
    expect(page.locator("#circle-members tbody tr")).to_have_count(1)
    expect(page.locator("#circle-members")).to_contain_text(SCRIPT)
    remove = page.locator("#circle-members form[data-confirm] button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    remove.click()
    page.wait_for_timeout(300)
    assert CircleMember.objects.filter(group=hostile.group, enterprise=hostile.buyer).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_be_visible()
    assert not CircleMember.objects.filter(group=hostile.group, enterprise=hostile.buyer).exists()

    watch.assert_clean()
