"""The control-tree chart's data (clients/tree_chart.py) on a hand-made group, and the 360 page around it:
the same shares in the chart, its text alternative and the member table, the actual controller marked,
the text alternative on the page, amounts through core.money."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from clients.models import ControlLink, GroupClient
from clients.names import short_name
from clients.selectors import group_control_tree
from clients.services import group_membership_refresh
from clients.tree_chart import control_tree_chart, share_text
from tests.factories import EnterpriseFactory, PersonFactory


def walk(node, depth=0):
    yield node, depth
    for child in node["children"]:
        yield from walk(child, depth + 1)


@pytest.fixture
def deep(bank):
    """A four-level group under a natural person, with a cross-holding and joint control:

        王实控 (person) -80%-> C (core) -60%-> A -70%-> B -51%-> D
                                 B -10%-> A   (cross-holding: A and B hold each other)
                                 C -30%-> E <-25%- A   (joint control: 55 % together, drawn under C)
                                 C -33.335%-> F  (no control: not a member)
    """
    branch = bank.gy1
    names = {k: f"深层{k}有限公司" for k in "CABDEF"}
    e = {k: EnterpriseFactory(name=v, branch=branch, rm=bank.rm_gy1, is_client=k != "D") for k, v in names.items()}
    group = GroupClient.objects.create(name="深层测试集团", core_enterprise=e["C"], lead_rm=bank.rm_gy1, branch=branch,
                                       tier="key", unified_credit_limit=Decimal("123456789.00"))
    person = PersonFactory(name="王实控")
    links = [("C", "A", "60"), ("A", "B", "70"), ("B", "D", "51"), ("B", "A", "10"), ("C", "E", "30"), ("A", "E", "25"),
             ("C", "F", "33.335")]
    ControlLink.objects.bulk_create(
        [ControlLink(parent_enterprise=e[p], child=e[c], share_pct=Decimal(s)) for p, c, s in links]
        + [ControlLink(parent_person=person, child=e["C"], share_pct=Decimal("80"), control_type="actual")]
    )
    group_membership_refresh(groups=[group])
    return group, e, person


def chart_for(group):
    with translation.override("en"):
        return control_tree_chart(group_control_tree(group=group))


def test_four_levels_under_a_person_with_a_cross_holding(deep):
    group, e, person = deep
    chart = chart_for(group)
    tree = chart["tree"]
    assert (tree["kind"], tree["name"]) == ("group", group.name)
    [top] = tree["children"]
    assert (top["kind"], top["name"], top["controller"]) == ("person", "王实控", True)
    [core] = top["children"]
    assert core["core"] and core["id"] == e["C"].pk and core["share"] == "80.00%" and not core["controller"]
    # Every member once: the cross-holding does not draw A again under B, F (33.335 %) is not a member.
    ids = [n["id"] for n, _ in walk(core)]
    assert sorted(ids) == sorted(e[k].pk for k in "CABDE")
    by_id = {n["id"]: (n, depth) for n, depth in walk(tree)}
    # Depths: group 0, person 1, core 2, A 3, B 4, D 5: six levels, all reachable.
    assert [by_id[e[k].pk][1] for k in "CABD"] == [2, 3, 4, 5]
    assert chart["levels"] == 6
    assert chart["nodes"] == 1 + 1 + 5
    assert chart["leaves"] == 2  # D and E
    # The share each shareholder in the tree holds, and the group's total where control is joint.
    assert [by_id[e[k].pk][0]["share"] for k in "ABDE"] == ["60.00%", "70.00%", "51.00%", "30.00%"]
    assert by_id[e["E"].pk][0]["controlled"] == "55.00%"
    assert [c["id"] for c in core["children"]] == [e["A"].pk, e["E"].pk]  # largest share first


def test_the_core_is_the_controller_when_no_person_controls_it(bank):
    group = bank.group_gy
    ControlLink.objects.create(parent_person=PersonFactory(name="小股东"), child=group.core_enterprise,
                               share_pct=Decimal("12.5"))
    chart = chart_for(group)
    [minority] = [n for n, _ in walk(chart["tree"]) if n["kind"] == "person"]
    core = next(n for n, _ in walk(chart["tree"]) if n["core"])
    assert (minority["controller"], core["controller"]) == (False, True)
    assert core["share"] == "12.50%"


def test_shares_are_formatted_once_for_chart_list_and_table(deep, client_as, bank):
    group, e, _person = deep
    response = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[group.pk]))
    body = response.content.decode()
    chart = response.context["tree_data"]
    nodes = {n["id"]: n for n, _ in walk(chart["tree"]) if n["kind"] == "enterprise"}
    rows = dict(re.findall(r'<tr data-enterprise="(\d+)">(.*?)</tr>', body, re.S))
    assert set(map(int, rows)) == set(nodes)
    for pk, row in rows.items():
        node = nodes[int(pk)]
        via = re.search(r'data-share="via">([^<]*)<', row)[1]
        controlled = re.search(r'data-share="controlled">([^<]*)<', row)[1]
        if node["core"]:
            assert (via, controlled) == ("—", "—")
        else:
            assert (via, controlled) == (node["share"], node["controlled"]), row
    # The text alternative: headed lists, the person marked as actual controller, every member with
    # the same share strings; visually hidden (class chart-alt), printed instead of the chart.
    alt = body.split('id="control-tree-alt">')[1].split("</div>")[0]
    assert "Shareholders and actual controller" in alt and "Outward investments" in alt
    assert '<li data-kind="person"><span class="person"' in alt and "王实控" in alt
    assert 'class="badge controller"' in alt and "80.00%" in alt
    for k in "ABDE":
        assert e[k].name in alt and nodes[e[k].pk]["share"] in alt
    assert "controlled by the group: 55.00%" in alt
    assert 'id="actual-controller"' in body and "王实控" in body.split('id="actual-controller"')[1][:400]


def test_share_text_rounds_half_up_like_the_member_table(deep):
    group, e, _person = deep
    assert share_text(Decimal("33.335")) == "33.34%"
    assert share_text(Decimal("0.005")) == "0.01%"
    assert share_text(None) == ""


def test_the_360_page_shows_amounts_through_core_money(deep, client_as, bank):
    group, _e, _person = deep
    body = client_as(bank.rm_gy1).get(reverse("clients:group_detail", args=[group.pk]),
                                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    figures = body.split('id="key-figures"')[1].split('id="control-tree"')[0]
    assert "1.23亿元" in figures  # the unified limit as a headline tile, exact figure on hover
    assert 'title="123,456,789.00 元"' in figures


def test_short_names_drop_only_the_legal_form():
    assert short_name("贵州诚宇食品集团股份有限公司") == "贵州诚宇食品集团"
    assert short_name("遵义信卓农业有限责任公司") == "遵义信卓农业"
    assert short_name("Acme Widgets Co., Ltd.") == "Acme Widgets"
    assert short_name("有限公司") == "有限公司"
    assert short_name("<script>x</script>") == "<script>x</script>"


def _aep_group(bank):
    """American Electric Power's Exhibit 21 (2009, real public data: tests/fixtures/realdata/README.md)
    as a group: the filer holds each listed subsidiary directly at the listed percentage."""
    from clients.models import Enterprise
    from tests.realdata.test_realdata import _codes, _ex21_rows

    rows = _ex21_rows("4904-0000004904-09-000040")
    codes = _codes()
    core = Enterprise.objects.create(name="American Electric Power Company, Inc.", uscc=next(codes), is_client=True,
                                     branch=bank.gy1, rm=bank.rm_gy1)
    subs = Enterprise.objects.bulk_create([Enterprise(name=r["Subsidiary"].strip()[:200], uscc=next(codes)) for r in rows])
    ControlLink.objects.bulk_create([
        ControlLink(parent_enterprise=core, child=e, share_pct=Decimal(r["Ownership Percentage"]))
        for e, r in zip(subs, rows, strict=True)
    ])
    group = GroupClient.objects.create(name="AEP group", core_enterprise=core, lead_rm=bank.rm_gy1, branch=bank.gy1,
                                       tier="key")
    group_membership_refresh(groups=[group])
    return group, {r["Subsidiary"].strip(): Decimal(r["Ownership Percentage"]) for r in rows}


def test_real_exhibit_21_list_makes_a_wide_one_level_tree(bank):
    group, shares = _aep_group(bank)
    chart = chart_for(group)
    [core] = chart["tree"]["children"]
    assert core["controller"]  # no person on file: the filer is the top entity
    majority = {name: share for name, share in shares.items() if share > 50}
    assert {c["name"]: c["share"] for c in core["children"]} == {n: share_text(s) for n, s in majority.items()}
    assert chart["levels"] == 3 and chart["leaves"] == len(majority) > 40
    by_name = {c["name"]: c for c in core["children"]}
    assert by_name["Appalachian Power Company"]["share"] == "98.70%"
    assert by_name["AEP Coal, Inc."]["short"] == "AEP Coal"
    assert by_name["AEP Nonutility Funding LLC"]["short"] == "AEP Nonutility Funding"
    # Largest share first, then by name: a stable order.
    order = [(-Decimal(c["share"].rstrip("%")), c["name"]) for c in core["children"]]
    assert order == sorted(order)
