"""The circle graph's data (circles/selectors.py circle_graph, circles/graph_layout.py): one colour per
role, a computed layout that is the same on every call, labels only where they help, the text
alternative on the page, and amounts typed the way people write them (core.forms.AmountField)."""

import datetime
import math
import random
from decimal import Decimal
from itertools import combinations

import pytest
from django.urls import reverse
from django.utils import translation

from circles import graph_layout
from circles.forms import GuaranteeForm
from circles.models import CircleMember, CircleRole, Guarantee
from circles.selectors import OUTSIDE, ROLE_ORDER, circle_graph, circle_guarantees
from tests.circles.conftest import payment
from tests.factories import EnterpriseFactory

ROLES = [role for role, _label in CircleRole.choices]


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB hex -> CIE L*a*b* (D65)."""
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_every_role_has_its_own_colour_and_no_two_look_alike():
    palette = graph_layout.ROLE_COLOURS
    assert set(palette) == {"core", OUTSIDE, *ROLES}
    assert len(set(palette.values())) == len(palette)
    for (a, ca), (b, cb) in combinations(palette.items(), 2):
        delta_e = math.dist(_lab(ca), _lab(cb))  # CIE76: about 2.3 is just noticeable, 20+ reads as another colour
        assert delta_e >= 20, f"{a} {ca} and {b} {cb} are too alike (ΔE {delta_e:.1f})"


@pytest.fixture
def every_role(bank, flows):
    """group_gy's circle with every role (three members each, one enterprise holding two roles), flows
    that make some members big, and a guarantee from an enterprise outside the circle."""
    group = bank.group_gy
    core = group.core_enterprise
    members = []
    for role in ROLES:
        for i in range(3):
            e = EnterpriseFactory(name=f"{role}成员{i}有限公司", is_client=(i == 0))
            members.append(CircleMember(group=group, enterprise=e, role=role))
    twice = members[0].enterprise
    members.append(CircleMember(group=group, enterprise=twice, role=CircleRole.SUPPLIER))
    CircleMember.objects.bulk_create(members)
    flows([payment(m.enterprise, core, f"{(n + 1) * 1000}.00") for n, m in enumerate(members[::4])])
    outsider = EnterpriseFactory(name="圈外担保公司")
    Guarantee.objects.create(guarantor=outsider, borrower=core, amount=Decimal("12500000"), currency="CNY",
                             start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2027, 1, 1))
    return group


def graph_of(bank, group):
    with translation.override("en"):
        return circle_graph(group=group, guarantees=circle_guarantees(user=bank.hq, group=group))


def test_the_layout_is_the_same_on_every_call_and_whatever_the_row_order(bank, every_role):
    first = graph_of(bank, every_role)
    second = graph_of(bank, every_role)
    positions = {n["id"]: (n["x"], n["y"]) for n in first["nodes"]}
    assert positions == {n["id"]: (n["x"], n["y"]) for n in second["nodes"]}
    # The layout depends on the nodes, not on the order the database returned them in.
    shuffled = [dict(n) for n in first["nodes"]]
    random.Random(3).shuffle(shuffled)
    graph_layout.layout(shuffled, ["core", *ROLE_ORDER, OUTSIDE])
    assert {n["id"]: (n["x"], n["y"]) for n in shuffled} == positions
    # The core in the middle, no two nodes on the same spot.
    core = next(n for n in first["nodes"] if n["core"])
    assert (core["x"], core["y"]) == (0.0, 0.0)
    spots = list(positions.values())
    assert min(math.dist(a, b) for a, b in combinations(spots, 2)) >= 0.2


def test_each_role_owns_a_sector_in_the_fixed_order(bank, every_role):
    graph = graph_of(bank, every_role)
    order = ["core", *ROLE_ORDER, OUTSIDE]
    present = [c for c in order[1:] if any(n["category"] == c for n in graph["nodes"])]
    assert present == [*ROLES, OUTSIDE]  # every role drawn, and the party outside the circle

    def clockwise_from_top(n):
        return (math.atan2(n["y"], n["x"]) + math.pi / 2) % (2 * math.pi)

    spans = []
    for category in present:
        angles = [clockwise_from_top(n) for n in graph["nodes"] if n["category"] == category]
        spans.append((min(angles), max(angles)))
    # Sectors follow the role order clockwise from the top and never interleave.
    assert spans == sorted(spans)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_node_colours_and_legend_come_from_the_palette(bank, every_role):
    graph = graph_of(bank, every_role)
    assert graph["palette"] == graph_layout.ROLE_COLOURS
    by_name = {n["name"]: n for n in graph["nodes"]}
    # An enterprise with two roles takes the first in CircleRole order, and lists both.
    assert by_name["subsidiary成员0有限公司"]["category"] == "subsidiary"
    assert by_name["subsidiary成员0有限公司"]["roles_text"] == "Subsidiary, Supplier"
    assert by_name["圈外担保公司"]["category"] == OUTSIDE
    assert by_name["supplier成员0有限公司"]["short"] == "supplier成员0"


def test_only_important_nodes_are_labelled_in_a_big_circle(bank, every_role):
    group = every_role
    core = group.core_enterprise
    extra = [EnterpriseFactory(name=f"大圈成员{i}") for i in range(30)]
    CircleMember.objects.bulk_create([CircleMember(group=group, enterprise=e, role=CircleRole.CUSTOMER) for e in extra])
    graph = graph_of(bank, group)
    labelled = {n["name"] for n in graph["nodes"] if n["important"]}
    assert len(graph["nodes"]) > graph_layout.LABEL_ALL_UP_TO
    assert core.name in labelled and "圈外担保公司" in labelled  # the core and the guarantee parties
    with_volume = [n for n in graph["nodes"] if n["volume"]]
    assert {n["name"] for n in with_volume} <= labelled  # fewer than LABELLED members have flows here
    assert len(labelled) < len(graph["nodes"]) // 2
    # Labelled members sit on the outer rings of their sector, so their labels point into free space.
    for role in ROLES:
        radii = [(n["important"], math.hypot(n["x"], n["y"])) for n in graph["nodes"] if n["category"] == role]
        inner = [r for important, r in radii if not important]
        outer = [r for important, r in radii if important]
        if inner and outer:
            assert min(outer) >= max(inner) - 1e-3  # coordinates are rounded to 4 places


def test_small_circle_labels_every_node(bank):
    graph = graph_of(bank, bank.group_gy)
    assert graph["nodes"] and all(n["important"] for n in graph["nodes"])


def test_circle_page_has_the_table_alternative_and_amounts_with_units(bank, every_role, client_as):
    url = reverse("circles:group_circle", args=[every_role.pk])
    response = client_as(bank.rm_gy1).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    graph = response.context["graph"]
    alt = body.split('id="circle-graph-alt"')[1].split("</table>")[0]
    assert alt.count("<tr data-node=") == len(graph["nodes"])
    assert "圈外担保公司" in alt and "近 12 个月流水金额" in alt
    assert "（万元）" in alt  # the unit in the column header
    guarantees = body.split('id="guarantees"')[1].split("</table>")[0]
    assert "（万元）" in guarantees and ">1,250.00<" in guarantees  # 12,500,000 元 in 万元
    edge = next(e for e in graph["edges"] if e["kind"] == "guarantee")
    assert edge["amount_text"] == "1,250.00万元"  # the tooltip's figure, formatted on the server
    assert 'class="chart chart-circle"' in body and 'role="img"' in body


@pytest.mark.parametrize(("typed", "language", "amount"), [
    ("125万", "zh-hans", Decimal("1250000")),
    ("1.5亿", "zh-hans", Decimal("150000000")),
    ("300", "zh-hans", Decimal("3000000")),  # a bare number is read in the unit the label states (万元)
    ("1,250,000", "en", Decimal("1250000")),
])
def test_guarantee_amount_is_read_in_the_unit_its_label_states(bank, typed, language, amount):
    s1 = bank.group_gy.memberships.exclude(depth=0).first().enterprise
    data = {"guarantor_uscc": bank.group_gy.core_enterprise.uscc, "borrower_uscc": s1.uscc, "amount": typed,
            "currency": "CNY", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    with translation.override(language):
        form = GuaranteeForm(data=data, user=bank.rm_gy1)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount"] == amount
        assert ("万元" in str(form.fields["amount"].label)) == (language == "zh-hans")


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "12\x0034", "9" * 5000, "1e400", "NaN", "-"])
def test_hostile_guarantee_amount_is_a_field_error_not_a_500(bank, client_as, hostile):
    s1 = bank.group_gy.memberships.exclude(depth=0).first().enterprise
    response = client_as(bank.rm_gy1).post(
        reverse("circles:guarantee_add", args=[bank.group_gy.pk]),
        {"guarantor_uscc": bank.group_gy.core_enterprise.uscc, "borrower_uscc": s1.uscc, "amount": hostile,
         "currency": "CNY", "start_date": "2026-01-01", "end_date": "2026-12-31"},
    )
    if "\x00" in hostile:  # refused before any view by core.middleware's text rule, with a message
        assert response.status_code == 400
    else:
        assert response.status_code == 200
        assert response.context["guarantee_form"].errors["amount"]
    assert not Guarantee.objects.exists()
